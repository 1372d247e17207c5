import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  FixProgressParams,
  FixResult,
  ReceiptVerifyResult,
  ReceiptsResult,
  RollbackResult,
  type ModelSettings,
} from '../../protocol/fix';
import * as requests from '../../protocol/requests';
import { modelSettingsFromEnv } from '../../server/tasks/fix/model';
import { resolvePlace } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { style } from '../format';
import { cancelledNote, openSession, requestFailed, type CliSession } from '../session';

export const FIX_SUMMARY =
  'Find the errors, fix them with the project’s own tools, prove each fix with a receipt.';

export const FIX_HELP = `Usage: navi fix [PATH] [--files F…] [--project DIR] [--yes] [--no-model] [--skip-tests] [--json]

Runs the checks of the project profile (typecheck, lint, format check: tsc, ESLint, Prettier,
Ruff or flake8/black/isort, gofmt/go vet, cargo check) through NAVI's pipeline, then fixes what
they report, cheapest first: the project's own fixers (eslint --fix, prettier --write, black,
isort, ruff --fix, gofmt -w) on the files with errors, TypeScript's code fixes (missing imports,
spelling, missing await), and a model only when one is configured. After each fix NAVI re-runs
the checks that cover the changed files and the tests they affect: a fix that removes its errors,
adds none and breaks no test that passed before is kept with a signed receipt (navi receipts);
any other fix is rolled back at once. navi rollback undoes a task's fixes.

PATH: the project directory or the workspace (default: the current directory).

Options:
  --files F…      Fix only these files (or the files in these folders).
  --project DIR   The project, relative to the workspace (default: every project of the profile).
  --yes, -y       Approve commands and edits that ask, without a prompt (recorded as "cli-yes").
  --no-model      Do not use a model even when one is configured.
  --skip-tests    Do not run the tests before and after (the checkers still verify each fix).
  --json          Print {taskId, fixes, remaining, rolledBack, …} as JSON on stdout.
  --verbose       Print the agent's log lines on stderr.

Model (optional): NAVI_MODEL_PROVIDER=openai-compatible|anthropic, NAVI_MODEL=<model>,
NAVI_MODEL_BASE_URL=<url>, and the key in NAVI_MODEL_API_KEY (or OPENAI_API_KEY /
ANTHROPIC_API_KEY).

Exit codes: 0 every error found is fixed and verified (or there were none), 1 errors remain,
a fix was rolled back or a check could not run, 2 bad usage, 130 interrupted.`;

export const RECEIPTS_SUMMARY = 'List the verification receipts of a workspace, or verify one.';

export const RECEIPTS_HELP = `Usage: navi receipts [PATH] [--json]
       navi receipts verify ID|FILE [--workspace DIR] [--json]

Lists the receipts NAVI issued for fixes in the workspace (default: the current directory),
newest first, each checked now: verified (signature good, files unchanged), failed (the fix did
not verify; the receipt proves what ran), stale (a covered file changed since), invalid.

verify checks one receipt, by id or a receipt file (a stored record or a DSSE envelope), against
this installation's key and, with a workspace, the files' current content.

Exit codes: 0 listed / the receipt verifies, 1 it does not (failed, stale, invalid), 2 bad usage.`;

export const ROLLBACK_SUMMARY = 'Undo the fixes of a fix task (default: the last one).';

export const ROLLBACK_HELP = `Usage: navi rollback [PATH] [--task ID | --fix ID] [--yes] [--json]

Restores the files a fix task changed to their content before it, fix by fix, newest first.
Only files NAVI wrote, and only where they still hold what NAVI left: a file you changed since
is kept as you left it (reported). The rollback is checkpointed first, so it can be undone.

Options:
  --task ID   The fix task (navi receipts --json shows task ids); default: the last one here.
  --fix ID    Only this fix (<taskId>.f<n>).
  --yes, -y   Do not ask for confirmation.
  --json      Print the result as JSON.

Exit codes: 0 rolled back (or nothing to roll back), 1 failed, 2 bad usage.`;

function takeFiles(args: string[]): { rest: string[]; files?: string[] } {
  const rest: string[] = [];
  let files: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '--files') {
      rest.push(args[i]!);
      continue;
    }
    files ??= [];
    while (i + 1 < args.length && !args[i + 1]!.startsWith('-')) files.push(args[++i]!);
    if (files.length === 0) throw new UsageError('--files needs at least one file.');
  }
  return { rest, ...(files ? { files } : {}) };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('x') ? 'es' : 's'}`;

/** The result for people: each fix with its receipt, what was rolled back and why, what remains. */
export function formatFixResult(result: FixResult): string {
  const lines: string[] = ['', style.bold('NAVI fix')];
  for (const f of result.fixes) {
    const ok = f.status === 'kept';
    const receipt = f.receipt ? `receipt ${f.receipt.id.slice(0, 13)}… ${f.receipt.status}` : 'no receipt';
    lines.push(
      `  ${ok ? style.green('✓') : style.red('↶')} ${f.fixer.name}: ${f.files.join(', ')}  ${style.dim(`${plural(f.fixedCount, 'error')} fixed, ${receipt}`)}`,
    );
    if (!ok && f.reason) lines.push(`      ${style.red('rolled back:')} ${f.reason}`);
  }
  if (result.remaining.length) {
    lines.push('', style.bold(`Remaining (${result.remaining.length})`));
    for (const r of result.remaining.slice(0, 50))
      lines.push(
        `  ${r.file}:${r.line}:${r.column}  ${r.code ?? ''} ${r.message.split('\n')[0]}  ${style.dim(`${r.checker}${r.reason ? `; ${r.reason}` : ''}`)}`,
      );
    if (result.remaining.length > 50)
      lines.push(`  … and ${result.remaining.length - 50} more (--json has them all)`);
  }
  if (result.notes.length) {
    lines.push('');
    for (const n of result.notes) lines.push(style.dim(`  note: ${n}`));
  }
  const t = result.tests;
  if (t?.before)
    lines.push(
      '',
      `Tests before: ${t.before.passed} passed, ${t.before.failed} failed${t.after ? `; after: ${t.after.passed} passed, ${t.after.failed} failed` : ''}`,
    );
  const kept = result.fixes.filter((f) => f.status === 'kept').length;
  const summary: Record<FixResult['status'], string> = {
    clean: style.green('No errors found.'),
    fixed: style.green(`Fixed and verified: ${plural(kept, 'fix')}, no errors remain.`),
    remaining: `${plural(kept, 'fix')} kept, ${result.rolledBack.length} rolled back, ${plural(result.remaining.length, 'error')} remaining.`,
    incomplete: style.red('A check could not be run or read: NAVI cannot say the project is clean.'),
    cancelled: 'Cancelled.',
  };
  lines.push('', `${summary[result.status]}  ${style.dim(`(${(result.durationMs / 1000).toFixed(1)} s)`)}`);
  if (kept) lines.push(style.dim('Undo with: navi rollback'));
  return lines.join('\n');
}

function model(noModel: boolean): ModelSettings | undefined {
  if (noModel) return undefined;
  try {
    return modelSettingsFromEnv(process.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function withSession<T>(
  place: { cwd: string; workspaceRoot: string },
  json: boolean,
  verbose: boolean,
  runId: string,
  fn: (session: CliSession) => Promise<T>,
): Promise<T> {
  const session = await openSession({
    place,
    verbose,
    outputId: runId,
    out: json ? process.stderr : process.stdout,
  });
  try {
    return await fn(session);
  } finally {
    await session.dispose();
  }
}

export async function fixCommand(args: string[]): Promise<number> {
  const { rest, files } = takeFiles(args);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      'no-model': { type: 'boolean', default: false },
      'skip-tests': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${FIX_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1)
    throw new UsageError('navi fix takes at most one PATH (files go after --files).');
  const settings = model(values['no-model']);
  const place = await resolvePlace(positionals[0], undefined);
  const project =
    values.project ?? (path.relative(place.workspaceRoot, place.cwd).split(path.sep).join('/') || undefined);
  const runId = `cli-fix-${process.pid}`;
  return withSession(place, values.json, values.verbose, runId, async (session) => {
    session.agent.connection.onNotification(requests.fixProgress.type, (raw) => {
      const p = FixProgressParams.safeParse(raw);
      if (p.success && p.data.runId === runId)
        process.stderr.write(`${style.dim(`navi: ${p.data.message}`)}\n`);
    });
    try {
      const raw = await Promise.race([
        session.agent.connection.sendRequest(
          requests.fix.type,
          {
            runId,
            root: place.workspaceRoot,
            ...(project && project !== '.' ? { project } : {}),
            trusted: true,
            ...(files ? { files: files.map((f) => path.resolve(f)) } : {}),
            ...(values.yes ? { autoApprove: true } : {}),
            ...(settings ? { model: settings } : {}),
            ...(values['skip-tests'] ? { skipTests: true } : {}),
          },
          session.cancel.token,
        ),
        session.agent.exited,
      ]);
      const parsed = FixResult.safeParse(raw);
      if (!parsed.success) {
        process.stderr.write(
          `navi: the agent sent a malformed fix result (${parsed.error.issues[0]?.message}).\n`,
        );
        return EXIT.failure;
      }
      const result = parsed.data;
      process.stdout.write(
        values.json ? `${JSON.stringify(jsonView(result), null, 2)}\n` : `${formatFixResult(result)}\n`,
      );
      if (result.status === 'cancelled' || session.interrupted()) {
        cancelledNote('fixes that had not verified were rolled back');
        return EXIT.interrupted;
      }
      return result.status === 'fixed' || result.status === 'clean' ? EXIT.ok : EXIT.failure;
    } catch (error) {
      return requestFailed(error, session.interrupted());
    }
  });
}

/** `--json`: the documented shape first (`taskId, fixes[{id, files, fixer, diagnostics, receipt}], remaining, rolledBack`), then the rest. */
function jsonView(r: FixResult) {
  return {
    taskId: r.taskId,
    status: r.status,
    fixes: r.fixes.map((f) => ({
      id: f.id,
      files: f.files,
      fixer: f.fixer,
      diagnostics: f.diagnostics,
      receipt: f.receipt ?? null,
      status: f.status,
      fixedCount: f.fixedCount,
      introduced: f.introduced,
      brokenTests: f.brokenTests,
      ...(f.reason ? { reason: f.reason } : {}),
      changes: f.changes.map((c) => ({ path: c.path, before: c.before, after: c.after, diff: c.diff })),
    })),
    remaining: r.remaining,
    rolledBack: r.rolledBack,
    checks: r.checks,
    ...(r.tests ? { tests: r.tests } : {}),
    ...(r.checkpoint ? { checkpoint: r.checkpoint } : {}),
    notes: r.notes,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
  };
}

export async function receiptsCommand(args: string[]): Promise<number> {
  const verify = args[0] === 'verify';
  const { values, positionals } = parseArgs({
    args: verify ? args.slice(1) : args,
    allowPositionals: true,
    options: {
      workspace: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${RECEIPTS_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1)
    throw new UsageError(
      `navi receipts${verify ? ' verify' : ''} takes one ${verify ? 'ID or FILE' : 'PATH'}.`,
    );
  if (verify && positionals.length === 0)
    throw new UsageError('navi receipts verify needs a receipt id or file.');
  const place = await resolvePlace(verify ? values.workspace : positionals[0], undefined);
  return withSession(place, values.json, values.verbose, `cli-receipts-${process.pid}`, async (session) => {
    try {
      if (!verify) {
        const raw = await session.agent.connection.sendRequest(requests.receipts.type, {
          root: place.workspaceRoot,
        });
        const parsed = ReceiptsResult.safeParse(raw);
        if (!parsed.success) throw new Error('The agent sent a malformed receipts list.');
        if (values.json) process.stdout.write(`${JSON.stringify(parsed.data, null, 2)}\n`);
        else process.stdout.write(`${formatReceipts(parsed.data)}\n`);
        return EXIT.ok;
      }
      const target = positionals[0]!;
      const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(target);
      const envelope = byId ? undefined : readEnvelope(target);
      const raw = await session.agent.connection.sendRequest(requests.receiptVerify.type, {
        root: place.workspaceRoot,
        ...(byId ? { id: target } : { envelope }),
      });
      const parsed = ReceiptVerifyResult.safeParse(raw);
      if (!parsed.success) throw new Error('The agent sent a malformed verification result.');
      const v = parsed.data;
      if (values.json) process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
      else {
        const mark = v.status === 'verified' ? style.green('✓ verified') : style.red(`✗ ${v.status}`);
        process.stdout.write(`${mark}${v.keyid ? style.dim(`  key ${v.keyid.slice(0, 16)}…`) : ''}\n`);
        for (const r of v.reasons) process.stdout.write(`  ${r}\n`);
        for (const s of v.subjects)
          process.stdout.write(
            `  ${s.actual === s.expected ? style.green('=') : style.red('≠')} ${s.path}\n`,
          );
      }
      return v.status === 'verified' ? EXIT.ok : EXIT.failure;
    } catch (error) {
      return requestFailed(error, session.interrupted());
    }
  });
}

/** A receipt file: a stored record (`{envelope}`) or a bare DSSE envelope; the agent checks it. */
function readEnvelope(file: string): string {
  let text: string;
  try {
    if (fs.statSync(file).size > 8 << 20)
      throw new UsageError(`${file} is larger than 8 MiB: not a receipt.`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${file}: not a receipt id or a readable file.`);
  }
  try {
    const json = JSON.parse(text) as { envelope?: unknown };
    return json && typeof json === 'object' && 'envelope' in json ? JSON.stringify(json.envelope) : text;
  } catch {
    return text; // the agent says it is not JSON
  }
}

function formatReceipts(r: ReceiptsResult): string {
  if (r.receipts.length === 0) return 'No receipts in this workspace yet (navi fix issues them).';
  const marks = {
    verified: style.green('✓'),
    failed: style.red('✗'),
    stale: style.yellow('~'),
    invalid: style.red('!'),
  };
  const lines: string[] = [];
  for (const x of r.receipts) {
    lines.push(
      `${marks[x.status]} ${x.status.padEnd(8)} ${x.id}  ${style.dim(x.issuedAt)}  ${x.fixer?.name ?? ''}`,
      `    ${x.files.map((f) => f.path).join(', ')}`,
    );
    for (const reason of x.reasons.slice(0, 3)) lines.push(style.dim(`    ${reason}`));
  }
  return lines.join('\n');
}

export async function rollbackCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      task: { type: 'string' },
      fix: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${ROLLBACK_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError('navi rollback takes at most one PATH.');
  if (values.task && values.fix) throw new UsageError('Give --task or --fix, not both.');
  const place = await resolvePlace(positionals[0], undefined);
  if (
    !values.yes &&
    !(await confirm(
      `Roll back ${values.fix ?? values.task ?? 'the last fix task'} in ${place.workspaceRoot}?`,
    ))
  )
    return EXIT.failure;
  return withSession(place, values.json, values.verbose, `cli-rollback-${process.pid}`, async (session) => {
    try {
      const raw = await session.agent.connection.sendRequest(requests.rollback.type, {
        root: place.workspaceRoot,
        trusted: true,
        ...(values.task ? { taskId: values.task } : {}),
        ...(values.fix ? { fixId: values.fix } : {}),
      });
      const parsed = RollbackResult.safeParse(raw);
      if (!parsed.success) throw new Error('The agent sent a malformed rollback result.');
      const r = parsed.data;
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else if (r.nothing) process.stdout.write('Nothing to roll back.\n');
      else {
        process.stdout.write(`Rolled back ${r.fixIds.join(', ')}\n`);
        for (const p of r.restored) process.stdout.write(`  restored ${p}\n`);
        for (const p of r.deleted) process.stdout.write(`  removed  ${p} (NAVI created it)\n`);
        for (const c of r.conflicts)
          process.stdout.write(`  ${style.yellow('kept')}     ${c.path}: you changed it after the fix\n`);
        for (const n of r.notRestored)
          process.stdout.write(`  ${style.red('left')}     ${n.path}: ${n.reason}\n`);
      }
      return EXIT.ok;
    } catch (error) {
      return requestFailed(error, session.interrupted());
    }
  });
}

/** A yes/no question on the terminal; without one, no (the user must pass --yes). */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    process.stderr.write(`navi: ${question} Not confirmed: no terminal to ask on; pass --yes.\n`);
    return false;
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
