import { jestAdapter } from './jest';
import { mochaAdapter } from './mocha';
import { nodeTestAdapter } from './nodeTest';
import type { RunnerAdapter } from './types';
import { vitestAdapter } from './vitest';

/** Every runner adapter, in the order a step's argv is matched against them; the text fallback last. */
export const RUNNER_ADAPTERS: readonly RunnerAdapter[] = [vitestAdapter, jestAdapter, mochaAdapter, nodeTestAdapter];
