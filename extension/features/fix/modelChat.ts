import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../../protocol/errors';
import { ModelChatParams, ModelChatResult } from '../../../protocol/fix';
import { readModelSetting } from './modelSettings';

/**
 * `navi/modelChat` (server → client): one chat turn through VS Code's Language Model API, for
 * fix tasks whose model provider is `vscode-lm`. The agent builds the prompt and checks whatever
 * the model proposes like any other fix; this only picks the model, sends the turn, streams the
 * answer into one text and counts tokens where the model can.
 */

/** Shown by VS Code when it asks the person whether NAVI may use a language model. */
export const MODEL_CHAT_JUSTIFICATION =
  'NAVI asks a language model to fix errors its own fixers could not fix. Every change is checked by your project’s checkers before NAVI keeps it.';

/** The longest answer kept (the protocol's `ModelChatResult.text` limit); the stream is stopped there. */
const MAX_TEXT = 4_000_000;

/** The error code of a model failure; `data.reason` says which failure it was. */
const MODEL_ERROR = ErrorCodes.ModelUnavailable;

export type ModelFailure =
  | 'restricted-mode'
  | 'not-configured'
  | 'no-api'
  | 'no-model'
  | 'no-permission'
  | 'blocked'
  | 'not-found'
  | 'too-long'
  | 'failed';

function failure(
  reason: ModelFailure,
  message: string,
  hint?: string,
): ResponseError<{ reason: ModelFailure; hint?: string }> {
  return new ResponseError(MODEL_ERROR, message, { reason, ...(hint ? { hint } : {}) });
}

/**
 * Answers one `navi/modelChat` request. Throws a `ResponseError`: -32602 for params that do not
 * fit the schema, -32800 when cancelled, 41004 in Restricted Mode, else 41009 with `data.reason`
 * (`not-configured`, `no-api`, `no-model`, `no-permission`, `blocked`, `not-found`, `too-long`,
 * `failed`) and `data.hint`.
 */
export async function answerModelChat(
  raw: unknown,
  token: vscode.CancellationToken,
  log: vscode.LogOutputChannel,
): Promise<ModelChatResult> {
  const parsed = ModelChatParams.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ResponseError(
      ErrorCodes.InvalidParams,
      `navi/modelChat: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  const params = parsed.data;
  if (!vscode.workspace.isTrusted)
    throw new ResponseError(ErrorCodes.WorkspaceNotTrusted, 'NAVI asks no model in Restricted Mode.', {
      hint: 'Trust this workspace to let NAVI fix problems.',
    });
  // The agent asks only when a fix task was given `vscode-lm`, which the extension sends from
  // this setting; checked again so nothing spends the person's model quota without their say.
  if (readModelSetting('model.provider', log) !== 'vscode-lm')
    throw failure(
      'not-configured',
      'NAVI is not set to use VS Code’s language models (navi.model.provider is not vscode-lm).',
      'Set navi.model.provider to vscode-lm in your user settings.',
    );
  if (typeof vscode.lm?.selectChatModels !== 'function')
    throw failure('no-api', `This VS Code (${vscode.version}) has no Language Model API.`, 'Update VS Code.');

  const model = await pickModel(params.model);
  const messages = toChatMessages(params);
  const inputTokens = await countAll(model, messages, token);
  if (inputTokens !== undefined && model.maxInputTokens > 0 && inputTokens > model.maxInputTokens)
    throw failure(
      'too-long',
      `The prompt has ${inputTokens} tokens; ${model.name} takes at most ${model.maxInputTokens}.`,
      'Fix fewer files at a time, or choose a model with a larger context (navi.model.name).',
    );

  // One source for the request: the agent's cancellation, or ours when the answer gets too long.
  const stop = new vscode.CancellationTokenSource();
  const sub = token.onCancellationRequested(() => stop.cancel());
  let text = '';
  let cut = false;
  try {
    const response = await model.sendRequest(
      messages,
      { justification: MODEL_CHAT_JUSTIFICATION },
      stop.token,
    );
    for await (const part of response.text) {
      text += part;
      if (text.length > MAX_TEXT) {
        text = text.slice(0, MAX_TEXT);
        cut = true;
        stop.cancel();
        break;
      }
    }
  } catch (error) {
    if (token.isCancellationRequested) throw cancelled();
    throw describeModelError(error, model);
  } finally {
    sub.dispose();
    stop.dispose();
  }
  if (token.isCancellationRequested) throw cancelled();
  if (cut) log.warn(`The answer of ${model.id} was cut at ${MAX_TEXT} characters.`);
  const outputTokens = await count(model, text, token);
  log.info(
    `Model ${model.id}: ${inputTokens ?? '?'} tokens in, ${outputTokens ?? '?'} out, ${text.length} characters.`,
  );
  return ModelChatResult.parse({
    text,
    model: model.id.slice(0, 200),
    ...(inputTokens !== undefined ? { inputTokens } : {}),
    ...(outputTokens !== undefined ? { outputTokens } : {}),
  });
}

/** The model named by id, else by family; the first model VS Code offers when no name is given. */
async function pickModel(name: string | undefined): Promise<vscode.LanguageModelChat> {
  if (name) {
    const byId = await vscode.lm.selectChatModels({ id: name });
    if (byId[0]) return byId[0];
    const byFamily = await vscode.lm.selectChatModels({ family: name });
    if (byFamily[0]) return byFamily[0];
  }
  const all = await vscode.lm.selectChatModels();
  if (!name && all[0]) return all[0];
  const names = [...new Set(all.map((m) => m.id))].slice(0, 10);
  throw failure(
    'no-model',
    name ? `VS Code has no language model "${name}".` : 'VS Code has no language model.',
    names.length
      ? `Set navi.model.name to one of: ${names.join(', ')}.`
      : 'Install and sign in to an extension that provides language models (GitHub Copilot Chat, say), or choose another navi.model.provider.',
  );
}

/**
 * The protocol's turn as VS Code chat messages. The stable API has no system role, so the system
 * text leads the first user message (or is a user message of its own before an assistant turn).
 */
export function toChatMessages(params: ModelChatParams): vscode.LanguageModelChatMessage[] {
  const out: vscode.LanguageModelChatMessage[] = [];
  const system = params.system.trim();
  params.messages.forEach((m, i) => {
    if (i === 0 && system && m.role === 'user') {
      out.push(vscode.LanguageModelChatMessage.User(`${system}\n\n${m.content}`));
      return;
    }
    if (i === 0 && system) out.push(vscode.LanguageModelChatMessage.User(system));
    out.push(
      m.role === 'user'
        ? vscode.LanguageModelChatMessage.User(m.content)
        : vscode.LanguageModelChatMessage.Assistant(m.content),
    );
  });
  return out;
}

async function countAll(
  model: vscode.LanguageModelChat,
  messages: vscode.LanguageModelChatMessage[],
  token: vscode.CancellationToken,
): Promise<number | undefined> {
  let total = 0;
  for (const m of messages) {
    const n = await count(model, m, token);
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

/** The model's own token count, when it gives one. */
async function count(
  model: vscode.LanguageModelChat,
  input: string | vscode.LanguageModelChatMessage,
  token: vscode.CancellationToken,
): Promise<number | undefined> {
  try {
    const n = await model.countTokens(input, token);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function cancelled(): ResponseError<void> {
  return new ResponseError(ErrorCodes.RequestCancelled, 'The model request was cancelled.');
}

/** A Language Model API failure as a ResponseError that says what happened and what to do. */
function describeModelError(error: unknown, model: vscode.LanguageModelChat): ResponseError<unknown> {
  if (error instanceof ResponseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // `LanguageModelError.code` is the name of the factory that made it (NoPermissions, Blocked, NotFound).
  const code = error instanceof vscode.LanguageModelError ? error.code : undefined;
  switch (code) {
    case 'NoPermissions':
      return failure(
        'no-permission',
        `VS Code did not let NAVI use ${model.name}: ${message}`,
        'Allow NAVI to use language models when VS Code asks (Manage Language Model Access), or choose another navi.model.provider.',
      );
    case 'Blocked':
      return failure(
        'blocked',
        `${model.name} refused the request: ${message}`,
        'The provider blocked it (a quota or a content filter); try again later or choose another model.',
      );
    case 'NotFound':
      return failure(
        'not-found',
        `${model.name} is no longer available: ${message}`,
        'Choose another model in navi.model.name.',
      );
    default:
      return failure(
        'failed',
        `${model.name} failed: ${message}`,
        'See the log of the extension that provides the model.',
      );
  }
}
