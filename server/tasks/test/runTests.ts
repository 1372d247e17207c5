import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { TestParams, TestProgressParams } from '../../../protocol/requests';
import {
  AffectedSelection,
  type TestCaseResult,
  type TestRunResult,
  type TestStepResult,
  type TestTotals,
} from '../../../protocol/testing';
import { run, type PipelinePorts } from '../../exec/pipeline';
import { privateTempDir } from '../../privateTemp';
import type { OutputStream } from '../../exec/runner';
import type { ResolvedCommand } from '../profile';
import { profileConfirmation, type ProfileConfirmation } from '../profileApproval';
import { findTestFiles, selectAffected } from './affected';
import { localBin, planSteps, stepText, type PlannedStep } from './plan';
import { emptyTotals, expandReportGlobs } from './runners/common';
import { goTestHumanOutput } from './runners/goTest';
import type { RunnerAdapter } from './runners/types';
import { stepOrigin } from './approvalOrigin';
import { distinctTestIds, testIdParts } from './testIds';

/**
 * A test run: the profile's test command, split into its steps (plan.ts), each run through the
 * command pipeline with its runner's machine-readable reporter added, parsed into one structured
 * result. What NAVI reports is what the runners reported: a step whose report is missing is an
 * `error`, never a pass.
 */

export interface TestPorts {
  pipeline: PipelinePorts;
  /** Runner adapters in the order they are tried; the text fallback last. */
  adapters: readonly RunnerAdapter[];
}

export interface TestContext {
  signal: AbortSignal;
  onOutput?: (chunk: string, stream: OutputStream) => void;
  onProgress?: (progress: TestProgressParams) => void;
}

const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;
/** Output kept per stream for the parsers (go test -json reports on stdout); more is dropped and said. */
const MAX_PARSE_BYTES = 32 * 1024 * 1024;
const PROGRESS_EVERY_MS = 1000;

/** Tools that check rather than test: their steps are reported as `check` steps. */
const CHECK_TOOLS = new Set([
  'tsc',
  'vue-tsc',
  'tsd',
  'eslint',
  'prettier',
  'tslint',
  'biome',
  'xo',
  'standard',
  'stylelint',
  'ruff',
  'mypy',
  'flake8',
  'pylint',
  'black',
  'isort',
  'pyright',
  'gofmt',
  'golangci-lint',
]);

function isCheckStep(argv: readonly string[]): boolean {
  const program = path.basename(argv[0] ?? '');
  if (CHECK_TOOLS.has(program)) return true;
  if (program === 'go' && (argv[1] === 'vet' || argv[1] === 'fmt')) return true;
  if (program === 'cargo' && (argv[1] === 'clippy' || argv[1] === 'fmt' || argv[1] === 'check')) return true;
  return false;
}

/**
 * The report folder of one step: stable per workspace, project and step, so the command text is
 * the same every run and "always allow" keeps matching. It is under the temporary folder, not
 * NAVI's state folder: the policy rightly refuses commands that touch NAVI's own state (the audit
 * log). The user's own folder there is mode 0700 and must belong to them.
 */
function reportDirOf(base: string, root: string, dir: string, index: number): string {
  const id = createHash('sha256').update(`${root}\0${dir}`).digest('hex').slice(0, 16);
  return path.join(base, 'reports', id, `step-${index}`);
}

/**
 * The workspace's cache folder for its test commands (RunRequest.cacheDir): Jest's transform
 * cache and Go's build cache survive from run to run, as they do when the user runs the tests.
 * Per workspace, so one repository's tests never read what another's wrote.
 */
function cacheDirOf(base: string, root: string): string {
  const id = createHash('sha256').update(root).digest('hex').slice(0, 16);
  return path.join(base, 'cache', id);
}

function privateFolder(): string {
  try {
    return privateTempDir();
  } catch (error) {
    throw new Error(`${(error as Error).message}; NAVI will not put test reports there.`);
  }
}

/** A bounded collector of one stream's text for the parser. */
class Collected {
  text = '';
  dropped = 0;
  add(chunk: string): void {
    if (this.text.length + chunk.length <= MAX_PARSE_BYTES) this.text += chunk;
    else this.dropped += chunk.length;
  }
}

function lastLineOf(text: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').trim();
    if (line) return line.slice(0, 300);
  }
  return '';
}

function addTotals(into: TestTotals, add: TestTotals): void {
  into.passed += add.passed;
  into.failed += add.failed;
  into.skipped += add.skipped;
  into.todo += add.todo;
  into.durationMs += add.durationMs;
}

function countsText(t: TestTotals): string {
  const parts = [`${t.passed} passed`, `${t.failed} failed`];
  if (t.skipped) parts.push(`${t.skipped} skipped`);
  if (t.todo) parts.push(`${t.todo} todo`);
  return parts.join(', ');
}

interface StepSelection {
  files?: string[];
  testNames?: string[];
}

/** Test ids → files and full names (`<file>::<suite> > <name>` → `<suite> > <name>`, see testIds.ts). */
function selectionOfIds(ids: readonly string[], root: string): StepSelection {
  const files = new Set<string>();
  const names = new Set<string>();
  for (const id of ids) {
    const { file, fullName } = testIdParts(id);
    if (file) files.add(path.resolve(root, file));
    names.add(fullName);
  }
  return { files: [...files], testNames: [...names] };
}

/**
 * Runs the tests. `resolved` is the profile's test command (profile.ts `profileCommand`); the
 * result has totals over all test steps, each step, and each test.
 */
export async function runTests(
  params: TestParams,
  resolved: ResolvedCommand,
  ports: TestPorts,
  ctx: TestContext,
): Promise<TestRunResult> {
  const root = resolved.profile.root;
  const dir = resolved.dir;
  const startedAt = new Date();
  const taskId = uuidv7();
  const planned = await planSteps(resolved.command.command, dir);
  // Checked after the steps are planned: a script changed meanwhile makes it ask, never the reverse.
  const confirmation = await profileConfirmation(
    resolved.profile,
    resolved.project,
    'test',
    ports.pipeline.home,
  );

  let selection: StepSelection = {};
  let affected: AffectedSelection | undefined;
  let restFiles: string[] | undefined;
  let kind: 'all' | 'files' | 'tests' | 'affected' = 'all';
  if (params.testIds?.length) {
    selection = selectionOfIds(params.testIds, root);
    kind = 'tests';
  } else if (params.files?.length) {
    selection = { files: params.files.map((f) => path.resolve(dir, f)) };
    kind = 'files';
  } else if (params.changed?.length) {
    kind = 'affected';
    const runAll = params.runAll ?? resolved.project.runAllAfterAffected ?? false;
    const testFiles = await findTestFiles(dir, resolved.project.ecosystem);
    const picked = await selectAffected({
      projectDir: dir,
      workspaceRoot: root,
      ecosystem: resolved.project.ecosystem,
      changed: params.changed.map((f) => path.resolve(dir, f)),
      testFiles,
      signal: ctx.signal,
    });
    affected = AffectedSelection.parse({ ...picked, ranRest: false });
    if (picked.method === 'import-graph') {
      selection = { files: picked.selected.map((s) => s.file) };
      if (runAll) {
        const chosen = new Set(selection.files);
        restFiles = testFiles.filter((f) => !chosen.has(f));
      }
    }
  }

  const pipeline = ports.pipeline;
  await pipeline.audit.append({
    type: 'task.started',
    actor: { kind: 'agent' },
    workspace: root,
    data: { taskId, task: 'test', project: dir, command: resolved.command.command, selection: kind },
  });

  const steps: TestStepResult[] = [];
  const tests: TestCaseResult[] = [];
  const commandIds: string[] = [];
  const passes: StepSelection[] = [selection];
  if (restFiles && restFiles.length > 0) passes.push({ files: restFiles });
  const filtered = kind !== 'all';
  let status: TestRunResult['status'] = 'passed';

  for (const [pass, sel] of passes.entries()) {
    if (affected && pass === 1) affected.ranRest = true;
    if (affected && pass === 0 && affected.method === 'import-graph' && (sel.files?.length ?? 0) === 0) {
      // Nothing the change can affect: report it, run nothing (unless the rest was asked for).
      continue;
    }
    let previousFailed = false;
    for (const [index, step] of planned.entries()) {
      if (ctx.signal.aborted) break;
      const stepIndex = steps.length;
      const result = await runStep({
        step,
        index,
        stepIndex,
        count: planned.length,
        skip: step.afterSuccessOnly && previousFailed,
        checkSkipped: filtered || pass > 0,
        selection: sel,
        root,
        dir,
        params,
        resolved,
        confirmation,
        ports,
        ctx,
      });
      steps.push(result.step);
      tests.push(...result.tests);
      if (result.step.commandId) commandIds.push(result.step.commandId);
      if (
        result.step.status === 'failed' ||
        result.step.status === 'error' ||
        result.step.status === 'denied'
      )
        previousFailed = true;
      if (result.step.status === 'error' || result.step.status === 'denied') status = 'error';
      else if (result.step.status === 'failed' && status === 'passed') status = 'failed';
      if (result.step.cancelled) status = 'cancelled';
    }
  }
  if (ctx.signal.aborted) status = 'cancelled';

  const totals = emptyTotals();
  for (const s of steps) if (s.kind === 'test') addTotals(totals, s.totals);
  // The run's duration is the wall time of its test steps (runners report only their own part).
  totals.durationMs = steps.filter((s) => s.kind === 'test').reduce((sum, s) => sum + s.durationMs, 0);
  if (totals.failed > 0 && status === 'passed') status = 'failed';
  const durationMs = Date.now() - startedAt.getTime();
  await pipeline.audit.append({
    type: 'task.finished',
    actor: { kind: 'system' },
    workspace: root,
    data: {
      taskId,
      task: 'test',
      project: dir,
      status,
      durationMs,
      totals: { passed: totals.passed, failed: totals.failed, skipped: totals.skipped, todo: totals.todo },
      commandIds,
    },
  });
  return {
    runId: params.runId,
    project: dir,
    status,
    totals,
    steps,
    // The runners count every test they ran, a repeated title too: so does every view of the run.
    tests: distinctTestIds(tests),
    ...(affected ? { affected } : {}),
    startedAt: startedAt.toISOString(),
  };
}

interface StepInput {
  step: PlannedStep;
  index: number;
  stepIndex: number;
  count: number;
  skip: boolean;
  checkSkipped: boolean;
  selection: StepSelection;
  root: string;
  dir: string;
  params: TestParams;
  resolved: ResolvedCommand;
  /** The confirmed profile's approval of the test command, when there is one. */
  confirmation: ProfileConfirmation | undefined;
  ports: TestPorts;
  ctx: TestContext;
}

async function runStep(input: StepInput): Promise<{ step: TestStepResult; tests: TestCaseResult[] }> {
  const { step, root, dir, params, ports, ctx } = input;
  const argv = step.argv ? localBin(step.argv, dir, root) : undefined;
  const check = argv !== undefined && isCheckStep(argv);
  // A runner NAVI knows; the text fallback (which matches anything) only reads what runs as written.
  const adapter = argv && !check ? ports.adapters.find((a) => a.id !== 'text' && a.matches(argv)) : undefined;
  const base = {
    original: step.original,
    cwd: dir,
    kind: check ? ('check' as const) : ('test' as const),
    ...(adapter ? { runner: adapter.id } : {}),
    totals: emptyTotals(),
  };
  const skipped = (message: string): { step: TestStepResult; tests: TestCaseResult[] } => ({
    step: {
      ...base,
      command: step.original,
      parsedFrom: 'none',
      ran: false,
      exitCode: null,
      durationMs: 0,
      timedOut: false,
      cancelled: false,
      status: 'skipped',
      message,
    },
    tests: [],
  });
  if (input.skip) return skipped('Not run: an earlier step failed (the script chains the steps with &&).');
  if (check && input.checkSkipped) return skipped('Not run: only the selected tests run.');
  if (!check && input.checkSkipped && !adapter && (input.selection.files || input.selection.testNames))
    return skipped(
      'Not run: NAVI cannot pass a test selection to this command, and it runs only the selected tests.',
    );

  const tempBase = privateFolder();
  const reportDir = reportDirOf(tempBase, root, dir, input.index);
  const cacheDir = cacheDirOf(tempBase, root);
  let command = step.original;
  let reports: string[] = [];
  let reportGlobs: string[] = [];
  let extraEnv: Record<string, string> | undefined;
  let instrumented: string[] | undefined;
  if (argv && adapter) {
    await fs.promises.rm(reportDir, { recursive: true, force: true });
    await fs.promises.mkdir(reportDir, { recursive: true, mode: 0o700 });
    const inst = adapter.instrument(argv, {
      reportDir,
      cacheDir,
      cwd: dir,
      ...(input.selection.files ? { files: input.selection.files } : {}),
      ...(input.selection.testNames ? { testNames: input.selection.testNames } : {}),
    });
    command = stepText(step.assignments, inst.argv);
    instrumented = inst.argv;
    reports = inst.reports;
    reportGlobs = inst.reportGlobs ?? [];
    extraEnv = inst.env;
  } else if (argv) {
    command = stepText(step.assignments, argv);
  }

  const stdout = new Collected();
  const stderr = new Collected();
  // The step's clock starts with its process: the time it waits for an approval is nobody's test time.
  let phase: TestProgressParams['phase'] = 'starting';
  let processStarted: number | undefined;
  let lastLine = '';
  const progress = () =>
    ctx.onProgress?.({
      runId: params.runId,
      step: input.stepIndex,
      steps: input.count,
      command,
      phase,
      elapsedMs: processStarted === undefined ? 0 : Date.now() - processStarted,
      lastLine,
    });
  const pipeline: PipelinePorts = {
    ...ports.pipeline,
    requestApproval: (approval, signal) => {
      phase = 'approval';
      progress();
      return ports.pipeline.requestApproval(approval, signal).finally(() => {
        if (phase === 'approval') phase = 'starting';
      });
    },
  };
  progress();
  const timer = setInterval(progress, PROGRESS_EVERY_MS);
  const startedAtMs = Date.now();
  let outcome;
  try {
    outcome = await run(
      {
        runId: params.runId,
        command,
        cwd: dir,
        workspaceRoot: root,
        trusted: params.trusted,
        proposer: 'task',
        timeoutMs: params.timeoutMs ?? input.resolved.project.testTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
        ...(params.autoApprove ? { autoApprove: true } : {}),
      },
      pipeline,
      {
        signal: ctx.signal,
        onStart: () => {
          processStarted = Date.now();
          phase = 'running';
          progress();
        },
        onOutput: (chunk, stream) => {
          (stream === 'stdout' ? stdout : stderr).add(chunk);
          // go test -json writes JSON events on stdout: people see Go's own text.
          const shown = adapter?.id === 'go' && stream === 'stdout' ? goTestHumanOutput(chunk) : chunk;
          const line = lastLineOf(shown);
          if (line) lastLine = line;
          if (shown) ctx.onOutput?.(shown, stream);
        },
        task: {
          cacheDir,
          ...(input.confirmation ? { profile: input.confirmation } : {}),
          ...(extraEnv ? { extraEnv } : {}),
          ...(reports.length ? { writableDirs: [reportDir] } : {}),
          // An approval shows the profile's command first, and what NAVI added as details.
          origin: stepOrigin({
            userCommand: input.resolved.command.command,
            step: { text: step.original, index: input.index, count: input.count },
            ...(step.argv ? { written: step.argv } : {}),
            ...(argv ? { local: argv } : {}),
            ...(instrumented ? { instrumented } : {}),
            ...(extraEnv ? { env: extraEnv } : {}),
            ...(reports.length ? { reportDir } : {}),
            cacheDir,
            cwd: dir,
            ...(input.selection.files ? { files: input.selection.files } : {}),
          }),
        },
      },
    );
  } finally {
    clearInterval(timer);
  }
  const common = {
    ...base,
    command,
    commandId: outcome.commandId,
    ran: outcome.ran,
    exitCode: outcome.result?.exitCode ?? null,
    signal: outcome.result?.signal ?? null,
    durationMs: outcome.result?.durationMs ?? 0,
    timedOut: outcome.result?.timedOut ?? false,
    cancelled: outcome.result?.cancelled ?? false,
    ...(outcome.result
      ? { logFile: outcome.result.logFile, tail: tailLines(outcome.result.output.tail, 30) }
      : {}),
  };
  if (!outcome.ran || !outcome.result)
    return {
      step: { ...common, parsedFrom: 'none', status: 'denied', message: outcome.message },
      tests: [],
    };
  const r = outcome.result;
  if (check) {
    const ok = r.exitCode === 0;
    return {
      step: {
        ...common,
        parsedFrom: 'none',
        status: ok ? 'passed' : r.timedOut || r.cancelled ? 'error' : 'failed',
        message: ok ? 'Passed (exit 0).' : endText(r),
      },
      tests: [],
    };
  }
  const text = adapter ? undefined : ports.adapters.find((a) => a.id === 'text');
  const parser = adapter ?? text;
  const reportTexts = new Map<string, string>();
  // Reports the build writes inside the project (Maven, Gradle): only those of this run.
  if (reportGlobs.length) reports.push(...expandReportGlobs(dir, reportGlobs, startedAtMs));
  for (const file of reports) {
    try {
      reportTexts.set(file, await fs.promises.readFile(file, 'utf8'));
    } catch {
      // A missing report is judged below: the parser says what it could not read.
    }
  }
  const parsed = parser?.parse({
    cwd: dir,
    workspaceRoot: root,
    step: input.stepIndex,
    reports: reportTexts,
    stdout: stdout.text,
    stderr: stderr.text,
    exitCode: r.exitCode,
    startedAtMs,
  });
  const tests = parsed?.tests ?? [];
  const totals = parsed?.totals ?? emptyTotals();
  const errors = [...(parsed?.errors ?? [])];
  if (stdout.dropped)
    errors.push(
      `NAVI kept the first ${MAX_PARSE_BYTES >> 20} MB of output for parsing; the rest was not read.`,
    );
  const crashed = r.timedOut || r.cancelled || r.exitCode === null;
  const noResults = tests.length === 0 && totals.passed + totals.failed + totals.skipped + totals.todo === 0;
  let status: TestStepResult['status'];
  let message: string;
  if (crashed) {
    status = 'error';
    message = `${endText(r)}${noResults ? '' : ` after ${countsText(totals)}`}.`;
  } else if (noResults && (r.exitCode !== 0 || errors.length > 0)) {
    status = 'error';
    message = errors[0] ?? `Exit ${r.exitCode} and no test results: the runner crashed or did not start.`;
  } else if (totals.failed > 0 || r.exitCode !== 0) {
    status = 'failed';
    message =
      totals.failed > 0
        ? countsText(totals)
        : `${countsText(totals)}, but exit ${r.exitCode}${errors[0] ? `: ${errors[0]}` : ''}`;
  } else {
    status = 'passed';
    message = noResults ? 'No tests ran (exit 0).' : countsText(totals);
  }
  if (parsed?.parsedFrom === 'text') message += ' (best-effort reading of the text output)';
  return {
    step: {
      ...common,
      parsedFrom: parsed?.parsedFrom ?? 'none',
      totals,
      status,
      message,
    },
    tests,
  };
}

function endText(r: {
  timedOut: boolean;
  cancelled: boolean;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
}): string {
  if (r.timedOut) return `Stopped after ${Math.round(r.durationMs / 1000)} s (timeout)`;
  if (r.cancelled) return 'Cancelled';
  if (r.exitCode === null) return `Killed by ${r.signal ?? 'a signal'}`;
  return `Exit ${r.exitCode}`;
}

function tailLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines
    .slice(Math.max(0, lines.length - n - 1))
    .join('\n')
    .slice(-8192);
}
