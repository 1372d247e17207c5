import * as vscode from 'vscode';
import {
  apiKeySecret,
  KEYED_PROVIDERS,
  modelChoice,
  ModelSettingValues,
  type ModelChoice,
  type ModelSettingKey,
} from './modelConfig';

/** Settings only the user's own settings may set: where the API key goes. */
const USER_ONLY: ReadonlySet<ModelSettingKey> = new Set(['model.provider', 'model.baseUrl']);

/**
 * Reads one `navi.model.*` setting through its schema; a value that does not fit falls back to
 * the default with a warning (as `readSetting` does for the other settings). The provider and the
 * base URL are read from the user's settings only: a workspace must not send the key elsewhere.
 */
export function readModelSetting<K extends ModelSettingKey>(
  key: K,
  log: vscode.LogOutputChannel,
): ModelSettingValues[K] {
  const schema = ModelSettingValues.shape[key];
  const config = vscode.workspace.getConfiguration('navi');
  const raw = USER_ONLY.has(key) ? config.inspect<unknown>(key)?.globalValue : config.get<unknown>(key);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data as ModelSettingValues[K];
  const fallback = schema.parse(undefined) as ModelSettingValues[K];
  log.warn(`Setting navi.${key} has an invalid value; using ${JSON.stringify(fallback)}.`);
  return fallback;
}

/**
 * The model a fix task may use (`navi.model.*` and the API key in SecretStorage), and
 * NAVI: Set Model API Key. The key is never logged and never shown again.
 */
export class ModelSettingsReader {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  values(): ModelSettingValues {
    return {
      'model.provider': readModelSetting('model.provider', this.log),
      'model.baseUrl': readModelSetting('model.baseUrl', this.log),
      'model.name': readModelSetting('model.name', this.log),
    };
  }

  async choice(): Promise<ModelChoice> {
    const values = this.values();
    const provider = values['model.provider'];
    const apiKey = KEYED_PROVIDERS.includes(provider)
      ? await this.secrets.get(apiKeySecret(provider))
      : undefined;
    return modelChoice(values, apiKey);
  }

  /** NAVI: Set Model API Key: asks for the key of the configured provider and stores it (empty removes it). */
  async setApiKey(): Promise<void> {
    const provider = this.values()['model.provider'];
    if (!KEYED_PROVIDERS.includes(provider)) {
      const choice = await vscode.window.showInformationMessage(
        provider === 'vscode-lm'
          ? 'NAVI uses VS Code’s language models (navi.model.provider is vscode-lm): they need no key here.'
          : 'Choose a model provider first (navi.model.provider): openai-compatible or anthropic take an API key.',
        'Open Settings',
      );
      if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'navi.model');
      return;
    }
    const secret = apiKeySecret(provider);
    const had = (await this.secrets.get(secret)) !== undefined;
    const key = await vscode.window.showInputBox({
      title: `NAVI: Set Model API Key (${provider})`,
      prompt: had
        ? 'A key is stored. Type a new one to replace it, or leave empty and press Enter to remove it.'
        : 'Stored in VS Code’s secret storage; sent only to navi.model.baseUrl when NAVI asks the model for a fix.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) =>
        v.length > 4000
          ? 'At most 4000 characters.'
          : /\s/.test(v.trim())
            ? 'A key has no spaces.'
            : undefined,
    });
    if (key === undefined) return;
    if (key.trim() === '') {
      if (had) {
        await this.secrets.delete(secret);
        this.log.info(`Removed the ${provider} API key.`);
        void vscode.window.setStatusBarMessage('NAVI: model API key removed', 4000);
      }
      return;
    }
    await this.secrets.store(secret, key.trim());
    this.log.info(`Stored an API key for ${provider}.`);
    void vscode.window.setStatusBarMessage('NAVI: model API key stored', 4000);
  }
}
