import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent } from '../agentClient';
import { verboseLog } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { connectOrg, resolveControlPlaneUrl } from '../orgSession';

export const AUDIT_UPLOAD_HELP = `Usage:
  navi audit upload [--control-plane URL] [--timeout SECONDS] [--audit-log FILE] [--json] [--verbose]

Uploads the audit events the org's control plane does not have yet (from the upload cursor),
and waits until it acknowledged them or the timeout passed. NAVI's agents upload by themselves
while signed in; this flushes explicitly (CI, before a machine is shut down).

Options:
  --control-plane URL  The control plane. Default: NAVI_CONTROL_PLANE_URL, else
                       "controlPlane": {"url": …} in ~/.config/navi/config.json.
  --timeout SECONDS    How long to keep trying (default 60).
  --audit-log FILE     The log to upload (default: the CLI's, $XDG_STATE_HOME/navi/audit.ndjson).
  --json               Print the status as JSON.

The token is NAVI_TOKEN, else the "navi login" session. Exit codes: 0 everything is uploaded,
1 events are still pending (or none could be sent), 2 bad usage (no control plane, not signed in).`;

/** `navi audit upload …` (args after `upload`). */
export async function auditUploadCommand(
  args: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      'control-plane': { type: 'string' },
      timeout: { type: 'string' },
      'audit-log': { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(`${AUDIT_UPLOAD_HELP}\n`);
    return EXIT.ok;
  }
  const timeout = Number(values.timeout ?? 60);
  if (!Number.isFinite(timeout) || timeout < 0 || timeout > 600)
    throw new UsageError('--timeout must be a number of seconds between 0 and 600.');
  const url = resolveControlPlaneUrl(values['control-plane']);
  if (!url)
    throw new UsageError(
      'no control plane: pass --control-plane URL, set NAVI_CONTROL_PLANE_URL, or "controlPlane": {"url": …} in ~/.config/navi/config.json.',
    );
  const agent = await startAgent({
    initializationOptions: {
      client: 'cli',
      ...(values['audit-log'] ? { auditLog: path.resolve(values['audit-log']) } : {}),
    },
    onLog: verboseLog(values.verbose),
  });
  try {
    const org = await connectOrg(agent, { controlPlaneUrl: url });
    if (!org.active) throw new UsageError('not signed in: run "navi login" or set NAVI_TOKEN.');
    const status = (await org.flush(Math.round(timeout * 1000)))!;
    if (values.json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    else {
      io.stdout.write(
        `Uploaded to ${url} (org ${status.org}): ${status.inserted} new, ${status.duplicates} already there` +
          `${status.skipped ? `, ${status.skipped} refused (see the upload record in the state folder)` : ''}; ` +
          `${status.pending} pending.\n`,
      );
      if (status.pending && status.lastError)
        io.stderr.write(`navi: the upload stopped: ${status.lastError}\n`);
    }
    return status.pending === 0 ? EXIT.ok : EXIT.failure;
  } finally {
    await agent.dispose();
  }
}
