/**
 * The `text/event-stream` format (HTML Living Standard, "Server-sent events"), read from a body's
 * byte chunks. Both providers stream their answers in it: OpenAI as `data:` lines only, Anthropic
 * with `event:` names. No EventSource: it only does GET and cannot send a body or an API key.
 */

/** One event was longer than the reader's bound (http.ts reports it as `bad-answer`). */
export class SseEventTooLong extends Error {}

/** One server-sent event: its `event:` name (`message` when none) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads a `text/event-stream` body as the HTML spec's event-stream format: UTF-8, lines ending in
 * CR, LF or CRLF, `:` comments, `field: value`, an empty line dispatching the event. An event
 * still open at the end is dispatched too (some servers omit the last blank line). One event
 * longer than `maxEventChars` is an error, so a stream without line ends cannot fill memory.
 */
export async function* sseEvents(
  chunks: AsyncIterable<Uint8Array>,
  maxEventChars: number,
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  const state = { buffer: '', event: '', data: [] as string[], size: 0 };
  for await (const chunk of chunks) {
    state.buffer += decoder.decode(chunk, { stream: true });
    yield* takeEvents(state, maxEventChars);
  }
  state.buffer += decoder.decode() + '\n';
  yield* takeEvents(state, maxEventChars);
  if (state.data.length) yield { event: state.event || 'message', data: state.data.join('\n') };
}

interface SseState {
  buffer: string;
  event: string;
  data: string[];
  size: number;
}

function* takeEvents(state: SseState, max: number): Generator<SseEvent> {
  // A lone CR at the very end may be the first half of a CRLF split across chunks: wait for more.
  // (A fresh regex each call: a shared global one's lastIndex would be shared by concurrent streams.)
  const lineEnd = /\r\n|\r(?!$)|\n/g;
  let start = 0;
  for (let m = lineEnd.exec(state.buffer); m; m = lineEnd.exec(state.buffer)) {
    const line = state.buffer.slice(start, m.index);
    start = m.index + m[0].length;
    if (line === '') {
      if (state.data.length) yield { event: state.event || 'message', data: state.data.join('\n') };
      Object.assign(state, { event: '', data: [], size: 0 });
    } else field(state, line);
  }
  state.buffer = state.buffer.slice(start);
  if (state.size + state.buffer.length > max)
    throw new SseEventTooLong(`an event longer than ${max} characters`);
}

function field(state: SseState, line: string): void {
  if (line.startsWith(':')) return;
  const colon = line.indexOf(':');
  const name = colon < 0 ? line : line.slice(0, colon);
  const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
  if (name === 'event') state.event = value;
  if (name === 'data') {
    state.data.push(value);
    state.size += value.length;
  }
}
