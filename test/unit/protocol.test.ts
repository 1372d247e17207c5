import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { ErrorCodes } from '../../protocol/errors';
import { notifications, requests, ScanParams } from '../../protocol/requests';
import { ScanReport } from '../../protocol/scanReport';
import { Settings } from '../../protocol/settings';
import { HostMessage, PanelMessage } from '../../protocol/webviewMessages';
// The Fixes card's messages and the model settings have schemas of their own.
import { ModelSettingValues } from '../../extension/features/fix/modelConfig';
import { FixHostMessage, FixPanelMessage } from '../../protocol/fixMessages';
import { MetricsHostMessage, MetricsPanelMessage } from '../../protocol/metricsMessages';

const root = path.resolve(__dirname, '..', '..');
const doc = fs.readFileSync(path.join(root, 'docs', 'protocol.md'), 'utf8');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown }> } };
};

/** Every key path of an object schema, arrays marked `[]`: `inventory.languages[]`, `risks[].evidence[].path`. */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return keyPaths(schema.unwrap() as z.ZodType, prefix);
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([k, v]) => {
      let child = v;
      while (child instanceof z.ZodOptional) child = child.unwrap() as z.ZodType;
      const p = `${prefix ? `${prefix}.` : ''}${k}${child instanceof z.ZodArray ? '[]' : ''}`;
      return [p, ...keyPaths(child instanceof z.ZodArray ? (child.element as z.ZodType) : child, p)];
    });
  }
  return [];
}

/** A field is documented by its own row, or by name in its parent's row (`{path, line?, detail?}`). */
function documented(fieldPath: string): boolean {
  if (doc.includes(`| \`${fieldPath}\``)) return true;
  const cut = fieldPath.lastIndexOf('.');
  if (cut < 0) return false;
  const parentRow = doc.split('\n').find((l) => l.startsWith(`| \`${fieldPath.slice(0, cut)}\``));
  return parentRow !== undefined && new RegExp(`\\b${fieldPath.slice(cut + 1)}\\b`).test(parentRow);
}

describe('protocol', () => {
  it('documents every navi/* message in docs/protocol.md', () => {
    for (const m of [...requests, ...notifications]) {
      assert.match(m.method, /^navi\//);
      assert.ok(doc.includes(`\`${m.method}\``), `${m.method} is missing from docs/protocol.md`);
    }
  });

  it('documents every error code', () => {
    for (const [name, code] of Object.entries(ErrorCodes)) {
      const row = new RegExp(`\\| ${code} +\\| ${name} +\\|`);
      assert.match(doc, row, `error ${name} (${code}) is missing from docs/protocol.md`);
    }
  });

  it('documents every top-level and nested scan report field', () => {
    const paths = keyPaths(ScanReport).map((p) =>
      p.replace(/\.commands\.(install|build|lint|typecheck|format|test|start)/, '.commands.K'),
    );
    assert.ok(paths.includes('risks[].evidence[].path'));
    assert.deepEqual([...new Set(paths.filter((p) => !documented(p)))], []);
  });

  it('documents every webview message kind', () => {
    for (const union of [
      HostMessage,
      PanelMessage,
      FixHostMessage,
      FixPanelMessage,
      MetricsHostMessage,
      MetricsPanelMessage,
    ]) {
      for (const option of union.options) {
        const kind = (option.shape.kind as z.ZodLiteral<string>).value;
        assert.ok(doc.includes(`\`${kind}`), `webview message ${kind} is missing from docs/protocol.md`);
      }
    }
  });

  it('rejects scan params a client must not send', () => {
    assert.equal(ScanParams.safeParse({ root: '/x', scanId: 'a' }).success, true);
    assert.equal(ScanParams.safeParse({ root: '', scanId: 'a' }).success, false);
    assert.equal(ScanParams.safeParse({ root: '/x', scanId: 'a', maxFileBytes: 10 }).success, false);
    assert.equal(ScanParams.safeParse({ root: '/x', scanId: 'a', shell: 'rm -rf /' }).success, false);
  });

  it('keeps settings defaults in package.json and the settings schema equal', () => {
    const props = manifest.contributes.configuration.properties;
    const defaults = { ...Settings.parse({}), ...ModelSettingValues.parse({}) };
    assert.deepEqual(
      Object.keys(props).sort(),
      Object.keys(defaults)
        .map((k) => `navi.${k}`)
        .sort(),
    );
    for (const [key, value] of Object.entries(defaults))
      assert.deepEqual(props[`navi.${key}`]?.default, value, key);
  });
});
