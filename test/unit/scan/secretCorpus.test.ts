import assert from 'node:assert/strict';
import type { ScanReport } from '../../../protocol/scanReport';
import { SECRET_RULES } from '../../../server/audit/secretRules';
import { type Fixture, fixture } from '../../fixtures/builders';
import { runScan } from './harness';
import { type CorpusCase, secretCorpus } from './secretCorpus';

/**
 * The scan against a corpus of published rule examples: every provider format NAVI knows, written
 * from its documentation (./secretCorpus/truePositives.ts), and documented placeholders and
 * look-alikes (./secretCorpus/falsePositives.ts). Each example is a file of one fresh git
 * repository, scanned by the real scan. Numbers are printed; docs/BENCHMARKS.md quotes them.
 */

interface Flag {
  path: string;
  rule?: string;
  detail?: string;
}

/** Every secret finding of the report, whatever risk (leak or test data) it was filed under. */
function flags(report: ScanReport): Flag[] {
  return report.risks.flatMap((risk) =>
    risk.evidence
      .filter((e) => (e as { rule?: string }).rule !== undefined)
      .map((e) => ({ path: e.path, rule: (e as { rule?: string }).rule, detail: e.detail })),
  );
}

const pct = (n: number, d: number) => `${((100 * n) / Math.max(d, 1)).toFixed(1)}%`;

describe('scan: secret corpus (provider formats and placeholders)', function () {
  this.timeout(120_000);
  const corpus = secretCorpus();
  const tps = corpus.filter((c) => c.truth === 'tp');
  const fps = corpus.filter((c) => c.truth === 'fp');
  const fixtures: Fixture[] = [];
  let reports: ScanReport[];
  let logs: string[];
  let found: Flag[];

  // A report lists at most 50 findings per risk, so the corpus is scanned in repositories of 20
  // examples (every one of which is a fresh git repository with its files committed).
  before(async () => {
    reports = [];
    logs = [];
    found = [];
    for (let i = 0; i < corpus.length; i += 20) {
      const batch = corpus.slice(i, i + 20);
      const fx = fixture(Object.fromEntries(batch.map((c) => [c.path, c.content])), {
        git: true,
        commit: true,
      });
      fixtures.push(fx);
      const run = await runScan(fx.root);
      reports.push(run.report);
      logs.push(...run.logs);
      found.push(...flags(run.report));
    }
  });
  after(() => fixtures.forEach((fx) => fx.cleanup()));

  const flaggedBy = (c: CorpusCase) => found.filter((f) => f.path === c.path);

  it('finds at least 95% of the true positives, each by the rule written for it', () => {
    const missed = tps.filter((c) => !flaggedBy(c).some((f) => f.rule === c.rule));
    const anyRule = tps.filter((c) => flaggedBy(c).length > 0).length;
    process.stdout.write(
      `      corpus: ${tps.length} true positives over ${new Set(tps.map((c) => c.rule)).size} rules, ${fps.length} false positives\n` +
        `      recall (by the expected rule): ${tps.length - missed.length}/${tps.length} = ${pct(tps.length - missed.length, tps.length)}; by any rule: ${pct(anyRule, tps.length)}\n`,
    );
    if (missed.length > 0) {
      process.stdout.write(
        `      missed: ${missed
          .map(
            (c) =>
              `${c.rule} (${
                flaggedBy(c)
                  .map((f) => f.rule)
                  .join(',') || 'nothing'
              })`,
          )
          .join('; ')}\n`,
      );
    }
    assert.ok(
      (tps.length - missed.length) / tps.length >= 0.95,
      `missed ${missed.map((c) => c.rule).join(', ')}`,
    );
  });

  it('flags at most 5% of the false positives (placeholders, documented examples, code)', () => {
    const flagged = fps.filter((c) => flaggedBy(c).length > 0);
    process.stdout.write(
      `      false positives flagged: ${flagged.length}/${fps.length} = ${pct(flagged.length, fps.length)}` +
        (flagged.length
          ? ` (${flagged
              .map(
                (c) =>
                  `${c.path}: ${flaggedBy(c)
                    .map((f) => f.rule)
                    .join(',')}`,
              )
              .join('; ')})`
          : '') +
        '\n',
    );
    assert.ok(flagged.length / fps.length <= 0.05, flagged.map((c) => c.path).join(', '));
  });

  it('never puts a secret value in the report or the log', () => {
    const text = JSON.stringify(reports) + '\n' + logs.join('\n');
    for (const c of tps) {
      for (const secret of c.secrets) {
        assert.ok(!text.includes(secret), `${c.rule}: value leaked`);
        // Not even a usable part: the 4-character prefix of a mask is all that may remain.
        if (secret.length >= 16) assert.ok(!text.includes(secret.slice(-10)), `${c.rule}: tail leaked`);
      }
    }
  });

  it('has a documented source and a corpus example for every rule', () => {
    const covered = new Set(tps.map((c) => c.rule));
    for (const rule of SECRET_RULES) {
      assert.ok(rule.source.length > 10, `${rule.id} cites its source`);
      assert.ok(covered.has(rule.id), `${rule.id} has a true positive in the corpus`);
    }
    assert.ok(SECRET_RULES.length >= 150, `${SECRET_RULES.length} formats`);
  });

  it("finds every example that secretlint's recommended preset finds (the field's engine as a reference)", async () => {
    const { lintSource } = await import('@secretlint/core');
    const { creator } = await import('@secretlint/secretlint-rule-preset-recommend');
    const config = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] };
    const secretlintFlags = async (c: CorpusCase) => {
      const result = await lintSource({
        source: { filePath: `/corpus/${c.path}`, content: c.content, contentType: 'text' },
        options: { config, maskSecrets: true },
      });
      return result.messages.length > 0;
    };
    const theirs = { tp: 0, fp: 0 };
    const onlyTheirs: string[] = [];
    for (const c of corpus) {
      if (!(await secretlintFlags(c))) continue;
      theirs[c.truth]++;
      if (c.truth === 'tp' && flaggedBy(c).length === 0) onlyTheirs.push(c.rule!);
    }
    process.stdout.write(
      `      secretlint ${'13.0.7'} recommended preset on the same corpus: recall ${pct(theirs.tp, tps.length)}, ` +
        `false positives flagged ${pct(theirs.fp, fps.length)}\n`,
    );
    assert.deepEqual(onlyTheirs, [], 'true positives secretlint finds and NAVI misses');
  });
});
