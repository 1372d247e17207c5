import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  diagnosticCode,
  mergeDiagnostics,
  scopedDiagnostics,
  toProtocolDiagnostic,
  workspaceRelative,
  type EditorDiagnosticLike,
} from '../../../extension/features/fix/editorDiagnostics';
import { Diagnostic } from '../../../protocol/diagnostics';
import { FixParams } from '../../../protocol/fix';
import { diagnostic } from './fixBuilders';

const root = path.resolve('/work/app');
const file = (rel: string) => path.join(root, ...rel.split('/'));

/** A VS Code diagnostic as the editor reports it: 0-based lines and characters. */
function editor(over: Partial<EditorDiagnosticLike> = {}): EditorDiagnosticLike {
  return {
    range: { start: { line: 2, character: 12 }, end: { line: 2, character: 15 } },
    message: "Cannot find name 'add'.",
    severity: 0,
    source: 'ts',
    code: 2304,
    ...over,
  };
}

describe('editor diagnostics for navi/fix', () => {
  it('converts a TypeScript error to the one diagnostic model: 1-based, TS code, source, checker editor', () => {
    const d = toProtocolDiagnostic(root, file('src/main.ts'), editor());
    assert.deepEqual(d, {
      file: 'src/main.ts',
      range: { startLine: 3, startColumn: 13, endLine: 3, endColumn: 16 },
      code: 'TS2304',
      source: 'ts',
      message: "Cannot find name 'add'.",
      severity: 'error',
      checker: 'editor',
    });
    // What the agent receives must pass the protocol's schema, inside FixParams too.
    assert.equal(Diagnostic.safeParse(d).success, true);
    assert.equal(
      FixParams.safeParse({ runId: 'r', root, trusted: true, editorDiagnostics: [d] }).success,
      true,
    );
  });

  it('keeps codes of other sources as text, and a code object by its value', () => {
    assert.equal(diagnosticCode('eslint', { value: 'no-undef', target: 'https://eslint.org' }), 'no-undef');
    assert.equal(diagnosticCode('Pylance', 'reportUndefinedVariable'), 'reportUndefinedVariable');
    assert.equal(diagnosticCode('rustc', 425), '425');
    assert.equal(diagnosticCode('ts', '2304'), 'TS2304');
    assert.equal(diagnosticCode('ts', undefined), undefined);
    assert.equal(diagnosticCode('ts', ''), undefined);
  });

  it('maps severities and falls back to source "editor" when the diagnostic names none', () => {
    const w = toProtocolDiagnostic(
      root,
      file('a.py'),
      editor({ severity: 1, source: undefined, code: undefined }),
    );
    assert.equal(w?.severity, 'warning');
    assert.equal(w?.source, 'editor');
    assert.equal(w?.code, undefined);
    assert.equal(toProtocolDiagnostic(root, file('a.py'), editor({ severity: 2 }))?.severity, 'info');
    assert.equal(toProtocolDiagnostic(root, file('a.py'), editor({ severity: 3 }))?.severity, 'info');
  });

  it('drops files outside the workspace and the workspace folder itself', () => {
    assert.equal(toProtocolDiagnostic(root, path.resolve('/work/other/x.ts'), editor()), undefined);
    assert.equal(toProtocolDiagnostic(root, root, editor()), undefined);
    assert.equal(workspaceRelative(root, path.resolve('/work/app-other/x.ts')), undefined);
    assert.equal(workspaceRelative(root, file('a/b/c.ts')), 'a/b/c.ts');
  });

  it('cuts a message past the schema limit instead of dropping the diagnostic', () => {
    const d = toProtocolDiagnostic(root, file('src/main.ts'), editor({ message: 'x'.repeat(20_000) }));
    assert.ok(d, 'kept');
    assert.ok(d.message.length <= 8 * 1024 + 100);
    assert.match(d.message, /… \(cut\)$/);
    const empty = toProtocolDiagnostic(root, file('src/main.ts'), editor({ message: '  ' }));
    assert.equal(empty?.message, '(no message)');
  });

  it('scopes to the files asked for, keeps errors only by default, leaves NAVI’s own test failures out', () => {
    const all = [
      [file('src/main.ts'), [editor(), editor({ severity: 1, message: 'unused', code: 6133 })]],
      [file('src/other.ts'), [editor({ message: "Cannot find name 'sub'." })]],
      [
        file('test/a.test.js'),
        [editor({ source: 'NAVI tests', code: 'math > adds', message: 'expected 5' })],
      ],
      [path.resolve('/elsewhere/x.ts'), [editor()]],
    ] as const;
    const inMain = scopedDiagnostics(all, {
      root,
      files: new Set(['src/main.ts']),
      excludeSources: ['NAVI tests'],
    });
    assert.deepEqual(
      inMain.map((d) => [d.file, d.code]),
      [['src/main.ts', 'TS2304']],
    );
    const everywhere = scopedDiagnostics(all, { root, excludeSources: ['NAVI tests'] });
    assert.deepEqual(
      everywhere.map((d) => d.file),
      ['src/main.ts', 'src/other.ts'],
    );
    const withWarnings = scopedDiagnostics(all, {
      root,
      minSeverity: 'warning',
      excludeSources: ['NAVI tests'],
    });
    assert.equal(withWarnings.length, 3);
  });

  it('sends one diagnostic once, and merges the code action’s own diagnostics without duplicates', () => {
    const twice = scopedDiagnostics([[file('src/main.ts'), [editor(), editor()]]], { root });
    assert.equal(twice.length, 1);
    const warning = diagnostic({
      severity: 'warning',
      code: 'no-unused-vars',
      source: 'eslint',
      checker: 'editor',
    });
    const merged = mergeDiagnostics(twice, [twice[0]!, warning]);
    assert.deepEqual(
      merged.map((d) => d.code),
      ['TS2304', 'no-unused-vars'],
    );
  });

  it('sends at most 10,000 diagnostics (the schema’s limit)', () => {
    const many = Array.from({ length: 10_050 }, (_, i) =>
      editor({ range: { start: { line: i, character: 0 }, end: { line: i, character: 1 } } }),
    );
    const out = scopedDiagnostics([[file('big.ts'), many]], { root });
    assert.equal(out.length, 10_000);
  });
});
