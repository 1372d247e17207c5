// The worker thread that holds a TypeScript project open for code fixes (dist/tsFixerThread.js,
// started by tsFixerHandle.ts). It builds the language service's program as soon as it starts,
// while the agent runs the project's checkers, so the fixes are found without waiting for it.

import { parentPort, workerData } from 'node:worker_threads';
import { TypeScriptProject, type FixRequestOptions, type TypeScriptProjectOptions } from './tsFixer';
import type { ThreadReply, ThreadRequest } from './tsFixerHandle';

if (parentPort) {
  const port = parentPort;
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
