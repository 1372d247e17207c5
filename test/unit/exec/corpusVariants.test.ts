import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, Parser } from 'web-tree-sitter';
import { singleQuote } from '../../../protocol/display';
import type { Effect } from '../../../protocol/policy';
import { judgeCommand } from '../../../server/exec/policy';
import { bashParser, walk } from './bashTree';
import { type Case, corpusPolicyLayers, Fixture, loadCases } from './harness';

// Every `deny` command of the safety corpus and of NAVI's own cases, rewritten the ways bash reads
// the same: quoting (of the program name, of its arguments, of the whole text inside `bash -c` or
// `eval`), whitespace, line continuations, wrappers that run the command they are given, absolute
// program paths. Bash runs the same program with the same words, so each variant must still be
// denied. Where the judge cannot know what bash will run, the strongest true verdict is `ask`:
// - the program held in a variable (`X=rm; $X -rf ~`). NAVI knows no variable's value but $HOME,
//   so `$X` is `dynamic-command`, a hard ask nothing lifts. Following assignments through the text
//   (conditionals, loops, functions, `bash -c` payloads) is not what the judge does, and a deny for
//   every `$X` program would deny harmless scripts;
// - a wildcard moved into `bash -c '…'` or `eval '…'` (`bash -c 'rm -rf *'`). NAVI expands the
//   wildcards of the text it runs itself, never those a nested shell expands later (docs/policy.md,
//   Wildcards and other expansions), so the names are unknown and the command asks. Only texts with
//   an unquoted wildcard are held to this weaker verdict.

const REPO = path.resolve(__dirname, '../../..');
const SHARED = path.resolve(REPO, '../shared/safety/corpus.json');
const CORPUS = fs.existsSync(SHARED) ? SHARED : path.join(REPO, 'test/fixtures/safety/corpus.json');

// ------------------------------------------------------------------------------------------
// Quoting

/** `$'…'`: every backslash, quote and control character escaped. */
function ansiC(s: string): string {
  const escaped = [...s]
    .map((c) => {
      if (c === '\\' || c === "'") return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      const code = c.codePointAt(0)!;
      return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
    })
    .join('');
  return `$'${escaped}'`;
}

/** `"…"`: the four characters special inside double quotes escaped. */
function doubleQuote(s: string): string {
  return `"${s.replace(/[\\"$`]/g, '\\$&')}"`;
}

const hex = (s: string) => `$'${[...s].map((c) => `\\x${c.charCodeAt(0).toString(16)}`).join('')}'`;

// ------------------------------------------------------------------------------------------
// Where the programs are

/** Builtins with no program of the same name: a wrapper that runs a program cannot run them. */
const BUILTINS_ONLY = new Set(
  (
    '. : alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs ' +
    'disown enable eval exec exit export fc fg getopts hash help history jobs let local logout mapfile ' +
    'popd pushd read readarray readonly return set shift shopt source suspend times trap type typeset ' +
    'ulimit umask unalias unset wait'
  ).split(' '),
);

/** A command of the text: its program word and what bash allows around it. */
interface Site {
  /** Where the program word is. */
  start: number;
  end: number;
  program: string;
  /** Where the whole command starts (assignments and all): `time` goes there. */
  commandStart: number;
  /** A builtin without a program, or a function of the text: only `command`/`time` wrap it. */
  notProgram: boolean;
  function: boolean;
  /** A later stage of a pipeline: it reads the stage before it (no `xargs`, no `time`). */
  downstream: boolean;
  /** Nothing runs after it in its shell, so `exec` may replace that shell. */
  last: boolean;
  /** Its plain-word arguments (no quoting, expansion or pattern): quoting them changes nothing. */
  plainArgs: { start: number; end: number; text: string }[];
}

const PLAIN = /^[A-Za-z0-9_./+:@%,=-]+$/;
const PLAIN_PROGRAM = /^[A-Za-z0-9_./+-]+$/;

function sites(parser: Parser, text: string): Where {
  const tree = parser.parse(text);
  assert.ok(tree, 'tree-sitter parsed nothing');
  try {
    const root = tree.rootNode;
    const functions = new Set<string>();
    for (const n of walk(root))
      if (n.type === 'function_definition') functions.add(n.childForFieldName('name')?.text ?? '');
    const out: Site[] = [];
    const gaps: { start: number; end: number }[] = [];
    let wildcards = false;
    for (const n of walk(root)) {
      if (n.type === 'word' && /(?:^|[^\\])[*?[]/.test(n.text)) wildcards = true;
      if (!STRING_LIKE.has(n.type))
        for (let i = 1; i < n.childCount; i++) {
          const a = n.child(i - 1)!;
          const b = n.child(i)!;
          if (b.startIndex > a.endIndex && /^ +$/.test(text.slice(a.endIndex, b.startIndex)))
            gaps.push({ start: a.endIndex, end: b.startIndex });
        }
      const site = siteOf(n, text, functions);
      if (site) out.push(site);
    }
    return { sites: out, gaps: dedupe(gaps), wildcards };
  } finally {
    tree.delete();
  }
}

/** Nodes whose inside is not shell syntax: their spaces are data. */
const STRING_LIKE = new Set([
  'string',
  'raw_string',
  'ansi_c_string',
  'translated_string',
  'heredoc_body',
  'heredoc_redirect',
  'comment',
  'regex',
  'word',
  'concatenation',
]);

function dedupe<T extends { start: number }>(xs: T[]): T[] {
  const seen = new Set<number>();
  return xs.filter((x) => !seen.has(x.start) && seen.add(x.start));
}

function siteOf(n: Node, text: string, functions: ReadonlySet<string>): Site | null {
  let name: Node | null = null;
  if (n.type === 'command') {
    const commandName = n.childForFieldName('name');
    if (commandName?.childCount === 1 && commandName.child(0)!.type === 'word') name = commandName.child(0);
  } else if (n.type === 'declaration_command' || n.type === 'unset_command') name = n.child(0);
  if (!name || !PLAIN_PROGRAM.test(name.text)) return null;
  const statement = n.parent?.type === 'redirected_statement' ? n.parent : n;
  const pipeline = statement.parent?.type === 'pipeline' ? statement.parent : null;
  const after = text.slice(statement.endIndex);
  const args =
    n.type === 'command'
      ? n.children.filter(
          (c): c is Node =>
            c !== null && c.type === 'word' && c.startIndex > name.endIndex && PLAIN.test(c.text),
        )
      : [];
  return {
    start: name.startIndex,
    end: name.endIndex,
    program: name.text,
    commandStart: n.startIndex,
    notProgram: BUILTINS_ONLY.has(name.text) || functions.has(name.text),
    function: functions.has(name.text),
    downstream: pipeline !== null && pipeline.namedChildren[0]?.id !== statement.id,
    last: /^[\s;)}`&]*(?:(?:fi|done|esac)\b[\s;)}&]*)*$/.test(after) && !/&&|\|/.test(after),
    plainArgs: args.map((a) => ({ start: a.startIndex, end: a.endIndex, text: a.text })),
  };
}

// ------------------------------------------------------------------------------------------
// Variants

interface Edit {
  at: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: readonly Edit[]): string | null {
  if (edits.length === 0) return null;
  let out = text;
  for (const e of [...edits].sort((a, b) => b.at - a.at || b.end - a.end))
    out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

interface Where {
  sites: Site[];
  /** Spaces between the words and operators of the text's shell syntax. */
  gaps: { start: number; end: number }[];
  /** An unquoted wildcard in a word: bash expands it where the text runs. */
  wildcards: boolean;
}
interface VariantClass {
  name: string;
  /** The rewritten text; null when nothing in this text can be rewritten this way. */
  make(text: string, where: Where): string | null;
  /** What the judge must say: `deny`, or `not allow` for what no judge of text can deny. */
  expect: 'deny' | 'not allow';
  /** The text runs in a shell NAVI does not control: its wildcards are unknown there. */
  nests?: boolean;
}

const renameEach = (f: (p: string) => string | null) => (text: string, w: Where) =>
  applyEdits(
    text,
    w.sites.flatMap((s) => {
      const to = f(s.program);
      return to === null ? [] : [{ at: s.start, end: s.end, text: to }];
    }),
  );

const wrapEach =
  (wrapper: string, eligible: (s: Site) => boolean = (s) => !s.notProgram) =>
  (text: string, w: Where) =>
    applyEdits(
      text,
      w.sites.filter(eligible).map((s) => ({ at: s.start, end: s.start, text: `${wrapper} ` })),
    );

const quoteArgs = (q: (s: string) => string) => (text: string, w: Where) =>
  applyEdits(
    text,
    w.sites.flatMap((s) => s.plainArgs.map((a) => ({ at: a.start, end: a.end, text: q(a.text) }))),
  );

const spaces = (to: string) => (text: string, w: Where) =>
  applyEdits(
    text,
    w.gaps.map((g) => ({ at: g.start, end: g.end, text: to })),
  );

const isExternal = (s: Site) => !s.notProgram && !s.program.includes('/');

const CLASSES: VariantClass[] = [
  { name: "program in single quotes ('rm')", make: renameEach(singleQuote), expect: 'deny' },
  { name: 'program in double quotes ("rm")', make: renameEach(doubleQuote), expect: 'deny' },
  { name: "program in ANSI-C quotes ($'rm')", make: renameEach(ansiC), expect: 'deny' },
  { name: "program as ANSI-C escapes ($'\\x72\\x6d')", make: renameEach(hex), expect: 'deny' },
  {
    name: "program with an empty quote inside (r''m)",
    make: renameEach((p) => `${p[0]}''${p.slice(1)}`),
    expect: 'deny',
  },
  {
    name: 'program with backslashes (\\r\\m)',
    make: renameEach((p) => [...p].map((c) => `\\${c}`).join('')),
    expect: 'deny',
  },
  {
    name: 'program by absolute path (/usr/bin/rm)',
    make: (t, w) => renameEach((p) => `/usr/bin/${p}`)(t, { ...w, sites: w.sites.filter(isExternal) }),
    expect: 'deny',
  },
  {
    name: 'program by absolute path (/bin/rm)',
    make: (t, w) => renameEach((p) => `/bin/${p}`)(t, { ...w, sites: w.sites.filter(isExternal) }),
    expect: 'deny',
  },
  {
    name: 'program from a variable (X=rm; $X)',
    make: (t, w) => {
      const named = w.sites.filter((s) => !s.function);
      if (named.length === 0) return null;
      const edits = named.map((s, i) => ({ at: s.start, end: s.end, text: `"$P${i}"` }));
      const assignments = named.map((s, i) => `P${i}=${singleQuote(s.program)}`).join(' ');
      return `${assignments}; ${applyEdits(t, edits)!}`;
    },
    expect: 'not allow',
  },
  { name: "arguments in single quotes ('-rf')", make: quoteArgs(singleQuote), expect: 'deny' },
  { name: 'arguments in double quotes ("-rf")', make: quoteArgs(doubleQuote), expect: 'deny' },
  { name: "arguments in ANSI-C quotes ($'-rf')", make: quoteArgs(ansiC), expect: 'deny' },
  { name: 'tabs between words', make: spaces('\t'), expect: 'deny' },
  { name: 'runs of spaces between words', make: spaces('    '), expect: 'deny' },
  { name: 'line continuations between words', make: spaces(' \\\n  '), expect: 'deny' },
  { name: 'env PROGRAM', make: wrapEach('env'), expect: 'deny' },
  { name: 'env -- PROGRAM', make: wrapEach('env --'), expect: 'deny' },
  { name: 'command PROGRAM', make: wrapEach('command', (s) => !s.function), expect: 'deny' },
  {
    name: 'exec PROGRAM (the last command of its shell)',
    make: wrapEach('exec', (s) => !s.notProgram && s.last),
    expect: 'deny',
  },
  { name: 'nice PROGRAM', make: wrapEach('nice'), expect: 'deny' },
  { name: 'nice -n 5 PROGRAM', make: wrapEach('nice -n 5'), expect: 'deny' },
  { name: 'timeout 10 PROGRAM', make: wrapEach('timeout 10'), expect: 'deny' },
  { name: 'nohup PROGRAM', make: wrapEach('nohup'), expect: 'deny' },
  { name: 'stdbuf -o0 PROGRAM', make: wrapEach('stdbuf -o0'), expect: 'deny' },
  {
    name: 'time COMMAND',
    make: (t, w) =>
      applyEdits(
        t,
        dedupe(w.sites.filter((s) => !s.downstream).map((s) => ({ start: s.commandStart, s }))).map((x) => ({
          at: x.start,
          end: x.start,
          text: 'time ',
        })),
      ),
    expect: 'deny',
  },
  // xargs runs the program once with its own arguments (and what it reads): not in a later
  // pipeline stage, where it would turn the data it reads into arguments.
  { name: 'xargs PROGRAM', make: wrapEach('xargs', (s) => !s.notProgram && !s.downstream), expect: 'deny' },
  { name: "bash -c '…'", make: (t) => `bash -c ${singleQuote(t)}`, expect: 'deny', nests: true },
  { name: 'sh -c "…"', make: (t) => `sh -c ${doubleQuote(t)}`, expect: 'deny', nests: true },
  { name: "bash -c $'…'", make: (t) => `bash -c ${ansiC(t)}`, expect: 'deny', nests: true },
  { name: "eval '…'", make: (t) => `eval ${singleQuote(t)}`, expect: 'deny', nests: true },
  { name: 'eval "…"', make: (t) => `eval ${doubleQuote(t)}`, expect: 'deny', nests: true },
  {
    name: "sh -c 'bash -c …' (two shells deep)",
    make: (t) => `sh -c ${singleQuote(`bash -c ${doubleQuote(t)}`)}`,
    expect: 'deny',
    nests: true,
  },
];

// ------------------------------------------------------------------------------------------
// The suite

const cases: Case[] = [...loadCases(CORPUS), ...loadCases(path.join(__dirname, 'cases.json'))].filter(
  (c, i, all) =>
    c.kind === 'command' &&
    c.expect === 'deny' &&
    all.findIndex((o) => o.input === c.input && o.why === c.why) === i,
);

describe('exec: corpus deny cases, rewritten', () => {
  let parser: Parser;
  const fixtures = new Map<Case, Fixture>();
  before(async () => {
    parser = await bashParser();
    for (const c of cases) {
      const fx = new Fixture();
      fixtures.set(c, fx);
      fx.setup(c.why);
    }
  });
  after(() => {
    for (const fx of fixtures.values()) fx.dispose();
  });

  it('the quoting helpers round-trip every deny case through bash', () => {
    const quoted = cases.flatMap((c) => [singleQuote(c.input), doubleQuote(c.input), ansiC(c.input)]);
    const script = `printf '%s\\0' ${quoted.join(' ')}`;
    const out = execFileSync('bash', ['--noprofile', '--norc', '-c', script], { encoding: 'utf8' });
    assert.deepEqual(
      out.split('\0').slice(0, -1),
      cases.flatMap((c) => [c.input, c.input, c.input]),
    );
  });

  for (const v of CLASSES) {
    it(`${v.expect === 'deny' ? 'deny' : 'not allow'}: ${v.name}`, async () => {
      const failures: string[] = [];
      let tried = 0;
      for (const c of cases) {
        const where = sites(parser, c.input);
        const variant = v.make(c.input, where);
        if (variant === null || variant === c.input) continue;
        tried++;
        const fx = fixtures.get(c)!;
        const got: Effect = (await judgeCommand(fx.map(variant), fx.context(await corpusPolicyLayers())))
          .verdict;
        const deny = v.expect === 'deny' && !(v.nests && where.wildcards);
        if (deny ? got !== 'deny' : got === 'allow')
          failures.push(`${got}: ${JSON.stringify(variant)}  (from ${JSON.stringify(c.input)})`);
      }
      assert.ok(tried > 0, 'the rewrite applied to no deny case');
      assert.deepEqual(failures, [], `${failures.length} of ${tried} variants:\n${failures.join('\n')}`);
    });
  }
});
