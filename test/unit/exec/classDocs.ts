/**
 * The class tables of docs/policy.md, "Always denied: the classes": under a class heading, a table
 * whose rows name a class, an example that is denied and a neighbour that keeps its verdict
 * ("`cat .env` asks", "`echo $HTTP_PROXY` runs"). The tests judge every example with the real
 * judge, so the page cannot drift from the code.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const DOC = fs.readFileSync(path.resolve(__dirname, '../../../docs/policy.md'), 'utf8').split('\n');

export interface ClassRow {
  name: string;
  /** The command the row says is denied (absent: `—`). */
  denied?: string;
  /** The neighbour and the verdict the row gives it. */
  neighbour?: { command: string; verdict: 'ask' | 'allow' };
}

/** The text inside the first code span (`<U+XXXX>` stands for that character), or undefined. */
function codeSpan(cell: string): string | undefined {
  const m = /`([^`]+)`/.exec(cell);
  return m?.[1]!.replace(/<U\+([0-9A-F]{4,6})>/g, (_, hex: string) =>
    String.fromCodePoint(parseInt(hex, 16)),
  );
}

/** The rows of the table under `### heading`. */
export function classTable(heading: string): ClassRow[] {
  const start = DOC.findIndex((l) => l === `### ${heading}`);
  assert.ok(start >= 0, `docs/policy.md has no heading "### ${heading}"`);
  const rest = DOC.slice(start + 1);
  const end = rest.findIndex((l) => /^#{1,3} /.test(l));
  const table = (end < 0 ? rest : rest.slice(0, end)).filter((l) => l.startsWith('|'));
  assert.ok(table.length >= 3, `no table under "### ${heading}"`);
  const cells = (l: string) =>
    l
      .trim()
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
  assert.deepEqual(cells(table[0]!), ['Class', 'Example (denied)', 'Stays as it is']);
  return table.slice(2).map((line) => {
    const [name, denied, neighbour] = cells(line);
    const row: ClassRow = { name: name! };
    const d = codeSpan(denied!);
    if (d) row.denied = d;
    const n = codeSpan(neighbour!);
    if (n) {
      const word = /`\s+(asks|runs)\.?$/.exec(neighbour!)?.[1];
      assert.ok(word, `say "asks" or "runs" after the neighbour: ${neighbour}`);
      row.neighbour = { command: n, verdict: word === 'asks' ? 'ask' : 'allow' };
    }
    return row;
  });
}
