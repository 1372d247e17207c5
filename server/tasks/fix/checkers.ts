import {
  parseBlack,
  parseCargo,
  parseEslint,
  parseFlake8,
  parseGoVet,
  parseGofmt,
  parseIsort,
  parsePrettier,
  parseRuff,
  parseTsc,
} from './checkerParsers';
import type { CheckerContext, CheckerResult } from './diagnostics';
import { Collector } from './diagnostics';

export type { CheckerContext } from './diagnostics';

/**
 * Checker adapters: how to recognise a profile's lint / typecheck / format-check command, how to
 * ask the tool for machine-readable output without dropping the user's own options, and how to
 * read that output into the one Diagnostic model. Like the test-runner adapters
 * (server/tasks/test/runners/), they are data plus a parser each (checkerParsers.ts), and they never run anything:
 * the fix task runs `machineArgs(argv)` through the command pipeline and hands the output here.
 *
 * Machine-readable forms used (each parser's comment names what it reads):
 *   tsc --pretty false · eslint --format json · prettier --list-different · gofmt -l ·
 *   go vet -json · cargo check --message-format=json · ruff check --output-format=json ·
 *   flake8 --format=default · black --check (no --diff / --quiet) · isort --check-only (likewise).
 */

export interface CheckerAdapter {
  /** Adapter id, copied into `Diagnostic.checker` (`tsc`, `eslint`, `cargo-check`…). */
  id: string;
  /** `Diagnostic.source` of what it reads (`ts`, `eslint`, `cargo`…). */
  source: string;
  /** Whether argv runs this checker (through `npx`, `node_modules/.bin/`, `python -m`, `uv run`…). */
  matches(argv: readonly string[]): boolean;
  /** argv with the machine-readable options added or replaced; the user's other options kept. */
  machineArgs(argv: readonly string[]): string[];
  /** Reads the output. Never throws: unreadable output gives `complete: false` with a reason. */
  parse(stdout: string, stderr: string, exitCode: number | null, ctx: CheckerContext): CheckerResult;
  /**
   * The tool's own fixer for these files (`eslint --fix`, `prettier --write`, `gofmt -w`, `black`,
   * `isort`, `ruff check --fix`), launched the way the check was, keeping the user's config options;
   * undefined when the tool has no fixer NAVI runs. `files` are paths relative to the command's
   * working directory; each is given as `./path` so none can be read as an option.
   */
  fixArgs?(argv: readonly string[], files: readonly string[]): string[];
  /** The fixer's name for receipts (`eslint --fix`). */
  fixName?: string;
  /** File extensions (lower case, with the dot) whose content this checker reads: what a change re-runs. */
  extensions: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// The adapters, as data

interface CheckerSpec {
  id: string;
  source: string;
  /** Program names (basename, no extension or `@version`). */
  tools: string[];
  /** The subcommand that must follow (`go vet`, `cargo check`, `ruff check`). */
  subcommands?: string[];
  /** Options before the subcommand that take a value (`cargo --color never check`). */
  globalValueFlags?: string[];
  /** At least one of these must be present (`prettier --check`, `gofmt -l`, `black --check`). */
  requireOneOf?: string[];
  /** The command is not a check when one of these is present (`prettier --write`, `gofmt -w`). */
  rejects?: string[];
  /** Boolean options removed (`--watch`, `--quiet`, `--diff`). */
  drop?: string[];
  /** Options removed with their value (`-f stylish`, `--format=stylish`, `--pretty false`). */
  dropValue?: string[];
  /** Options whose value is optional, removed with `true`/`false` after them (`tsc --pretty`). */
  dropBoolValue?: string[];
  /** Inserted right after the program (and subcommand). */
  add: string[];
  parse(c: Collector, stdout: string, stderr: string): void;
  /** The fixer: options put after the program (and subcommand), and the user's options kept with their value. */
  fix?: { name: string; args: string[]; keepValue?: string[] };
  extensions: readonly string[];
}

const JS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.vue', '.svelte'];
const PRETTIER = [
  ...JS,
  '.json',
  '.jsonc',
  '.json5',
  '.css',
  '.scss',
  '.less',
  '.md',
  '.mdx',
  '.yaml',
  '.yml',
  '.html',
  '.graphql',
  '.gql',
  '.hbs',
];
const PY = ['.py', '.pyi'];

// prettier-ignore
const SPECS: readonly CheckerSpec[] = [
  { id: 'tsc', source: 'ts', tools: ['tsc', 'vue-tsc'], drop: ['--watch', '-w'], dropBoolValue: ['--pretty'],
    add: ['--pretty', 'false'], parse: parseTsc, extensions: [...JS, '.json'] },
  { id: 'eslint', source: 'eslint', tools: ['eslint'], dropValue: ['--format', '-f', '--output-file', '-o'],
    drop: ['--color'], add: ['--format', 'json'], parse: parseEslint, extensions: JS,
    fix: { name: 'eslint --fix', args: ['--fix'], keepValue: ['-c', '--config', '--ext', '--parser', '--parser-options', '--resolve-plugins-relative-to', '--rulesdir', '--ignore-path'] } },
  { id: 'prettier', source: 'prettier', tools: ['prettier'], requireOneOf: ['--check', '-c', '--list-different', '-l'],
    rejects: ['--write', '-w'], drop: ['--check', '-c', '--list-different', '-l'], add: ['--list-different'],
    parse: parsePrettier, extensions: PRETTIER,
    fix: { name: 'prettier --write', args: ['--write'], keepValue: ['--config', '--ignore-path', '--plugin'] } },
  { id: 'gofmt', source: 'gofmt', tools: ['gofmt'], requireOneOf: ['-l', '-d'], rejects: ['-w'], drop: ['-l', '-d'],
    add: ['-l'], parse: parseGofmt, extensions: ['.go'], fix: { name: 'gofmt -w', args: ['-w'] } },
  { id: 'go-vet', source: 'go vet', tools: ['go'], subcommands: ['vet'], drop: ['-json'], add: ['-json'],
    parse: parseGoVet, extensions: ['.go', '.mod', '.sum'] },
  { id: 'cargo-check', source: 'cargo', tools: ['cargo'], subcommands: ['check', 'c', 'clippy'],
    globalValueFlags: ['--color', '--config', '-Z', '-C'], dropValue: ['--message-format'],
    add: ['--message-format=json'], parse: parseCargo, extensions: ['.rs', '.toml'] },
  { id: 'ruff', source: 'ruff', tools: ['ruff'], subcommands: ['check'], rejects: ['--watch', '-w'],
    dropValue: ['--output-format', '--format', '--output-file', '-o'],
    drop: ['-q', '--quiet', '-s', '--silent', '--statistics', '--show-fixes'], add: ['--output-format=json'],
    parse: parseRuff, extensions: [...PY, '.toml'],
    fix: { name: 'ruff check --fix', args: ['--fix'], keepValue: ['--config', '--select', '--ignore'] } },
  { id: 'flake8', source: 'flake8', tools: ['flake8'], dropValue: ['--format', '--output-file'],
    drop: ['-q', '--quiet', '--show-source', '--count', '--statistics', '--tee'], add: ['--format=default'],
    parse: parseFlake8, extensions: [...PY, '.cfg', '.ini'] },
  { id: 'black', source: 'black', tools: ['black'], requireOneOf: ['--check', '--diff'],
    drop: ['--check', '--diff', '--color', '-q', '--quiet'], add: ['--check'], parse: parseBlack, extensions: [...PY, '.toml'],
    fix: { name: 'black', args: ['-q'], keepValue: ['--config', '-l', '--line-length', '-t', '--target-version'] } },
  { id: 'isort', source: 'isort', tools: ['isort'], requireOneOf: ['--check-only', '--check', '-c', '--diff'],
    drop: ['--check-only', '--check', '-c', '--diff', '--color', '-q', '--quiet'], add: ['--check-only'],
    parse: parseIsort, extensions: [...PY, '.cfg', '.toml'],
    fix: { name: 'isort', args: ['-q'], keepValue: ['--settings-path', '--sp', '--settings-file', '--profile'] } },
];

// ---------------------------------------------------------------------------------------------
// Finding the program behind launchers

/** `./node_modules/.bin/tsc` → `tsc`; `eslint@9` → `eslint`; `black.exe` → `black`. */
function programName(token: string | undefined): string {
  const base = (token ?? '').replace(/\\/g, '/').split('/').pop() ?? '';
  return base
    .replace(/\.(c?js|mjs|cmd|exe|py)$/i, '')
    .replace(/^(@?[^@]+)@.*$/, '$1')
    .toLowerCase();
}

interface Launcher {
  /** The subcommand that runs a tool (`npm exec`, `uv run`); required unless `subOptional`. */
  sub?: string[];
  subOptional?: boolean;
  /** The launcher's options that take a value. */
  valueFlags?: string[];
  /** `python -m tool`. */
  module?: boolean;
}

/** Launchers that run a named tool (`npx tsc`, `pnpm exec eslint`, `python -m black`, `uv run ruff`). */
// prettier-ignore
const LAUNCHERS: Record<string, Launcher> = {
  npx: { valueFlags: ['-p', '--package', '-c', '--call'] }, pnpx: {}, bunx: {},
  uvx: { valueFlags: ['--from', '--with', '-p', '--python'] },
  npm: { sub: ['exec', 'x'], valueFlags: ['-p', '--package', '-w', '--workspace'] },
  pnpm: { sub: ['exec', 'dlx', 'run', 'x'], subOptional: true, valueFlags: ['-C', '--dir', '--filter', '-F'] },
  yarn: { sub: ['exec', 'dlx', 'run'], subOptional: true },
  bun: { sub: ['x', 'run'], subOptional: true },
  uv: { sub: ['run'], valueFlags: ['--with', '-p', '--python', '--project', '--directory'] },
  poetry: { sub: ['run'] }, pipenv: { sub: ['run'] }, pdm: { sub: ['run'] }, hatch: { sub: ['run'] },
  pipx: { sub: ['run'] },
  node: { valueFlags: ['-r', '--require', '--import', '--loader', '-C', '--conditions'] },
  python: { module: true }, python3: { module: true }, py: { module: true },
};

/** Index of the tool's own token in argv, after env assignments and launchers. */
function toolIndex(argv: readonly string[]): number {
  let i = 0;
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]!)) i++;
  for (let depth = 0; depth < 4 && i < argv.length; depth++) {
    const launcher = LAUNCHERS[programName(argv[i])];
    if (!launcher) return i;
    let j = i + 1;
    if (launcher.module) {
      while (j < argv.length && argv[j] !== '-m' && argv[j]!.startsWith('-')) j++;
      if (argv[j] !== '-m') return i;
      i = j + 1;
      continue;
    }
    const skip = () => {
      const values = new Set(launcher.valueFlags ?? []);
      while (j < argv.length && argv[j]!.startsWith('-')) {
        if (argv[j] === '--') return void j++;
        j += values.has(argv[j]!) ? 2 : 1;
      }
    };
    skip();
    if (launcher.sub) {
      if (launcher.sub.includes(argv[j] ?? '')) j++;
      else if (!launcher.subOptional) return i;
      skip();
    }
    i = j;
  }
  return i;
}

/** Where the tool's own options start (after the program and its subcommand), or undefined if not this tool. */
function argsStart(spec: CheckerSpec, argv: readonly string[]): number | undefined {
  const at = toolIndex(argv);
  if (!spec.tools.includes(programName(argv[at]))) return undefined;
  let i = at + 1;
  if (spec.subcommands) {
    const values = new Set(spec.globalValueFlags ?? []);
    while (i < argv.length && (argv[i]!.startsWith('-') || argv[i]!.startsWith('+')))
      i += values.has(argv[i]!) ? 2 : 1;
    if (!spec.subcommands.includes(argv[i] ?? '')) return undefined;
    i += 1;
  }
  return i;
}

const hasFlag = (args: readonly string[], flag: string) =>
  args.some((a) => a === flag || (flag.startsWith('--') && a.startsWith(`${flag}=`)));

function ownArgs(argv: readonly string[], start: number): string[] {
  const dash = argv.indexOf('--', start);
  return argv.slice(start, dash >= 0 ? dash : argv.length);
}

/** The user's options in `own` that the fixer keeps (`-c .eslintrc.json`, `--config=x`), with their values. */
function keptOptions(own: readonly string[], keep: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < own.length; i++) {
    const a = own[i]!;
    if (keep.includes(a) && i + 1 < own.length) out.push(a, own[++i]!);
    else if (keep.some((k) => k.startsWith('--') && a.startsWith(`${k}=`))) out.push(a);
  }
  return out;
}

/** `src/a.ts` → `./src/a.ts`: a file name can never be read as an option. */
const asFileArg = (f: string) =>
  f.startsWith('/') || f.startsWith('./') || f.startsWith('../') ? f : `./${f}`;

function makeAdapter(spec: CheckerSpec): CheckerAdapter {
  const fix = spec.fix;
  return {
    id: spec.id,
    source: spec.source,
    extensions: spec.extensions,
    ...(fix
      ? {
          fixName: fix.name,
          fixArgs(argv: readonly string[], files: readonly string[]) {
            const start = argsStart(spec, argv) ?? argv.length;
            const own = ownArgs(argv, start);
            return [
              ...argv.slice(0, start),
              ...fix.args,
              ...keptOptions(own, fix.keepValue ?? []),
              ...files.map(asFileArg),
            ];
          },
        }
      : {}),
    matches(argv) {
      const start = argsStart(spec, argv);
      if (start === undefined) return false;
      const own = ownArgs(argv, start);
      if (spec.rejects?.some((f) => hasFlag(own, f))) return false;
      return !spec.requireOneOf || spec.requireOneOf.some((f) => hasFlag(own, f));
    },
    machineArgs(argv) {
      const start = argsStart(spec, argv);
      if (start === undefined) return [...argv];
      const dash = argv.indexOf('--', start);
      const end = dash >= 0 ? dash : argv.length;
      const kept: string[] = [];
      for (let i = start; i < end; i++) {
        const a = argv[i]!;
        if (spec.drop?.includes(a)) continue;
        const valued = [...(spec.dropValue ?? []), ...(spec.dropBoolValue ?? [])];
        if (valued.some((f) => f.startsWith('--') && a.startsWith(`${f}=`))) continue;
        if (spec.dropValue?.includes(a)) {
          i += 1;
          continue;
        }
        if (spec.dropBoolValue?.includes(a)) {
          if (argv[i + 1] === 'true' || argv[i + 1] === 'false') i += 1;
          continue;
        }
        kept.push(a);
      }
      return [...argv.slice(0, start), ...spec.add, ...kept, ...argv.slice(end)];
    },
    parse(stdout, stderr, exitCode, ctx) {
      const c = new Collector({ id: spec.id, source: spec.source, tool: spec.tools[0]! }, ctx);
      try {
        spec.parse(c, String(stdout ?? ''), String(stderr ?? ''));
      } catch (error) {
        c.fail(
          `NAVI could not read the ${spec.id} output (${String((error as Error)?.message ?? error).slice(0, 200)}).`,
        );
      }
      return c.result(exitCode, String(stderr ?? ''));
    },
  };
}

/** Every checker adapter, in the order a command is matched against them. */
export const CHECKER_ADAPTERS: readonly CheckerAdapter[] = SPECS.map(makeAdapter);

/** The adapter for a command's argv, or undefined when NAVI cannot read that checker's output. */
export function checkerFor(argv: readonly string[]): CheckerAdapter | undefined {
  return CHECKER_ADAPTERS.find((a) => a.matches(argv));
}

/** The adapter with this id (tests, and a caller that stored the id). */
export function checkerById(id: string): CheckerAdapter | undefined {
  return CHECKER_ADAPTERS.find((a) => a.id === id);
}
