import { cargoAdapter } from './cargo';
import { goTestAdapter } from './goTest';
import { gradleAdapter } from './gradle';
import { jestAdapter } from './jest';
import { mavenAdapter } from './maven';
import { mochaAdapter } from './mocha';
import { nodeTestAdapter } from './nodeTest';
import { pytestAdapter } from './pytest';
import { textAdapter } from './text';
import type { RunnerAdapter } from './types';
import { vitestAdapter } from './vitest';

/**
 * Every runner adapter, in the order a step's argv is matched against them; the labelled text
 * fallback (which matches anything) last.
 */
export const RUNNER_ADAPTERS: readonly RunnerAdapter[] = [
  vitestAdapter,
  jestAdapter,
  mochaAdapter,
  nodeTestAdapter,
  pytestAdapter,
  goTestAdapter,
  cargoAdapter,
  mavenAdapter,
  gradleAdapter,
  textAdapter,
];
