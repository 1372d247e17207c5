import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';
import * as requests from '../protocol/requests';
import { connectionLogger } from './log';
import { handle } from './router';
import { scan } from './tasks/scan';
import { NAVI_VERSION } from './version';

/**
 * The agent process: the only composition root. Transport comes from argv (`--stdio` for the CLI,
 * `--node-ipc` when VS Code starts it). It never imports `vscode`.
 */
const connection = createConnection(ProposedFeatures.all);
const log = connectionLogger(connection);

process.on('unhandledRejection', (reason) => log.error('Unhandled promise rejection in the agent', reason));

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.None },
  serverInfo: { name: 'navi-agent', version: NAVI_VERSION },
}));

connection.onInitialized(() =>
  log.info(`NAVI agent ${NAVI_VERSION} ready (pid ${process.pid}, node ${process.version})`),
);

handle(connection, log, requests.agentInfo, async () => ({
  version: NAVI_VERSION,
  pid: process.pid,
  node: process.version,
  tasks: ['scan'],
}));

handle(connection, log, requests.scan, (params, ctx) =>
  scan(params, {
    ...ctx,
    onSummary: (summary) =>
      void connection.sendNotification(requests.scanSummary.type, { scanId: params.scanId, summary }),
  }),
);

connection.listen();
