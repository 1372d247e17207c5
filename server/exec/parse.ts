/**
 * Parse: command text → every command node that would run.
 *
 * The text is parsed with tree-sitter-bash (a real bash grammar in WASM), never split with
 * regular expressions: quotes, escapes, comments, heredocs and substitutions are where naive
 * splitters let attacks through. The result is a flat list of command nodes (list members,
 * pipeline stages, subshells, brace groups, `$( )`, backticks, process substitutions, function
 * bodies…), each with its words after quote removal, its redirects, its environment assignments
 * and the wrappers it was found inside (`timeout`, `env`, `xargs`, `sudo`…). Code that a node
 * runs as a shell script (`bash -c PAYLOAD`, `eval`, `bash <<EOF`) is parsed again and attached
 * as that node's children, up to MAX_NESTING levels.
 *
 * Parsing never fails: what cannot be understood becomes a problem (whole text) or a note (one
 * node) that the classifier turns into at least `ask`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { singleQuote } from '../../protocol/display';
import {
  DEFAULT_GLOB_OPTIONS,
  expandGlob,
  isPattern,
  type GlobLimits,
  type GlobOptions,
  type QChar,
} from './glob';
import { collectCodeFacts, judgeCodeFacts, newCodeFacts, type CodeFacts } from './codeExpansion';
import { OTHER_SHELLS, POSIX_SHELLS, programOf, WRAPPERS, type WrapperSpec } from './knowledge/programs';
import { keepWasmBaseline } from './wasmFlags';

// ------------------------------------------------------------------------------------------
// Limits

/** Longer texts are refused outright: nobody can review them, and parsing them costs time. */
export const MAX_TEXT_LENGTH = 10_000;
/** Shell-in-shell depth NAVI follows (`bash -c "bash -c '…'"`); deeper is `ask`. */
export const MAX_NESTING = 3;
/** More command nodes than this (children included) are refused: there is no "too many, just ask". */
export const MAX_COMMANDS = 256;
/** Brace expansion results per word NAVI spells out; more make the word dynamic. */
const MAX_BRACE_WORDS = 64;
/** Syntax-tree depth NAVI walks; pathological nesting beyond it is `ask`. */
const MAX_TREE_DEPTH = 400;

// ------------------------------------------------------------------------------------------
// Loading the grammar

/**
 * WASM files the parser needs at run time. The esbuild build copies them next to
 * `dist/server.js`; from sources they are resolved from node_modules.
 */
export const WASM_ASSETS: readonly { file: string; module: string }[] = [
  { file: 'tree-sitter.wasm', module: 'web-tree-sitter/tree-sitter.wasm' },
  { file: 'tree-sitter-bash.wasm', module: 'tree-sitter-bash/tree-sitter-bash.wasm' },
];

/** Where a WASM asset is: next to this module (the bundle in dist/) first, else in node_modules. */
export function locateWasm(file: string): string {
  const asset = WASM_ASSETS.find((a) => a.file === file);
  if (!asset) throw new Error(`unknown parser asset ${file}`);
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  try {
    return require.resolve(asset.module);
  } catch {
    throw new Error(
      `The shell parser file ${file} is missing: it should be next to ${__dirname} or in node_modules (${asset.module}).`,
    );
  }
}

let parser: Parser | undefined;
let loading: Promise<Parser> | undefined;

/**
 * Loads web-tree-sitter and the bash grammar once. Safe to call many times and concurrently;
 * `judgeCommand` calls it itself, `loadPolicyLayers` (synchronous) needs it done first.
 */
export function initParser(): Promise<void> {
  loading ??= (async () => {
    keepWasmBaseline();
    // Read the bytes ourselves rather than letting Emscripten locate files: the same code then
    // works from sources, from the esbuild bundle and under test runners.
    const runtime = await fs.promises.readFile(locateWasm('tree-sitter.wasm'));
    await Parser.init({ wasmBinary: runtime });
    const grammar = await fs.promises.readFile(locateWasm('tree-sitter-bash.wasm'));
    const language = await Language.load(grammar);
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
    return p;
  })();
  loading.catch(() => {
    // A failed load (missing file) may be retried after the file is put in place.
    loading = undefined;
  });
  return loading.then(() => undefined);
}

export function isParserReady(): boolean {
  return parser !== undefined;
}

function readyParser(): Parser {
  if (!parser) throw new Error('The shell parser is not loaded: await initParser() first.');
  return parser;
}

// ------------------------------------------------------------------------------------------
// Result types

/** One shell word after quote removal. */
export interface Word {
  /** Source text as written. */
  raw: string;
  /** Value after quote removal, escapes, `~` and `$HOME`; null when only known at run time. */
  value: string | null;
  /**
   * bash treats the word as a pattern here and may expand it to several names (glob.ts
   * isPattern). Only seen when parsing without `globs`: NAVI expands patterns itself otherwise.
   */
  glob: boolean;
  /** Part of the word is the output of a command ($( ), backticks, <( ), >( )). */
  substitution: boolean;
  /** Part of the word is a variable or arithmetic expansion. */
  variable: boolean;
  /** The whole word is a process substitution: its value is a /dev/fd path fed by `commands`. */
  processSubstitution?: 'in' | 'out';
  /** The commands whose output forms part of this word (they also appear in the node list). */
  commands?: CommandNode[];
  /**
   * NAVI expanded this word's pattern itself (pathname expansion, see glob.ts): the value is one
   * name it matched (or the pattern, when nothing matched), and the text NAVI runs passes exactly
   * that value, quoted. `pattern` is the word as written.
   */
  expanded?: { pattern: string };
  /** A pattern NAVI could not expand (the value is null): why. */
  unknownGlob?: string;
  /**
   * For such a pattern whose folder NAVI knows (it gave up on too many names, not on an unknown
   * cd): the absolute folder every name it matches lies in (the pattern's literal directory
   * part), so a write or delete there is still judged by where it lands.
   */
  globDir?: string;
}

export interface Redirect {
  /** `>`, `>>`, `>|`, `&>`, `&>>`, `<`, `>&`, `<&`, `>&-`, `<&-`, `<<<`, `<<`, `<<-`. */
  op: string;
  fd: number | null;
  /** The file (or here-string word); null for descriptor duplication and closing. */
  target: Word | null;
  /** `2>&1`, `>&2`: duplicates a descriptor, no file involved. */
  dup: boolean;
}

export interface Assignment {
  name: string;
  value: Word | null;
  /**
   * `command`: `X=1 cmd` (that command only); `shell`: bare `X=1` (this shell from here on);
   * `export`: `export X=1` / `declare -x` (this shell and every child).
   */
  scope: 'command' | 'shell' | 'export';
  raw: string;
}

/** A `cd` that runs before a node in the same shell: a directory word, home, or unknown. */
export type CdStep = Word | 'home' | 'dynamic';

export type Note =
  | { kind: 'dynamic-command'; word: Word }
  | { kind: 'dynamic-code'; via: 'shell' | 'eval' | 'stdin' | 'wrapper'; word: Word | null }
  | { kind: 'nesting' }
  | { kind: 'shell-stdin' }
  | { kind: 'interactive-shell' }
  | { kind: 'syntax'; message: string }
  | { kind: 'control-characters' }
  | { kind: 'missing-command'; message: string }
  /** An expansion evaluates a value as code (codeExpansion.ts), in shell code this node runs. */
  | { kind: 'code-expansion'; effect: 'ask' | 'deny'; message: string };

export interface Stdin {
  kind: 'heredoc' | 'herestring';
  word: Word;
}

export interface Wrapper {
  name: string;
  argv: Word[];
  spec: WrapperSpec;
}

export interface CommandNode {
  /**
   * `command`: a program runs; `assignment`: a bare `X=1`; `declaration`: export/declare/local/
   * readonly/typeset/unset; `redirect`: redirects on a compound statement (`{ …; } > f`).
   */
  kind: 'command' | 'assignment' | 'declaration' | 'redirect';
  /** Program and arguments as they run, wrappers removed. Empty for non-commands. */
  argv: Word[];
  /** Wrappers removed from around the command, outermost first. */
  wrappers: Wrapper[];
  assignments: Assignment[];
  redirects: Redirect[];
  /** Heredoc or here-string fed to the command's stdin. */
  stdin?: Stdin;
  /** Pipeline membership: stage 0 writes into stage 1, and so on. */
  pipeline?: { group: number; stage: number };
  /** Runs inside $( ), backticks or a process substitution. */
  inSubstitution: boolean;
  /**
   * Runs inside a process substitution: `in` for `<( )` (its output is read by the command the
   * word belongs to), `out` for `>( )` (its input is what that command writes).
   */
  processSubstitution?: 'in' | 'out';
  /** Ends with `&`. */
  background: boolean;
  /** `cd`s that run before it in the same shell, in order. */
  cd: CdStep[];
  /** Shell nesting level: 0 for the text itself, 1 inside `bash -c`, … */
  depth: number;
  /** Commands this one runs as shell code (bash -c payload, eval, heredoc fed to a shell). */
  children: CommandNode[];
  notes: Note[];
  /** Source text of the node (of the payload it came from, for children). */
  text: string;
}

export type ProblemKind = 'syntax' | 'control-characters' | 'oversized' | 'code-expansion';
export interface Problem {
  kind: ProblemKind;
  message: string;
  /** For `code-expansion`: code NAVI sees (deny) or a value it cannot know (ask). */
  effect?: 'ask' | 'deny';
}

export interface ParseResult {
  commands: CommandNode[];
  problems: Problem[];
  /**
   * Words of the top-level text NAVI expanded (`globs.mode === 'expand'`), by source span: the
   * words that replace the span, in order. Empty when nothing was expanded.
   */
  expansions: Expansion[];
}

export interface Expansion {
  /** Offsets of the word as written in the text. */
  start: number;
  end: number;
  pattern: string;
  /** The words bash would pass in its place (none: nullglob removed it). */
  words: Word[];
}

export interface ParseOptions {
  /** Home folder for `~` and `$HOME`; without it they stay unexpanded. */
  home?: string;
  /** Shell nesting level of this text (payloads parse at depth + 1). */
  depth?: number;
  /**
   * Pathname expansion. `expand`: this is the text NAVI runs; patterns in command words and
   * redirect targets are expanded in `cwd` (and the `cd`s before them) as bash would, and the
   * result records where each expanded word is, for `textAsJudged`. `opaque`: a shell NAVI does
   * not control runs this text (a `bash -c` payload, a script body), so every pattern is
   * unknown. Absent: patterns stay words with `glob: true` (callers that only read structure).
   */
  globs?: { mode: 'expand'; cwd: string; limits?: Partial<GlobLimits> } | { mode: 'opaque' };
}

// ------------------------------------------------------------------------------------------
// Text checks

/**
 * Control characters other than tab and newline, DEL, C1 controls and the Unicode characters
 * that reorder or hide text (bidi overrides and isolates, zero-width marks). `\r` is the classic:
 * some splitters treat it as a separator, bash does not (`ls\rcurl …`).
 */
const CONTROL_CHARS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARS.test(text);
}

// ------------------------------------------------------------------------------------------
// Syntax tree, copied out of WASM memory

/** A syntax node as plain data, so the WASM tree can be freed right after parsing. */
interface PNode {
  type: string;
  named: boolean;
  field: string | null;
  start: number;
  end: number;
  children: PNode[];
  /** Made by joinAdjacentWords, not by the grammar. */
  joined?: boolean;
}

function copyTree(tree: Tree): { root: PNode; broken: boolean } {
  const cursor = tree.walk();
  let broken = false;
  const make = (): PNode => {
    if (cursor.nodeType === 'ERROR' || cursor.nodeIsMissing) broken = true;
    return {
      type: cursor.nodeType,
      named: cursor.nodeIsNamed,
      field: cursor.currentFieldName,
      start: cursor.startIndex,
      end: cursor.endIndex,
      children: [],
    };
  };
  try {
    const root = make();
    const stack = [root];
    if (cursor.gotoFirstChild()) {
      for (;;) {
        const node = make();
        stack[stack.length - 1]!.children.push(node);
        if (cursor.gotoFirstChild()) {
          stack.push(node);
          continue;
        }
        let done = false;
        while (!cursor.gotoNextSibling()) {
          cursor.gotoParent();
          stack.pop();
          if (stack.length === 0) {
            done = true;
            break;
          }
        }
        if (done) break;
      }
    }
    return { root, broken };
  } finally {
    cursor.delete();
  }
}

// ------------------------------------------------------------------------------------------
// Parsing entry points

/** Parses command text (synchronous; the parser must be loaded, see initParser). */
export function parseCommandLine(text: string, options: ParseOptions = {}): ParseResult {
  const problems: Problem[] = [];
  if (text.length > MAX_TEXT_LENGTH) {
    problems.push({
      kind: 'oversized',
      message: `The command is ${text.length.toLocaleString('en-US')} characters long; NAVI reviews at most ${MAX_TEXT_LENGTH.toLocaleString('en-US')}`,
    });
    return { commands: [], problems, expansions: [] };
  }
  if (hasControlCharacters(text))
    problems.push({
      kind: 'control-characters',
      message: 'The command contains control characters or invisible direction marks',
    });
  const state: ParseState = {
    groups: { next: 0 },
    home: options.home,
    count: { nodes: 0 },
    globs: globState(options.globs, options.depth ?? 0),
    expansions: [],
    code: newCodeFacts(),
  };
  const commands = parseInto(text, options.depth ?? 0, state, problems);
  for (const f of judgeCodeFacts(state.code))
    problems.push({ kind: 'code-expansion', effect: f.effect, message: f.message });
  if (state.count.nodes > MAX_COMMANDS)
    problems.push({
      kind: 'oversized',
      message: `The command has more than ${MAX_COMMANDS} parts; NAVI does not review that many`,
    });
  return { commands, problems, expansions: state.expansions };
}

interface ParseState {
  groups: { next: number };
  home: string | undefined;
  count: { nodes: number };
  globs: GlobState | null;
  expansions: Expansion[];
  /** What the text and its payloads evaluate as code (codeExpansion.ts). */
  code: CodeFacts;
}

/**
 * What pathname expansion does in the text being parsed. The shell options change as the text
 * runs `shopt`/`set` (NAVI follows them in text order; what runs is what NAVI expanded either
 * way, see textAsJudged); `unknownOptions` says one of them could not be read.
 */
interface GlobState {
  mode: 'expand' | 'opaque';
  cwd: string;
  limits?: Partial<GlobLimits>;
  options: GlobOptions;
  noglob: boolean;
  unknownOptions: boolean;
  /** Nesting level of the text NAVI runs itself; deeper texts run in shells NAVI does not control. */
  topDepth: number;
}

function globState(globs: ParseOptions['globs'], topDepth: number): GlobState | null {
  if (!globs) return null;
  return {
    mode: globs.mode,
    topDepth,
    cwd: globs.mode === 'expand' ? globs.cwd : '/',
    limits: globs.mode === 'expand' ? globs.limits : undefined,
    options: { ...DEFAULT_GLOB_OPTIONS },
    noglob: false,
    unknownOptions: false,
  };
}

function parseInto(text: string, depth: number, state: ParseState, problems: Problem[]): CommandNode[] {
  const tree = readyParser().parse(text);
  if (!tree) {
    problems.push({ kind: 'syntax', message: 'The command could not be parsed' });
    return [];
  }
  let copied: { root: PNode; broken: boolean };
  try {
    copied = copyTree(tree);
    // The cursor does not visit a MISSING node of a hidden rule (`case [ in ( ) ;;& ) esac`
    // misses a `_special_character`); the tree still knows it has an error.
    if (tree.rootNode.hasError) copied.broken = true;
  } finally {
    tree.delete();
  }
  if (!copied.broken && joinsLines(copied.root, text)) copied.broken = true;
  if (copied.broken)
    problems.push({
      kind: 'syntax',
      message: 'The command is not valid shell syntax (or uses syntax NAVI does not read)',
    });
  collectCodeFacts(copied.root, text, state.code);
  const walker = new Walker(text, depth, state, problems);
  // Only the text NAVI hands to its own bash is expanded, and only when the grammar read all of
  // it: spans in a broken tree may not be where bash sees the words.
  walker.expands = state.globs?.mode === 'expand' && depth === state.globs.topDepth && !copied.broken;
  walker.statements(copied.root, walker.rootContext());
  if (copied.broken) walker.salvage(text);
  return walker.out;
}

/**
 * True when the grammar read an unescaped newline as part of one command, where bash ends the
 * command: as a space between two of its words (a line after a pipeline of three stages,
 * tree-sitter-bash#347) or inside a word (`echo hi`, newline, `\rm -rf ~` is one command `echo`
 * with the word `\n\rm`). Such a tree is not what bash runs, so it counts as one that does not
 * parse.
 */
function joinsLines(root: PNode, text: string): boolean {
  const bare = /(?:^|[^\\])\n/;
  const stack = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.type === 'word' && bare.test(text.slice(n.start, n.end))) return true;
    if (n.type === 'command' || n.type === 'declaration_command' || n.type === 'unset_command')
      for (let i = 1; i < n.children.length; i++)
        if (bare.test(text.slice(n.children[i - 1]!.end, n.children[i]!.start))) return true;
    stack.push(...n.children);
  }
  return false;
}

/**
 * A quote-aware split of text that tree-sitter could not parse: segments between control
 * operators, each with its words and redirect targets. Only used to find what else the text
 * might run when the grammar gave up (the text is `ask` anyway; this can make it `deny`).
 */
export function lexSegments(text: string, home?: string): { words: Word[]; redirects: Redirect[] }[] {
  const segments: { words: Word[]; redirects: Redirect[] }[] = [];
  let words: Word[] = [];
  let redirects: Redirect[] = [];
  let buf = '';
  let raw = '';
  let inWord = false;
  let dynamic = false;
  let pendingRedirect: string | null = null;
  const endWord = () => {
    if (!inWord) return;
    let value = buf;
    if (home !== undefined && (value === '~' || value.startsWith('~/'))) value = home + value.slice(1);
    const word: Word = {
      raw,
      value: dynamic ? null : value,
      glob: false,
      substitution: dynamic,
      variable: dynamic,
    };
    if (pendingRedirect)
      redirects.push({
        op: pendingRedirect,
        fd: null,
        target: word,
        dup: /^&?\d*$/.test(buf) && pendingRedirect.endsWith('&'),
      });
    else words.push(word);
    pendingRedirect = null;
    buf = raw = '';
    inWord = dynamic = false;
  };
  const endSegment = () => {
    endWord();
    if (words.length > 0 || redirects.length > 0) segments.push({ words, redirects });
    words = [];
    redirects = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      buf += text.slice(i + 1, stop);
      raw += text.slice(i, stop + 1);
      inWord = true;
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) {
          buf += text[++j];
          continue;
        }
        if (text[j] === '$' || text[j] === '`') dynamic = true;
        buf += text[j];
      }
      raw += text.slice(i, j + 1);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') {
        buf += text[i + 1];
        raw += text.slice(i, i + 2);
        inWord = true;
      }
      i++;
    } else if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
      endSegment();
    } else if (/\s/.test(c) && c !== '\n') {
      endWord();
    } else if (c === '>' || c === '<') {
      const fd = inWord && /^\d+$/.test(buf);
      if (fd) buf = raw = '';
      if (fd) inWord = false;
      endWord();
      let op = c;
      while (i + 1 < text.length && /[>&|]/.test(text[i + 1]!) && op.length < 3) op += text[++i];
      pendingRedirect = op;
    } else if (';&|\n(){}`'.includes(c) || (c === '$' && text[i + 1] === '(')) {
      if (c === '&' && pendingRedirect === null && text[i + 1] === '>') {
        endWord();
        pendingRedirect = text[i + 2] === '>' ? '&>>' : '&>';
        i += pendingRedirect.length - 1;
        continue;
      }
      endSegment();
      if (c === '$') i++;
    } else {
      if (c === '$') dynamic = true;
      buf += c;
      raw += c;
      inWord = true;
    }
  }
  endSegment();
  return segments;
}

/** Builds a command node from words (used by the classifier for `find -exec CMD ;` and the like). */
export function commandFromWords(words: Word[], parent: CommandNode, home?: string): CommandNode {
  const state: ParseState = {
    groups: { next: 1_000_000 },
    home,
    count: { nodes: 0 },
    globs: null,
    expansions: [],
    code: newCodeFacts(),
  };
  const walker = new Walker(parent.text, parent.depth, state, []);
  const node = walker.finish(
    {
      kind: 'command',
      argv: words,
      wrappers: [],
      assignments: [],
      redirects: [],
      pipeline: parent.pipeline,
      inSubstitution: parent.inSubstitution,
      background: parent.background,
      cd: parent.cd,
      depth: parent.depth,
      children: [],
      notes: [],
      text: words.map((w) => w.raw).join(' '),
    },
    { cd: [...parent.cd] },
  );
  // Shell code the words run (`find -exec sh -c CODE`) was parsed into this state.
  for (const f of judgeCodeFacts(state.code)) node.notes.push({ kind: 'code-expansion', ...f });
  return node;
}

/**
 * The text NAVI runs for a parse with `globs.mode === 'expand'`: every pattern it expanded is
 * replaced by the names it judged, each quoted, so bash passes exactly those words and expands
 * nothing again (a file created after the judgement changes nothing). Null when nothing was
 * expanded: the text runs as given.
 */
export function textAsJudged(text: string, expansions: readonly Expansion[]): string | null {
  if (expansions.length === 0) return null;
  let out = '';
  let at = 0;
  for (const e of [...expansions].sort((a, b) => a.start - b.start)) {
    if (e.start < at) throw new Error('overlapping expansions'); // cannot happen: expanded words are literal
    // Always quoted, even plain names: unquoted, a name like `X=1` or `if` in command position
    // would be read as an assignment or a keyword, which a name from expansion never is.
    out += text.slice(at, e.start) + e.words.map((w) => singleQuote(w.value!)).join(' ');
    at = e.end;
  }
  return out + text.slice(at);
}

/** All nodes of a parse result, children after their parent. */
export function allNodes(commands: readonly CommandNode[]): CommandNode[] {
  const out: CommandNode[] = [];
  const walk = (list: readonly CommandNode[]) => {
    for (const c of list) {
      out.push(c);
      walk(c.children);
    }
  };
  walk(commands);
  return out;
}

/** The literal value of a word, or its source text when it is only known at run time. */
export function wordText(w: Word): string {
  return w.value ?? w.raw;
}

/** A literal word with the given value (for synthesised argv). */
export function literalWord(value: string): Word {
  return { raw: value, value, glob: false, substitution: false, variable: false };
}

// ------------------------------------------------------------------------------------------
// The walker

interface Scope {
  cd: CdStep[];
}

interface Ctx {
  scope: Scope;
  inSubstitution: boolean;
  pipeline?: { group: number; stage: number };
  background: boolean;
  treeDepth: number;
  /**
   * Inside backticks, where bash removes a backslash before `$`, `` ` `` and `\\` before it reads
   * the inner command again: a quoted name there would not stay the same name.
   */
  inBackticks?: boolean;
  /** Inside a process substitution (CommandNode.processSubstitution). */
  procSub?: 'in' | 'out';
}

interface WordBuild {
  chars: QChar[];
  dynamic: boolean;
  substitution: boolean;
  variable: boolean;
  subs: PNode[];
}

const STATEMENT_CONTAINERS = new Set([
  'program',
  'compound_statement',
  'do_group',
  'if_statement',
  'elif_clause',
  'else_clause',
  'while_statement',
  'for_statement',
  'c_style_for_statement',
  'case_statement',
  'case_item',
  'negated_command',
  'list',
]);

class Walker {
  readonly out: CommandNode[] = [];
  /** Patterns in this text are expanded by NAVI (see ParseOptions.globs). */
  expands = false;

  constructor(
    private readonly src: string,
    private readonly depth: number,
    private readonly state: ParseState,
    private readonly problems: Problem[],
  ) {}

  rootContext(): Ctx {
    return { scope: { cd: [] }, inSubstitution: false, background: false, treeDepth: 0 };
  }

  private text(n: PNode): string {
    return this.src.slice(n.start, n.end);
  }

  /** Adds the commands a quote-aware split finds in text the grammar could not parse. */
  salvage(text: string): void {
    const seen = new Set(this.out.map((n) => n.argv.map((w) => w.value ?? w.raw).join('\u0000')));
    for (const segment of lexSegments(text, this.state.home)) {
      const words = segment.words.filter(
        (w) => !(w.value !== null && /^[A-Za-z_]\w*=/.test(w.value) && segment.words[0] === w),
      );
      const key = words.map((w) => w.value ?? w.raw).join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      const node: CommandNode = {
        kind: words.length > 0 ? 'command' : 'redirect',
        argv: words,
        wrappers: [],
        assignments: [],
        redirects: segment.redirects,
        inSubstitution: false,
        background: false,
        cd: [],
        depth: this.depth,
        children: [],
        notes: [{ kind: 'syntax', message: 'read from text the grammar could not parse' }],
        text: words.map((w) => w.raw).join(' '),
      };
      this.out.push(node.kind === 'command' ? this.finish(node, { cd: [] }) : this.count(node));
    }
  }

  private deeper(ctx: Ctx): Ctx | null {
    if (ctx.treeDepth >= MAX_TREE_DEPTH) {
      this.problems.push({ kind: 'syntax', message: 'The command is nested too deeply to review' });
      return null;
    }
    return { ...ctx, treeDepth: ctx.treeDepth + 1 };
  }

  /** Visits the statements of a container, marking those followed by `&` as background. */
  statements(n: PNode, ctx: Ctx): void {
    const inner = this.deeper(ctx);
    if (!inner) return;
    const kids = n.children;
    for (let i = 0; i < kids.length; i++) {
      const child = kids[i]!;
      if (!child.named) continue;
      const next = kids[i + 1];
      const background = inner.background || (next !== undefined && !next.named && next.type === '&');
      this.visit(child, { ...inner, background });
    }
  }

  visit(n: PNode, ctx: Ctx): void {
    switch (n.type) {
      case 'comment':
      case 'heredoc_body':
      case 'heredoc_start':
      case 'heredoc_end':
        return;
      case 'command':
        this.command(n, ctx, { redirects: [], extraArgs: [] });
        return;
      case 'redirected_statement':
        this.redirected(n, ctx);
        return;
      case 'pipeline':
        this.pipeline(n, ctx);
        return;
      case 'subshell':
        this.statements(n, { ...ctx, scope: { cd: [...ctx.scope.cd] } });
        return;
      case 'command_substitution':
      case 'process_substitution':
        this.statements(n, {
          ...ctx,
          scope: { cd: [...ctx.scope.cd] },
          inSubstitution: true,
          pipeline: undefined,
          background: false,
          inBackticks: ctx.inBackticks || this.src[n.start] === '`',
          procSub: n.type === 'process_substitution' ? (this.src[n.start] === '<' ? 'in' : 'out') : undefined,
        });
        return;
      case 'function_definition': {
        // A function body runs when the function is called: judge it as if it runs.
        const body = n.children.find((c) => c.field === 'body');
        if (body) this.visit(body, { ...ctx, scope: { cd: [...ctx.scope.cd] } });
        return;
      }
      case 'variable_assignment':
        this.bareAssignments([n], ctx);
        return;
      case 'variable_assignments':
        this.bareAssignments(
          n.children.filter((c) => c.type === 'variable_assignment'),
          ctx,
        );
        return;
      case 'declaration_command':
      case 'unset_command':
        this.declaration(n, ctx);
        return;
      default:
        if (STATEMENT_CONTAINERS.has(n.type)) {
          this.statements(n, ctx);
          return;
        }
        // Anything else (test expressions, arithmetic, for-loop values, case patterns, ERROR
        // nodes) may still contain substitutions: walk every child so no command is missed.
        for (const c of n.children) if (c.named) this.visitNested(c, ctx);
    }
  }

  private visitNested(n: PNode, ctx: Ctx): void {
    const inner = this.deeper(ctx);
    if (inner) this.visit(n, inner);
  }

  private pipeline(n: PNode, ctx: Ctx, first?: { node: PNode; redirects: PNode[] }): void {
    const group = this.state.groups.next++;
    const stages: { node: PNode; redirects: PNode[] }[] = first ? [first] : [];
    this.flattenStages(n, stages);
    stages.forEach((stage, i) => {
      // Each stage runs in its own subshell: a `cd` there does not leak.
      const stageCtx: Ctx = {
        ...ctx,
        scope: { cd: [...ctx.scope.cd] },
        pipeline: { group, stage: i },
      };
      this.withRedirects(stage.node, stage.redirects, stageCtx);
    });
  }

  /**
   * Pipeline stages in order. tree-sitter-bash nests `a | b > f | c` as a redirected pipeline
   * inside a pipeline; bash binds the redirect to `b`, so it goes to the last inner stage.
   */
  private flattenStages(n: PNode, out: { node: PNode; redirects: PNode[] }[]): void {
    for (const c of n.children) {
      if (!c.named || c.type === 'comment') continue;
      if (c.type === 'pipeline') {
        this.flattenStages(c, out);
      } else if (c.type === 'redirected_statement') {
        const body = c.children.find((k) => k.field === 'body');
        if (body?.type === 'pipeline') {
          const before = out.length;
          this.flattenStages(body, out);
          const last = out[out.length - 1];
          const redirects = c.children.filter((k) => k.field === 'redirect');
          if (last && out.length > before) last.redirects.push(...redirects);
        } else out.push({ node: c, redirects: [] });
      } else out.push({ node: c, redirects: [] });
    }
  }

  /** Visits a statement with extra redirects that bash applies to it. */
  private withRedirects(n: PNode, redirectNodes: PNode[], ctx: Ctx): void {
    if (redirectNodes.length === 0) {
      this.visit(n, ctx);
      return;
    }
    const parsed = this.parseRedirects(redirectNodes, ctx);
    if (n.type === 'command') {
      this.command(n, ctx, parsed);
    } else {
      this.visit(n, ctx);
      this.redirectOnly(parsed, ctx, this.text(n));
    }
  }

  private redirected(n: PNode, ctx: Ctx): void {
    const body = n.children.find((c) => c.field === 'body');
    const redirectNodes = n.children.filter((c) => c.field === 'redirect');
    if (!body) {
      // `> f` alone still opens (and truncates) f: a redirect node, judged like `: > f`.
      this.redirectOnly(this.parseRedirects(redirectNodes, ctx), ctx, this.text(n));
      for (const c of n.children) if (c.named && c.field !== 'redirect') this.visitNested(c, ctx);
      return;
    }
    const { pipe, after } = heredocContinuations(redirectNodes);
    if (pipe) {
      // `cat <<EOF | sh`: the redirected body is stage 0 of the pipeline that follows.
      this.pipeline(pipe, ctx, { node: body, redirects: redirectNodes });
    } else {
      this.withRedirects(body, redirectNodes, ctx);
    }
    for (const c of after) this.visit(c, ctx);
  }

  /** Parses redirect nodes; extra destination words are really arguments (`echo a >f b`). */
  private parseRedirects(nodes: PNode[], ctx: Ctx): ParsedRedirects {
    const result: ParsedRedirects = { redirects: [], extraArgs: [] };
    for (const r of nodes) {
      if (r.type === 'file_redirect') {
        const fdNode = r.children.find((c) => c.field === 'descriptor');
        const opNode = r.children.find((c) => !c.named);
        const dests = r.children.filter((c) => c.field === 'destination');
        const op = opNode ? opNode.type : '>';
        const target = dests[0] ? (this.words(dests[0], ctx, 'redirect')[0] ?? null) : null;
        for (const extra of dests.slice(1)) result.extraArgs.push(...this.words(extra, ctx));
        const dup = (op === '>&' || op === '<&') && target !== null && /^(\d+|-)$/.test(target.value ?? '');
        result.redirects.push({
          op,
          fd: fdNode ? Number(this.text(fdNode)) : null,
          target: op === '>&-' || op === '<&-' ? null : target,
          dup: dup || op === '>&-' || op === '<&-',
        });
        for (const c of r.children) if (c.type === 'ERROR') this.visitNested(c, ctx);
      } else if (r.type === 'herestring_redirect') {
        const content = r.children.find((c) => c.named);
        const word = content ? this.words(content, ctx, 'literal')[0]! : literalWord('');
        const stdinWord: Word = { ...word, value: word.value === null ? null : `${word.value}\n` };
        result.stdin = { kind: 'herestring', word: stdinWord };
        result.redirects.push({ op: '<<<', fd: null, target: word, dup: false });
      } else if (r.type === 'heredoc_redirect') {
        const word = this.heredoc(r, ctx);
        result.stdin = { kind: 'heredoc', word };
        const opNode = r.children.find((c) => !c.named && (c.type === '<<' || c.type === '<<-'));
        result.redirects.push({ op: opNode?.type ?? '<<', fd: null, target: null, dup: false });
        for (const c of r.children) {
          if (c.field === 'argument') result.extraArgs.push(...this.words(c, ctx));
          else if (c.field === 'redirect') {
            const more = this.parseRedirects([c], ctx);
            result.redirects.push(...more.redirects);
            result.extraArgs.push(...more.extraArgs);
          } else if (c.type === 'ERROR') this.visitNested(c, ctx);
        }
      } else {
        this.visitNested(r, ctx);
      }
    }
    return result;
  }

  /** The heredoc body as a word: literal when the delimiter is quoted or nothing expands. */
  private heredoc(r: PNode, ctx: Ctx): Word {
    const start = r.children.find((c) => c.type === 'heredoc_start');
    const body = r.children.find((c) => c.type === 'heredoc_body');
    const op = r.children.find((c) => !c.named && (c.type === '<<' || c.type === '<<-'));
    const quoted = start ? /['"\\]/.test(this.text(start)) : false;
    let text = body ? this.text(body) : '';
    if (op?.type === '<<-') text = text.replace(/^\t+/gm, '');
    const raw = text;
    if (!body || quoted) return { raw, value: text, glob: false, substitution: false, variable: false };
    const expansions = body.children.filter((c) => c.named && c.type !== 'heredoc_content');
    if (expansions.length === 0) {
      // Unquoted heredocs still process \$, \`, \\ and line continuations.
      const value = text.replace(/\\\n/g, '').replace(/\\([$`\\])/g, '$1');
      return { raw, value, glob: false, substitution: false, variable: false };
    }
    const build: WordBuild = { chars: [], dynamic: true, substitution: false, variable: false, subs: [] };
    for (const e of expansions) this.part(e, build, true);
    const word: Word = {
      raw,
      value: null,
      glob: false,
      substitution: build.substitution,
      variable: build.variable,
    };
    this.runSubstitutions(word, build.subs, ctx);
    return word;
  }

  /** A node at this walker's depth with `ctx`'s pipeline position, background flag and `cd`s. */
  private node(ctx: Ctx, fields: Pick<CommandNode, 'kind' | 'text'> & Partial<CommandNode>): CommandNode {
    return {
      argv: [],
      wrappers: [],
      assignments: [],
      redirects: [],
      pipeline: ctx.pipeline,
      inSubstitution: ctx.inSubstitution,
      background: ctx.background,
      cd: [...ctx.scope.cd],
      depth: this.depth,
      children: [],
      notes: [],
      ...(ctx.procSub ? { processSubstitution: ctx.procSub } : {}),
      ...fields,
    };
  }

  private redirectOnly(parsed: ParsedRedirects, ctx: Ctx, text: string): void {
    if (parsed.extraArgs.length > 0)
      this.problems.push({ kind: 'syntax', message: 'Words after a redirect of a compound command' });
    this.push(
      this.node(ctx, { kind: 'redirect', redirects: parsed.redirects, stdin: parsed.stdin, text }),
      ctx,
    );
  }

  private bareAssignments(nodes: PNode[], ctx: Ctx): void {
    const assignments = nodes.map((a) => this.assignment(a, 'shell', ctx));
    this.push(
      this.node(ctx, { kind: 'assignment', assignments, text: nodes.map((n) => this.text(n)).join(' ') }),
      ctx,
    );
  }

  private declaration(n: PNode, ctx: Ctx): void {
    const keyword = n.children.find((c) => !c.named);
    const name = keyword ? keyword.type : 'declare';
    const argv: Word[] = [literalWord(name)];
    const assignments: Assignment[] = [];
    let exported = name === 'export';
    for (const c of n.children) {
      if (!c.named) continue;
      if (c.type === 'variable_assignment') {
        assignments.push(this.assignment(c, 'shell', ctx));
      } else {
        const words = this.words(c, ctx);
        argv.push(...words);
        for (const w of words) if (w.value && /^-[a-zA-Z]*x/.test(w.value)) exported = true;
      }
    }
    if (exported) for (const a of assignments) a.scope = 'export';
    this.push(this.node(ctx, { kind: 'declaration', argv, assignments, text: this.text(n) }), ctx);
  }

  private assignment(n: PNode, scope: Assignment['scope'], ctx: Ctx): Assignment {
    const nameNode = n.children.find((c) => c.field === 'name');
    const valueNode = n.children.find((c) => c.field === 'value');
    const name = nameNode ? this.text(nameNode) : '';
    let value: Word | null = null;
    if (valueNode) {
      const words = this.words(valueNode, ctx, 'assignment');
      // `X=(a b)` arrays and brace results: keep the first; the raw text shows the rest.
      value = words.length === 1 ? words[0]! : { ...words[0]!, value: null, raw: this.text(valueNode) };
    } else if (this.text(n).endsWith('=')) {
      value = literalWord('');
    }
    return { name, value, scope, raw: this.text(n) };
  }

  private command(n: PNode, ctx: Ctx, extra: ParsedRedirects): void {
    const assignments: Assignment[] = [];
    const argv: Word[] = [];
    const inner: ParsedRedirects = { redirects: [], extraArgs: [] };
    for (const c of joinAdjacentWords(n.children)) {
      if (!c.named) continue;
      if (c.type === 'variable_assignment') assignments.push(this.assignment(c, 'command', ctx));
      else if (c.field === 'name' || c.field === 'argument') argv.push(...this.words(c, ctx));
      else if (c.field === 'redirect' || c.type.endsWith('_redirect')) {
        const parsed = this.parseRedirects([c], ctx);
        inner.redirects.push(...parsed.redirects);
        inner.extraArgs.push(...parsed.extraArgs);
        if (parsed.stdin) inner.stdin = parsed.stdin;
      } else this.visitNested(c, ctx);
    }
    argv.push(...inner.extraArgs, ...extra.extraArgs);
    const innerRedirectNodes = n.children.filter((c) => c.type === 'heredoc_redirect');
    const node = this.node(ctx, {
      kind: argv.length === 0 ? 'assignment' : 'command',
      argv,
      assignments,
      redirects: [...inner.redirects, ...extra.redirects],
      stdin: extra.stdin ?? inner.stdin,
      text: this.text(n),
    });
    this.push(node, ctx);
    // A heredoc written before the command name still carries what follows it on the line.
    const { pipe, after } = heredocContinuations(innerRedirectNodes);
    if (pipe) this.pipeline(pipe, ctx);
    for (const c of after) this.visit(c, ctx);
  }

  private push(node: CommandNode, ctx: Ctx): void {
    this.out.push(node.kind === 'command' ? this.finish(node, ctx.scope) : this.count(node));
  }

  private count(node: CommandNode): CommandNode {
    this.state.count.nodes++;
    return node;
  }

  /**
   * Completes a command node: removes wrappers, records `cd`, parses shell payloads. The scope is
   * updated for the commands that follow in the same shell.
   */
  finish(node: CommandNode, scope: Scope): CommandNode {
    this.count(node);
    this.unwrap(node);
    const first = node.argv[0];
    if (!first) return node;
    if (first.value === null || first.glob) {
      node.notes.push({ kind: 'dynamic-command', word: first });
      return node;
    }
    const program = programOf(first.value);
    const name = program.kind === 'system' ? program.name : '';
    if (name === 'cd' || name === 'pushd') {
      const target = node.argv
        .slice(1)
        .find((w) => w.value === null || !w.value.startsWith('-') || w.value === '-');
      if (!target) scope.cd.push(node.argv.length > 1 ? 'dynamic' : 'home');
      else if (target.value === null || target.value === '-' || target.glob) scope.cd.push('dynamic');
      else scope.cd.push(target);
    } else if (name === 'popd') {
      scope.cd.push('dynamic');
    }
    if ((name === 'shopt' || name === 'set') && this.expands) this.globOptions(node, name);
    if (POSIX_SHELLS.has(name)) this.shell(node);
    else if (name === 'eval') this.evalPayload(node);
    else if (OTHER_SHELLS.has(name)) {
      /* judged by the classifier as an interpreter */
    }
    return node;
  }

  /**
   * Follows `shopt -s/-u dotglob|nullglob|failglob|extglob|globstar|nocaseglob` and `set -f/+f`
   * (`-o noglob`) in text order, so later patterns expand as this shell will. A word NAVI cannot
   * read makes every later pattern unknown.
   */
  private globOptions(node: CommandNode, name: 'shopt' | 'set'): void {
    const globs = this.state.globs!;
    const words = node.argv.slice(1);
    if (words.some((w) => w.value === null)) {
      globs.unknownOptions = true;
      return;
    }
    const values = words.map((w) => w.value!);
    if (name === 'shopt') {
      const on = values.includes('-s') ? true : values.includes('-u') ? false : null;
      if (on === null) return; // shopt without -s/-u only prints
      if (values.includes('-o')) {
        if (values.includes('noglob')) globs.noglob = on;
        return;
      }
      for (const v of values) if (v in globs.options) globs.options[v as keyof GlobOptions] = on;
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === '--' || !/^[-+]/.test(v)) break;
      const on = v.startsWith('-');
      const letters = v.slice(1);
      if (letters.includes('f')) globs.noglob = on;
      if (letters.endsWith('o')) {
        if (values[i + 1] === 'noglob') globs.noglob = on;
        i++;
      }
    }
  }

  /** Removes wrappers (`timeout 5 x`, `env A=1 x`, `xargs x`, `sudo x`) around the command. */
  private unwrap(node: CommandNode): void {
    for (let guard = 0; guard < 16; guard++) {
      const first = node.argv[0];
      if (!first || first.value === null || first.glob) return;
      const program = programOf(first.value);
      if (program.kind !== 'system') return;
      const spec = WRAPPERS[program.name];
      if (!spec) return;
      const result = consumeWrapper(node.argv, spec);
      if (!result) return;
      const wrapper: Wrapper = { name: program.name, argv: node.argv.slice(0, result.index), spec };
      for (const [name, value] of result.assignments)
        node.assignments.push({ name, value, scope: 'command', raw: `${name}=${value.raw}` });
      if (result.chdir) node.cd = [...node.cd, result.chdir];
      for (const target of result.outputs) node.redirects.push({ op: '>', fd: null, target, dup: false });
      for (const target of result.inputs) node.redirects.push({ op: '<', fd: null, target, dup: false });
      node.wrappers.push(wrapper);
      if (result.shellString) {
        // `su -c STRING`, `flock F -c STRING`, `env -S STRING`: the command is shell text.
        node.argv = [literalWord('sh'), literalWord('-c'), result.shellString];
      } else if (spec.joinsAsShell && !result.execDirect) {
        const rest = node.argv.slice(result.index);
        const dynamic = rest.some((w) => w.value === null);
        const joined: Word = {
          raw: rest.map((w) => w.raw).join(' '),
          value: dynamic ? null : rest.map((w) => w.value).join(' '),
          glob: false,
          substitution: rest.some((w) => w.substitution),
          variable: rest.some((w) => w.variable),
          commands: rest.flatMap((w) => w.commands ?? []),
        };
        node.argv = [literalWord('sh'), literalWord('-c'), joined];
      } else {
        node.argv = node.argv.slice(result.index);
      }
      if (node.argv.length === 0) {
        node.notes.push({ kind: 'missing-command', message: `${program.name} has no command to run` });
        return;
      }
    }
  }

  /** `bash [options] -c PAYLOAD`, `bash script`, `bash` reading stdin. */
  private shell(node: CommandNode): void {
    const argv = node.argv;
    let inline = false;
    let readsStdin = false;
    let i = 1;
    for (; i < argv.length; i++) {
      const v = argv[i]!.value;
      if (v === null) break;
      if (v === '--' || v === '-') {
        i++;
        break;
      }
      if (v.startsWith('--')) {
        if (v === '--rcfile' || v === '--init-file') i++;
        continue;
      }
      if ((v.startsWith('-') || v.startsWith('+')) && v.length > 1) {
        for (const ch of v.slice(1)) {
          if (ch === 'c') inline = true;
          else if (ch === 's') readsStdin = true;
          else if (ch === 'o' || ch === 'O') i++;
        }
        continue;
      }
      break;
    }
    const rest = argv.slice(i);
    if (inline) {
      const payload = rest[0];
      if (!payload) {
        node.notes.push({ kind: 'missing-command', message: 'the shell has -c but no command' });
        return;
      }
      this.payload(node, payload, 'shell');
      return;
    }
    if (!readsStdin && rest.length > 0) return; // runs a script file: the classifier judges it
    if (node.stdin) {
      this.payload(node, node.stdin.word, 'stdin');
      return;
    }
    if (node.redirects.some((r) => r.op === '<' && r.target)) return; // `sh < file`: a script file
    if (node.pipeline && node.pipeline.stage > 0) node.notes.push({ kind: 'shell-stdin' });
    else node.notes.push({ kind: 'interactive-shell' });
  }

  private evalPayload(node: CommandNode): void {
    const args = node.argv.slice(1);
    if (args.length === 0) return;
    const dynamic = args.some((w) => w.value === null);
    const joined: Word = {
      raw: args.map((w) => w.raw).join(' '),
      value: dynamic ? null : args.map((w) => w.value).join(' '),
      glob: args.some((w) => w.glob),
      substitution: args.some((w) => w.substitution),
      variable: args.some((w) => w.variable),
      commands: args.flatMap((w) => w.commands ?? []),
    };
    this.payload(node, joined, 'eval');
  }

  /** Parses shell code a node runs and attaches its commands as children. */
  private payload(node: CommandNode, word: Word, via: 'shell' | 'eval' | 'stdin'): void {
    if (word.value === null) {
      node.notes.push({ kind: 'dynamic-code', via, word });
      return;
    }
    if (this.depth + 1 > MAX_NESTING) {
      node.notes.push({ kind: 'nesting' });
      return;
    }
    const problems: Problem[] = [];
    if (hasControlCharacters(word.value)) node.notes.push({ kind: 'control-characters' });
    node.children = parseInto(word.value, this.depth + 1, this.state, problems);
    for (const p of problems) {
      if (p.kind === 'syntax') node.notes.push({ kind: 'syntax', message: p.message });
      else if (p.kind === 'control-characters') node.notes.push({ kind: 'control-characters' });
      else this.problems.push(p);
    }
    // Code that came through eval or stdin of a pipe stage inherits the stage position.
    for (const child of allNodes(node.children)) {
      child.pipeline ??= node.pipeline;
      child.inSubstitution ||= node.inSubstitution;
      child.processSubstitution ??= node.processSubstitution;
      child.background ||= node.background;
      child.cd = [...node.cd, ...child.cd];
    }
  }

  // ----------------------------------------------------------------------------------------
  // Words

  /**
   * Evaluates one word node into the words bash passes: brace expansion makes several, and so
   * does pathname expansion where this walker expands (`mode`: `argv` and `redirect` words are
   * expanded; `assignment` values and here-strings never are).
   */
  words(n: PNode, ctx: Ctx, mode: WordMode = 'argv'): Word[] {
    const build: WordBuild = { chars: [], dynamic: false, substitution: false, variable: false, subs: [] };
    this.part(n, build, false);
    const raw = this.text(n);
    const procSub =
      n.type === 'process_substitution'
        ? raw.startsWith('<(')
          ? ('in' as const)
          : ('out' as const)
        : undefined;
    let results: Word[];
    if (procSub) {
      results = [
        {
          raw,
          value: '/dev/fd/63',
          glob: false,
          substitution: true,
          variable: false,
          processSubstitution: procSub,
        },
      ];
    } else if (build.dynamic) {
      results = [
        { raw, value: null, glob: false, substitution: build.substitution, variable: build.variable },
      ];
    } else {
      // Bash expands braces first, then `~` in each result (`{src,~}` names the home folder).
      const expanded = braceExpand(build.chars)?.map((cs) =>
        expandTilde(cs, this.state.home, mode === 'assignment'),
      );
      if (!expanded || expanded.some((cs) => cs === null))
        results = [{ raw, value: null, glob: false, substitution: false, variable: true }];
      else results = this.pathnames(expanded as QChar[][], raw, n, ctx, mode);
    }
    if (build.subs.length > 0 && results[0]) this.runSubstitutions(results[0], build.subs, ctx);
    return results;
  }

  /**
   * Pathname expansion of the brace results of one word. Where NAVI expands, a pattern becomes
   * the names it matches now, and the span is recorded so the text that runs passes exactly
   * those names (textAsJudged); where a shell NAVI does not control expands it, it is unknown.
   */
  private pathnames(list: QChar[][], raw: string, n: PNode, ctx: Ctx, mode: WordMode): Word[] {
    const globs = this.state.globs;
    const expandable = mode === 'argv' || mode === 'redirect';
    // `glob`: bash expands this word here (never in assignment values or here-strings).
    const plain = (cs: QChar[]): Word => ({
      raw,
      value: textOf(cs),
      glob: expandable && isPattern(cs),
      substitution: false,
      variable: false,
    });
    if (!globs || !expandable || !list.some((cs) => isPattern(cs))) return list.map(plain);
    const unknown = (why: string): Word => ({
      raw,
      value: null,
      glob: false,
      substitution: false,
      variable: true,
      unknownGlob: why,
    });
    if (!this.expands) {
      const why =
        globs.mode === 'expand' && this.depth === globs.topDepth
          ? 'NAVI could not read the whole command, so it does not expand its wildcards'
          : 'a shell NAVI does not control expands it when it runs';
      return list.map((cs) => (isPattern(cs) ? unknown(why) : plain(cs)));
    }
    const found = (value: string): Word => ({
      raw,
      value,
      glob: false,
      substitution: false,
      variable: false,
      expanded: { pattern: raw },
    });
    const words: Word[] = [];
    for (const cs of list) {
      if (!isPattern(cs) || globs.noglob) {
        words.push(found(textOf(cs)));
        continue;
      }
      const why = this.cannotExpand(ctx);
      const dir = why ? null : this.directory(ctx);
      if (why || dir === null) {
        words.push(unknown(why ?? 'it expands in a folder NAVI cannot know in advance (a cd to a variable)'));
        continue;
      }
      const result = expandGlob(cs, dir, globs.options, globs.limits);
      if (result.kind === 'names' && result.names.some(hasControlCharacters))
        words.push(unknown('it matches a file name with control characters or invisible direction marks'));
      else if (result.kind === 'names') words.push(...result.names.map(found));
      else if (result.kind === 'no-match') {
        if (result.word !== null) words.push(found(result.word));
      } else words.push({ ...unknown(result.reason), globDir: literalDirectory(textOf(cs), dir) });
    }
    if (mode === 'redirect' && words.length !== 1)
      return [unknown(`it matches ${words.length} names, and bash refuses an ambiguous redirect`)];
    if (words.every((w) => w.expanded))
      this.state.expansions.push({ start: n.start, end: n.end, pattern: raw, words });
    return words;
  }

  /** Why NAVI cannot expand a pattern at this point of the text (null: it can). */
  private cannotExpand(ctx: Ctx): string | null {
    if (this.state.globs?.unknownOptions)
      return 'an earlier shopt or set changes how bash expands it in a way NAVI cannot read';
    if (ctx.inBackticks) return 'NAVI does not expand wildcards inside backticks (use $( ) instead)';
    return null;
  }

  /** The directory bash expands a pattern in: the command's folder after the `cd`s before it. */
  private directory(ctx: Ctx): string | null {
    let dir = this.state.globs!.cwd;
    for (const step of ctx.scope.cd) {
      if (step === 'home') {
        if (this.state.home === undefined) return null;
        dir = this.state.home;
      } else if (step === 'dynamic' || step.value === null || step.glob) return null;
      else dir = path.resolve(dir, step.value);
    }
    return dir;
  }

  /** Visits the substitutions inside a word; their nodes are remembered on the word. */
  private runSubstitutions(word: Word, subs: PNode[], ctx: Ctx): void {
    const before = this.out.length;
    for (const s of subs) this.visitNested(s, ctx);
    word.commands = this.out.slice(before);
  }

  private part(n: PNode, b: WordBuild, inDouble: boolean): void {
    const text = this.text(n);
    switch (n.type) {
      case 'word':
      case 'number':
      case 'extglob_pattern':
      case 'special_variable_name':
      case 'brace_expression':
      case 'regex':
        if (inDouble) pushQuoted(b, text);
        else pushUnquoted(b, text);
        return;
      case 'raw_string':
        pushQuoted(b, text.slice(1, -1));
        return;
      case 'ansi_c_string':
        pushQuoted(b, decodeAnsiC(text.slice(2, -1)));
        return;
      case 'string':
      case 'translated_string': {
        const open = n.type === 'translated_string' ? n.start + 2 : n.start + 1;
        const close = n.end - 1;
        let at = open;
        const inner = n.type === 'translated_string' ? (n.children.find((c) => c.type === 'string') ?? n) : n;
        if (inner !== n) {
          this.part(inner, b, inDouble);
          return;
        }
        for (const c of n.children) {
          if (!c.named) continue;
          if (c.start > at) pushDoubleQuoted(b, this.src.slice(at, c.start));
          if (c.type === 'string_content') pushDoubleQuoted(b, this.text(c));
          else this.part(c, b, true);
          at = c.end;
        }
        if (close > at) pushDoubleQuoted(b, this.src.slice(at, close));
        return;
      }
      case 'concatenation':
        for (const c of n.children)
          if (c.named) this.part(c, b, inDouble);
          else pushUnquoted(b, this.text(c));
        return;
      case 'simple_expansion':
      case 'expansion': {
        const name = n.children.find((c) => c.type === 'variable_name' || c.type === 'special_variable_name');
        const plain = n.type === 'simple_expansion' || n.children.filter((c) => c.named).length === 1;
        if (
          name &&
          plain &&
          this.text(name) === 'HOME' &&
          this.state.home !== undefined &&
          !text.includes('#')
        ) {
          pushQuoted(b, this.state.home);
          return;
        }
        b.dynamic = true;
        b.variable = true;
        this.collectSubs(n, b);
        return;
      }
      case 'command_substitution':
      case 'process_substitution':
        b.dynamic = true;
        b.substitution = true;
        b.subs.push(n);
        return;
      default:
        b.dynamic = true;
        b.variable = true;
        this.collectSubs(n, b);
    }
  }

  private collectSubs(n: PNode, b: WordBuild): void {
    for (const c of n.children) {
      if (c.type === 'command_substitution' || c.type === 'process_substitution') {
        b.substitution = true;
        b.subs.push(c);
      } else this.collectSubs(c, b);
    }
  }
}

const textOf = (cs: readonly QChar[]) => cs.map((c) => c.c).join('');

/** Where a word stands, which decides the expansions bash applies to it. */
type WordMode = 'argv' | 'redirect' | 'assignment' | 'literal';

interface ParsedRedirects {
  redirects: Redirect[];
  extraArgs: Word[];
  stdin?: Stdin;
}

/**
 * tree-sitter-bash hangs what follows a heredoc operator on the same line inside the heredoc
 * redirect: `cat <<EOF | sh` (a pipeline), `cat <<EOF && rm x` (right:), other statements.
 */
function heredocContinuations(redirects: PNode[]): { pipe?: PNode; after: PNode[] } {
  let pipe: PNode | undefined;
  const after: PNode[] = [];
  for (const r of redirects) {
    if (r.type !== 'heredoc_redirect') continue;
    for (const c of r.children) {
      if (!c.named || c.field === 'argument' || c.field === 'redirect') continue;
      if (c.type === 'pipeline' && !pipe) pipe = c;
      else if (c.field === 'right' || isStatement(c)) after.push(c);
    }
  }
  return { pipe, after };
}

function isStatement(n: PNode): boolean {
  return (
    n.type === 'command' ||
    n.type === 'list' ||
    n.type === 'redirected_statement' ||
    n.type === 'subshell' ||
    n.type === 'compound_statement'
  );
}

/**
 * The name and argument nodes of a command with adjacent ones joined: tree-sitter-bash splits
 * some single bash words in two (`{a,b}\\x` is a brace expression and a word with nothing
 * between them), and bash reads characters with no blank between them as one word.
 */
function joinAdjacentWords(children: PNode[]): PNode[] {
  const out: PNode[] = [];
  for (const raw of children) {
    const c = raw.field === 'name' ? unwrapName(raw) : raw;
    const isWord = raw.field === 'name' || raw.field === 'argument';
    const prev = out[out.length - 1];
    if (isWord && prev && (prev.field === 'name' || prev.field === 'argument') && prev.end === c.start) {
      const parts = prev.type === 'concatenation' && prev.joined ? prev.children : [prev];
      out[out.length - 1] = {
        type: 'concatenation',
        named: true,
        field: prev.field,
        start: prev.start,
        end: c.end,
        children: [...parts, c],
        joined: true,
      };
    } else out.push(isWord ? { ...c, field: raw.field } : raw);
  }
  return out;
}

/** `command_name` wraps the word that names the program. */
function unwrapName(n: PNode): PNode {
  return n.type === 'command_name' && n.children.length === 1 ? n.children[0]! : n;
}

// ------------------------------------------------------------------------------------------
// Word helpers

function pushQuoted(b: WordBuild, s: string): void {
  for (const c of s) b.chars.push({ c, q: true });
}

/** Unquoted text: a backslash quotes the next character; backslash-newline disappears. */
function pushUnquoted(b: WordBuild, s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      const next = s[i + 1]!;
      i++;
      if (next !== '\n') b.chars.push({ c: next, q: true });
      continue;
    }
    b.chars.push({ c, q: false });
  }
}

/** Inside double quotes a backslash only escapes $ ` " \ and newline. */
function pushDoubleQuoted(b: WordBuild, s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      const next = s[i + 1]!;
      if (next === '\n') {
        i++;
        continue;
      }
      if ('$`"\\'.includes(next)) {
        b.chars.push({ c: next, q: true });
        i++;
        continue;
      }
    }
    b.chars.push({ c, q: true });
  }
}

/** Decodes the body of `$'…'` like bash does (`$'\x72m'` is `rm`). */
export function decodeAnsiC(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const e = s[++i]!;
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      e: '\x1b',
      E: '\x1b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      "'": "'",
      '"': '"',
      '?': '?',
    };
    if (simple[e] !== undefined) {
      out += simple[e];
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const max = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(s.slice(i + 1));
      if (!m) {
        out += `\\${e}`;
        continue;
      }
      const code = parseInt(m[0], 16);
      out += code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
      i += m[0].length;
    } else if (e === 'c' && i + 1 < s.length) {
      out += String.fromCharCode(s.charCodeAt(++i) & 0x1f);
    } else {
      out += `\\${e}`;
    }
  }
  return out;
}

/**
 * `~` and `~/x` become the home folder; in assignments also after `:` (`PATH=~/bin:~/x`).
 * `~user`, `~+` and `~-` name directories NAVI cannot know: null (dynamic).
 */
function expandTilde(chars: QChar[], home: string | undefined, assignment: boolean): QChar[] | null {
  const starts = [0];
  if (assignment) chars.forEach((c, i) => c.c === ':' && !c.q && starts.push(i + 1));
  let out = chars;
  for (const start of starts.reverse()) {
    const c = out[start];
    if (!c || c.c !== '~' || c.q) continue;
    let end = start + 1;
    while (end < out.length && out[end]!.c !== '/' && !(assignment && out[end]!.c === ':' && !out[end]!.q))
      end++;
    if (end > start + 1) return null;
    if (home === undefined) continue;
    out = [...out.slice(0, start), ...[...home].map((h) => ({ c: h, q: true })), ...out.slice(end)];
  }
  return out;
}

/**
 * Bash brace expansion over unquoted braces: `{a,b}` and `{1..3}` / `{a..c}`. Returns null when
 * the expansion would be too large to spell out.
 */
function braceExpand(chars: QChar[]): QChar[][] | null {
  const results: QChar[][] = [];
  const stack: QChar[][] = [chars];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    const found = findBrace(cur);
    if (!found) {
      results.push(cur);
      if (results.length > MAX_BRACE_WORDS) return null;
      continue;
    }
    const { open, close, alternatives } = found;
    for (const alt of alternatives.reverse())
      stack.push([...cur.slice(0, open), ...alt, ...cur.slice(close + 1)]);
    if (stack.length > MAX_BRACE_WORDS * 4) return null;
  }
  return results;
}

function findBrace(chars: QChar[]): { open: number; close: number; alternatives: QChar[][] } | null {
  for (let open = 0; open < chars.length; open++) {
    if (chars[open]!.c !== '{' || chars[open]!.q) continue;
    let depth = 0;
    const commas: number[] = [];
    for (let j = open; j < chars.length; j++) {
      const ch = chars[j]!;
      if (ch.q) continue;
      if (ch.c === '{') depth++;
      else if (ch.c === '}') {
        depth--;
        if (depth === 0) {
          if (commas.length > 0) {
            const bounds = [open, ...commas, j];
            const alternatives = bounds.slice(0, -1).map((b, k) => chars.slice(b + 1, bounds[k + 1]));
            return { open, close: j, alternatives };
          }
          const seq = sequence(
            chars
              .slice(open + 1, j)
              .map((c) => c.c)
              .join(''),
          );
          if (seq)
            return { open, close: j, alternatives: seq.map((s) => [...s].map((c) => ({ c, q: true }))) };
          break;
        }
      } else if (ch.c === ',' && depth === 1) commas.push(j);
    }
  }
  return null;
}

/** `1..5`, `a..e`, `1..10..2` → the sequence, or null when it is not one (or too long). */
function sequence(body: string): string[] | null {
  const m = /^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?$/.exec(body);
  if (!m) return null;
  const [, a, z, stepText] = m;
  const numeric = /\d/.test(a!);
  if (numeric !== /\d/.test(z!)) return null;
  const from = numeric ? Number(a) : a!.charCodeAt(0);
  const to = numeric ? Number(z) : z!.charCodeAt(0);
  const step = Math.max(1, Math.abs(Number(stepText ?? 1)));
  const count = Math.floor(Math.abs(to - from) / step) + 1;
  if (count > MAX_BRACE_WORDS) return null;
  const dir = to >= from ? 1 : -1;
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const v = from + dir * k * step;
    out.push(numeric ? String(v) : String.fromCharCode(v));
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Wrappers

interface WrapperResult {
  /** Index of the wrapped command's first word. */
  index: number;
  assignments: [string, Word][];
  chdir?: CdStep;
  shellString?: Word;
  execDirect: boolean;
  /** Files the wrapper itself writes (time -o) and reads (xargs -a). */
  outputs: Word[];
  inputs: Word[];
}

/** Consumes a wrapper's options; null when it runs no command (or is not used as a wrapper). */
function consumeWrapper(argv: Word[], spec: WrapperSpec): WrapperResult | null {
  const valueOptions = new Set([
    ...(spec.valueOptions ?? []),
    ...(spec.shellStringOptions ?? []),
    ...(spec.chdirOptions ?? []),
    ...(spec.outputOptions ?? []),
    ...(spec.inputOptions ?? []),
  ]);
  const optional = new Set(spec.optionalValueOptions ?? []);
  const result: WrapperResult = { index: 1, assignments: [], execDirect: false, outputs: [], inputs: [] };
  let operands = spec.operands ?? 0;
  let required = spec.requires === undefined;
  const optionValue = (name: string, value: Word | undefined) => {
    if (!value) return;
    if (spec.chdirOptions?.includes(name)) result.chdir = value.value === null ? 'dynamic' : value;
    if (spec.shellStringOptions?.includes(name)) result.shellString = value;
    if (spec.outputOptions?.includes(name)) result.outputs.push(value);
    if (spec.inputOptions?.includes(name)) result.inputs.push(value);
  };
  let i = 1;
  for (; i < argv.length; i++) {
    const w = argv[i]!;
    const v = w.value;
    if (v === null) {
      // `env PATH=./bin:$PATH cmd`: an assignment whose value is only known at run time.
      const name = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(w.raw);
      if (spec.assignments && name) {
        result.assignments.push([name[1]!, w]);
        continue;
      }
      break;
    }
    if (v === '--') {
      i++;
      break;
    }
    if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
      const eq = v.indexOf('=');
      const valueText = v.slice(eq + 1);
      result.assignments.push([v.slice(0, eq), { ...w, value: valueText, raw: w.raw }]);
      continue;
    }
    if (v.startsWith('--') && v.length > 2) {
      const eq = v.indexOf('=');
      const name = eq < 0 ? v : v.slice(0, eq);
      if (spec.noCommandOptions?.includes(name)) return null;
      if (spec.requires?.includes(name)) required = true;
      if (spec.execDirectOptions?.includes(name)) result.execDirect = true;
      if (eq >= 0) optionValue(name, { ...w, value: v.slice(eq + 1) });
      else if (valueOptions.has(name)) {
        optionValue(name, argv[i + 1]);
        i++;
      }
      continue;
    }
    if (v.startsWith('-') && v.length > 1) {
      if (spec.numericOptions && /^-\d+$/.test(v)) continue;
      if (v === '-' && spec.assignments) continue; // `env -` is `env -i`
      const letters = v.slice(1);
      for (let k = 0; k < letters.length; k++) {
        const name = `-${letters[k]}`;
        if (spec.noCommandOptions?.includes(name)) return null;
        if (spec.requires?.includes(name)) required = true;
        if (spec.execDirectOptions?.includes(name)) result.execDirect = true;
        if (optional.has(name)) break;
        if (valueOptions.has(name)) {
          const attached = letters.slice(k + 1);
          if (attached) optionValue(name, { ...w, value: attached });
          else {
            optionValue(name, argv[i + 1]);
            i++;
          }
          break;
        }
      }
      continue;
    }
    if (operands > 0) {
      operands--;
      continue;
    }
    break;
  }
  if (!required) return null;
  result.index = i;
  if (result.shellString) return result;
  if (spec.shellStringOnly || i >= argv.length) return null;
  return result;
}

/** Bash builtins and keywords: a word bash runs itself, whatever is on PATH (`compgen -b -k`). */
const BASH_OWN = new Set(
  (
    '. : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare ' +
    'dirs disown echo enable eval exec exit export false fc fg getopts hash help history jobs kill ' +
    'let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt ' +
    'source suspend test times trap true type typeset ulimit umask unalias unset wait ' +
    'if then else elif fi case esac for select while until do done in function time { } ! [[ ]] coproc'
  ).split(' '),
);
/** Builtins that do exactly what the program of the same name does (POSIX: no arguments, an exit code). */
const SAME_AS_PROGRAM = new Set(['true', 'false']);
/** A word whose source text is its value: plain characters and quoted strings without expansions. */
const PLAIN_WORD = /^(?:[A-Za-z0-9_@%+=:,./-]|'[^']*'|"[^"$`\\!]*")+$/;

/**
 * The argv of a text that is exactly one simple command with nothing for a shell to do: literal
 * words only (no variables, substitutions, globs, braces or `~`), no redirects, assignments,
 * wrappers, pipes, lists, `&` or `cd`, and a program that is not a bash builtin or keyword (but
 * `true`/`false`). Running that argv directly is what `bash -c TEXT` would do, minus a bash. Null
 * for anything else. The parser must be loaded.
 */
export function literalCommand(text: string): string[] | null {
  const parsed = parseCommandLine(text);
  if (parsed.problems.length > 0 || parsed.commands.length !== 1) return null;
  const node = parsed.commands[0]!;
  if (
    node.kind !== 'command' ||
    node.argv.length === 0 ||
    node.wrappers.length > 0 ||
    node.assignments.length > 0 ||
    node.redirects.length > 0 ||
    node.stdin ||
    node.pipeline ||
    node.background ||
    node.inSubstitution ||
    node.cd.length > 0 ||
    node.children.length > 0 ||
    node.notes.length > 0
  )
    return null;
  if (
    !node.argv.every(
      (w) => w.value !== null && !w.glob && !w.substitution && !w.variable && PLAIN_WORD.test(w.raw),
    )
  )
    return null;
  const argv = node.argv.map((w) => w.value!);
  const program = argv[0]!;
  if (program.includes('/') || (BASH_OWN.has(program) && !SAME_AS_PROGRAM.has(program))) return null;
  return argv;
}

/**
 * The folder all names a pattern matches lie in: its directory part up to the first wildcard
 * (`src/*.ts` → `<dir>/src`, `/tmp/*` → `/tmp`, `*` → `<dir>`). A quoted `*` counts as a wildcard
 * here, which can only give a folder higher up: never one the names are not in.
 */
function literalDirectory(pattern: string, dir: string): string {
  const first = pattern.search(/[*?[]|[@!+](?=\()/);
  const slash = pattern.lastIndexOf('/', first < 0 ? pattern.length : first);
  const prefix = slash < 0 ? '' : pattern.slice(0, slash) || '/';
  return prefix.startsWith('/') ? prefix : `${dir.replace(/\/+$/, '')}/${prefix}`.replace(/\/+$/, '') || '/';
}
