import { AI_RULES } from './ai';
import { CLOUD_RULES } from './cloud';
import { DEVTOOLS_RULES } from './devtools';
import { GENERIC_RULES } from './generic';
import { MESSAGING_RULES } from './messaging';
import { PAYMENT_RULES } from './payments';
import { SAAS_RULES } from './saas';
import type { SecretRule } from './types';

export { isPlaceholder, isPlaceholderCredential, isReportable, shannonEntropy } from './filters';
export { buildKeywordAutomaton, findKeywords, type KeywordAutomaton } from './keywords';
export type { SecretKind, SecretPattern, SecretRule } from './types';

/**
 * NAVI's secret rules: the one engine behind the repository scan (server/tasks/scan/secrets.ts)
 * and every redactor of command output, logs and audit events (server/audit/redact.ts). Provider
 * formats first, generic formats last, so that where two rules match the same value the more
 * specific one names it. See docs/secrets.md.
 */
export const SECRET_RULES: readonly SecretRule[] = [
  ...CLOUD_RULES,
  ...DEVTOOLS_RULES,
  ...AI_RULES,
  ...PAYMENT_RULES,
  ...MESSAGING_RULES,
  ...SAAS_RULES,
  ...GENERIC_RULES,
];
