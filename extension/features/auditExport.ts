import * as os from 'node:os';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { AuditExportParams, AuditExportResult, auditExport } from '../../protocol/requests';
import type { Agent } from '../client';

const FORMATS: { label: string; format: AuditExportParams['format']; detail: string }[] = [
  {
    label: 'CSV',
    format: 'csv',
    detail: 'For spreadsheets: RFC 4180, cells that could run as formulas are neutralised',
  },
  { label: 'JSON', format: 'json', detail: 'One array of events, each exactly as recorded (re-hashable)' },
  { label: 'NDJSON', format: 'ndjson', detail: 'One event per line, exactly as recorded' },
];

/**
 * NAVI: Export Audit Trail… — the agent streams its audit log to a file the user picks. Tests
 * (and other extensions) pass `{ format, output }` to skip the questions.
 */
export async function exportAuditTrail(
  agent: Agent,
  log: vscode.LogOutputChannel,
  arg?: unknown,
): Promise<AuditExportResult | undefined> {
  const given = AuditExportParams.partial().safeParse(arg ?? {});
  let format = given.success ? given.data.format : undefined;
  let output = given.success ? given.data.output : undefined;
  if (!format) {
    const pick = await vscode.window.showQuickPick(FORMATS, {
      title: 'NAVI: Export Audit Trail',
      placeHolder: 'Format',
    });
    if (!pick) return undefined;
    format = pick.format;
  }
  if (!output) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const day = new Date().toISOString().slice(0, 10);
    const target = await vscode.window.showSaveDialog({
      title: 'Export the NAVI audit trail',
      defaultUri: vscode.Uri.joinPath(folder, `navi-audit-${day}.${format}`),
      filters: { [format.toUpperCase()]: [format] },
    });
    if (!target) return undefined;
    output = target.fsPath;
  }
  try {
    const client = await agent.ready();
    const params: AuditExportParams = {
      format,
      output,
      ...(given.success && given.data.since ? { since: given.data.since } : {}),
    };
    const result = AuditExportResult.parse(await client.sendRequest(auditExport.type, params));
    log.info(
      `Exported the audit trail (${result.auditLog}) as ${format} to ${result.file} (${result.bytes} bytes).`,
    );
    if (arg === undefined) {
      const choice = await vscode.window.showInformationMessage(
        `Exported the NAVI audit trail to ${result.file}.`,
        'Open',
      );
      if (choice) await vscode.window.showTextDocument(vscode.Uri.file(result.file));
    }
    return result;
  } catch (error) {
    const hint =
      error instanceof ResponseError ? (error.data as { hint?: string } | undefined)?.hint : undefined;
    const message = error instanceof Error ? error.message : String(error);
    log.warn(`Audit export failed: ${message}`);
    void vscode.window.showErrorMessage(
      `NAVI could not export the audit trail: ${message}${hint ? ` ${hint}` : ''}`,
    );
    return undefined;
  }
}
