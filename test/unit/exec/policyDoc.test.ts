import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DETECTORS, PolicyFile, type DetectorId } from '../../../protocol/policy';
import {
  EMPTY_POLICY,
  judgeCommand,
  loadPolicyLayersAsync,
  type EffectivePolicy,
  type JudgeContext,
} from '../../../server/exec/policy';
import { Fixture } from './harness';

// docs/policy.md against the code: the detector table lists exactly the detectors of DETECTORS
// with their default effect and risk, every example in it fires its detector in the real judge,
// and the example policy files load (their own examples pass) and do what the page says.

const DOC_FILE = path.resolve(__dirname, '../../../docs/policy.md');
const doc = fs.readFileSync(DOC_FILE, 'utf8');
const lines = doc.split('\n');

/** The lines under a heading (up to the next heading of the same or a higher level). */
function section(title: string): string[] {
  const start = lines.findIndex((l) => /^#{2,4} /.test(l) && l.replace(/^#+ /, '') === title);
  assert.ok(start >= 0, `docs/policy.md has no heading "${title}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => {
    const m = /^(#+) /.exec(l);
    return m !== null && m[1]!.length <= level;
  });
  return end < 0 ? rest : rest.slice(0, end);
}

/** The rows of the first Markdown table in some lines, cells trimmed, `\|` unescaped. */
function tableRows(body: string[]): { header: string[]; rows: string[][] } {
  const table = body.filter((l) => l.startsWith('|'));
  const cells = (l: string) =>
    l
      .slice(1, l.trimEnd().endsWith('|') ? l.trimEnd().length - 1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
  assert.ok(table.length >= 3, 'expected a table with a header, a separator and rows');
  assert.match(table[1]!, /^\|[\s|:-]+\|$/, 'the second table line is the separator');
  return { header: cells(table[0]!), rows: table.slice(2).map(cells) };
}

/** The first fenced ```json block in some lines. */
function jsonBlock(body: string[]): string {
  const open = body.findIndex((l) => l.trim() === '```json');
  assert.ok(open >= 0, 'expected a ```json block');
  const close = body.findIndex((l, i) => i > open && l.trim() === '```');
  assert.ok(close > open, 'the ```json block is not closed');
  return body.slice(open + 1, close).join('\n');
}

/** The text inside the first code span of a cell (`<U+XXXX>` stands for that character). */
function codeSpan(cell: string): string | undefined {
  const m = /`([^`]+)`/.exec(cell);
  return m?.[1]!.replace(/<U\+([0-9A-F]{4,6})>/g, (_, hex: string) =>
    String.fromCodePoint(parseInt(hex, 16)),
  );
}

const HEADING_DETECTORS = 'Detectors';
const HEADING_TEAM = "Example: a team's `.navi/policy.json`";
const HEADING_ORG = 'Example: an organisation policy';

/**
 * Examples that need more than a command text, and what the row must say about it: the judge
 * context (no sandbox, Restricted Mode, a policy, an edited script) or a text too long to print.
 */
const SETUPS: Partial<
  Record<
    DetectorId,
    {
      mentions: RegExp;
      text?: string;
      policy?: () => Promise<EffectivePolicy>;
      context?: Partial<JudgeContext>;
      tainted?: string;
      /** Prepares the fixture workspace (a real git repository with settings…). */
      prepare?: (workspace: string) => void;
    }
  >
> = {
  oversized: { mentions: /10,001 characters/, text: `echo ${'x'.repeat(10_001)}` },
  'tainted-script': { mentions: /agent changed `scripts\.build`/, tainted: 'package.json#build' },
  'hidden-path': {
    mentions: /"hiddenPaths": \["secrets\/\*\*"\]/,
    policy: () =>
      loadPolicyLayersAsync({ org: { version: 1, rules: [], hiddenPaths: ['secrets/**'] }, trusted: true }),
  },
  'no-sandbox': { mentions: /without the sandbox/, context: { sandbox: false } },
  'restricted-mode': { mentions: /in Restricted Mode/, context: { trusted: false } },
  'repo-config-exec': {
    mentions: /`diff\.external = \.\/diff\.sh` in `\.git\/config`/,
    prepare: (workspace) => {
      const git = (...args: string[]) =>
        execFileSync('git', args, {
          cwd: workspace,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workspace, GIT_CONFIG_NOSYSTEM: '1' },
          stdio: 'ignore',
        });
      git('init', '-q');
      git('config', 'diff.external', './diff.sh');
    },
  },
};

describe('docs/policy.md', () => {
  describe('detector table', () => {
    const { header, rows } = tableRows(section(HEADING_DETECTORS));
    const byId = new Map<string, string[]>();
    for (const row of rows) {
      const id = /^`([a-z-]+)`$/.exec(row[0] ?? '')?.[1];
      assert.ok(id, `a detector row must start with the id in backticks: ${row.join(' | ')}`);
      assert.ok(!byId.has(id), `detector ${id} has two rows`);
      byId.set(id, row);
    }

    it('has the columns Detector, Default, Risk, What it catches, Example', () => {
      assert.deepEqual(header, ['Detector', 'Default', 'Risk', 'What it catches', 'Example']);
    });

    it('has a row for every detector in DETECTORS and none for other names', () => {
      assert.deepEqual([...byId.keys()].sort(), Object.keys(DETECTORS).sort());
    });

    it("states each detector's default effect and risk as DETECTORS does", () => {
      for (const [id, spec] of Object.entries(DETECTORS)) {
        const row = byId.get(id);
        assert.ok(row, `no row for ${id}`);
        assert.equal(row[1], spec.effect, `default effect of ${id}`);
        assert.equal(row[2], spec.risk, `risk of ${id}`);
        assert.ok((row[3] ?? '').length > 20, `${id} needs a description of what it catches`);
      }
    });

    for (const id of Object.keys(DETECTORS) as DetectorId[]) {
      it(`example for ${id} fires ${id} with its default effect in the real judge`, async () => {
        const row = byId.get(id);
        assert.ok(row, `no row for ${id}`);
        const setup = SETUPS[id];
        if (setup) assert.match(row[4]!, setup.mentions, `the ${id} example must say what it needs`);
        const text = setup?.text ?? codeSpan(row[4]!);
        assert.ok(text, `the ${id} example needs a command in backticks`);
        const fx = new Fixture();
        try {
          if (setup?.tainted) fx.tainted.add(setup.tainted);
          setup?.prepare?.(fx.workspace);
          const policy = setup?.policy ? await setup.policy() : EMPTY_POLICY;
          const verdict = await judgeCommand(text, fx.context(policy, setup?.context));
          const fired = verdict.rules.map((r) => r.id);
          assert.ok(
            // `builtin:<detector>`, or `builtin:<detector>:<rule>` for a finer rule of it.
            fired.some((r) => r === `builtin:${id}` || r.startsWith(`builtin:${id}:`)),
            `${JSON.stringify(text.slice(0, 80))} did not fire ${id}; it fired ${fired.join(', ') || 'nothing'}`,
          );
          assert.equal(
            verdict.verdict,
            DETECTORS[id].effect,
            `verdict for ${JSON.stringify(text.slice(0, 80))}`,
          );
        } finally {
          fx.dispose();
        }
      });
    }
  });

  describe('example policy files', () => {
    it("the team's .navi/policy.json parses with PolicyFile and loads as a workspace policy", async () => {
      const text = jsonBlock(section(HEADING_TEAM));
      const parsed = PolicyFile.safeParse(JSON.parse(text));
      assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
      const policy = await loadPolicyLayersAsync({
        workspace: { path: 'docs/policy.md (team example)', text },
        trusted: true,
      });
      assert.deepEqual(
        policy.rules.map((r) => r.id),
        parsed.data.rules.map((r) => r.id),
      );
      assert.ok(policy.rules.every((r) => r.layer === 'workspace'));
      assert.deepEqual(policy.notes, []);
      for (const field of ['protectedPaths', 'hiddenPaths'] as const)
        assert.ok((parsed.data[field] ?? []).length > 0, `the example shows ${field}`);
      assert.deepEqual(new Set(parsed.data.rules.map((r) => r.effect)), new Set(['allow', 'ask', 'deny']));
    });

    it("the team's example does what its table says", async () => {
      const body = section(HEADING_TEAM);
      const policy = await loadPolicyLayersAsync({
        workspace: { path: 'docs/policy.md (team example)', text: jsonBlock(body) },
        trusted: true,
      });
      const { header, rows } = tableRows(body);
      assert.deepEqual(header.slice(0, 2), ['Command', 'Verdict']);
      assert.ok(rows.length >= 5);
      for (const row of rows) {
        const command = codeSpan(row[0]!);
        assert.ok(command, `row without a command: ${row.join(' | ')}`);
        const fx = new Fixture();
        try {
          const verdict = await judgeCommand(command, fx.context(policy));
          assert.equal(verdict.verdict, row[1], `${command}: ${verdict.reasons.join('; ')}`);
        } finally {
          fx.dispose();
        }
      }
    });

    it('the organisation example parses with PolicyFile and loads as an org policy', async () => {
      const text = jsonBlock(section(HEADING_ORG));
      assert.ok(PolicyFile.safeParse(JSON.parse(text)).success);
      const policy = await loadPolicyLayersAsync({
        org: { path: 'docs/policy.md (org example)', text },
        trusted: true,
      });
      assert.ok(policy.rules.length > 0 && policy.rules.every((r) => r.layer === 'org'));
    });
  });
});
