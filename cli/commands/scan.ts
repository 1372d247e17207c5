import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../protocol/errors';
import { ScanReport, Severity } from '../../protocol/scanReport';
import * as requests from '../../protocol/requests';
import { startAgent, CancellationTokenSource, type AgentLogLine } from '../agentClient';
import { EXIT, UsageError } from '../common';
import { formatReport, formatSummary, style } from '../format';

export const SCAN_HELP = `Usage: navi scan [PATH] [--json] [--all] [--fail-on SEVERITY] [--verbose]

Scan a repository (default: the current directory) read-only: files and languages, projects and
their install/build/lint/typecheck/format/test/start commands, CI, risks (committed secrets,
.env files, large files, missing lockfiles, no tests, no CI, no .gitignore) and next steps.

Options:
  --json              Print the report as JSON (fields: docs/protocol.md) instead of a summary.
  --all               List every project with its commands and every workspace folder (a big
                      monorepo's projects are otherwise summarised by folder).
  --fail-on SEVERITY  Exit 1 when a risk of this severity or worse is found
                      (critical, high, medium, low, info). For CI pipelines.
  --verbose           Print the agent's log lines on stderr.`;

export async function scanCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      'fail-on': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${SCAN_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`navi scan takes one PATH, got ${positionals.length}.`);
  let failOn: Severity | undefined;
  if (values['fail-on'] !== undefined) {
    const parsed = Severity.safeParse(values['fail-on']);
    if (!parsed.success) throw new UsageError(`--fail-on must be one of ${Severity.options.join(', ')}.`);
    failOn = parsed.data;
  }
  const root = path.resolve(positionals[0] ?? '.');
  if (!fs.existsSync(root)) {
    process.stderr.write(`navi: ${root} does not exist.\n`);
    return EXIT.failure;
  }

  const interactive = !values.json && process.stderr.isTTY === true;
  const agent = await startAgent({
    initializationOptions: { client: 'cli' },
    onLog: (line) => values.verbose && process.stderr.write(`${logPrefix(line)} ${line.message}\n`),
    onProgress: (_token, value) => {
      if (interactive && value.kind === 'report' && value.message) {
        process.stderr.write(
          `\r\x1b[2K${style.dim(value.message.slice(0, (process.stderr.columns ?? 80) - 1))}`,
        );
      }
    },
  });
  const cancel = new CancellationTokenSource();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    cancel.cancel();
  };
  process.on('SIGINT', onSigint);
  const clearLine = () => interactive && process.stderr.write('\r\x1b[2K');
  const scanId = `cli-${process.pid}`;
  agent.connection.onNotification(requests.scanSummary.type, (raw) => {
    const parsed = requests.ScanSummaryParams.safeParse(raw);
    if (!values.json && parsed.success && parsed.data.scanId === scanId) {
      clearLine();
      process.stdout.write(formatSummary(parsed.data.summary, { all: values.all }));
    }
  });
  try {
    const raw = await Promise.race([
      agent.connection.sendRequest(requests.scan.type, { root, scanId, workDoneToken: scanId }, cancel.token),
      agent.exited,
    ]);
    clearLine();
    const report = ScanReport.safeParse(raw);
    if (!report.success) {
      process.stderr.write(`navi: the agent sent a malformed report (${report.error.issues[0]?.message}).\n`);
      return EXIT.failure;
    }
    process.stdout.write(
      values.json ? `${JSON.stringify(report.data, null, 2)}\n` : formatReport(report.data),
    );
    if (failOn && report.data.risks.some((r) => atLeast(r.severity, failOn))) {
      if (!values.json) process.stderr.write(`navi: risks at or above "${failOn}" found (--fail-on).\n`);
      return EXIT.failure;
    }
    return EXIT.ok;
  } catch (error) {
    clearLine();
    if (interrupted || (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled)) {
      process.stderr.write('navi: scan cancelled.\n');
      return EXIT.interrupted;
    }
    if (error instanceof ResponseError) {
      const hint = (error.data as { hint?: string } | undefined)?.hint;
      process.stderr.write(`navi: ${error.message}${hint ? `\n${hint}` : ''}\n`);
      return error.code === ErrorCodes.InvalidParams ? EXIT.usage : EXIT.failure;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    await agent.dispose();
  }
}

const ORDER = Severity.options; // critical first
function atLeast(severity: Severity, threshold: Severity): boolean {
  return ORDER.indexOf(severity) <= ORDER.indexOf(threshold);
}

function logPrefix(line: AgentLogLine): string {
  return ['', '[error]', '[warn]', '[info]', '[debug]'][line.type] ?? '[log]';
}
