/**
 * The keyword prefilter shared by the scan and the output redactor: an Aho-Corasick automaton
 * over bytes, as a dense table (state × byte → state). A few hundred keywords with every first
 * letter defeat a regex alternation (V8 then tries the alternation at nearly every position, and
 * a run of `a`s costs a try per character); the automaton costs one table load per character
 * whatever the number of keywords. The tables are plain typed arrays, so the scan hands them to
 * its worker threads as they are.
 */

export interface KeywordAutomaton {
  /**
   * Transitions, `delta[state * 256 + byte]`. A transition into a state where a keyword ends is
   * stored as that state's complement (negative), so the hot loop tests the sign of one load.
   */
  delta: Int32Array;
  /** Per state, the indexes (into the keyword list) of the keywords that end there. */
  outputs: number[][];
  /** Length of each keyword, index-aligned with the keyword list. */
  lengths: number[];
}

/** Builds the automaton for `keywords` (ASCII; a character above 255 is folded to its low byte). */
export function buildKeywordAutomaton(keywords: readonly string[]): KeywordAutomaton {
  // The trie, in a table of its own (-1: no edge); typed arrays throughout, so building the
  // automaton for a few hundred keywords takes a few milliseconds.
  const most = 1 + keywords.reduce((n, k) => n + k.length, 0);
  const go = new Int32Array(most * 256).fill(-1);
  const outputs: number[][] = [[]];
  keywords.forEach((word, w) => {
    let st = 0;
    for (let i = 0; i < word.length; i++) {
      const at = st * 256 + (word.charCodeAt(i) & 0xff);
      if (go[at]! < 0) {
        go[at] = outputs.length;
        outputs.push([]);
      }
      st = go[at]!;
    }
    outputs[st]!.push(w);
  });
  const states = outputs.length;
  const delta = new Int32Array(states * 256);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  for (let c = 0; c < 256; c++) {
    const nx = go[c]!;
    delta[c] = nx < 0 ? 0 : nx;
    if (nx >= 0) queue.push(nx);
  }
  // Breadth first: a state's failure state is complete (row and outputs) before its children.
  for (let qi = 0; qi < queue.length; qi++) {
    const st = queue[qi]!;
    const f = fail[st]!;
    for (const o of outputs[f]!) outputs[st]!.push(o);
    delta.copyWithin(st * 256, f * 256, f * 256 + 256);
    for (let c = 0; c < 256; c++) {
      const nx = go[st * 256 + c]!;
      if (nx < 0) continue;
      fail[nx] = delta[f * 256 + c]!;
      delta[st * 256 + c] = nx;
      queue.push(nx);
    }
  }
  const ends = new Uint8Array(states);
  for (let st = 0; st < states; st++) ends[st] = outputs[st]!.length > 0 ? 1 : 0;
  for (let i = 0; i < delta.length; i++) if (ends[delta[i]!] === 1) delta[i] = ~delta[i]!;
  return { delta, outputs, lengths: keywords.map((k) => k.length) };
}

/**
 * Calls `onHit(keyword index, start offset)` for every occurrence of every keyword in
 * `text[0, end)`, overlapping ones included, in order of where they end.
 */
export function findKeywords(
  automaton: KeywordAutomaton,
  text: string,
  onHit: (keyword: number, start: number) => void,
): void {
  const { delta, outputs, lengths } = automaton;
  let st = 0;
  for (let i = 0; i < text.length; i++) {
    const nx = delta[(st << 8) | (text.charCodeAt(i) & 0xff)]!;
    if (nx >= 0) {
      st = nx;
      continue;
    }
    st = ~nx;
    const ids = outputs[st]!;
    for (let k = 0; k < ids.length; k++) onHit(ids[k]!, i + 1 - lengths[ids[k]!]!);
  }
}
