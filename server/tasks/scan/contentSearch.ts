/**
 * The per-file content search. `createFileSearcher` is self-contained (it uses nothing from this
 * module's scope, only its arguments and globals) because its source text is also what the
 * worker threads run: `secrets.ts` turns it into a string with `Function#toString`, which keeps
 * working in the esbuild bundle (dist/server.js) and under tsx, with no second entry point.
 */

import type { KeywordAutomaton } from '../../audit/secretRules/keywords';

/** Serializable search configuration (regexes as source + flags, so it can cross to a worker). */
export interface SearchConfig {
  /** Full regex per pattern, index-aligned with SECRET_PATTERNS. */
  patterns: { source: string; flags: string; multiline: boolean; assignmentWithin?: number }[];
  /**
   * The literal prefilter (server/audit/secretRules/keywords.ts): an automaton over every keyword,
   * and per keyword the indexes of the patterns it may start; -1 stands for "run the probes".
   */
  keywords: { automaton: KeywordAutomaton; patterns: number[][] };
  /** Patterns found through their own fast probe regex, run on text that holds a probe keyword. */
  probes: { source: string; flags: string; pattern: number }[];
  /** Files larger than this are not read. */
  maxBytes: number;
}

/** One match; `groups` hold the raw text and never leave the process (redacted before reporting). */
export interface Hit {
  pattern: number;
  line: number;
  groups: (string | undefined)[];
}

export type FileStatus =
  'ok' | 'binary' | 'too-large' | 'special-file' | 'symlink' | 'missing' | 'unreadable';

/**
 * What the search found in one file. A plain number is the common case in compact form: a file
 * read and searched with nothing found, its size (most files; saves building and copying objects).
 */
export type SearchResult = FileResult | number;

export interface FileResult {
  status: FileStatus;
  /** lstat size in bytes (-1 when unknown). */
  size: number;
  hits: Hit[];
  /** Rust test attributes seen (looked for in `.rs` files only). */
  testMarker: boolean;
}

type FsLike = typeof import('node:fs');

export function createFileSearcher(config: SearchConfig, fs: FsLike): (abs: string) => SearchResult {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
  const patterns = config.patterns.map((p) => new RegExp(p.source, p.flags));
  const probes = config.probes.map((p) => ({ regex: new RegExp(p.source, p.flags), pattern: p.pattern }));

  const { delta, outputs, lengths } = config.keywords.automaton;
  const keywordPatterns = config.keywords.patterns;
  // Keywords that only say "run the probes" (`://`, in most files): a flag, not a hit each.
  const probeOnly = keywordPatterns.map((list) => list.length === 1 && list[0] === -1);
  let probeSeen = false;

  /**
   * Keyword hits in `b[0, end)` as [keyword, start offset] pairs; empty for most files, which then
   * are never turned into a string. The same loop as findKeywords (secretRules/keywords.ts), over
   * bytes; repeated here because this function's source is what the worker threads run.
   */
  function prefilterHits(b: Buffer, end: number): number[] {
    const hitsOut: number[] = [];
    let st = 0;
    for (let i = 0; i < end; i++) {
      const nx = delta[(st << 8) | b[i]!]!;
      if (nx >= 0) {
        st = nx;
        continue;
      }
      st = ~nx;
      const ids = outputs[st]!;
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k]!;
        if (probeOnly[id]) probeSeen = true;
        else hitsOut.push(id, i + 1 - lengths[id]!);
      }
    }
    return hitsOut;
  }

  // Files are read whole up to this; larger ones (allowed when maxBytes is raised) in chunks cut at
  // a line end, so memory stays bounded whatever the limit.
  const CHUNK = 8 * 1024 * 1024;
  let buf = Buffer.allocUnsafe(64 * 1024);

  const result = (status: FileStatus, size: number): FileResult => ({
    status,
    size,
    hits: [],
    testMarker: false,
  });

  function searchText(text: string, keywordHits: readonly number[], lineBase: number, hits: Hit[]): void {
    // Allocated on the first keyword hit only: most files have none.
    let found: { pattern: number; index: number; groups: (string | undefined)[] }[] | undefined;
    let seen: Set<string> | undefined;
    let scannedTo: Int32Array | undefined;
    const visit = (pi: number, pos: number) => {
      found ??= [];
      seen ??= new Set();
      scannedTo ??= new Int32Array(patterns.length).fill(-1);
      const { multiline, assignmentWithin } = config.patterns[pi]!;
      if (assignmentWithin !== undefined) {
        const limit = Math.min(text.length, pos + assignmentWithin);
        let j = pos;
        for (; j < limit; j++) {
          const c = text.charCodeAt(j);
          if (c === 58 || c === 61 || c === 10) break;
        }
        // No `:` or `=` before the line ends or the limit: the word is prose, not a name.
        if (j === limit || text.charCodeAt(j) === 10) return;
      }
      const lineStart = multiline ? Math.max(0, pos - 256) : text.lastIndexOf('\n', pos - 1) + 1;
      let lineEnd = multiline ? Math.min(text.length, pos + 4096) : text.indexOf('\n', pos);
      if (lineEnd < 0) lineEnd = text.length;
      // A previous window of this pattern reached the end of this line: nothing new to find.
      if (pos < scannedTo[pi]! && scannedTo[pi] === lineEnd) return;
      const start = Math.max(lineStart, pos - 256);
      const end = Math.min(lineEnd, pos + 4096);
      scannedTo[pi] = end;
      const regex = patterns[pi]!;
      const window = text.slice(start, end);
      regex.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = regex.exec(window)) !== null) {
        if (m[0].length === 0) {
          regex.lastIndex++;
          continue;
        }
        const key = `${pi}:${start + m.index}`;
        if (seen.has(key)) continue;
        seen.add(key);
        found.push({ pattern: pi, index: start + m.index, groups: [m[0], m[1]] });
      }
    };
    let probe = probeSeen;
    for (let k = 0; k < keywordHits.length; k += 2) {
      for (const pi of keywordPatterns[keywordHits[k]!]!) {
        if (pi < 0) probe = true;
        else visit(pi, keywordHits[k + 1]!);
      }
    }
    let m: RegExpExecArray | null;
    for (const p of probe ? probes : []) {
      p.regex.lastIndex = 0;
      while ((m = p.regex.exec(text)) !== null) visit(p.pattern, m.index);
    }
    if (found === undefined) return;
    found.sort((a, b) => a.index - b.index);
    let line = lineBase;
    let at = 0;
    for (const f of found) {
      for (let nl = text.indexOf('\n', at); nl >= 0 && nl < f.index; nl = text.indexOf('\n', nl + 1)) line++;
      at = f.index;
      hits.push({ pattern: f.pattern, line, groups: f.groups });
    }
  }

  function countLines(b: Buffer, end: number): number {
    let n = 0;
    for (let i = b.indexOf(10, 0); i >= 0 && i < end; i = b.indexOf(10, i + 1)) n++;
    return n;
  }

  return function searchFile(abs: string): SearchResult {
    const out = searchOne(abs, abs.endsWith('.rs'));
    return out.status === 'ok' && out.hits.length === 0 && !out.testMarker ? out.size : out;
  };

  function searchOne(abs: string, testMarkers: boolean): FileResult {
    let st: import('node:fs').Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return result(code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable', -1);
    }
    if (st.isSymbolicLink()) return result('symlink', st.size);
    if (!st.isFile()) return result('special-file', st.size);
    if (st.size > config.maxBytes) return result('too-large', st.size);
    let fd: number;
    try {
      fd = fs.openSync(abs, flags);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return result(code === 'ELOOP' ? 'symlink' : code === 'ENOENT' ? 'missing' : 'unreadable', st.size);
    }
    const out = result('ok', st.size);
    try {
      // The path may have been swapped between lstat and open: trust only what was opened.
      const fst = fs.fstatSync(fd);
      if (!fst.isFile() || fst.ino !== st.ino) return result('special-file', st.size);
      out.size = fst.size;
      if (fst.size > config.maxBytes) return result('too-large', fst.size);
      const want = Math.min(fst.size, config.maxBytes);
      const cap = Math.min(want + 1, CHUNK);
      if (buf.length < cap) buf = Buffer.allocUnsafe(Math.max(cap, buf.length * 2));
      let total = 0;
      let carry = 0;
      let lineBase = 1;
      let first = true;
      for (;;) {
        const room = Math.min(buf.length - carry, want - total);
        const n = room > 0 ? fs.readSync(fd, buf, carry, room, total) : 0;
        total += n;
        const filled = carry + n;
        const eof = n === 0 || total >= want;
        if (first) {
          first = false;
          if (buf.subarray(0, Math.min(filled, 8192)).indexOf(0) >= 0) return result('binary', out.size);
        }
        let cut = filled;
        if (!eof) {
          const nl = buf.lastIndexOf(10, filled - 1);
          if (nl >= 0) cut = nl + 1;
        }
        probeSeen = false;
        const keywordHits = prefilterHits(buf, cut);
        const found = keywordHits.length > 0 || probeSeen;
        // Most files hold no keyword: no string is made of them (Rust files are, for test markers).
        const text = found || testMarkers ? buf.toString('latin1', 0, cut) : '';
        if (found) searchText(text, keywordHits, lineBase, out.hits);
        if (testMarkers && !out.testMarker) {
          out.testMarker =
            text.includes('#[test]') || text.includes('#[cfg(test)]') || text.includes('::test]');
        }
        if (eof) break;
        lineBase += countLines(buf, cut);
        buf.copyWithin(0, cut, filled);
        carry = filled - cut;
      }
      return out;
    } catch {
      return result('unreadable', st.size);
    } finally {
      fs.closeSync(fd);
    }
  }
}
