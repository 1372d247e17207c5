import assert from 'node:assert/strict';
import type { ModelChatParams, ModelChatResult } from '../../../protocol/fix';
import { sseEvents, SseEventTooLong, type SseEvent } from '../../../server/tasks/fix/model/sse';
import {
  anthropic,
  ModelBudgetTracker,
  ModelError,
  modelSettingsFromEnv,
  ModelSettingsError,
  openAiCompatible,
  providerFor,
  type HttpOptions,
  type ModelErrorKind,
  type ModelProvider,
  type ModelRequest,
} from '../../../server/tasks/fix/model';
import {
  closedPortUrl,
  startAnthropicServer,
  startOpenAiServer,
  type ModelServer,
} from '../../fixtures/modelServers';

/**
 * The model providers against local servers that speak OpenAI's and Anthropic's real wire
 * formats (test/fixtures/modelServers.ts) over real HTTP: nothing is mocked between the client
 * and the socket. Back-off delays are 1 ms so retries cost nothing; timeouts are short.
 */

const KEY = 'sk-test-0123456789abcdefghij-SECRET';
const REQ: ModelRequest = {
  system: 'You fix errors.',
  messages: [{ role: 'user', content: 'Fix src/a.ts' }],
  maxTokens: 1000,
};
const FAST: HttpOptions = { baseDelayMs: 1, maxDelayMs: 5 };
const LONG_TEXT = 'The answer, streamed in many small pieces: { "edits": [] } — ünïcödé ✓ 🙂.';

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const signal = () => new AbortController().signal;

/** The ModelError a promise rejects with; fails when it resolves or rejects with anything else. */
async function modelError(promise: Promise<unknown>, kind: ModelErrorKind): Promise<ModelError> {
  const error = await promise.then(
    (value) => assert.fail(`expected a ${kind} ModelError, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ModelError, `expected a ModelError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  return error;
}

function openAi(options: HttpOptions & { apiKey?: string } = {}): ModelProvider {
  return openAiCompatible({ ...FAST, baseUrl: server!.baseUrl, model: 'gpt-4o-mini', ...options });
}

function claude(options: HttpOptions & { apiKey?: string } = {}): ModelProvider {
  return anthropic({
    ...FAST,
    baseUrl: server!.baseUrl,
    model: 'claude-sonnet-4-5',
    apiKey: KEY,
    ...options,
  });
}

describe('model providers: OpenAI-compatible', () => {
  it('streams: the answer is assembled from the deltas, usage and model are read, the request is a chat completion', async () => {
    server = await startOpenAiServer({
      apiKey: KEY,
      fallback: {
        text: LONG_TEXT,
        chunkChars: 3,
        usage: { input: 321, output: 54 },
        model: 'gpt-4o-mini-2024-07-18',
      },
    });
    const answer = await openAi({ apiKey: KEY }).chat(REQ, signal());
    assert.deepEqual(answer, {
      text: LONG_TEXT,
      model: 'gpt-4o-mini-2024-07-18',
      inputTokens: 321,
      outputTokens: 54,
    });
    const [seen] = server.requests;
    assert.equal(seen?.path, '/v1/chat/completions');
    assert.equal(seen?.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(seen?.body, {
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'You fix errors.' }, ...REQ.messages],
      max_tokens: 1000,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends no Authorization header without a key (local servers), and keeps a query string after the path', async () => {
    server = await startOpenAiServer();
    const provider = openAiCompatible({
      ...FAST,
      baseUrl: `${server.baseUrl}/?api-version=2024-10-21`,
      model: 'llama3',
    });
    assert.equal((await provider.chat(REQ, signal())).text, 'ok');
    assert.equal(server.requests[0]?.headers.authorization, undefined);
    assert.equal(server.requests[0]?.path, '/v1/chat/completions?api-version=2024-10-21');
  });

  it('reads a whole JSON completion from a server that ignores stream: true', async () => {
    server = await startOpenAiServer({
      fallback: { json: true, text: 'whole answer', usage: { input: 7, output: 3 } },
    });
    assert.deepEqual(await openAi().chat(REQ, signal()), {
      text: 'whole answer',
      model: 'gpt-4o-mini',
      inputTokens: 7,
      outputTokens: 3,
    });
  });

  it('retries 429 and 503 with back-off, then answers', async () => {
    server = await startOpenAiServer();
    server.script({ status: 429 }, { status: 503 });
    const retries: { retry: number; delayMs: number; reason: string }[] = [];
    const answer = await openAi({ onRetry: (r) => retries.push(r) }).chat(REQ, signal());
    assert.equal(answer.text, 'ok');
    assert.equal(server.requests.length, 3);
    assert.deepEqual(
      retries.map((r) => r.retry),
      [1, 2],
    );
    assert.match(retries[0]!.reason, /rate-limiting NAVI \(429\): Rate limit reached for gpt-4o-mini/);
    assert.match(retries[1]!.reason, /failed \(503\): The engine is currently overloaded/);
  });

  it('honours Retry-After, capped by maxRetryAfterMs', async () => {
    server = await startOpenAiServer();
    server.script({ status: 429, retryAfter: '0' }, { status: 503, retryAfter: '3600' });
    const delays: number[] = [];
    await openAi({ maxRetryAfterMs: 20, onRetry: (r) => delays.push(r.delayMs) }).chat(REQ, signal());
    assert.deepEqual(delays, [0, 20]);
  });

  it('gives up after the retries: rate-limited, saying how often it tried', async () => {
    server = await startOpenAiServer({ fallback: { status: 429 } });
    const error = await modelError(openAi({ retries: 2 }).chat(REQ, signal()), 'rate-limited');
    assert.equal(server.requests.length, 3);
    assert.equal(error.status, 429);
    assert.match(error.message, /NAVI tried 3 times/);
  });

  it('does not retry 400 or 404; a 404 says to check the base URL', async () => {
    server = await startOpenAiServer({ fallback: { status: 400 } });
    const bad = await modelError(openAi().chat(REQ, signal()), 'server');
    assert.match(bad.message, /refused the request \(400\): Invalid value for 'max_tokens'/);
    assert.equal(server.requests.length, 1);
    const wrongPath = openAiCompatible({ ...FAST, baseUrl: server.baseUrl.replace(/\/v1$/, ''), model: 'm' });
    const notFound = await modelError(wrongPath.chat(REQ, signal()), 'server');
    assert.equal(notFound.status, 404);
    assert.match(
      notFound.message,
      /refused the request \(404\): Invalid URL \(POST \/chat\/completions\)\. Check the base URL \(it usually ends in \/v1\)/,
    );
    assert.equal(server.requests.length, 2);
  });

  it('401 with a wrong key: bad-key at once, and neither the key nor the part OpenAI echoes is in the message', async () => {
    server = await startOpenAiServer({ apiKey: 'sk-the-right-one-000000000000' });
    const error = await modelError(openAi({ apiKey: KEY }).chat(REQ, signal()), 'bad-key');
    assert.equal(
      error.message,
      'The model endpoint rejected the API key (401). Check NAVI_MODEL_API_KEY / the key in settings.',
    );
    assert.equal(server.requests.length, 1);
    assert.ok(!error.message.includes(KEY.slice(-4)) && !error.stack?.includes(KEY));
  });

  it('401 without a key: says that none is set', async () => {
    server = await startOpenAiServer({ apiKey: KEY });
    const error = await modelError(openAi().chat(REQ, signal()), 'bad-key');
    assert.match(error.message, /needs an API key \(401\) and none is set\. Set NAVI_MODEL_API_KEY/);
  });

  it('a key in the provider’s own error text is never shown', async () => {
    server = await startOpenAiServer({
      fallback: {
        status: 200,
        raw: {
          contentType: 'text/event-stream',
          body: `data: {"error":{"message":"upstream said ${KEY} is wrong"}}\n\n`,
        },
      },
    });
    const error = await modelError(openAi({ apiKey: KEY, retries: 0 }).chat(REQ, signal()), 'server');
    assert.match(error.message, /upstream said \*+ is wrong/);
    assert.ok(!error.message.includes(KEY));
  });

  it('connection refused: unreachable, naming the URL and asking whether the server runs', async () => {
    const url = await closedPortUrl();
    const provider = openAiCompatible({ ...FAST, baseUrl: url, model: 'm', apiKey: KEY });
    const error = await modelError(provider.chat(REQ, signal()), 'unreachable');
    assert.equal(
      error.message,
      `Could not reach ${url}/chat/completions: connection refused. Is the server running? (NAVI tried 4 times.)`,
    );
  });

  it('a connection dropped before the answer is retried', async () => {
    server = await startOpenAiServer();
    server.script({ drop: 'before-headers' });
    assert.equal((await openAi().chat(REQ, signal())).text, 'ok');
    assert.equal(server.requests.length, 2);
  });

  it('a connection dropped in the middle of the answer is not retried (the tokens are spent)', async () => {
    server = await startOpenAiServer({ fallback: { text: LONG_TEXT, drop: 'mid-answer' } });
    const error = await modelError(openAi().chat(REQ, signal()), 'unreachable');
    assert.match(error.message, /closed in the middle of the answer/);
    assert.equal(server.requests.length, 1);
  });

  it('a stream that ends without [DONE] or a finish reason is a cut answer, not an answer', async () => {
    const body = 'data: {"choices":[{"delta":{"content":"half an ans"}}]}\n\n';
    server = await startOpenAiServer({ fallback: { raw: { contentType: 'text/event-stream', body } } });
    const error = await modelError(openAi().chat(REQ, signal()), 'unreachable');
    assert.match(error.message, /closed in the middle of the answer \(the server closed the connection\)/);
  });

  it('times out a stalled answer with timeout, and a slow status line too', async () => {
    server = await startOpenAiServer({ fallback: { stall: true } });
    const stalled = await modelError(openAi({ timeoutMs: 150 }).chat(REQ, signal()), 'timeout');
    assert.match(stalled.message, /did not finish answering within 0\.15 s/);
    server.script({ delayMs: 10_000 });
    await modelError(openAi({ timeoutMs: 150, retries: 0 }).chat(REQ, signal()), 'timeout');
  });

  it('abort stops a request at once: while waiting for the answer, during back-off, or before it starts', async () => {
    server = await startOpenAiServer({ fallback: { stall: true } });
    const waiting = new AbortController();
    const pending = openAi().chat(REQ, waiting.signal);
    await server.nextRequest();
    waiting.abort();
    await modelError(pending, 'cancelled');

    server.script({ status: 503 });
    const backingOff = new AbortController();
    const retrying = openAi({
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
      onRetry: () => backingOff.abort(),
    }).chat(REQ, backingOff.signal);
    await modelError(retrying, 'cancelled');

    const before = server.requests.length;
    await modelError(openAi().chat(REQ, AbortSignal.abort()), 'cancelled');
    assert.equal(server.requests.length, before);
  });

  it('an answer over the size bound is bad-answer, streamed or whole', async () => {
    server = await startOpenAiServer({ fallback: { text: 'x'.repeat(5000), chunkChars: 100 } });
    const streamed = await modelError(openAi({ maxAnswerChars: 1000 }).chat(REQ, signal()), 'bad-answer');
    assert.match(streamed.message, /longer than 1000 characters/);
    server.script({ json: true, text: 'x'.repeat(50_000) });
    await modelError(openAi({ maxAnswerChars: 1000 }).chat(REQ, signal()), 'bad-answer');
  });

  it('malformed events, an HTML page and an answer cut at the token limit are bad-answer', async () => {
    server = await startOpenAiServer();
    server.script({
      raw: { contentType: 'text/event-stream', body: 'data: {"choices": [{"delta": {"content": "a"\n\n' },
    });
    assert.match((await modelError(openAi().chat(REQ, signal()), 'bad-answer')).message, /malformed event/);
    server.script({ raw: { contentType: 'text/event-stream', body: 'data: {"choices": "many"}\n\n' } });
    assert.match((await modelError(openAi().chat(REQ, signal()), 'bad-answer')).message, /unexpected shape/);
    server.script({ raw: { contentType: 'text/html', body: '<html>Sign in to the proxy</html>' } });
    assert.match(
      (await modelError(openAi().chat(REQ, signal()), 'bad-answer')).message,
      /did not answer like an OpenAI-compatible .*text\/html/,
    );
    server.script({ stop: 'length' });
    assert.match(
      (await modelError(openAi().chat(REQ, signal()), 'bad-answer')).message,
      /cut off at its token limit/,
    );
  });

  it('an error reported inside the stream is retried before any answer text, final after it', async () => {
    server = await startOpenAiServer();
    server.script({ text: '', streamError: { type: 'server_error', message: 'backend restarting' } });
    assert.equal((await openAi().chat(REQ, signal())).text, 'ok');
    server.script({ text: 'partial', streamError: { type: 'server_error', message: 'backend died' } });
    const error = await modelError(openAi().chat(REQ, signal()), 'server');
    assert.match(error.message, /failed while answering: backend died/);
  });
});

describe('model providers: Anthropic', () => {
  it('streams: text deltas assembled, thinking and pings skipped, usage from message_start and message_delta', async () => {
    server = await startAnthropicServer({
      apiKey: KEY,
      fallback: {
        text: LONG_TEXT,
        chunkChars: 5,
        thinking: 'Let me think.',
        usage: { input: 410, output: 77 },
        model: 'claude-sonnet-4-5-20250929',
      },
    });
    const answer = await claude().chat(REQ, signal());
    assert.deepEqual(answer, {
      text: LONG_TEXT,
      model: 'claude-sonnet-4-5-20250929',
      inputTokens: 410,
      outputTokens: 77,
    });
    const [seen] = server.requests;
    assert.equal(seen?.path, '/v1/messages');
    assert.equal(seen?.headers['x-api-key'], KEY);
    assert.equal(seen?.headers['anthropic-version'], '2023-06-01');
    assert.deepEqual(seen?.body, {
      model: 'claude-sonnet-4-5',
      system: 'You fix errors.',
      messages: REQ.messages,
      max_tokens: 1000,
      stream: true,
    });
  });

  it('401 (authentication_error): bad-key without the key; 403: bad-key', async () => {
    server = await startAnthropicServer({ apiKey: 'sk-ant-right-key-0000000000' });
    const error = await modelError(claude().chat(REQ, signal()), 'bad-key');
    assert.ok(!error.message.includes(KEY));
    assert.equal(server.requests.length, 1);
    await server.close();
    server = await startAnthropicServer({ fallback: { status: 403 } });
    assert.equal((await modelError(claude().chat(REQ, signal()), 'bad-key')).status, 403);
  });

  it('retries 529 overloaded and an overloaded error event before any text', async () => {
    server = await startAnthropicServer();
    server.script(
      { status: 529 },
      { text: '', streamError: { type: 'overloaded_error', message: 'Overloaded' } },
    );
    assert.equal((await claude().chat(REQ, signal())).text, 'ok');
    assert.equal(server.requests.length, 3);
  });

  it('a rate_limit_error event after text is rate-limited and final', async () => {
    server = await startAnthropicServer({
      fallback: { text: 'some text', streamError: { type: 'rate_limit_error', message: 'slow down' } },
    });
    assert.match((await modelError(claude().chat(REQ, signal()), 'rate-limited')).message, /slow down/);
    assert.equal(server.requests.length, 1);
  });

  it('a stream without message_stop is cut; max_tokens is bad-answer; a 404 says the base URL goes without /v1', async () => {
    server = await startAnthropicServer();
    server.script({ text: LONG_TEXT, drop: 'mid-answer' });
    await modelError(claude().chat(REQ, signal()), 'unreachable');
    server.script({ stop: 'max_tokens' });
    await modelError(claude().chat(REQ, signal()), 'bad-answer');
    const withV1 = anthropic({ ...FAST, baseUrl: `${server.baseUrl}/v1`, model: 'm', apiKey: KEY });
    assert.match((await modelError(withV1.chat(REQ, signal()), 'server')).message, /without \/v1/);
  });
});

describe('model providers: the event-stream reader', () => {
  async function read(pieces: (string | Uint8Array)[], max = 1000): Promise<SseEvent[]> {
    async function* chunks() {
      for (const p of pieces) yield typeof p === 'string' ? new TextEncoder().encode(p) : p;
    }
    const out: SseEvent[] = [];
    for await (const e of sseEvents(chunks(), max)) out.push(e);
    return out;
  }

  it('reads CRLF, CR and LF lines split anywhere, a character split across chunks, comments and multi-line data', async () => {
    const smile = new TextEncoder().encode('🙂');
    const events = await read([
      ': keep-alive\r',
      '\nevent: a\r\ndata: one\r',
      '\n\r\ndata:two\rdata:  three\r\r',
      'data: ',
      smile.subarray(0, 2),
      smile.subarray(2),
      '\n\n',
      'data: last without blank line',
    ]);
    assert.deepEqual(events, [
      { event: 'a', data: 'one' },
      { event: 'message', data: 'two\n three' },
      { event: 'message', data: '🙂' },
      { event: 'message', data: 'last without blank line' },
    ]);
  });

  it('an event longer than the bound is refused (a stream without line ends cannot fill memory)', async () => {
    await assert.rejects(read(['data: ', 'x'.repeat(600), 'y'.repeat(600)]), SseEventTooLong);
    server = await startOpenAiServer({
      fallback: { raw: { contentType: 'text/event-stream', body: `data: ${'x'.repeat(200_000)}` } },
    });
    const error = await modelError(openAi({ maxAnswerChars: 1000 }).chat(REQ, signal()), 'bad-answer');
    assert.match(error.message, /could not read \(an event longer than 66536 characters\)/);
  });
});

describe('model providers: providerFor and VS Code’s language model', () => {
  const result: ModelChatResult = { text: 'from VS Code', model: 'copilot-gpt-4o', inputTokens: 10 };

  it('vscode-lm sends the request and the model through clientChat and checks the answer', async () => {
    const seen: ModelChatParams[] = [];
    const provider = providerFor(
      { provider: 'vscode-lm', model: 'gpt-4o' },
      { clientChat: async (p) => (seen.push(p), result) },
    );
    assert.equal(provider.id, 'vscode-lm');
    assert.deepEqual(await provider.chat(REQ, signal()), result);
    assert.deepEqual(seen, [{ model: 'gpt-4o', ...REQ }]);
    const odd = providerFor(
      { provider: 'vscode-lm' },
      { clientChat: async () => ({ text: 1 }) as unknown as ModelChatResult },
    );
    await modelError(odd.chat(REQ, signal()), 'bad-answer');
  });

  it('vscode-lm without a client is unreachable; a client that ignores abort is still cancelled at once', async () => {
    assert.throws(
      () => providerFor({ provider: 'vscode-lm' }),
      (e: unknown) => e instanceof ModelError && e.kind === 'unreachable',
    );
    const ctl = new AbortController();
    const slow = providerFor({ provider: 'vscode-lm' }, { clientChat: () => new Promise(() => {}) });
    const pending = slow.chat(REQ, ctl.signal);
    ctl.abort();
    await modelError(pending, 'cancelled');
    const failing = providerFor(
      { provider: 'vscode-lm' },
      { clientChat: async () => Promise.reject(new Error('NoPermissions')) },
    );
    assert.match((await modelError(failing.chat(REQ, signal()), 'server')).message, /NoPermissions/);
  });

  it('openai-compatible and anthropic settings give the HTTP providers', async () => {
    server = await startAnthropicServer({ apiKey: KEY });
    const provider = providerFor(
      { provider: 'anthropic', baseUrl: server.baseUrl, model: 'claude-x', apiKey: KEY },
      { http: FAST },
    );
    assert.equal(provider.id, 'anthropic');
    assert.equal((await provider.chat(REQ, signal())).text, 'ok');
    assert.equal(
      providerFor({ provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' }).id,
      'openai-compatible',
    );
  });
});

describe('model settings from the environment (CLI)', () => {
  const settingsError = (env: Record<string, string>, pattern: RegExp) =>
    assert.throws(
      () => modelSettingsFromEnv(env),
      (e: unknown) => e instanceof ModelSettingsError && pattern.test(e.message) && !e.message.includes(KEY),
    );

  it('no NAVI_MODEL* variable: no model, even with OPENAI_API_KEY set', () => {
    assert.equal(modelSettingsFromEnv({ OPENAI_API_KEY: KEY, PATH: '/bin' }), undefined);
  });

  it('reads each provider, with its default base URL and its own key variable', () => {
    assert.deepEqual(
      modelSettingsFromEnv({
        NAVI_MODEL_PROVIDER: 'openai-compatible',
        NAVI_MODEL: 'gpt-4o-mini',
        OPENAI_API_KEY: KEY,
      }),
      {
        provider: 'openai-compatible',
        baseUrl: 'https://api.openai.com/v1',
        model: 'gpt-4o-mini',
        apiKey: KEY,
      },
    );
    assert.deepEqual(
      modelSettingsFromEnv({
        NAVI_MODEL_PROVIDER: 'anthropic',
        NAVI_MODEL: 'claude-x',
        ANTHROPIC_API_KEY: 'a',
        NAVI_MODEL_API_KEY: KEY,
        OPENAI_API_KEY: 'o',
      }),
      { provider: 'anthropic', baseUrl: 'https://api.anthropic.com', model: 'claude-x', apiKey: KEY },
    );
    assert.deepEqual(
      modelSettingsFromEnv({
        NAVI_MODEL_PROVIDER: 'openai-compatible',
        NAVI_MODEL: 'llama3',
        NAVI_MODEL_BASE_URL: 'http://127.0.0.1:11434/v1',
      }),
      { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' },
    );
  });

  it('half-configured environments say what to set, never echoing the key', () => {
    settingsError(
      { NAVI_MODEL: 'gpt-4o', NAVI_MODEL_API_KEY: KEY },
      /NAVI_MODEL and NAVI_MODEL_API_KEY are set but NAVI_MODEL_PROVIDER is not/,
    );
    settingsError(
      { NAVI_MODEL_PROVIDER: 'openai', NAVI_MODEL: 'm' },
      /openai is not a provider NAVI knows: use openai-compatible or anthropic/,
    );
    settingsError({ NAVI_MODEL_PROVIDER: 'vscode-lm' }, /works only in VS Code/);
    settingsError(
      { NAVI_MODEL_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: KEY },
      /NAVI_MODEL is not set: name the model \(e\.g\. NAVI_MODEL=claude/,
    );
    settingsError(
      { NAVI_MODEL_PROVIDER: 'anthropic', NAVI_MODEL: 'c' },
      /no API key is set: set NAVI_MODEL_API_KEY \(or ANTHROPIC_API_KEY\)/,
    );
    settingsError(
      {
        NAVI_MODEL_PROVIDER: 'openai-compatible',
        NAVI_MODEL: 'm',
        NAVI_MODEL_BASE_URL: 'localhost:11434',
        NAVI_MODEL_API_KEY: KEY,
      },
      /not an http\(s\) URL/,
    );
  });
});

describe('model budget', () => {
  it('counts attempts per error group', () => {
    const budget = new ModelBudgetTracker({ attempts: 2 });
    budget.record({ inputTokens: 100, outputTokens: 10 }, 'src/a.ts');
    assert.ok(budget.canTry('src/a.ts'));
    budget.record({}, 'src/a.ts');
    assert.equal(budget.canTry('src/a.ts'), false);
    assert.match(budget.reason('src/a.ts') ?? '', /had its 2 attempts at these errors \(src\/a\.ts\)/);
    assert.ok(budget.canTry('src/b.ts'));
  });

  it('stops at the token budget, estimating counts the provider did not give from characters', () => {
    const budget = new ModelBudgetTracker({ tokens: 1000, attempts: 10 });
    budget.record({ inputTokens: 600, answerChars: 1600 });
    assert.equal(budget.usedTokens(), 1000);
    assert.equal(budget.canTry('other'), false);
    assert.match(budget.reason() ?? '', /used 1000 tokens, its budget of 1000/);
    assert.throws(
      () => budget.assertCanTry(),
      (e: unknown) => e instanceof ModelError && e.kind === 'budget',
    );
  });

  it('stops at the time budget of the whole task', () => {
    let now = 0;
    const budget = new ModelBudgetTracker({ timeMs: 60_000 }, () => now);
    now = 59_000;
    assert.equal(budget.remainingMs(), 1000);
    assert.ok(budget.canTry());
    now = 60_000;
    assert.match(budget.reason() ?? '', /time budget of 1 min/);
  });
});
