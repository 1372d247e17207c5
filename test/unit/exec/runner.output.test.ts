import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HeadTailBuffer } from '../../../server/exec/output';

describe('exec/output: head and tail of a stream', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('keeps everything when it fits in head and tail', () => {
    const buffer = new HeadTailBuffer(8);
    for (const part of ['hello ', 'wor', 'ld!']) buffer.push(Buffer.from(part));
    const s = buffer.summary();
    assert.equal(s.head + s.tail, 'hello world!');
    assert.equal(s.head, 'hello wo');
    assert.equal(s.bytes, 12);
    assert.equal(s.truncated, false);
    assert.equal(s.sha256, sha(Buffer.from('hello world!')));
  });

  it('keeps the first and the last N bytes of a long stream and hashes all of it', () => {
    const all = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
    const buffer = new HeadTailBuffer(100);
    for (let i = 0; i < all.length; i += 37) buffer.push(all.subarray(i, i + 37));
    const s = buffer.summary();
    assert.equal(s.head, all.subarray(0, 100).toString());
    assert.equal(s.tail, all.subarray(all.length - 100).toString());
    assert.equal(s.bytes, all.length);
    assert.equal(s.truncated, true);
    assert.equal(s.sha256, sha(all));
  });

  it('takes a chunk larger than the whole budget', () => {
    const buffer = new HeadTailBuffer(4);
    buffer.push(Buffer.from('abcdefghijklmnop'));
    const s = buffer.summary();
    assert.deepEqual([s.head, s.tail, s.truncated], ['abcd', 'mnop', true]);
  });

  it('never splits a UTF-8 character: a cut one moves to the tail, or is dropped when bytes are skipped', () => {
    const text = 'ab€cd'; // € is 3 bytes: a b [e2 82 ac] c d
    const whole = new HeadTailBuffer(4);
    whole.push(Buffer.from(text));
    const s = whole.summary();
    assert.equal(s.head + s.tail, text, 'nothing truncated: nothing lost');
    assert.equal(s.head, 'ab');

    const cut = new HeadTailBuffer(3);
    cut.push(Buffer.from('ab€' + 'x'.repeat(10) + '€z'));
    const t = cut.summary();
    assert.equal(t.head, 'ab');
    assert.equal(t.tail, 'z', 'the partial € at the start of the tail is dropped');
    assert.equal(t.truncated, true);
  });

  it('holds memory to about twice the budget', () => {
    const buffer = new HeadTailBuffer(1024);
    const chunk = Buffer.alloc(4096, 'x');
    for (let i = 0; i < 10_000; i++) buffer.push(chunk);
    const internals = buffer as unknown as { tail: Buffer[]; head: Buffer[] };
    const held = [...internals.head, ...internals.tail].reduce((n, b) => n + b.length, 0);
    assert.ok(held <= 1024 + 4096, `${held} bytes held`);
    assert.equal(buffer.bytes, 40_960_000);
  });
});
