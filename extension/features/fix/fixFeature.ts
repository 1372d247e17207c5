import * as vscode from 'vscode';
import * as z from 'zod';
import { Diagnostic } from '../../../protocol/diagnostics';
import { editorQuickFixes, modelChat } from '../../../protocol/requests';
import type { Agent } from '../../client';
import type { FixHostMessage, FixPanelMessage } from '../../../protocol/fixMessages';
import { FixCodeActionProvider } from './codeActions';
import { FixDiffs } from './fixDiff';
import type { FixRunOptions } from './fixRequest';
import { FixRunController } from './fixRuns';
import { answerModelChat } from './modelChat';
import { answerEditorQuickFixes } from './quickFixes';
import { ModelSettingsReader } from './modelSettings';

/** What `navi.fixProblems` accepts: `{ files, diagnostics }` from the code action (or a test). */
const FixCommandArgs = z.object({
  files: z.array(z.string().min(1).max(4096)).max(10_000).optional(),
  diagnostics: z.array(Diagnostic).max(10_000).optional(),
});

/**
 * Fix with verification in VS Code: NAVI: Fix Problems, the "Fix with NAVI (verified)" quick
 * fix, the panel's Fixes card (diffs, receipts, Keep, Roll back, Open Diff), the model settings
 * and NAVI: Set Model API Key, and the answers to the agent's `navi/modelChat` through VS Code's
 * Language Model API. One object for the sidebar host and the command table.
 */
export class FixFeature implements vscode.Disposable {
  readonly runs: FixRunController;
  private readonly models: ModelSettingsReader;
  private readonly diffs: FixDiffs;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    agent: Agent,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.models = new ModelSettingsReader(context.secrets, log);
    this.runs = new FixRunController(agent, this.models, log);
    this.diffs = new FixDiffs((fixId) => this.runs.tasks.find(fixId)?.fix, log);
    agent.handleRequests((client) =>
      client.onRequest(modelChat.type, (raw, token) => answerModelChat(raw, token, this.log)),
    );
    agent.handleRequests((client) =>
      client.onRequest(editorQuickFixes.type, (raw, token) => answerEditorQuickFixes(raw, token, this.log)),
    );
    this.disposables.push(
      this.runs,
      this.diffs,
      vscode.languages.registerCodeActionsProvider(
        { scheme: 'file' },
        new FixCodeActionProvider(),
        FixCodeActionProvider.metadata,
      ),
    );
  }

  /** Fix task events for the panel. */
  get onMessage(): vscode.Event<FixHostMessage> {
    return this.runs.onMessage;
  }

  replay(): FixHostMessage[] {
    return this.runs.replay();
  }

  /** Handles a (validated) panel message of this feature. */
  async receive(message: FixPanelMessage): Promise<void> {
    switch (message.kind) {
      case 'fixProblems':
        await this.runs.run(message.scope === 'workspace' ? { workspace: true } : {});
        return;
      case 'cancelFix':
        this.runs.stop(message.runId);
        return;
      case 'openFixDiff': {
        const found = this.runs.tasks.find(message.fixId);
        if (found) await this.diffs.open(found.task.root, message.fixId, message.path);
        return;
      }
      case 'keepFix':
        await this.runs.keep(message.fixId);
        return;
      case 'rollbackFix':
        await this.runs.rollback(message.fixId);
        return;
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  /** The command handlers (the command table maps ids to these). */
  commands() {
    return {
      /**
       * Fixes problems with verification: asks workspace or current file, unless given `{ files,
       * diagnostics }` (the quick fix). Resolves with the agent's FixResult.
       */
      'navi.fixProblems': (args?: unknown) => this.runs.run(this.fixArgs(args)),
      /** Stores (or removes) the API key of the configured model provider in SecretStorage. */
      'navi.setModelApiKey': () => this.models.setApiKey(),
    };
  }

  private fixArgs(args: unknown): FixRunOptions {
    if (args === undefined || args instanceof vscode.Uri) return args ? { files: [args.fsPath] } : {};
    const parsed = FixCommandArgs.safeParse(args);
    if (!parsed.success) {
      this.log.warn(
        `navi.fixProblems: ignored arguments that do not fit: ${parsed.error.issues[0]?.message ?? ''}`,
      );
      return {};
    }
    return {
      ...(parsed.data.files ? { files: parsed.data.files } : {}),
      ...(parsed.data.diagnostics ? { diagnostics: parsed.data.diagnostics } : {}),
    };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
