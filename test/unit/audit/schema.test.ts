import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import * as z from 'zod';
import { AUDIT_EVENT_TYPES, AuditEvent, AuditEventInput, Uuid7 } from '../../../protocol/audit';

const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'audit.md'), 'utf8');

/** Key paths of an object schema (`data.output.sha256`), through optional and nullable. */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  if (!(s instanceof z.ZodObject)) return [];
  return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return [p, ...keyPaths(v, p)];
  });
}

describe('audit event schema', () => {
  it('documents every field of every event type in docs/audit.md', () => {
    const variants = AuditEvent.options;
    assert.deepEqual(
      variants.map((v) => v.shape.type.value),
      AUDIT_EVENT_TYPES,
    );
    for (const variant of variants) {
      const type = variant.shape.type.value;
      assert.ok(doc.includes(`\`${type}\``), `docs/audit.md names ${type}`);
      for (const key of keyPaths(variant)) {
        assert.ok(doc.includes(`\`${key}\``), `docs/audit.md documents ${type} ${key}`);
      }
    }
  });

  it('accepts only UUIDv7 ids and refuses unknown fields at every level', () => {
    assert.ok(Uuid7.safeParse(uuidv7()).success);
    assert.ok(!Uuid7.safeParse(uuidv4()).success);
    assert.ok(!Uuid7.safeParse(uuidv7().toUpperCase()).success);
    const input = {
      type: 'command.executed',
      actor: { kind: 'system' },
      data: {
        commandId: uuidv7(),
        exitCode: 0,
        signal: null,
        durationMs: 5,
        timedOut: false,
        cancelled: false,
        sandboxed: false,
        output: { bytes: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      },
    };
    assert.ok(AuditEventInput.safeParse(input).success);
    assert.ok(!AuditEventInput.safeParse({ ...input, extra: 1 }).success);
    assert.ok(!AuditEventInput.safeParse({ ...input, actor: { kind: 'system', role: 'x' } }).success);
    assert.ok(
      !AuditEventInput.safeParse({
        ...input,
        data: { ...input.data, output: { ...input.data.output, x: 1 } },
      }).success,
    );
    assert.ok(!AuditEventInput.safeParse({ ...input, data: { ...input.data, durationMs: 1.5 } }).success);
    assert.ok(
      !AuditEventInput.safeParse({ ...input, type: 'session.started' }).success,
      'only the log writes it',
    );
  });
});
