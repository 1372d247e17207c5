import { redactOutput } from '../../../audit/redact';
import { backoffDelay } from '../../../org/uploader';
import { sseEvents, type SseEvent } from './sse';

/**
 * The HTTP side of the model providers (providers.ts): one POST with retries, a per-request
 * timeout and cancellation, bounded reading of the answer, and the errors a person can act on. Node's
 * global `fetch` (undici) and nothing else, so an OpenAI-compatible server, Anthropic's API and the
 * test servers (test/fixtures/modelServers.ts) are all talked to the same way.
 */

export type ModelErrorKind =
  'bad-key' | 'unreachable' | 'rate-limited' | 'server' | 'bad-answer' | 'timeout' | 'cancelled' | 'budget';

/**
 * Why the model step got no usable answer. The message is for people: what happened and what to
 * do. It never holds the API key (the provider's own error text is redacted, and for 401/403 not
 * shown at all: OpenAI echoes part of the key there).
 */
export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    /** The HTTP status, when the endpoint answered with one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface HttpOptions {
  /** Retries after the first try, on 429, 5xx and network errors before any answer text. Default 3. */
  retries?: number;
  /** First back-off delay, doubled each retry with jitter. Default 1000 ms (tests use 1). */
  baseDelayMs?: number;
  /** Longest back-off delay. Default 30 s. */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured; a longer one waits this long. Default 60 s. */
  maxRetryAfterMs?: number;
  /** One request, from sending it to the end of the answer. Default 120 s. */
  timeoutMs?: number;
  /** Longest answer text, in characters; beyond it the answer is `bad-answer`. Default 2 000 000. */
  maxAnswerChars?: number;
  /** Told before each retry, for the log ("retrying in 2 s: 429"). */
  onRetry?: (info: { retry: number; delayMs: number; reason: string }) => void;
  random?: () => number;
}

const DEFAULTS = {
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 120_000,
  maxAnswerChars: 2_000_000,
};

export type ResolvedHttpOptions = typeof DEFAULTS & Pick<HttpOptions, 'onRetry' | 'random'>;

export function resolveHttpOptions(options: HttpOptions = {}): ResolvedHttpOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...DEFAULTS, ...defined };
}

/** What a provider's answer comes back as. */
export interface ModelAnswer {
  text: string;
  /** The model that answered, as the endpoint names it (falls back to the one asked for). */
  model: string;
  inputTokens?: number;
  outputTokens?: number;
}

/** One provider's wire format: where to POST, what, and how to read the 2xx answer. */
export interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** The key, only so that it can be removed from any text shown. */
  apiKey?: string;
  /** Added to a 404's message: what the base URL should look like. */
  notFoundHint: string;
  /** Reads the answer; calls `text.add` for each piece so the size bound and retry rule hold. */
  read(res: Response, text: AnswerText): Promise<ModelAnswer>;
  /** The provider's own message in an error body (`{error: {message}}`), when it has one. */
  errorMessage(body: unknown): string | undefined;
}

/** Sends `wire`, retrying what is worth retrying. Rejects only with ModelError. */
export async function postWithRetries(
  wire: WireRequest,
  o: ResolvedHttpOptions,
  signal: AbortSignal,
): Promise<ModelAnswer> {
  for (let tries = 1; ; tries++) {
    if (signal.aborted) throw cancelled();
    try {
      return await attempt(wire, o, signal);
    } catch (error) {
      if (!(error instanceof Retryable)) throw error;
      if (tries > o.retries) throw afterTries(error.error, tries);
      const delayMs =
        error.retryAfterMs ?? backoffDelay(tries, { baseMs: o.baseDelayMs, maxMs: o.maxDelayMs }, o.random);
      o.onRetry?.({ retry: tries, delayMs, reason: error.error.message });
      await sleep(delayMs, signal);
    }
  }
}

/** A failure worth another try (429, 5xx, the network before any answer text). */
class Retryable extends Error {
  constructor(
    readonly error: ModelError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

function afterTries(error: ModelError, tries: number): ModelError {
  return tries === 1
    ? error
    : new ModelError(error.kind, `${error.message} (NAVI tried ${tries} times.)`, error.status);
}

const cancelled = () => new ModelError('cancelled', 'The model request was cancelled.');

/** The answer text as it streams in: bounded, and remembers whether any arrived (no retry after that). */
export class AnswerText {
  private readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly max: number) {}

  get started(): boolean {
    return this.length > 0;
  }

  add(piece: string): void {
    this.length += piece.length;
    if (this.length > this.max)
      throw new ModelError(
        'bad-answer',
        `The model's answer is longer than ${this.max} characters; NAVI stopped reading it.`,
      );
    this.parts.push(piece);
  }

  toString(): string {
    return this.parts.join('');
  }
}

/** The stream ended before the provider's end marker: the connection closed mid-answer. */
export class StreamCut extends Error {}

/**
 * An error the endpoint reported inside the stream (Anthropic's `overloaded_error` event, say):
 * worth another try while no answer text has arrived, final after.
 */
export function streamFailure(error: ModelError, text: AnswerText): Error {
  return text.started ? error : new Retryable(error);
}

/**
 * One try. Its own controller stops the request on the caller's abort and on the timeout (the
 * reason says which), and in `finally` frees the connection when the body was not read to the end.
 */
async function attempt(wire: WireRequest, o: ResolvedHttpOptions, signal: AbortSignal): Promise<ModelAnswer> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort('cancelled');
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ctl.abort('timeout'), o.timeoutMs);
  const text = new AnswerText(o.maxAnswerChars);
  try {
    const res = await fetch(wire.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...wire.headers },
      body: JSON.stringify(wire.body),
      signal: ctl.signal,
    });
    if (!res.ok) throw await statusError(res, wire, o);
    return await wire.read(res, text);
  } catch (error) {
    throw withoutKey(classify(error, ctl.signal, text, wire, o), wire.apiKey);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    ctl.abort('done');
  }
}

function classify(
  error: unknown,
  stopped: AbortSignal,
  text: AnswerText,
  wire: WireRequest,
  o: ResolvedHttpOptions,
): ModelError | Retryable {
  if (stopped.reason === 'cancelled') return cancelled();
  if (stopped.reason === 'timeout')
    return new ModelError(
      'timeout',
      `The model endpoint ${where(wire.url)} did not finish answering within ${o.timeoutMs / 1000} s.`,
    );
  if (error instanceof ModelError || error instanceof Retryable) return error;
  // undici's network failures are TypeErrors with the system error as `cause`; anything else
  // (a SyntaxError from JSON.parse, say) means the answer itself could not be read.
  const network = error instanceof StreamCut || (error instanceof TypeError && error.cause !== undefined);
  if (!network) return new ModelError('bad-answer', describe(error, wire));
  const cause = error instanceof StreamCut ? 'the server closed the connection' : networkCause(error);
  // Once answer text has arrived the tokens are spent: report it rather than pay again.
  if (text.started)
    return new ModelError(
      'unreachable',
      `The connection to ${where(wire.url)} closed in the middle of the answer (${cause}).`,
    );
  const hint = NOT_LISTENING.has(cause) ? 'Is the server running?' : 'Check the base URL and the network.';
  return new Retryable(
    new ModelError('unreachable', `Could not reach ${where(wire.url)}: ${cause}. ${hint}`),
  );
}

function describe(error: unknown, wire: WireRequest): string {
  const message = scrub(String((error as Error)?.message ?? error), wire.apiKey).slice(0, 300);
  return `The model endpoint ${where(wire.url)} sent an answer NAVI could not read (${message}).`;
}

// undici reports network failures as `TypeError: fetch failed` with the system error as `cause`
// (an AggregateError when several addresses were tried).
const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the server closed the connection',
  EPIPE: 'the server closed the connection',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is not trusted (NODE_EXTRA_CA_CERTS adds a CA)',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted (NODE_EXTRA_CA_CERTS adds a CA)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted (NODE_EXTRA_CA_CERTS adds a CA)',
};

/** Causes that mean a host answered but nothing serves the port (as opposed to DNS, routing, TLS). */
const NOT_LISTENING = new Set(['connection refused', 'connection reset', 'the server closed the connection']);

type Failure = { code?: unknown; cause?: unknown; errors?: unknown[] };

function networkCause(error: unknown): string {
  let e = error as Failure | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') return NETWORK_CAUSES[e.code] ?? e.code;
    e = (e.cause ?? e.errors?.[0]) as Failure | undefined;
  }
  return String((error as Error)?.message ?? error).slice(0, 200);
}

/** The endpoint as shown to people: no credentials, no query string. */
export function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'the configured endpoint';
  }
}

function scrub(text: string, apiKey: string | undefined): string {
  return redactOutput(text, apiKey ? [apiKey] : []);
}

/** The last line of defence: whatever was built above, no message leaves with the key in it. */
function withoutKey(error: ModelError | Retryable, apiKey: string | undefined): Error {
  const inner = error instanceof Retryable ? error.error : error;
  if (!apiKey || !inner.message.includes(apiKey)) return error;
  const clean = new ModelError(inner.kind, scrub(inner.message, apiKey), inner.status);
  return error instanceof Retryable ? new Retryable(clean, error.retryAfterMs) : clean;
}

async function statusError(res: Response, wire: WireRequest, o: ResolvedHttpOptions): Promise<Error> {
  const body = await readTextLimited(res, 64 * 1024).catch(() => '');
  const said = providerSays(body, wire);
  const status = res.status;
  const at = where(wire.url);
  if (status === 401)
    return new ModelError(
      'bad-key',
      wire.apiKey
        ? 'The model endpoint rejected the API key (401). Check NAVI_MODEL_API_KEY / the key in settings.'
        : `The model endpoint ${at} needs an API key (401) and none is set. Set NAVI_MODEL_API_KEY or the key in settings.`,
      status,
    );
  if (status === 403)
    return new ModelError(
      'bad-key',
      'The model endpoint refused the API key for this request (403). Check that the key may use this model.',
      status,
    );
  const retryAfterMs = retryAfter(res.headers, o.maxRetryAfterMs);
  if (status === 429)
    return new Retryable(
      new ModelError(
        'rate-limited',
        `The model endpoint is rate-limiting NAVI (429)${said}. Wait a minute and try again.`,
        status,
      ),
      retryAfterMs,
    );
  if (status >= 500)
    return new Retryable(
      new ModelError(
        'server',
        `The model endpoint ${at} failed (${status})${said}. Try again later.`,
        status,
      ),
      retryAfterMs,
    );
  const hint = status === 404 ? ` ${wire.notFoundHint}` : '';
  return new ModelError(
    'server',
    `The model endpoint ${at} refused the request (${status})${said}.${hint}`,
    status,
  );
}

/** `: <the provider's message>`, redacted and short, or nothing. */
function providerSays(body: string, wire: WireRequest): string {
  let message: string | undefined;
  try {
    message = wire.errorMessage(JSON.parse(body));
  } catch {
    message = undefined;
  }
  const text =
    message &&
    scrub(message, wire.apiKey)
      .slice(0, 300)
      .replace(/[.\s]+$/, '');
  return text ? `: ${text}` : '';
}

/** `Retry-After` (seconds or an HTTP date) or OpenAI's `retry-after-ms`, capped; undefined when absent. */
function retryAfter(headers: Headers, capMs: number): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? NaN);
  const value = headers.get('retry-after')?.trim() ?? '';
  let wait: number | undefined;
  if (Number.isFinite(ms) && ms >= 0) wait = ms;
  else if (/^\d+(\.\d+)?$/.test(value)) wait = Number(value) * 1000;
  else if (value && Number.isFinite(Date.parse(value))) wait = Math.max(0, Date.parse(value) - Date.now());
  return wait === undefined ? undefined : Math.min(wait, capMs);
}

/** A body as text, at most `maxBytes` (an error page can be large; its start is enough). */
export async function readTextLimited(res: Response, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of bodyChunks(res)) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= maxBytes) break;
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The body's events (see sseEvents), bounded by the answer size. */
export function responseEvents(res: Response, maxAnswerChars: number): AsyncGenerator<SseEvent> {
  return sseEvents(bodyChunks(res), maxAnswerChars + 64 * 1024);
}

/** A whole JSON body (a non-streamed answer), bounded. */
export async function responseJson(res: Response, maxAnswerChars: number): Promise<unknown> {
  const limit = maxAnswerChars * 4 + 64 * 1024;
  const text = await readTextLimited(res, limit + 1);
  if (Buffer.byteLength(text) > limit)
    throw new ModelError(
      'bad-answer',
      `The model's answer is longer than ${maxAnswerChars} characters; NAVI stopped reading it.`,
    );
  return JSON.parse(text);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
