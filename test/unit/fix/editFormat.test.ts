import assert from 'node:assert/strict';
import type { Diagnostic } from '../../../protocol/diagnostics';
import { ModelChatParams } from '../../../protocol/fix';
import { applyEdits, buildPrompt, parseAnswer, type ModelEdit } from '../../../server/tasks/fix/model';
import { CONTEXT_LINES, MAX_EDITS, WHOLE_FILE_LINES } from '../../../server/tasks/fix/model/editFormat';

/**
 * The model's side of the edit format: what it is shown (buildPrompt), how strictly its answer
 * is read (parseAnswer) and how the edits land on the files' text (applyEdits).
 */

function diag(file: string, line: number, message: string, code = 'TS2304'): Diagnostic {
  return {
    file,
    range: { startLine: line, startColumn: 5 },
    code,
    source: 'ts',
    message,
    severity: 'error',
    checker: 'tsc',
  };
}

const numbered = (n: number) =>
  Array.from({ length: n }, (_, i) => `const line${i + 1} = ${i + 1};`).join('\n');
const answer = (edits: unknown[], extra: object = {}) =>
  JSON.stringify({ edits, explanation: 'why', ...extra });
const edit = (file: string, search: string, replace: string): ModelEdit => ({ file, search, replace });

describe('model edit format: the prompt', () => {
  it('shows a short file whole with line numbers, its diagnostics, and the answer format in the system prompt', () => {
    const prompt = buildPrompt({
      diagnostics: [diag('src/a.ts', 2, "Cannot find name 'readFileSync'.")],
      files: [{ path: 'src/a.ts', content: 'import x from "y";\nexport const t = readFileSync("f");\n' }],
    });
    assert.match(
      prompt.system,
      /\{"edits": \[\{"file": "src\/a\.ts", "search": "exact text", "replace": "new text"\}\]/,
    );
    assert.match(prompt.system, /without the line numbers/);
    assert.equal(prompt.messages.length, 1);
    const task = prompt.messages[0]!.content;
    assert.match(task, /## src\/a\.ts/);
    assert.match(task, /- line 2, column 5: error TS2304 \(ts\): Cannot find name 'readFileSync'\./);
    // A string, not a regex literal: TypeScript's import scanner (affected tests) reads the import inside a regex.
    const expected =
      '1 | import x from "y";\n2 | export const t = readFileSync("f");\n3 | \n```\n(the whole file, 3 lines)';
    assert.ok(task.includes(expected), task);
    // Whatever the prompt, it must fit what navi/modelChat carries to VS Code.
    ModelChatParams.parse({ ...prompt, maxTokens: 4000 });
  });

  it('shows a long file as numbered excerpts ±30 lines around each diagnostic, merging those that overlap', () => {
    const lines = 1000;
    const prompt = buildPrompt({
      diagnostics: [
        diag('src/big.ts', 100, 'one'),
        diag('src/big.ts', 120, 'two'),
        diag('src/big.ts', 900, 'three'),
      ],
      files: [{ path: 'src/big.ts', content: numbered(lines) }],
    });
    const task = prompt.messages[0]!.content;
    assert.ok(lines > WHOLE_FILE_LINES);
    assert.match(task, new RegExp(`\n  ${100 - CONTEXT_LINES} \\| const line${100 - CONTEXT_LINES} `));
    assert.ok(!task.includes(` ${100 - CONTEXT_LINES - 1} | `), 'nothing before the first excerpt');
    assert.match(task, new RegExp(` ${120 + CONTEXT_LINES} \\| .*\n…\n ${900 - CONTEXT_LINES} \\| `));
    assert.match(task, new RegExp(` ${900 + CONTEXT_LINES} \\| .*\n\`\`\`\n\\(excerpts of 1000 lines\\)`));
    assert.equal(task.split('\n…\n').length, 2, 'two excerpts: 100 and 120 merged');
  });

  it('uses a longer fence than any backtick run in the file, and names files with errors that were not given', () => {
    const prompt = buildPrompt({
      diagnostics: [diag('README.md', 1, 'format', 'format'), diag('src/gone.ts', 3, 'missing')],
      files: [{ path: 'README.md', content: '# Title\n\n```sh\nnpm test\n```\n' }],
    });
    const task = prompt.messages[0]!.content;
    assert.match(task, /\n````\n1 \| # Title/);
    assert.match(task, /## src\/gone\.ts \(not given: do not edit it\)\n\n- line 3/);
  });

  it('a second try sees its own edits and why NAVI did not keep them', () => {
    const last = {
      edits: [edit('src/a.ts', 'readFileSync(', 'fs.readFileSync(')],
      reason: 'it introduced a new type error',
      diagnosticsAfter: [diag('src/a.ts', 2, "Cannot find name 'fs'.")],
      failedTests: ['test/a.test.ts > reads the file'],
    };
    const prompt = buildPrompt({
      diagnostics: [diag('src/a.ts', 2, "Cannot find name 'readFileSync'.")],
      files: [{ path: 'src/a.ts', content: 'export const t = readFileSync("f");\n' }],
      lastAttempt: last,
    });
    assert.deepEqual(
      prompt.messages.map((m) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.deepEqual(JSON.parse(prompt.messages[1]!.content), { edits: last.edits });
    const feedback = prompt.messages[2]!.content;
    assert.match(feedback, /NAVI did not keep those edits: it introduced a new type error/);
    assert.match(feedback, /src\/a\.ts line 2, column 5: error TS2304 \(ts\): Cannot find name 'fs'\./);
    assert.match(feedback, /- test\/a\.test\.ts > reads the file/);
  });
});

describe('model edit format: reading the answer', () => {
  const allowed = ['src/a.ts', 'src/b.ts'];

  it('reads a bare JSON object, and one inside a ```json fence with a sentence around it', () => {
    const edits = [edit('src/a.ts', 'x', 'y')];
    assert.deepEqual(parseAnswer(answer(edits), allowed), { ok: true, edits, explanation: 'why' });
    const fenced = `Here is the fix:\n\n\`\`\`json\n${answer(edits)}\n\`\`\`\nThat should do it.`;
    assert.deepEqual(parseAnswer(fenced, allowed), { ok: true, edits, explanation: 'why' });
  });

  it('a replace text holding a fence is no fence', () => {
    const edits = [edit('src/a.ts', 'doc', 'doc\n```ts\ncode\n```\n')];
    const fenced = `\`\`\`json\n${JSON.stringify({ edits }, null, 2)}\n\`\`\``;
    assert.deepEqual(parseAnswer(fenced, allowed), { ok: true, edits });
  });

  const refusals: [string, string, RegExp][] = [
    ['prose only', 'I would change line 3.', /not a JSON object/],
    ['two fences', '```json\n{"edits": []}\n```\nor\n```json\n{"edits": []}\n```', /2 fenced blocks/],
    ['invalid JSON', '{"edits": [}', /not valid JSON/],
    [
      'an unknown field in an edit',
      answer([{ file: 'src/a.ts', search: 'x', replace: 'y', line: 3 }]),
      /edits\[0\]: Unrecognized key: "line"/,
    ],
    [
      'an unknown top-level field',
      answer([edit('src/a.ts', 'x', 'y')], { confidence: 0.9 }),
      /answer: Unrecognized key: "confidence"/,
    ],
    ['a missing replace', answer([{ file: 'src/a.ts', search: 'x' }]), /edits\[0\]\.replace/],
    ['an empty search', answer([edit('src/a.ts', '', 'y')]), /edits\[0\]\.search: search must not be empty/],
    [
      'a file not given',
      answer([edit('src/c.ts', 'x', 'y')]),
      /edits "src\/c\.ts", which is not one of the files given \(src\/a\.ts, src\/b\.ts\)/,
    ],
    [
      'a path spelled differently',
      answer([edit('./src/a.ts', 'x', 'y')]),
      /"\.\/src\/a\.ts", which is not one of the files given/,
    ],
    ['no edits', answer([], { explanation: 'the type is generated' }), /no edits: the type is generated/],
    [
      'too many edits',
      answer(Array.from({ length: MAX_EDITS + 1 }, () => edit('src/a.ts', 'x', 'y'))),
      /at most 50 edits/,
    ],
    [
      'over 200 KB of edit text',
      answer([edit('src/a.ts', 'x', 'y'.repeat(210 * 1024))]),
      /more than 204800; make smaller edits/,
    ],
  ];
  for (const [what, text, reason] of refusals)
    it(`refuses ${what}`, () => {
      const parsed = parseAnswer(text, allowed);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { reason: string }).reason, reason);
    });
});

describe('model edit format: applying the edits', () => {
  const files = new Map([
    ['src/a.ts', 'const a = 1;\nconst b = a + c;\nexport { a, b };\n'],
    ['src/b.ts', 'export const c = 2;\n'],
  ]);

  it('applies edits in order, a later one seeing the earlier, across files, and lists only changed files', () => {
    const result = applyEdits(files, [
      edit('src/a.ts', 'const a = 1;', 'import { c } from "./b";\nconst a = 1;'),
      edit('src/a.ts', 'import { c } from "./b";', 'import { c } from "./b.js";'),
      edit('src/b.ts', 'export const c = 2;', 'export const c = 2;'),
    ]);
    assert.deepEqual(result, {
      ok: true,
      changed: [
        {
          path: 'src/a.ts',
          before: files.get('src/a.ts'),
          after: 'import { c } from "./b.js";\nconst a = 1;\nconst b = a + c;\nexport { a, b };\n',
        },
      ],
    });
  });

  it('replaces literally ($& and $1 are text, not patterns)', () => {
    const result = applyEdits(files, [edit('src/b.ts', '= 2', "= '$&$1'")]);
    assert.ok(result.ok);
    assert.equal(result.changed[0]!.after, "export const c = '$&$1';\n");
  });

  it('keeps CRLF line ends when the model writes \\n (the prompt shows lines without their CR)', () => {
    const crlf = new Map([['src/w.ts', 'let x = 1;\r\nlet y = x;\r\n']]);
    const result = applyEdits(crlf, [
      edit('src/w.ts', 'let x = 1;\nlet y = x;', 'const x = 1;\nconst y = x;'),
    ]);
    assert.ok(result.ok);
    assert.equal(result.changed[0]!.after, 'const x = 1;\r\nconst y = x;\r\n');
  });

  const refusals: [string, ModelEdit[], RegExp][] = [
    [
      'a search not found',
      [edit('src/a.ts', 'const d', 'x')],
      /Edit 1 \(src\/a\.ts\): the search text was not found/,
    ],
    [
      'a search found twice, naming the lines',
      [edit('src/a.ts', 'const ', 'let ')],
      /occurs twice \(lines 1, 2\); include neighbouring lines/,
    ],
    [
      'a search whose occurrences overlap (aa in aaa)',
      [edit('src/b.ts', '= 2', '= "aaa"'), edit('src/b.ts', 'aa', 'b')],
      /Edit 2 \(src\/b\.ts\): the search text occurs twice/,
    ],
    [
      'a later search the earlier edit removed',
      [edit('src/b.ts', 'c = 2', 'd = 2'), edit('src/b.ts', 'c = 2', 'e = 2')],
      /Edit 2 \(src\/b\.ts\): the search text was not found/,
    ],
    [
      'a search with the prompt’s line numbers',
      [edit('src/a.ts', '1 | const a = 1;', 'x')],
      /includes the line numbers shown in the prompt/,
    ],
    ['a file not given', [edit('src/c.ts', 'x', 'y')], /Edit 1 \(src\/c\.ts\): the file was not given/],
    ['edits that change nothing', [edit('src/b.ts', 'c = 2', 'c = 2')], /change nothing/],
  ];
  for (const [what, edits, reason] of refusals)
    it(`refuses ${what}, leaving every file as it was`, () => {
      const before = new Map(files);
      const result = applyEdits(files, edits);
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
      assert.deepEqual(files, before);
    });
});
