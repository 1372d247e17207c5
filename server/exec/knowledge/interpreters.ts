/**
 * Interpreters and shells. Code given on the command line (`node -e`, `python -c`) or stdin
 * needs approval (`interpreter-inline`); a script file runs workspace code (`interpreter`);
 * `--version`/`--help` only print. POSIX shells' `-c` payloads are parsed and judged by the
 * parser; here only shells running a script file (or reading code from stdin) are judged.
 */

import { POSIX_SHELLS } from './programs';
import { pipViaPython } from './packages';
import type { ToolCall, ToolSpec } from './types';

interface InterpreterSpec {
  /** Options whose value is code (`-e CODE`). */
  inline: readonly string[];
  /** Options that take a separate value (not code). */
  withValue?: readonly string[];
  /** Options that load a module or file before the program (`node -r`, `ruby -r`). */
  preload?: readonly string[];
  /** `-m module` style: runs a module by name. */
  module?: readonly string[];
}

const VERSION_ONLY = new Set([
  '--version',
  '-v',
  '-V',
  '--help',
  '-h',
  '-help',
  'version',
  '-version',
  '--verbose',
]);

const SPECS: Readonly<Record<string, InterpreterSpec>> = {
  node: {
    inline: ['-e', '--eval', '-p', '--print'],
    preload: ['-r', '--require', '--import', '--loader', '--experimental-loader'],
    withValue: ['--input-type', '--conditions', '-C', '--env-file', '--title', '--stack-size'],
  },
  python: {
    inline: ['-c'],
    module: ['-m'],
    withValue: ['-W', '-X', '--check-hash-based-pycs'],
  },
  perl: { inline: ['-e', '-E'], preload: ['-M', '-m', '-I'], withValue: ['-x', '-l', '-0'] },
  ruby: { inline: ['-e'], preload: ['-r', '-I'], withValue: ['-C', '-E', '-F'] },
  php: { inline: ['-r', '-B', '-R', '-E'], withValue: ['-c', '-d', '-z'], preload: ['-f'] },
  lua: { inline: ['-e'], preload: ['-l'] },
  Rscript: { inline: ['-e', '--expr'] },
  R: { inline: ['-e'], withValue: ['-f', '--file'] },
  julia: { inline: ['-e', '--eval', '-E', '--print'], preload: ['-L', '--load'] },
  osascript: { inline: ['-e'], withValue: ['-l', '-s'] },
  tclsh: { inline: [] },
  wish: { inline: [] },
  groovy: { inline: ['-e'] },
  scala: { inline: ['-e'] },
  elixir: { inline: ['-e', '--eval'], preload: ['-r', '--require'] },
  erl: { inline: ['-eval', '-s', '-run'] },
  escript: { inline: [] },
  irb: { inline: [] },
  'ts-node': { inline: ['-e', '--eval', '-p', '--print'], preload: ['-r', '--require'] },
  tsx: { inline: ['-e', '--eval', '-p', '--print'], preload: ['-r', '--require', '--import'] },
  java: {
    inline: [],
    withValue: ['-cp', '-classpath', '--class-path', '-jar'],
    preload: ['-javaagent', '-agentlib', '-agentpath'],
  },
  jshell: { inline: [] },
  kotlin: { inline: ['-e'] },
  swift: { inline: ['-e'] },
  pwsh: { inline: ['-c', '-Command', '-command', '-EncodedCommand', '-e', '-ec', '-enc'] },
  powershell: { inline: ['-c', '-Command', '-command', '-EncodedCommand', '-e', '-ec', '-enc'] },
  fish: { inline: ['-c', '--command'], preload: ['-C', '--init-command'] },
  csh: { inline: ['-c'] },
  tcsh: { inline: ['-c'] },
  nu: { inline: ['-c', '--commands'] },
  xonsh: { inline: ['-c'] },
  elvish: { inline: ['-c'] },
};

/** `python3.12` is python, `nodejs` is node, `pypy3` is python. */
export function interpreterFamily(name: string): string | null {
  if (SPECS[name]) return name;
  if (/^python[0-9.]*$|^pypy[0-9.]*$/.test(name)) return 'python';
  if (name === 'nodejs') return 'node';
  if (/^perl[0-9.]*$/.test(name)) return 'perl';
  if (/^ruby[0-9.]*$/.test(name)) return 'ruby';
  if (/^php[0-9.]*$/.test(name)) return 'php';
  if (/^lua(jit|[0-9.]*)$/.test(name)) return 'lua';
  return null;
}

function judgeInterpreter(t: ToolCall, family: string): void {
  const spec = SPECS[family]!;
  const v = t.values;
  if (v.length > 0 && v.every((x) => x !== null && VERSION_ONLY.has(x))) return;
  t.changes();
  t.notPaths(...v.map((_, i) => i));
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    if (a === null || a === undefined) {
      t.ask('dynamic-argument', `${t.name} gets arguments only known when it runs`);
      return;
    }
    if (a === '--') {
      i++;
      const script = t.args[i];
      if (script) scriptFile(t, i);
      else t.codeFromStdin();
      return;
    }
    const flag = a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    const attached =
      !a.startsWith('--') && a.length > 2
        ? spec.inline.find((f) => f.length === 2 && a.startsWith(f))
        : undefined;
    if (spec.inline.includes(flag) || attached) {
      t.ask('interpreter-inline', `${t.name} ${attached ?? flag} runs code given on the command line`);
      return;
    }
    if (spec.module?.includes(flag) || (family === 'python' && a.startsWith('-m') && a.length > 2)) {
      const name = a.length > 2 && !a.startsWith('--') ? a.slice(2) : v[i + 1];
      const rest = t.args.slice(a.length > 2 ? i + 1 : i + 2);
      if (name === 'pip') return pipViaPython(t, rest);
      if (name === 'http.server' || name === 'SimpleHTTPServer' || name === 'smtpd')
        t.network(`${t.name} -m ${name} serves files over the network`);
      t.ask('interpreter', `${t.name} -m ${name ?? '…'} runs a module`);
      return;
    }
    if (spec.preload?.some((p) => flag === p || (p.length === 2 && a.startsWith(p) && a.length > 2))) {
      t.ask('interpreter', `${t.name} ${flag} loads code before the program`);
      const value = a.length > 2 && !a.startsWith('--') && !a.includes('=') ? null : v[i + 1];
      if (!a.includes('=') && (a.length === 2 || a.startsWith('--'))) i++;
      if (value) t.read(value);
      continue;
    }
    if (spec.withValue?.includes(flag)) {
      if (flag === '-jar' && t.args[i + 1]) {
        t.executes(t.args[i + 1]!);
        t.ask('interpreter', `java -jar runs ${v[i + 1] ?? 'a jar file'}`);
        return;
      }
      if (!a.includes('=')) i++;
      continue;
    }
    if (family === 'node' && flag === '--run') {
      // `node --run build` (Node 22+) runs a package.json script, like `npm run build`.
      const script = a.includes('=') ? a.slice(a.indexOf('=') + 1) : v[i + 1];
      if (script) t.runScript(script, t.args.slice(a.includes('=') ? i + 1 : i + 2), 'node --run');
      else t.ask('package-script', 'node --run names no script');
      return;
    }
    if (a.startsWith('-') && a !== '-') continue;
    if (a === '-') {
      t.codeFromStdin();
      return;
    }
    scriptFile(t, i);
    return;
  }
  // `node --test` without files finds the project's test files itself; it reads no code from stdin.
  if (family === 'node' && v.some((a) => a === '--test')) {
    t.ask('interpreter', `${t.name} --test runs the project's test files`);
    return;
  }
  t.codeFromStdin();
}

function scriptFile(t: ToolCall, index: number): void {
  const word = t.args[index]!;
  t.executes(word);
  t.read(word);
  t.ask('interpreter', `${t.name} runs ${word.value ?? word.raw}`);
}

/** A POSIX shell without -c: `bash script.sh`, `sh -s < x`, `curl … | sh`. */
function judgeShell(t: ToolCall): void {
  const v = t.values;
  if (v.length > 0 && v.every((x) => x !== null && VERSION_ONLY.has(x))) return;
  t.notPaths(...v.map((_, i) => i));
  let inline = false;
  let stdin = false;
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    if (a === null || a === undefined) return; // dynamic: the parser already noted it
    if (a === '--rcfile' || a === '--init-file') {
      const file = t.args[i + 1];
      if (file) {
        t.executes(file);
        t.ask('interpreter', `${t.name} ${a} runs ${file.value ?? file.raw}`);
      }
      i++;
      continue;
    }
    if (a === '--' || a === '-') {
      if (t.args[i + 1] && !inline && !stdin) scriptFile(t, i + 1);
      return;
    }
    if (a.startsWith('--')) continue;
    if ((a.startsWith('-') || a.startsWith('+')) && a.length > 1) {
      for (const ch of a.slice(1)) {
        if (ch === 'c') inline = true;
        if (ch === 's') stdin = true;
        if (ch === 'o' || ch === 'O') i++;
      }
      continue;
    }
    if (inline) return; // the payload: parsed and judged as children
    if (!stdin) scriptFile(t, i);
    else t.codeFromStdin();
    return;
  }
  if (inline) return;
  const redirectedScript = t.node.redirects.find((r) => r.op === '<' && r.target);
  if (redirectedScript?.target) {
    t.executes(redirectedScript.target);
    t.ask('interpreter', `${t.name} runs ${redirectedScript.target.value ?? redirectedScript.target.raw}`);
    return;
  }
  t.codeFromStdin();
}

export const INTERPRETER_TOOLS: Readonly<Record<string, ToolSpec>> = {
  ...Object.fromEntries(
    Object.keys(SPECS).map((name) => [name, { judge: (t: ToolCall) => judgeInterpreter(t, name) }]),
  ),
  ...Object.fromEntries([...POSIX_SHELLS].map((name) => [name, { judge: judgeShell }])),
};

/** For names like python3.12 that are not in the table. */
export function interpreterSpecFor(name: string): ToolSpec | undefined {
  const family = interpreterFamily(name);
  if (!family) return undefined;
  return { judge: (t: ToolCall) => judgeInterpreter(t, family) };
}
