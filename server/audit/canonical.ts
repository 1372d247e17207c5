import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * RFC 8785 (JCS) canonical JSON and the event hash of the audit chain. The writer stores every
 * event as its canonical JSON, so `verify` can insist that a line is byte-for-byte the canonical
 * form of what it parses to: any edit shows, even one that keeps the same value.
 */

/** RFC 8785 canonical JSON of a JSON value. Throws for values JSON cannot hold (NaN, undefined). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('cannot canonicalize undefined');
  return text;
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes (or of bytes). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The chain hash of an event: SHA-256 of the canonical JSON of the event without `hash`. */
export function eventHash(event: Readonly<Record<string, unknown>>): string {
  const { hash: _hash, ...rest } = event;
  return sha256Hex(canonicalJson(rest));
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
