import type { AgentInfoResult } from '../protocol/requests';

/**
 * How this process's bundle was compiled at start. dist/launch.js (cli/launch.ts) records it under
 * this key before it runs the bundle; `navi/agentInfo` reports it, so a client can see that its
 * agent started from V8's code cache.
 */
export const LAUNCH_CACHE_KEY = Symbol.for('navi.launchCache');

export type LaunchCacheStatus = NonNullable<AgentInfoResult['codeCache']>;

export function launchCacheStatus(): LaunchCacheStatus {
  const value = (globalThis as Record<symbol, unknown>)[LAUNCH_CACHE_KEY];
  return typeof value === 'string' ? (value as LaunchCacheStatus) : 'none';
}

export function recordLaunchCache(status: Exclude<LaunchCacheStatus, 'none'>): void {
  (globalThis as Record<symbol, unknown>)[LAUNCH_CACHE_KEY] = status;
}
