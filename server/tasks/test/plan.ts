import * as fs from 'node:fs';
import * as path from 'node:path';
import { shellQuote } from '../../../protocol/display';
import { initParser, parseCommandLine, type CommandNode } from '../../exec/parse';

/**
 * The steps of a test command. `npm test` runs a script that may chain several steps
 * (`mocha && tsc -p .`); NAVI runs each step itself, through the pipeline, so it can add each
 * runner's machine-readable reporter and report every step on its own. A step NAVI cannot take
 * apart (pipes, variables, subshells) runs exactly as written.
 */

export interface PlannedStep {
  /** The step as the script has it. */
  original: string;
  /** Literal argv when the step is a simple command NAVI can instrument; else undefined (runs as written). */
  argv?: string[];
  /** `VAR=value` prefixes of the step, as written. */
  assignments: string[];
  /** Whether a failure of the previous step skips this one (`&&`), as the shell would. */
  afterSuccessOnly: boolean;
}

const NPM_LIKE = new Set(['npm', 'pnpm', 'yarn', 'bun']);
const MAX_SCRIPT_DEPTH = 5;

/** The script name a package-manager invocation runs (`npm test`, `yarn run test`, `pnpm t`), or undefined. */
export function scriptOf(argv: readonly string[]): string | undefined {
  const [pm, sub, name, ...rest] = argv;
  if (!pm || !NPM_LIKE.has(pm) || rest.some((a) => a === '--') || !sub) return undefined;
  if (sub === 'test' || sub === 't' || sub === 'tst') return name === undefined ? 'test' : undefined;
  if ((sub === 'run' || sub === 'run-script') && name && !name.startsWith('-') && rest.length === 0)
    return name;
  if (pm === 'yarn' && !sub.startsWith('-') && name === undefined && !YARN_COMMANDS.has(sub)) return sub;
  return undefined;
}
const YARN_COMMANDS = new Set(['install', 'add', 'remove', 'upgrade', 'init', 'info', 'why', 'dlx', 'exec']);

function readScripts(dir: string): Record<string, string> {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts?: unknown };
    if (!pkg.scripts || typeof pkg.scripts !== 'object') return {};
    return Object.fromEntries(
      Object.entries(pkg.scripts as Record<string, unknown>).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}

/** Splits command text into its top-level list members, or undefined when it is more than a plain list. */
function splitList(text: string): { node: CommandNode; op: string }[] | undefined {
  const parsed = parseCommandLine(text);
  if (parsed.problems.length > 0 || parsed.commands.length === 0) return undefined;
  const top = parsed.commands.filter((c) => c.depth === 0 && !c.inSubstitution);
  if (top.length !== parsed.commands.length) return undefined;
  const out: { node: CommandNode; op: string }[] = [];
  let cursor = 0;
  for (const node of top) {
    if (node.kind !== 'command' || node.pipeline || node.background || node.cd.length > 0) return undefined;
    const at = text.indexOf(node.text, cursor);
    if (at < 0) return undefined;
    const between = text.slice(cursor, at).trim();
    if (out.length > 0 && !['&&', ';', ''].includes(between)) return undefined;
    if (out.length === 0 && between !== '') return undefined;
    out.push({ node, op: between });
    cursor = at + node.text.length;
  }
  return text.slice(cursor).trim() === '' ? out : undefined;
}

/** The words as they run, wrappers included (`npx mocha`, `timeout 60 jest`), when all are literal. */
function literalArgv(node: CommandNode): string[] | undefined {
  if (node.redirects.length > 0 || node.stdin || node.notes.length > 0 || node.children.length > 0)
    return undefined;
  const all = [...node.wrappers.flatMap((w) => w.argv), ...node.argv];
  const words = all.map((w) =>
    w.value !== null && !w.glob && !w.substitution && !w.variable ? w.value : null,
  );
  if (words.length === 0 || words.some((w) => w === null)) return undefined;
  if (node.assignments.some((a) => a.scope !== 'command' || a.value === null || a.value.value === null))
    return undefined;
  return words as string[];
}

/**
 * Plans the steps of `command` run in `dir`: package-manager scripts are resolved to their body
 * (with npm's `pre`/`post` scripts), recursively; anything else is one step per list member.
 */
export async function planSteps(command: string, dir: string): Promise<PlannedStep[]> {
  await initParser();
  const scripts = readScripts(dir);
  const steps: PlannedStep[] = [];
  const expand = (text: string, afterSuccessOnly: boolean, depth: number): void => {
    const members = splitList(text);
    if (!members) {
      steps.push({ original: text.trim(), assignments: [], afterSuccessOnly });
      return;
    }
    members.forEach(({ node, op }, i) => {
      const chained = i === 0 ? afterSuccessOnly : op === '&&';
      const argv = literalArgv(node);
      const script = argv && node.assignments.length === 0 ? scriptOf(argv) : undefined;
      if (script !== undefined && depth < MAX_SCRIPT_DEPTH && scripts[script] !== undefined) {
        // npm runs pre<name> and post<name> around a script; pnpm and yarn ≥ 2 do not by default.
        const npm = argv![0] === 'npm';
        if (npm && scripts[`pre${script}`]) expand(scripts[`pre${script}`]!, chained, depth + 1);
        expand(scripts[script]!, npm && scripts[`pre${script}`] ? true : chained, depth + 1);
        if (npm && scripts[`post${script}`]) expand(scripts[`post${script}`]!, true, depth + 1);
        return;
      }
      steps.push({
        original: node.text.trim(),
        ...(argv ? { argv } : {}),
        assignments: node.assignments.map((a) => a.raw),
        afterSuccessOnly: chained,
      });
    });
  };
  expand(command, false, 0);
  return steps;
}

/**
 * A program name the way a package script would find it: npm puts every `node_modules/.bin`
 * from the project up to the file system root on PATH. NAVI's runner keeps the workspace off
 * PATH (so `./cat` can never shadow `cat`), so a local tool is named by its path instead,
 * relative to the step's directory. Returns argv unchanged when there is no such local tool.
 */
export function localBin(argv: readonly string[], dir: string, workspaceRoot: string): string[] {
  let rest = [...argv];
  // `npx mocha`, `npx --no-install mocha`, `pnpm exec mocha`, `yarn mocha` → the local bin when it exists.
  if (rest[0] === 'npx') {
    const i = rest.findIndex((a, j) => j > 0 && !a.startsWith('-'));
    if (
      i > 0 &&
      rest.slice(1, i).every((a) => a === '--no-install' || a === '--no' || a === '-y' || a === '--yes')
    )
      rest = rest.slice(i);
  } else if ((rest[0] === 'pnpm' || rest[0] === 'yarn') && rest[1] === 'exec') rest = rest.slice(2);
  const program = rest[0];
  if (!program || program.includes('/')) return [...argv];
  for (let at = dir; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', '.bin', program);
    if (fs.existsSync(candidate)) {
      const rel = path.relative(dir, candidate).split(path.sep).join('/');
      return [rel.startsWith('.') ? rel : `./${rel}`, ...rest.slice(1)];
    }
    const rel = path.relative(workspaceRoot, at);
    if (at === path.dirname(at) || rel === '' || rel.startsWith('..')) break;
  }
  return [...argv];
}

/** Command text for a step: its assignments, then the argv quoted for bash. */
export function stepText(assignments: readonly string[], argv: readonly string[]): string {
  return [...assignments, ...argv.map(shellQuote)].join(' ');
}
