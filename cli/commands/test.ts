import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as requests from '../../protocol/requests';
import { TestRunResult } from '../../protocol/testing';
import { resolvePlace } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { style } from '../format';
import { cancelledNote, openSession, requestFailed } from '../session';

export const TEST_SUMMARY = "Run the project's tests through NAVI and report structured results.";

export const TEST_HELP = `Usage: navi test [PATH] [--files F… | --test ID…] [--changed F… [--all]] [--project DIR] [--yes] [--timeout S] [--json]

Runs the test command of the project profile (see navi profile) through NAVI's pipeline:
each step of the script (npm test → "mocha && tsc") is judged, approved when it needs it,
run in the sandbox with its runner's machine-readable reporter (node --test, mocha, Jest,
Vitest, pytest, go test -json, cargo, Maven/Gradle JUnit XML; others are read from their
text output, labelled as such), and recorded in the audit log. Prints each step, the
failures with file:line, the slowest tests and the totals.

PATH: the project directory or the workspace (default: the current directory).

Options:
  --files F…        Run only these test files.
  --test ID…        Run only these tests, by the id --json reports ("test/a.test.js::suite > name").
  --changed F…      Run the tests that can be affected by these changed files first (import
                    graph, JavaScript/TypeScript and Python); says which and why.
  --all             With --changed: run the rest of the suite afterwards.
  --project DIR     The project, relative to the workspace (default: the one PATH is in).
  --yes, -y         Approve commands that ask, without a prompt (recorded as "cli-yes").
  --timeout S       Stop a step after this many seconds (default: the profile's, else 600).
  --json            Print the result as JSON on stdout (totals, steps, tests); the runners'
                    output goes to stderr.
  --verbose         Print the agent's log lines on stderr.

Exit codes: 0 all tests and steps passed, 1 a test or step failed (or NAVI failed),
2 bad usage, 130 interrupted (Ctrl-C stops the running step and everything it started).`;

/** `--files a b c` and `--changed a b`: the words after the flag up to the next option. */
type ListName = 'files' | 'changed' | 'tests';
const LIST_FLAGS: Record<string, ListName> = {
  '--files': 'files',
  '--changed': 'changed',
  '--test': 'tests',
};

function takeLists(args: string[]): { rest: string[]; lists: Partial<Record<ListName, string[]>> } {
  const rest: string[] = [];
  const lists: Partial<Record<ListName, string[]>> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = Object.hasOwn(LIST_FLAGS, a) ? LIST_FLAGS[a] : undefined;
    if (!name) {
      rest.push(a);
      continue;
    }
    const list = (lists[name] ??= []);
    while (i + 1 < args.length && !args[i + 1]!.startsWith('-')) list.push(args[++i]!);
    if (list.length === 0)
      throw new UsageError(`${a} needs at least one ${name === 'tests' ? 'test id' : 'file'}.`);
  }
  return { rest, lists };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** The result for people: steps, failures at file:line, the slowest tests, totals. */
export function formatTestResult(result: TestRunResult, cwd: string): string {
  const rel = (file: string) => path.relative(cwd, file) || file;
  const lines: string[] = ['', style.bold('NAVI test results')];
  const mark = {
    passed: style.green('✓'),
    failed: style.red('✗'),
    error: style.red('!'),
    skipped: style.dim('-'),
    denied: style.red('⊘'),
  };
  for (const [i, s] of result.steps.entries())
    lines.push(
      `  ${mark[s.status]} step ${i + 1}: ${s.original}  ${style.dim(`${s.runner ?? s.kind}, ${seconds(s.durationMs)}`)}`,
      `      ${s.message}`,
    );
  if (result.affected) {
    const a = result.affected;
    lines.push('', `Affected tests: ${a.selected.length} of ${a.totalTestFiles} test files (${a.method})`);
    for (const s of a.selected.slice(0, 20))
      lines.push(`  ${rel(s.file)}  ${style.dim(`← ${s.because.slice(1).map(rel).join(' ← ')}`)}`);
    if (a.selected.length > 20) lines.push(`  … and ${a.selected.length - 20} more`);
  }
  const failures = result.tests.filter((t) => t.status === 'failed');
  if (failures.length) {
    lines.push('', style.bold(style.red(`Failures (${failures.length})`)));
    for (const t of failures.slice(0, 50)) {
      const where = t.file ? `${rel(t.file)}${t.line ? `:${t.line}` : ''}` : '(no file)';
      lines.push(`  ${style.red('✗')} ${[...t.suite, t.name].join(' › ')}  ${style.dim(where)}`);
      const message = (t.failure?.message ?? '').split('\n').slice(0, 4);
      for (const m of message) lines.push(`      ${m}`);
      if (t.failure?.expected !== undefined || t.failure?.actual !== undefined)
        lines.push(
          `      expected: ${t.failure?.expected ?? '—'}`,
          `      actual:   ${t.failure?.actual ?? '—'}`,
        );
    }
    if (failures.length > 50) lines.push(`  … and ${failures.length - 50} more (--json has them all)`);
  }
  const slowest = result.tests
    .filter((t) => (t.durationMs ?? 0) >= 1)
    .sort((a, b) => b.durationMs! - a.durationMs!)
    .slice(0, 5);
  if (slowest.length > 1) {
    lines.push('', 'Slowest tests');
    for (const t of slowest)
      lines.push(`  ${seconds(t.durationMs!).padStart(8)}  ${[...t.suite, t.name].join(' › ')}`);
  }
  const t = result.totals;
  const counts = [
    t.failed ? style.red(`${t.failed} failed`) : `${t.failed} failed`,
    style.green(`${t.passed} passed`),
    ...(t.skipped ? [`${t.skipped} skipped`] : []),
    ...(t.todo ? [`${t.todo} todo`] : []),
  ];
  lines.push(
    '',
    `${style.bold('Tests:')} ${counts.join(', ')} (${seconds(t.durationMs)})  ${style.bold(result.status)}`,
  );
  return lines.join('\n');
}

export async function testCommand(args: string[]): Promise<number> {
  const { rest, lists } = takeLists(args);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      all: { type: 'boolean', default: false },
      project: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${TEST_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1)
    throw new UsageError('navi test takes at most one PATH (files go after --files).');
  if (values.all && !lists.changed) throw new UsageError('--all goes with --changed.');
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!(s >= 1 && s <= 86_400))
      throw new UsageError('--timeout must be a number of seconds from 1 to 86400.');
    timeoutMs = Math.round(s * 1000);
  }
  const place = await resolvePlace(positionals[0], undefined);
  const project =
    values.project ?? (path.relative(place.workspaceRoot, place.cwd).split(path.sep).join('/') || undefined);
  const abs = (files: string[] | undefined) => files?.map((f) => path.resolve(f));
  const runId = `cli-test-${process.pid}`;
  const out = values.json ? process.stderr : process.stdout;
  const session = await openSession({ place, verbose: values.verbose, outputId: runId, out });
  // Each step once when it starts; a long step every 30 s with its last output line.
  let shown = { step: -1, at: 0 };
  session.agent.connection.onNotification(requests.testProgress.type, (raw) => {
    const p = requests.TestProgressParams.safeParse(raw);
    if (!p.success || p.data.runId !== runId) return;
    const { step, steps, command, elapsedMs, lastLine } = p.data;
    if (step !== shown.step) {
      shown = { step, at: 0 };
      process.stderr.write(`${style.dim(`navi: step ${step + 1}/${steps}: ${command}`)}\n`);
    } else if (elapsedMs - shown.at >= 30_000) {
      shown.at = elapsedMs;
      process.stderr.write(
        `${style.dim(`navi: step ${step + 1} still running after ${Math.round(elapsedMs / 1000)} s: ${lastLine}`)}\n`,
      );
    }
  });
  try {
    const raw = await Promise.race([
      session.agent.connection.sendRequest(
        requests.test.type,
        {
          runId,
          root: place.workspaceRoot,
          ...(project && project !== '.' ? { project } : {}),
          trusted: true,
          ...(lists.files ? { files: abs(lists.files) } : {}),
          ...(lists.tests ? { testIds: lists.tests } : {}),
          ...(lists.changed ? { changed: abs(lists.changed) } : {}),
          ...(values.all ? { runAll: true } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
          ...(values.yes ? { autoApprove: true } : {}),
        },
        session.cancel.token,
      ),
      session.agent.exited,
    ]);
    const parsed = TestRunResult.safeParse(raw);
    if (!parsed.success) {
      process.stderr.write(
        `navi: the agent sent a malformed test result (${parsed.error.issues[0]?.message}).\n`,
      );
      return EXIT.failure;
    }
    const result = parsed.data;
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${formatTestResult(result, place.cwd)}\n`);
    if (result.status === 'cancelled' || session.interrupted()) {
      cancelledNote('the running step was stopped');
      return EXIT.interrupted;
    }
    return result.status === 'passed' ? EXIT.ok : EXIT.failure;
  } catch (error) {
    return requestFailed(error, session.interrupted());
  } finally {
    await session.dispose();
  }
}
