import {
  ResponseError,
  type CancellationToken,
  type Connection,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import type * as z from 'zod';
import { ErrorCodes, NaviError, type NaviErrorData } from '../protocol/errors';
import type { RequestDef } from '../protocol/requests';
import type { Logger, TaskContext } from './taskContext';

/**
 * The one wrapper every request handler goes through: validate params with the message's schema,
 * turn the LSP cancellation token into an AbortSignal, attach work-done progress when the client
 * sent a token, map NaviError to a JSON-RPC error and log anything unexpected with its stack.
 */
export function handle<P extends z.ZodType, R extends z.ZodType>(
  connection: Connection,
  log: Logger,
  def: RequestDef<P, R>,
  fn: (params: z.infer<P>, ctx: TaskContext) => Promise<z.infer<R>>,
): void {
  connection.onRequest(def.method, async (raw: unknown, token: CancellationToken) => {
    const parsed = def.params.safeParse(raw ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.join('.') || '(params)',
        message: i.message,
      }));
      const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      log.warn(`${def.method}: rejected invalid params (${summary})`);
      return new ResponseError<NaviErrorData>(
        ErrorCodes.InvalidParams,
        `Invalid params for ${def.method}: ${summary}`,
        {
          issues,
        },
      );
    }
    const params = parsed.data as z.infer<P> & { workDoneToken?: string | number };
    const progress =
      params.workDoneToken === undefined
        ? undefined
        : connection.window.attachWorkDoneProgress(params.workDoneToken);
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort(new CancelledError()));
    const started = Date.now();
    progress?.begin(def.method, 0, undefined, true);
    try {
      const result = await fn(params, { signal: abort.signal, progress: throttledProgress(progress), log });
      log.debug(`${def.method}: done in ${Date.now() - started} ms`);
      return result;
    } catch (error) {
      return toResponseError(def.method, error, abort.signal, log);
    } finally {
      sub.dispose();
      progress?.done();
    }
  });
}

/** Thrown (as the abort reason) when the client cancels a request. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

export function toResponseError(
  method: string,
  error: unknown,
  signal: AbortSignal,
  log: Logger,
): ResponseError<unknown> {
  if (error instanceof CancelledError || (signal.aborted && signal.reason === error)) {
    log.info(`${method}: cancelled`);
    return new ResponseError(ErrorCodes.RequestCancelled, 'Cancelled');
  }
  if (error instanceof NaviError) {
    log.warn(`${method}: ${error.message}`);
    return new ResponseError<NaviErrorData>(error.code, error.message, error.data);
  }
  log.error(`${method}: unexpected failure`, error);
  return new ResponseError<NaviErrorData>(ErrorCodes.Internal, `NAVI hit an unexpected error in ${method}.`, {
    hint: 'See the NAVI log (NAVI: Show Log) for details.',
  });
}

/** At most one progress message per 100 ms: a scan reports per file, the UI needs far fewer. */
function throttledProgress(reporter: WorkDoneProgressReporter | undefined): TaskContext['progress'] {
  if (!reporter) return { report() {} };
  let last = 0;
  return {
    report(message, percentage) {
      const now = Date.now();
      if (now - last < 100 && percentage !== 100) return;
      last = now;
      reporter.report(percentage === undefined ? 0 : Math.round(percentage), message);
    },
  };
}
