import * as z from 'zod';
import { ModelSettings } from '../../../protocol/fix';

/**
 * The `navi.model.*` settings: which model fixes what NAVI's own fixers leave. Pure (no `vscode`),
 * so unit tests check the mapping to the protocol's `ModelSettings`.
 *
 * TODO: these keys belong in protocol/settings.ts (`Settings`); they live here while protocol/
 * is frozen for the agent side of `navi/fix`. test/unit/protocol.test.ts checks them against
 * package.json together with `Settings`.
 */
export const ModelSettingValues = z.object({
  /**
   * `none` (no model: only the project's fixers and language-service fixes), `vscode-lm` (VS Code's
   * Language Model API, answered by the extension through `navi/modelChat`), `openai-compatible`,
   * `anthropic`. Application scope: a cloned repository must not choose where the key is sent.
   */
  'model.provider': z.enum(['none', 'vscode-lm', 'openai-compatible', 'anthropic']).default('none'),
  /**
   * Base URL of the provider's API (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`);
   * required for `openai-compatible`, optional for `anthropic`; '' = none. Application scope.
   */
  'model.baseUrl': z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(2000)]).default(''),
  /** The model: required for the HTTP providers; for `vscode-lm` a model id or family ('' = the first model). */
  'model.name': z.string().max(200).default(''),
});
export type ModelSettingValues = z.infer<typeof ModelSettingValues>;
export type ModelSettingKey = keyof ModelSettingValues;
export type ModelProvider = ModelSettingValues['model.provider'];

/** Providers whose requests carry an API key from SecretStorage. */
export const KEYED_PROVIDERS: readonly ModelProvider[] = ['openai-compatible', 'anthropic'];

/** The SecretStorage key that holds the API key of `provider`. */
export function apiKeySecret(provider: ModelProvider): string {
  return `navi.model.apiKey.${provider}`;
}

export type ModelChoice =
  | { kind: 'none' }
  | { kind: 'model'; model: ModelSettings }
  /** Configured but not usable: `problem` says what is missing, in one sentence. */
  | { kind: 'invalid'; problem: string };

/** The protocol's `ModelSettings` for `navi/fix` from the settings and the stored key (if any). */
export function modelChoice(values: ModelSettingValues, apiKey: string | undefined): ModelChoice {
  const name = values['model.name'].trim();
  const baseUrl = values['model.baseUrl'].trim();
  let candidate: unknown;
  switch (values['model.provider']) {
    case 'none':
      return { kind: 'none' };
    case 'vscode-lm':
      candidate = { provider: 'vscode-lm', ...(name ? { model: name } : {}) };
      break;
    case 'openai-compatible':
      if (!baseUrl) return { kind: 'invalid', problem: 'navi.model.baseUrl is empty (the API up to /v1).' };
      if (!name) return { kind: 'invalid', problem: 'navi.model.name is empty.' };
      candidate = { provider: 'openai-compatible', baseUrl, model: name, ...(apiKey ? { apiKey } : {}) };
      break;
    case 'anthropic':
      if (!name) return { kind: 'invalid', problem: 'navi.model.name is empty.' };
      if (!apiKey) return { kind: 'invalid', problem: 'no API key is set (NAVI: Set Model API Key).' };
      candidate = { provider: 'anthropic', model: name, apiKey, ...(baseUrl ? { baseUrl } : {}) };
      break;
    default: {
      const unreachable: never = values['model.provider'];
      return unreachable;
    }
  }
  const parsed = ModelSettings.safeParse(candidate);
  if (parsed.success) return { kind: 'model', model: parsed.data };
  return { kind: 'invalid', problem: parsed.error.issues[0]?.message ?? 'the settings do not fit.' };
}
