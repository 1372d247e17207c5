// The worker thread that holds a TypeScript project open for code fixes (dist/tsFixerThread.js,
// started by tsFixerHandle.ts). It builds the language service's program as soon as it starts,
// while the agent runs the project's checkers, so the fixes are found without waiting for it.

import * as os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { TypeScriptProject, type FixRequestOptions, type TypeScriptProjectOptions } from './tsFixer';
import type { ThreadReply, ThreadRequest } from './tsFixerHandle';

if (parentPort) {
  const port = parentPort;
  // Below the project's own checker: on Linux a nice value is a thread's own (this thread only,
  // not the agent's), so the baseline tsc keeps its core and this one gets what is left.
  try {
    os.setPriority(10);
  } catch {
    // Not permitted here: the thread runs at the agent's priority.
  }
  let project: TypeScriptProject | undefined;
  let failure: string | undefined;
  try {
    project = new TypeScriptProject(workerData as TypeScriptProjectOptions);
    project.warm();
  } catch (error) {
    failure = describe(error);
  }
  port.on('message', (message: ThreadRequest) => {
    let reply: ThreadReply;
    try {
      if (!project) throw new Error(failure ?? 'the TypeScript project did not open');
      const request: FixRequestOptions = { files: message.files };
      if (message.codes) request.codes = message.codes;
      reply = { id: message.id, result: project.fix(request) };
    } catch (error) {
      reply = { id: message.id, error: describe(error) };
    }
    port.postMessage(reply);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
