import { createHash, type Hash } from 'node:crypto';

/** What is kept of a command's (redacted) output in memory: its start, its end, its size and hash. */
export interface OutputSummary {
  /** The first `keep` bytes (cut at a character boundary). */
  head: string;
  /** The last bytes after `head`, at most `keep` (cut at a character boundary); '' if all fit in `head`. */
  tail: string;
  /** Size of the whole output, in bytes. */
  bytes: number;
  /** True when bytes were dropped between `head` and `tail`. */
  truncated: boolean;
  /** SHA-256 (hex) of the whole output. */
  sha256: string;
}

/**
 * Keeps the head and the tail of a stream of bytes and hashes all of it: memory stays at about
 * `2 × keep` plus one chunk however long the output is.
 */
export class HeadTailBuffer {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private readonly tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly keep: number) {
    if (!Number.isInteger(keep) || keep < 0)
      throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    this.hash.update(chunk);
    let rest = chunk;
    if (this.headBytes < this.keep) {
      const take = Math.min(this.keep - this.headBytes, rest.length);
      // A copy: the head stays for the whole run, `chunk` may be a slice of something larger.
      this.head.push(Buffer.from(rest.subarray(0, take)));
      this.headBytes += take;
      rest = rest.subarray(take);
      if (rest.length === 0) return;
    }
    if (this.keep === 0) return;
    // The tail keeps references (no copy per chunk: most are dropped again soon); a chunk is the
    // caller's to hand over and never changed afterwards.
    this.tail.push(rest.length > this.keep ? Buffer.from(rest.subarray(rest.length - this.keep)) : rest);
    this.tailBytes += Math.min(rest.length, this.keep);
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= this.keep) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  get bytes(): number {
    return this.total;
  }

  /** Ends the buffer; call once. */
  summary(): OutputSummary {
    let head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.keep) tail = tail.subarray(tail.length - this.keep);
    const truncated = this.total > head.length + tail.length;
    // A character cut by the head/tail boundary: when nothing lies between them it belongs to the
    // tail whole; otherwise both halves are dropped.
    const partial = incompleteSuffix(head);
    if (partial > 0) {
      if (!truncated) tail = Buffer.concat([head.subarray(head.length - partial), tail]);
      head = head.subarray(0, head.length - partial);
    }
    return {
      head: head.toString('utf8'),
      tail: decodeTail(tail),
      bytes: this.total,
      truncated,
      sha256: this.hash.digest('hex'),
    };
  }
}

/** Bytes at the end of `bytes` that start a UTF-8 character without finishing it. */
function incompleteSuffix(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/** Decodes, dropping UTF-8 continuation bytes at the start (the rest of a character cut off). */
function decodeTail(bytes: Buffer): string {
  let start = 0;
  while (start < Math.min(bytes.length, 3) && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}
