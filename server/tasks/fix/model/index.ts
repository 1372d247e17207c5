import { ModelChatResult, ModelSettings, type ModelChatParams } from '../../../../protocol/fix';
import { ModelError, type HttpOptions } from './http';
import { anthropic, openAiCompatible, type ModelProvider } from './providers';

export { ModelBudgetTracker, type ModelUsage } from './budget';
export {
  applyEdits,
  buildPrompt,
  parseAnswer,
  type AppliedEdits,
  type FileChange,
  type LastAttempt,
  type ModelEdit,
  type ParsedAnswer,
  type Prompt,
  type PromptInput,
  type SourceFile,
} from './editFormat';
export {
  anthropic,
  ModelError,
  openAiCompatible,
  type EndpointOptions,
  type HttpOptions,
  type ModelAnswer,
  type ModelErrorKind,
  type ModelMessage,
  type ModelProvider,
  type ModelRequest,
} from './providers';

/**
 * The model step's entry points: the provider for the task's ModelSettings, and those settings
 * from the environment for the CLI (docs/fix.md, "Models").
 */

/** How the agent reaches VS Code's Language Model API: `navi/modelChat` to the client. */
export type ClientChat = (params: ModelChatParams, signal: AbortSignal) => Promise<ModelChatResult>;

export interface ProviderOptions {
  /** Given by the agent when a VS Code client is connected; the CLI has none. */
  clientChat?: ClientChat;
  /** Retries, timeout and answer size of the HTTP providers (tests make them fast). */
  http?: HttpOptions;
}

export function providerFor(settings: ModelSettings, opts: ProviderOptions = {}): ModelProvider {
  switch (settings.provider) {
    case 'openai-compatible':
      return openAiCompatible({
        ...opts.http,
        baseUrl: settings.baseUrl,
        model: settings.model,
        apiKey: settings.apiKey,
      });
    case 'anthropic':
      return anthropic({
        ...opts.http,
        baseUrl: settings.baseUrl,
        model: settings.model,
        apiKey: settings.apiKey,
      });
    case 'vscode-lm':
      if (!opts.clientChat)
        throw new ModelError(
          'unreachable',
          "VS Code's language models are only available in VS Code. In the CLI set NAVI_MODEL_PROVIDER to openai-compatible or anthropic.",
        );
      return vscodeLm(settings.model, opts.clientChat, opts.http?.maxAnswerChars ?? 2_000_000);
  }
}

/** The client's answer, checked like any other: the client is a separate process and may be older. */
function vscodeLm(model: string | undefined, clientChat: ClientChat, maxAnswerChars: number): ModelProvider {
  return {
    id: 'vscode-lm',
    async chat(req, signal) {
      const params: ModelChatParams = { ...(model ? { model } : {}), ...req };
      const result = ModelChatResult.safeParse(await untilAborted(clientChat(params, signal), signal));
      if (!result.success)
        throw new ModelError('bad-answer', "VS Code's language model sent an answer NAVI could not read.");
      if (result.data.text.length > maxAnswerChars)
        throw new ModelError('bad-answer', `The model's answer is longer than ${maxAnswerChars} characters.`);
      return result.data;
    },
  };
}

/** The client's promise, but settled as `cancelled` the moment `signal` aborts (even if the client is slow to). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const cancelled = () => new ModelError('cancelled', 'The model request was cancelled.');
  if (signal.aborted) throw cancelled();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } catch (error) {
    if (error instanceof ModelError) throw error;
    throw new ModelError(
      'server',
      `VS Code's language model failed: ${String((error as Error)?.message ?? error).slice(0, 300)}`,
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
    promise.catch(() => {}); // a late rejection after the abort is expected, not unhandled
  }
}

/** A model configuration in the environment that cannot be used as it is; the message says what to set. */
export class ModelSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelSettingsError';
  }
}

const PROVIDERS = ['openai-compatible', 'anthropic'] as const;
const DEFAULT_BASE_URL = {
  'openai-compatible': 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};
const PROVIDER_KEY = { 'openai-compatible': 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };
const EXAMPLE_MODEL = { 'openai-compatible': 'gpt-4o-mini', anthropic: 'claude-sonnet-4-5' };

/**
 * The CLI's model settings: `NAVI_MODEL_PROVIDER` (`openai-compatible` | `anthropic`),
 * `NAVI_MODEL`, `NAVI_MODEL_BASE_URL` (default: the provider's public API) and the key from
 * `NAVI_MODEL_API_KEY`, else `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`. Undefined when no NAVI_MODEL*
 * variable is set (a stray OPENAI_API_KEY alone does not turn the model on); ModelSettingsError
 * for a half-configured environment. Messages never hold the key.
 */
export function modelSettingsFromEnv(env: Record<string, string | undefined>): ModelSettings | undefined {
  const get = (name: string) => env[name]?.trim() || undefined;
  const provider = get('NAVI_MODEL_PROVIDER');
  if (!provider) {
    const stray = ['NAVI_MODEL', 'NAVI_MODEL_BASE_URL', 'NAVI_MODEL_API_KEY'].filter(get);
    if (!stray.length) return undefined;
    throw new ModelSettingsError(
      `${stray.join(' and ')} ${stray.length > 1 ? 'are' : 'is'} set but NAVI_MODEL_PROVIDER is not: set it to ${PROVIDERS.join(' or ')}.`,
    );
  }
  if (!(PROVIDERS as readonly string[]).includes(provider))
    throw new ModelSettingsError(
      `NAVI_MODEL_PROVIDER=${provider.slice(0, 40)} is not a provider NAVI knows: use ${PROVIDERS.join(' or ')}${provider === 'vscode-lm' ? ' (vscode-lm works only in VS Code)' : ''}.`,
    );
  return envSettings(provider as (typeof PROVIDERS)[number], get);
}

function envSettings(
  provider: (typeof PROVIDERS)[number],
  get: (name: string) => string | undefined,
): ModelSettings {
  const model = get('NAVI_MODEL');
  if (!model)
    throw new ModelSettingsError(
      `NAVI_MODEL_PROVIDER is ${provider} but NAVI_MODEL is not set: name the model (e.g. NAVI_MODEL=${EXAMPLE_MODEL[provider]}).`,
    );
  const baseUrl = get('NAVI_MODEL_BASE_URL');
  if (baseUrl !== undefined && !isHttpUrl(baseUrl))
    throw new ModelSettingsError(
      'NAVI_MODEL_BASE_URL is not an http(s) URL (e.g. http://127.0.0.1:11434/v1).',
    );
  const apiKey = get('NAVI_MODEL_API_KEY') ?? get(PROVIDER_KEY[provider]);
  // The public APIs always want a key; a custom base URL may be a local server that needs none.
  if (!apiKey && baseUrl === undefined)
    throw new ModelSettingsError(
      `NAVI_MODEL_PROVIDER is ${provider} but no API key is set: set NAVI_MODEL_API_KEY (or ${PROVIDER_KEY[provider]}), or NAVI_MODEL_BASE_URL for a local server that needs none.`,
    );
  const parsed = ModelSettings.safeParse({
    provider,
    model,
    baseUrl: baseUrl ?? DEFAULT_BASE_URL[provider],
    ...(apiKey ? { apiKey } : {}),
  });
  if (!parsed.success)
    throw new ModelSettingsError(
      `The NAVI_MODEL* settings are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
    );
  return parsed.data;
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
