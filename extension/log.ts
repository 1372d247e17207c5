import * as vscode from 'vscode';

/**
 * The one "NAVI" log channel, shared by the extension and the agent (the language client writes
 * the agent's `window/logMessage` lines into it). Never opened automatically.
 */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('NAVI', { log: true });
}
