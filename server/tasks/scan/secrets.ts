import * as fs from 'node:fs';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { SECRET_PATTERNS } from '../../audit/redact';
import { buildKeywordAutomaton } from '../../audit/secretRules/keywords';
import { createFileSearcher, type SearchConfig, type SearchResult } from './contentSearch';
import { yieldToLoop } from './walk';

/**
 * Reads the files and searches them for secrets, on worker threads when there is enough to read
 * (one per core, at most 4) and in-process otherwise. Either way the event loop stays free, so
 * cancellation is served within one batch.
 */

/** Absolute path of a file to search. */
export type ContentTarget = string;

export interface SearchOptions {
  maxBytes: number;
  signal: AbortSignal;
  /** Worker threads to use; 0 searches in-process. Default: by amount of work and cores. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The search configuration for SECRET_PATTERNS (server/audit/secretRules): each keyword mapped to
 * the rules it may start (the searcher finds every occurrence of every keyword, see
 * contentSearch.ts), and the probes.
 */
export function searchConfig(maxBytes: number): SearchConfig {
  return { ...keywordConfig(), maxBytes };
}

let cachedKeywordConfig: Omit<SearchConfig, 'maxBytes'> | undefined;

/** The part of the configuration that never changes, built once per process. */
function keywordConfig(): Omit<SearchConfig, 'maxBytes'> {
  if (cachedKeywordConfig) return cachedKeywordConfig;
  const probes: SearchConfig['probes'] = [];
  const byKeyword = new Map<string, number[]>();
  const add = (keyword: string, pattern: number) => {
    const list = byKeyword.get(keyword) ?? [];
    if (!list.includes(pattern)) list.push(pattern);
    byKeyword.set(keyword, list);
  };
  SECRET_PATTERNS.forEach((pattern, i) => {
    if (pattern.probe) probes.push({ source: pattern.probe.source, flags: pattern.probe.flags, pattern: i });
    for (const k of pattern.keywords) add(k, pattern.probe ? -1 : i);
  });
  const keywords = [...byKeyword.keys()];
  const config: Omit<SearchConfig, 'maxBytes'> = {
    patterns: SECRET_PATTERNS.map((p) => ({
      source: p.regex.source,
      flags: p.regex.flags,
      multiline: p.multiline === true,
      ...(p.assignmentWithin === undefined ? {} : { assignmentWithin: p.assignmentWithin }),
    })),
    keywords: {
      automaton: buildKeywordAutomaton(keywords),
      patterns: keywords.map((k) => byKeyword.get(k)!),
    },
    probes,
  };
  cachedKeywordConfig = config;
  return config;
}

// Below this much to read, starting threads costs more than it saves.
const WORKER_MIN_FILES = 2000;
const WORKER_MIN_BYTES = 32 * 1024 * 1024;
const BATCH = 256;

function defaultWorkers(targets: number, bytes: number): number {
  if (targets < WORKER_MIN_FILES && bytes < WORKER_MIN_BYTES) return 0;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}

async function searchInProcess(
  targets: readonly ContentTarget[],
  config: SearchConfig,
  signal: AbortSignal,
  onProgress?: (done: number, total: number) => void,
) {
  const search = createFileSearcher(config, fs);
  const results: SearchResult[] = [];
  let last = performance.now();
  for (let i = 0; i < targets.length; i++) {
    results.push(search(targets[i]!));
    // Give the event loop a turn every few milliseconds: cancellation arrives as a message.
    if (performance.now() - last > 8) {
      await yieldToLoop();
      signal.throwIfAborted();
      onProgress?.(i + 1, targets.length);
      last = performance.now();
    }
  }
  return results;
}

/** The program each worker runs: the searcher's own source, fed batches of targets. */
function workerSource(): string {
  return [
    '"use strict";',
    // tsx (tests) compiles with keepNames, which wraps functions in a `__name` helper.
    'var __name = (fn) => fn;',
    `const createFileSearcher = ${createFileSearcher.toString()};`,
    "const { parentPort, workerData } = require('node:worker_threads');",
    "const search = createFileSearcher(workerData, require('node:fs'));",
    'parentPort.on("message", (batch) => parentPort.postMessage(batch.map(search)));',
  ].join('\n');
}

interface Pool {
  workers: Worker[];
  /** The first error a worker raised before `run` listened. */
  early?: unknown;
}

function runInWorkers(
  pool: Pool,
  targets: readonly ContentTarget[],
  signal: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<SearchResult[]> {
  // Filled with placeholders, not `new Array(n)`: V8 backs a large preallocated array with a hash
  // table, and batches come back out of order.
  const results: SearchResult[] = [];
  for (let i = 0; i < targets.length; i++) results.push(-1);
  let next = 0;
  let done = 0;
  return new Promise<SearchResult[]>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(results);
      else reject(error);
    };
    const onAbort = () => finish(signal.reason);
    if (signal.aborted) return finish(signal.reason);
    if (pool.early !== undefined) return finish(pool.early);
    if (targets.length === 0) return finish();
    signal.addEventListener('abort', onAbort, { once: true });
    const feed = (worker: Worker, inFlight: number[][]) => {
      if (next >= targets.length) return;
      const start = next;
      next = Math.min(targets.length, next + BATCH);
      inFlight.push([start, next]);
      worker.postMessage(targets.slice(start, next));
    };
    for (const worker of pool.workers) {
      const inFlight: number[][] = [];
      worker.on('message', (batch: SearchResult[]) => {
        const [start = 0] = inFlight.shift() ?? [];
        batch.forEach((result, k) => (results[start + k] = result));
        done += batch.length;
        onProgress?.(done, targets.length);
        if (done === targets.length) finish();
        else feed(worker, inFlight);
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => finish(new Error(`content search worker exited with code ${code}`)));
      // Two batches in flight keep a worker busy while the next result crosses back.
      feed(worker, inFlight);
      feed(worker, inFlight);
    }
  });
}

export interface ContentSearch {
  /** Searches every target once; results are index-aligned with `targets`. Call at most once. */
  run(
    targets: readonly ContentTarget[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<SearchResult[]>;
  /** Stops the worker threads (idempotent; `run` does it when it settles). */
  close(): void;
}

/**
 * Prepares the search. Worker threads (when the amount of work, estimated from `files` and
 * `bytes`, is worth them) start now, so they load while the caller builds the target list.
 */
export function startContentSearch(opts: {
  maxBytes: number;
  signal: AbortSignal;
  files: number;
  bytes: number;
  /** Worker threads to use; 0 searches in-process. Default: by amount of work and cores. */
  workers?: number;
}): ContentSearch {
  const config = searchConfig(opts.maxBytes);
  const count = opts.workers ?? defaultWorkers(opts.files, opts.bytes);
  if (count === 0) {
    return {
      run: (targets, onProgress) => searchInProcess(targets, config, opts.signal, onProgress),
      close() {},
    };
  }
  const source = workerSource();
  const pool: Pool = { workers: [] };
  for (let i = 0; i < count; i++) {
    // stdout/stderr of their own: the agent's stdio carries JSON-RPC, nothing else may reach it.
    // No inherited execArgv: a flag such as --input-type=module would make the source an ES
    // module, where `require` does not exist.
    const worker = new Worker(source, {
      eval: true,
      workerData: config,
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('error', (error) => (pool.early ??= error));
    pool.workers.push(worker);
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const worker of pool.workers) void worker.terminate();
  };
  return {
    run: (targets, onProgress) => runInWorkers(pool, targets, opts.signal, onProgress).finally(close),
    close,
  };
}

/** Searches every target; results are index-aligned with `targets`. */
export async function searchContent(targets: readonly ContentTarget[], bytes: number, opts: SearchOptions) {
  opts.signal.throwIfAborted();
  const search = startContentSearch({ ...opts, files: targets.length, bytes });
  try {
    return await search.run(targets, opts.onProgress);
  } finally {
    search.close();
  }
}
