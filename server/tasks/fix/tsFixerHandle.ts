import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { TypeScriptProject, type FixTypeScriptResult, type TypeScriptProjectOptions } from './tsFixer';

/**
 * A TypeScript project opened for code fixes ahead of time. In the agent's bundle it lives in a
 * worker thread (dist/tsFixerThread.js) that builds the language service's program while the
 * project's checkers run in their own processes: on two cores the program is ready when the
 * baseline ends, and the agent's event loop never blocks on it. Running from sources (tsx, unit
 * tests) it opens in this thread, on the first `fix`.
 */
export interface TypeScriptFixer {
  /** The safe code fixes for these files (absolute), as `TypeScriptProject.fix` finds them. */
  fix(files: string[], signal: AbortSignal, codes?: number[]): Promise<FixTypeScriptResult>;
  /** Stops the thread (or drops the project); a later `fix` fails. */
  close(): void;
  readonly where: 'thread' | 'in-process';
}

/** Agent → thread. */
export interface ThreadRequest {
  id: number;
  files: string[];
  codes?: number[];
}
/** Thread → agent. */
export type ThreadReply = { id: number; result: FixTypeScriptResult } | { id: number; error: string };

const THREAD_FILE = path.join(__dirname, 'tsFixerThread.js');

export function openTypeScriptFixer(opts: TypeScriptProjectOptions): TypeScriptFixer {
  return fs.existsSync(THREAD_FILE) ? threadFixer(opts) : inProcessFixer(opts);
}

function threadFixer(opts: TypeScriptProjectOptions): TypeScriptFixer {
  const worker = new Worker(THREAD_FILE, { workerData: opts });
  worker.unref(); // never keeps the agent alive on its own
  const pending = new Map<
    number,
    { resolve: (r: FixTypeScriptResult) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  let ended: Error | undefined;
  const end = (error: Error) => {
    ended ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: ThreadReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if ('error' in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.result);
  });
  worker.on('error', (error) => end(error));
  worker.on('exit', (code) => end(new Error(`the TypeScript thread stopped (exit code ${code})`)));
  return {
    where: 'thread',
    fix(files, signal, codes) {
      if (ended) return Promise.reject(ended);
      signal.throwIfAborted();
      const id = nextId++;
      return new Promise<FixTypeScriptResult>((resolve, reject) => {
        // The language service cannot be interrupted inside a pass: a cancel stops the thread.
        const onAbort = () => {
          end(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
          void worker.terminate();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const settle = () => signal.removeEventListener('abort', onAbort);
        pending.set(id, {
          resolve: (r) => (settle(), resolve(r)),
          reject: (e) => (settle(), reject(e)),
        });
        const request: ThreadRequest = { id, files, ...(codes ? { codes } : {}) };
        worker.postMessage(request);
      });
    },
    close() {
      end(new Error('the TypeScript project was closed'));
      void worker.terminate();
    },
  };
}

function inProcessFixer(opts: TypeScriptProjectOptions): TypeScriptFixer {
  let project: TypeScriptProject | undefined;
  let closed = false;
  return {
    where: 'in-process',
    async fix(files, signal, codes) {
      if (closed) throw new Error('the TypeScript project was closed');
      signal.throwIfAborted();
      project ??= new TypeScriptProject(opts);
      return project.fix({ files, signal, ...(codes ? { codes } : {}) });
    },
    close() {
      closed = true;
      project?.dispose();
      project = undefined;
    },
  };
}
