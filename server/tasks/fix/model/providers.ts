import * as z from 'zod';
import {
  ModelError,
  postWithRetries,
  resolveHttpOptions,
  responseEvents,
  responseJson,
  StreamCut,
  streamFailure,
  where,
  type AnswerText,
  type HttpOptions,
  type ModelAnswer,
  type WireRequest,
} from './http';

export { ModelError, type HttpOptions, type ModelAnswer, type ModelErrorKind } from './http';

/**
 * The model providers the fix task's model step talks to: any OpenAI-compatible chat completions
 * endpoint (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM, LM Studio…) and Anthropic's messages API,
 * both streamed over HTTP with Node's `fetch` and no SDK (an SDK would bring its own retries,
 * timeouts and logging, and NAVI wants one behaviour for all of them: http.ts). VS Code's Language
 * Model API is the third provider (index.ts): the agent asks the client for it.
 */

export interface ModelMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ModelRequest {
  system: string;
  messages: ModelMessage[];
  /** Most tokens the answer may have. */
  maxTokens: number;
}

export interface ModelProvider {
  /** `openai-compatible`, `anthropic` or `vscode-lm`: for the receipt and the log. */
  id: string;
  /** One answer. Rejects only with ModelError (`cancelled` when `signal` aborts, at once). */
  chat(req: ModelRequest, signal: AbortSignal): Promise<ModelAnswer>;
}

export interface EndpointOptions extends HttpOptions {
  baseUrl: string;
  model: string;
  /** Absent for local servers that need none; never logged, never in an error message. */
  apiKey?: string;
}

/** `${baseUrl}${path}`, keeping a query string (`?api-version=…`) after the path. */
function endpoint(baseUrl: string, path: string): string {
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible chat completions. Fields are read loosely (servers add their own) but typed.

const OpenAiUsage = z.object({
  prompt_tokens: z.number().int().nonnegative().optional(),
  completion_tokens: z.number().int().nonnegative().optional(),
});
const OpenAiError = z.object({ message: z.string().optional() }).or(z.string());

const OpenAiChunk = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: OpenAiUsage.nullish(),
  /** vLLM, OpenRouter and LiteLLM report a failure inside the stream this way. */
  error: OpenAiError.optional(),
});

const OpenAiCompletion = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() }),
    )
    .min(1),
  usage: OpenAiUsage.nullish(),
});

const errorText = (e: z.infer<typeof OpenAiError> | undefined) => (typeof e === 'string' ? e : e?.message);

export function openAiCompatible(options: EndpointOptions): ModelProvider {
  const o = resolveHttpOptions(options);
  return {
    id: 'openai-compatible',
    chat(req, signal) {
      const wire: WireRequest = {
        url: endpoint(options.baseUrl, '/chat/completions'),
        headers: {
          accept: 'text/event-stream',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: {
          model: options.model,
          messages: [{ role: 'system', content: req.system }, ...req.messages],
          max_tokens: req.maxTokens,
          stream: true,
          stream_options: { include_usage: true },
        },
        apiKey: options.apiKey,
        notFoundHint: 'Check the base URL (it usually ends in /v1) and the model name.',
        read: (res, text) => readOpenAi(res, text, options.model, o.maxAnswerChars),
        errorMessage: (body) => errorText(z.object({ error: OpenAiError }).safeParse(body).data?.error),
      };
      return postWithRetries(wire, o, signal);
    },
  };
}

/** A streamed answer, or a whole JSON one from servers that ignore `stream: true`. */
async function readOpenAi(res: Response, text: AnswerText, model: string, max: number): Promise<ModelAnswer> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('application/json')) return openAiWhole(await responseJson(res, max), text, model);
  expectEventStream(res, 'an OpenAI-compatible chat completions API');
  const answer: ModelAnswer = { text: '', model };
  let finish: string | undefined;
  let done = false;
  for await (const event of responseEvents(res, max)) {
    if (event.data === '[DONE]') {
      done = true;
      break;
    }
    const chunk = parse(OpenAiChunk, event.data);
    if (chunk.error !== undefined) throw streamFailure(endpointFailed(errorText(chunk.error)), text);
    answer.model = chunk.model || answer.model;
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) text.add(choice.delta.content);
    finish = choice?.finish_reason ?? finish;
    if (chunk.usage) setUsage(answer, chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
  }
  // `[DONE]` or a finish reason ends a complete answer; without either the connection dropped.
  if (!done && !finish) throw new StreamCut();
  return finished(answer, text, finish === 'length');
}

function openAiWhole(body: unknown, text: AnswerText, model: string): ModelAnswer {
  const completion = OpenAiCompletion.parse(body);
  const choice = completion.choices[0]!;
  text.add(choice.message.content ?? '');
  const answer: ModelAnswer = { text: '', model: completion.model || model };
  setUsage(answer, completion.usage?.prompt_tokens, completion.usage?.completion_tokens);
  return finished(answer, text, choice.finish_reason === 'length');
}

// ---------------------------------------------------------------------------------------------
// Anthropic messages

const AnthropicUsage = z.object({
  input_tokens: z.number().int().nonnegative().nullish(),
  output_tokens: z.number().int().nonnegative().nullish(),
});
const AnthropicError = z.object({ type: z.string().optional(), message: z.string().optional() });

const AnthropicEvent = z.object({
  type: z.string(),
  message: z.object({ model: z.string().optional(), usage: AnthropicUsage.optional() }).optional(),
  delta: z
    .object({ type: z.string().optional(), text: z.string().optional(), stop_reason: z.string().nullish() })
    .optional(),
  usage: AnthropicUsage.optional(),
  error: AnthropicError.optional(),
});

export function anthropic(options: Omit<EndpointOptions, 'baseUrl'> & { baseUrl?: string }): ModelProvider {
  const o = resolveHttpOptions(options);
  return {
    id: 'anthropic',
    chat(req, signal) {
      const wire: WireRequest = {
        url: endpoint(options.baseUrl ?? 'https://api.anthropic.com', '/v1/messages'),
        headers: {
          accept: 'text/event-stream',
          'anthropic-version': '2023-06-01',
          ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
        },
        body: {
          model: options.model,
          system: req.system,
          messages: req.messages,
          max_tokens: req.maxTokens,
          stream: true,
        },
        apiKey: options.apiKey,
        notFoundHint: 'Check the base URL (without /v1, e.g. https://api.anthropic.com) and the model name.',
        read: (res, text) => readAnthropic(res, text, options.model, o.maxAnswerChars),
        errorMessage: (body) => z.object({ error: AnthropicError }).safeParse(body).data?.error.message,
      };
      return postWithRetries(wire, o, signal);
    },
  };
}

async function readAnthropic(
  res: Response,
  text: AnswerText,
  model: string,
  max: number,
): Promise<ModelAnswer> {
  expectEventStream(res, "Anthropic's messages API");
  const answer: ModelAnswer = { text: '', model };
  let stop: string | undefined;
  for await (const event of responseEvents(res, max)) {
    const e = parse(AnthropicEvent, event.data);
    if (e.type === 'message_start') {
      answer.model = e.message?.model || model;
      setUsage(answer, e.message?.usage?.input_tokens, e.message?.usage?.output_tokens);
    } else if (e.type === 'content_block_delta' && e.delta?.type === 'text_delta') {
      text.add(e.delta.text ?? '');
    } else if (e.type === 'message_delta') {
      stop = e.delta?.stop_reason ?? stop;
      setUsage(answer, answer.inputTokens, e.usage?.output_tokens);
    } else if (e.type === 'error') {
      throw streamFailure(anthropicStreamError(e.error), text);
    } else if (e.type === 'message_stop') {
      return finished(answer, text, stop === 'max_tokens');
    }
    // ping, content_block_start/stop and thinking or tool deltas carry no answer text.
  }
  throw new StreamCut();
}

function anthropicStreamError(error: z.infer<typeof AnthropicError> | undefined): ModelError {
  if (error?.type === 'rate_limit_error')
    return new ModelError(
      'rate-limited',
      `The model endpoint is rate-limiting NAVI: ${error.message ?? ''}`.trim(),
    );
  return endpointFailed(error?.message ?? error?.type);
}

// ---------------------------------------------------------------------------------------------
// Shared by both readers

function expectEventStream(res: Response, api: string): void {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream')) return;
  throw new ModelError(
    'bad-answer',
    `${where(res.url)} did not answer like ${api} (content type "${type.slice(0, 80) || 'none'}"). Check the base URL.`,
  );
}

/** One `data:` payload: JSON of the expected shape, else the stream is malformed (`bad-answer`). */
function parse<T>(schema: z.ZodType<T>, data: string): T {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new ModelError(
      'bad-answer',
      `The model endpoint sent a malformed event: ${JSON.stringify(data.slice(0, 80))}.`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ModelError(
      'bad-answer',
      `The model endpoint sent an event of an unexpected shape: ${data.slice(0, 80)}.`,
    );
  return parsed.data;
}

function endpointFailed(message: string | undefined): ModelError {
  return new ModelError(
    'server',
    `The model endpoint failed while answering${message ? `: ${message.slice(0, 300)}` : ''}.`,
  );
}

function setUsage(
  answer: ModelAnswer,
  input: number | null | undefined,
  output: number | null | undefined,
): void {
  if (typeof input === 'number') answer.inputTokens = input;
  if (typeof output === 'number') answer.outputTokens = output;
}

/** The answer, unless the model stopped at the token limit: a cut answer is never a usable edit. */
function finished(answer: ModelAnswer, text: AnswerText, cutAtLimit: boolean): ModelAnswer {
  if (cutAtLimit)
    throw new ModelError(
      'bad-answer',
      "The model's answer was cut off at its token limit (maxTokens); ask for fewer errors at a time.",
    );
  return { ...answer, text: text.toString() };
}
