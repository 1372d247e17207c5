import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CancellationTokenSource,
  createConnection,
  ProposedFeatures,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { ApprovalResult } from '../protocol/approvals';
import { ErrorCodes, NaviError } from '../protocol/errors';
import * as requests from '../protocol/requests';
import { exportAudit } from './audit/export';
import { openAuditLog, type AuditLog } from './audit/log';
import { AlwaysAllowStore, listAlwaysAllow, revokeAlwaysAllow } from './exec/alwaysAllow';
import { check, run, type PipelinePorts } from './exec/pipeline';
import { FilePolicyLoader } from './exec/policyLayers';
import { pruneCommandLogs } from './exec/logRetention';
import { killAllCommands, logsInUse } from './exec/runner';
import { initParser, parseCommandLine } from './exec/parse';
import { probeSandbox } from './exec/sandbox';
import { connectionLogger } from './log';
import { handle } from './router';
import { defaultStateDir, MACHINE_ORG_POLICY, userPolicyPath } from './state';
import { scan } from './tasks/scan';
import { loadProfile, profileCommand, saveProfile } from './tasks/profile';
import { profileConfirmation } from './tasks/profileApproval';
import { RUNNER_ADAPTERS } from './tasks/test/runners';
import { runTests } from './tasks/test/runTests';
import { runFix } from './tasks/fix/fixTask';
import { keepFix, rollbackRequest } from './tasks/fix/fixRollback';
import { listReceipts, verifyOne } from './tasks/fix/receiptList';
import { EditorQuickFixesResult, ModelChatResult } from '../protocol/fix';
import { AppManager } from './tasks/start/apps';
import { OrgService } from './org/orgService';
import { metricsOfAuditLog } from './metrics/read';
import { NAVI_VERSION } from './version';
import { launchCacheStatus } from './launchCache';

/**
 * The agent process: the only composition root. Transport comes from argv (`--stdio` for the CLI,
 * `--node-ipc` when VS Code starts it). It never imports `vscode`.
 */
const connection = createConnection(ProposedFeatures.all);
const log = connectionLogger(connection);

process.on('unhandledRejection', (reason) => log.error('Unhandled promise rejection in the agent', reason));
// Commands run in their own process groups: stop them when the agent goes, however it goes.
process.on('exit', () => killAllCommands());
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
  process.on(signal, () => {
    killAllCommands();
    process.exit(128 + (os.constants.signals[signal] ?? 15));
  });

// What the first command needs is made ready while the client handshakes: the sandbox probe (a
// bubblewrap process) and the shell parser, whose WebAssembly compiles off the main thread, with
// one parse so its lexer is compiled too. A failure here is reported by the command that needs it.
void probeSandbox();
void initParser()
  .then(() => parseCommandLine('cd app && npm test -- --runInBand 2>&1 | tee "$LOG" > /dev/null'))
  .catch(() => undefined);

let options: requests.InitializationOptions = { client: 'cli' };

// Old command logs go (server/exec/logRetention.ts): a while after start, so the first command
// does not wait for it, and then every hour for an agent that stays up (VS Code's).
const pruneLogs = () =>
  void pruneCommandLogs(path.join(stateDir(), 'logs'), { inUse: logsInUse() })
    .then((r) => {
      if (r.removed)
        log.info(`Removed ${r.removed} old command logs (${Math.round(r.freedBytes / 1048576)} MB).`);
    })
    .catch((error: unknown) => log.warn(`Could not clean up old command logs: ${String(error)}`));
setTimeout(pruneLogs, 3_000).unref();
setInterval(pruneLogs, 60 * 60_000).unref();

connection.onInitialize((init) => {
  const parsed = requests.InitializationOptions.safeParse(init.initializationOptions ?? { client: 'cli' });
  if (parsed.success) options = parsed.data;
  else
    log.warn(
      `Ignored invalid initializationOptions: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  return {
    capabilities: { textDocumentSync: TextDocumentSyncKind.None },
    serverInfo: { name: 'navi-agent', version: NAVI_VERSION },
  };
});

connection.onInitialized(() => {
  log.info(`NAVI agent ${NAVI_VERSION} ready (pid ${process.pid}, node ${process.version})`);
  void probeSandbox().then((probe) =>
    probe.available
      ? log.info('Commands run in the bubblewrap sandbox.')
      : log.warn(
          `Commands run without an OS sandbox: ${probe.reason}. Only read-only commands run without asking.`,
        ),
  );
});

const stateDir = () => options.stateDir ?? defaultStateDir();
const auditPath = () => options.auditLog ?? path.join(stateDir(), 'audit.ndjson');

/** The audit log opens on first use (a scan writes nothing), once per agent process. */
let audit: Promise<AuditLog> | undefined;
function auditLog(): Promise<AuditLog> {
  audit ??= openAuditLog(auditPath(), { client: options.client }).catch((error: unknown) => {
    audit = undefined; // try again next time
    throw error;
  });
  return audit;
}

/** Audit appends wait for the log to open; a log that cannot open fails the append (nothing runs). */
const lazyAudit: PipelinePorts['audit'] = {
  append: async (event) => withUpload(await (await auditLog()).append(event)),
  appendAll: async (events) => withUpload(await (await auditLog()).appendAll(events)),
};
/** Every local append nudges the org upload (server/org/, docs/org.md). */
function withUpload<T>(stored: T): T {
  org.appended();
  return stored;
}

const policies = new FilePolicyLoader({
  orgFile: MACHINE_ORG_POLICY,
  userFile: userPolicyPath(),
  onChange: async (change) => {
    log.info(
      `Policy ${change.layer} layer: ${change.sha256 ? 'loaded' : 'removed'} ${change.path} (${change.ruleIds.length} rules)`,
    );
    await lazyAudit.append({
      type: 'policy.changed',
      actor: { kind: 'system' },
      data: { layer: change.layer, path: change.path, sha256: change.sha256, ruleIds: change.ruleIds },
    });
  },
});

const org = new OrgService({
  stateDir,
  auditFile: auditPath,
  loader: policies,
  log,
  requestToken: async (params) => {
    const parsed = requests.OrgTokenResult.safeParse(
      await connection.sendRequest(requests.orgToken.type, params),
    );
    return parsed.success ? parsed.data : { signedOut: true };
  },
});
const orgPolicies = org.policyLoader(policies);

connection.onNotification(requests.orgSession.method, (raw: unknown) => {
  const parsed = requests.OrgSessionParams.safeParse(raw);
  if (parsed.success) org.setSession(parsed.data);
  else
    log.warn(
      `navi/orgSession: ignored invalid params (${parsed.error.issues.map((i) => i.message).join('; ')})`,
    );
});

handle(connection, log, requests.auditUpload, (params) => org.flush(params.timeoutMs ?? 30_000));

/** The "always allow" store; every change is announced so the panel lists the entries again. */
function alwaysAllowStore(): AlwaysAllowStore {
  return new AlwaysAllowStore(path.join(stateDir(), 'always-allow.json'), {
    onChange: (workspaceRoot, change) =>
      void connection.sendNotification(requests.alwaysAllowChanged.type, { workspaceRoot, change }),
  });
}

function ports(): PipelinePorts {
  return {
    audit: lazyAudit,
    policies: orgPolicies,
    org: org.gate,
    alwaysAllow: alwaysAllowStore(),
    sandbox: () => probeSandbox(),
    logDir: path.join(stateDir(), 'logs'),
    approvalTimeoutMs: options.approvalTimeoutMs ?? 5 * 60_000,
    home: os.homedir(),
    log,
    async requestApproval(params, signal) {
      const cancel = new CancellationTokenSource();
      signal.addEventListener('abort', () => cancel.cancel(), { once: true });
      const raw: unknown = await connection.sendRequest(requests.approval.type, params, cancel.token);
      // The client's answer is validated like any other message: a malformed one is a deny.
      const parsed = ApprovalResult.safeParse(raw);
      if (!parsed.success) {
        log.warn(`The client answered navi/approval with an invalid result; treating it as deny.`);
        return { decision: 'deny', by: 'error' };
      }
      return parsed.data;
    },
  };
}

handle(connection, log, requests.agentInfo, async () => {
  const probe = await probeSandbox();
  return {
    version: NAVI_VERSION,
    pid: process.pid,
    node: process.version,
    tasks: ['scan', 'check', 'run', 'auditExport', 'metrics', 'profile', 'test', 'start', 'fix'],
    sandbox: { available: probe.available, ...(probe.reason ? { reason: probe.reason } : {}) },
    auditLog: auditPath(),
    codeCache: launchCacheStatus(),
  };
});

handle(connection, log, requests.scan, (params, ctx) =>
  scan(params, {
    ...ctx,
    onSummary: (summary) =>
      void connection.sendNotification(requests.scanSummary.type, { scanId: params.scanId, summary }),
  }),
);

handle(connection, log, requests.check, (params) => check(params, ports()));

handle(connection, log, requests.alwaysAllowList, async (params) =>
  listAlwaysAllow(params, alwaysAllowStore()),
);
handle(connection, log, requests.alwaysAllowRevoke, (params) =>
  revokeAlwaysAllow(params, { store: alwaysAllowStore(), audit: lazyAudit }),
);

handle(connection, log, requests.run, (params, ctx) =>
  run(params, ports(), {
    signal: ctx.signal,
    onOutput: (chunk, stream) =>
      connection.sendNotification(requests.commandOutput.type, { runId: params.runId, stream, chunk }),
  }),
);

handle(connection, log, requests.profile, (params, ctx) =>
  loadProfile(params.root, { stateDir: stateDir(), signal: ctx.signal }),
);

handle(connection, log, requests.profileSave, (params) =>
  saveProfile(params.root, params.projects, { stateDir: stateDir(), home: os.homedir(), audit: lazyAudit }),
);

handle(connection, log, requests.test, async (params, ctx) => {
  if (!params.trusted)
    throw new NaviError(
      ErrorCodes.WorkspaceNotTrusted,
      'This workspace is in Restricted Mode: NAVI runs no tests here.',
      {
        hint: 'Trust the workspace (Manage Workspace Trust) to let NAVI run its tests.',
      },
    );
  const resolved = await profileCommand(params.root, params.project, 'test', {
    stateDir: stateDir(),
    signal: ctx.signal,
  });
  return runTests(
    params,
    resolved,
    { pipeline: ports(), adapters: RUNNER_ADAPTERS },
    {
      signal: ctx.signal,
      onOutput: (chunk, stream) =>
        void connection.sendNotification(requests.commandOutput.type, { runId: params.runId, stream, chunk }),
      onProgress: (progress) => void connection.sendNotification(requests.testProgress.type, progress),
    },
  );
});

handle(connection, log, requests.fix, (params, ctx) =>
  runFix(
    params,
    {
      pipeline: ports(),
      stateDir: stateDir(),
      testAdapters: RUNNER_ADAPTERS,
      async modelChat(chat, signal) {
        const cancel = new CancellationTokenSource();
        signal.addEventListener('abort', () => cancel.cancel(), { once: true });
        const parsed = ModelChatResult.safeParse(
          await connection.sendRequest(requests.modelChat.type, chat, cancel.token),
        );
        if (!parsed.success) throw new Error('The editor answered navi/modelChat with an invalid result.');
        return parsed.data;
      },
      ...(options.client === 'extension'
        ? {
            async editorQuickFixes(params, signal) {
              const cancel = new CancellationTokenSource();
              signal.addEventListener('abort', () => cancel.cancel(), { once: true });
              const parsed = EditorQuickFixesResult.safeParse(
                await connection.sendRequest(requests.editorQuickFixes.type, params, cancel.token),
              );
              if (!parsed.success)
                throw new Error('The editor answered navi/editorQuickFixes with an invalid result.');
              return parsed.data;
            },
          }
        : {}),
    },
    {
      signal: ctx.signal,
      log,
      onOutput: (chunk, stream) =>
        void connection.sendNotification(requests.commandOutput.type, { runId: params.runId, stream, chunk }),
      onProgress: (progress) => void connection.sendNotification(requests.fixProgress.type, progress),
    },
  ),
);

handle(connection, log, requests.receipts, (params) => listReceipts(params.root, stateDir()));
handle(connection, log, requests.receiptVerify, (params) => verifyOne(params, stateDir()));
handle(connection, log, requests.rollback, (params) =>
  rollbackRequest(params, { pipeline: { audit: lazyAudit }, stateDir: stateDir() }),
);
handle(connection, log, requests.fixKeep, (params) =>
  keepFix(params, { pipeline: { audit: lazyAudit }, stateDir: stateDir() }),
);

const apps = new AppManager({
  log,
  onStatus: (info) => void connection.sendNotification(requests.appStatus.type, info),
});

handle(connection, log, requests.start, async (params, ctx) => {
  const resolved = await profileCommand(params.root, params.project, 'start', {
    stateDir: stateDir(),
    signal: ctx.signal,
  });
  const readyTimeoutMs = params.readyTimeoutMs ?? resolved.project.startTimeoutMs;
  const profile = await profileConfirmation(resolved.profile, resolved.project, 'start', os.homedir());
  return apps.start(
    {
      ...(profile ? { profile } : {}),
      appId: params.appId,
      root: resolved.profile.root,
      dir: resolved.dir,
      command: resolved.command.command,
      trusted: params.trusted,
      ...(readyTimeoutMs ? { readyTimeoutMs } : {}),
      ...(params.autoApprove ? { autoApprove: true } : {}),
    },
    ports(),
    {
      signal: ctx.signal,
      onOutput: (chunk, stream) =>
        void connection.sendNotification(requests.commandOutput.type, { runId: params.appId, stream, chunk }),
    },
  );
});

handle(connection, log, requests.stopApp, (params) => apps.stop(params.appId));

handle(connection, log, requests.firstWin, async (params) => {
  try {
    await lazyAudit.append({
      type: 'onboarding.firstWin',
      actor: { kind: 'system' },
      workspace: params.root,
      data: {
        panelOpenedAt: params.panelOpenedAt,
        at: params.at,
        durationMs: params.durationMs,
        via: params.via,
      },
    });
  } catch {
    throw new NaviError(ErrorCodes.AuditUnavailable, 'NAVI could not write its audit log.', {
      hint: 'Run "navi audit verify" to check the log.',
    });
  }
  return { recorded: true as const };
});

handle(connection, log, requests.metrics, async () => {
  const result = await metricsOfAuditLog(auditPath());
  const upload = await org.status();
  if (!upload.signedIn) return result;
  return {
    ...result,
    org: {
      ...(upload.org ? { org: upload.org } : {}),
      ...(upload.controlPlaneUrl ? { controlPlaneUrl: upload.controlPlaneUrl } : {}),
      pending: upload.pending,
      ...(upload.lastUploadAt ? { lastUploadAt: upload.lastUploadAt } : {}),
      ...(upload.lastError ? { lastError: upload.lastError } : {}),
      skipped: upload.skipped,
    },
  };
});

handle(connection, log, requests.auditExport, async (params) => {
  const file = auditPath();
  if (!fs.existsSync(file))
    throw new NaviError(ErrorCodes.PathNotFound, 'There is no audit trail yet.', {
      path: file,
      hint: 'NAVI starts its audit trail when it first judges or runs a command.',
    });
  const since = params.since === undefined ? undefined : new Date(params.since);
  try {
    await pipeline(
      Readable.from(exportAudit(file, { format: params.format, ...(since ? { since } : {}) })),
      fs.createWriteStream(params.output, { mode: 0o600 }),
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT' || code === 'EISDIR' || code === 'EROFS')
      throw new NaviError(ErrorCodes.PermissionDenied, `NAVI could not write ${params.output} (${code}).`, {
        path: params.output,
        hint: 'Choose a folder you can write to.',
      });
    throw error;
  }
  return { file: params.output, bytes: fs.statSync(params.output).size, auditLog: file };
});

connection.onShutdown(async () => {
  org.dispose();
  await apps.stopAll().catch((error: unknown) => log.error('Stopping the started apps failed', error));
  killAllCommands();
  await (await audit?.catch(() => undefined))?.close();
});

connection.listen();
