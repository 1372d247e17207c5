import { ModelBudget } from '../../../../protocol/fix';
import { ModelError } from './http';

/**
 * The model step's budget (protocol/fix.ts ModelBudget): a number of attempts per error group,
 * and wall time and tokens for the whole task. The step asks `canTry(group)` before each request
 * and `record(usage, group)` after it, failed ones included (a request that failed still cost
 * time and, often, input tokens).
 */

/** What one request used. A count the provider did not report is estimated from characters. */
export interface ModelUsage {
  inputTokens?: number;
  outputTokens?: number;
  /** Characters sent (system and messages), for when `inputTokens` is unknown. */
  promptChars?: number;
  /** Characters of the answer, for when `outputTokens` is unknown (VS Code's API never says). */
  answerChars?: number;
}

/** A common rule of thumb for English and code; only used when the provider gives no count. */
const CHARS_PER_TOKEN = 4;

export class ModelBudgetTracker {
  readonly budget: ModelBudget;
  private readonly startedAt: number;
  private readonly attempts = new Map<string, number>();
  private tokens = 0;

  constructor(
    budget: Partial<ModelBudget> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.budget = ModelBudget.parse(budget);
    this.startedAt = now();
  }

  /** Whether another request for `group` fits the budget. */
  canTry(group = ''): boolean {
    return this.reason(group) === undefined;
  }

  /** Counts one request (an attempt for `group`) and the tokens it used. */
  record(usage: ModelUsage, group = ''): void {
    this.attempts.set(group, this.attemptsFor(group) + 1);
    this.tokens +=
      tokensOf(usage.inputTokens, usage.promptChars) + tokensOf(usage.outputTokens, usage.answerChars);
  }

  /** Why no further request for `group` may be made (one sentence for the result's notes), or undefined. */
  reason(group = ''): string | undefined {
    const { attempts, timeMs, tokens } = this.budget;
    if (this.tokens >= tokens)
      return `The model step used ${this.tokens} tokens, its budget of ${tokens} for this task.`;
    if (this.remainingMs() <= 0)
      return `The model step used its time budget of ${seconds(timeMs)} for this task.`;
    if (this.attemptsFor(group) >= attempts)
      return `The model had its ${attempts} attempt${attempts === 1 ? '' : 's'} at ${group ? `these errors (${group})` : 'these errors'}.`;
    return undefined;
  }

  /** Throws ModelError('budget') with the reason when no further request may be made. */
  assertCanTry(group = ''): void {
    const why = this.reason(group);
    if (why) throw new ModelError('budget', why);
  }

  /** Wall time left for the task's model step (a request's timeout should not exceed it). */
  remainingMs(): number {
    return Math.max(0, this.budget.timeMs - (this.now() - this.startedAt));
  }

  /** Tokens left for the task's model step (a request's maxTokens should not exceed it). */
  remainingTokens(): number {
    return Math.max(0, this.budget.tokens - this.tokens);
  }

  /** Tokens counted so far (reported or estimated). */
  usedTokens(): number {
    return this.tokens;
  }

  private attemptsFor(group: string): number {
    return this.attempts.get(group) ?? 0;
  }
}

function tokensOf(count: number | undefined, chars: number | undefined): number {
  if (count !== undefined) return count;
  return chars === undefined ? 0 : Math.ceil(chars / CHARS_PER_TOKEN);
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}
