import type { Connection } from 'vscode-languageserver/node';
import type { Logger } from './taskContext';

/**
 * The agent logs through the connection (`window/logMessage`), so the extension shows its lines
 * in the one "NAVI" log channel and the CLI can print them with --verbose. stdout is the JSON-RPC
 * channel in stdio mode: nothing else may write to it.
 */
export function connectionLogger(connection: Connection): Logger {
  return {
    debug: (m) => connection.console.debug(m),
    info: (m) => connection.console.info(m),
    warn: (m) => connection.console.warn(m),
    error: (m, error) => connection.console.error(error === undefined ? m : `${m}\n${describe(error)}`),
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
