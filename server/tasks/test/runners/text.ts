import type { TestTotals } from '../../../../protocol/testing';
import { emptyTotals } from './common';
import { stripAnsi } from './jsCommon';
import type { ParseInput, ParsedTests, RunnerAdapter } from './types';

/**
 * The labelled fallback for runners NAVI has no adapter for: it leaves the command alone and reads
 * only the totals from the summary lines common runners print. It never invents per-test results
 * (`tests` is always empty) and always says `parsedFrom: 'text'`, so the panel and `--json` can say
 * "best-effort text parse". When several summaries are present (a runner per package, one line per
 * binary), the most specific family that matched wins, and its per-run lines are added up where the
 * runner prints one per run (TAP plans, libtest), else its last line counts. Used last: `matches` is
 * always true.
 */

interface Detector {
  name: string;
  detect(lines: readonly string[]): TestTotals | undefined;
}

const n = (value: string | undefined) => (value ? Number(value) : 0);

function totals(passed: number, failed: number, skipped = 0, todo = 0, durationMs = 0): TestTotals {
  return { passed, failed, skipped, todo, durationMs };
}

function lastMatch(lines: readonly string[], re: RegExp): RegExpExecArray | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = re.exec(lines[i]!);
    if (m) return m;
  }
  return undefined;
}

/** Counts `N word` pairs of one summary line (`3 failed, 2 passed, 1 skipped`, `Tests: 1 failed, 2 passed, 3 total`). */
function wordCounts(line: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of line.matchAll(/(\d+)\s+([a-z]+)/gi))
    counts[m[2]!.toLowerCase()] = (counts[m[2]!.toLowerCase()] ?? 0) + Number(m[1]);
  return counts;
}

const get = (counts: Record<string, number>, ...keys: string[]) =>
  keys.reduce((sum, k) => sum + (counts[k] ?? 0), 0);

const DETECTORS: Detector[] = [
  {
    // libtest: `test result: FAILED. 1 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out`, one per binary.
    name: 'libtest',
    detect(lines) {
      let found: TestTotals | undefined;
      for (const line of lines) {
        const m = /^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/.exec(line);
        if (!m) continue;
        found ??= emptyTotals();
        found.passed += n(m[1]);
        found.failed += n(m[2]);
        found.skipped += n(m[3]);
      }
      return found;
    },
  },
  {
    // Jest: `Tests:       1 failed, 2 skipped, 3 todo, 4 passed, 10 total`.
    name: 'jest',
    detect(lines) {
      const m = lastMatch(lines, /^Tests:\s+((?:\d+ \w+,?\s*)+)$/);
      if (!m) return undefined;
      const c = wordCounts(m[1]!);
      return totals(get(c, 'passed'), get(c, 'failed'), get(c, 'skipped'), get(c, 'todo'));
    },
  },
  {
    // Vitest: ` Tests  1 failed | 2 passed | 1 skipped (4)`.
    name: 'vitest',
    detect(lines) {
      const m = lastMatch(lines, /^\s*Tests\s+((?:\d+ \w+\s*\|?\s*)+)\(\d+\)/);
      if (!m) return undefined;
      const c = wordCounts(m[1]!);
      return totals(get(c, 'passed'), get(c, 'failed'), get(c, 'skipped'), get(c, 'todo'));
    },
  },
  {
    // Surefire / JUnit console: `Tests run: 4, Failures: 1, Errors: 1, Skipped: 1` (the last is the total).
    name: 'surefire',
    detect(lines) {
      const m = lastMatch(lines, /Tests run: (\d+), Failures: (\d+), Errors: (\d+)(?:, Skipped: (\d+))?/);
      if (!m) return undefined;
      const failed = n(m[2]) + n(m[3]);
      const skipped = n(m[4]);
      return totals(Math.max(0, n(m[1]) - failed - skipped), failed, skipped);
    },
  },
  {
    // pytest: `==== 3 failed, 2 passed, 1 skipped, 1 xfailed, 2 errors in 0.06s ====`.
    name: 'pytest',
    detect(lines) {
      const m = lastMatch(lines, /^=*\s*((?:\d+ [a-z]+,? ?)+) in [\d.]+s\b/);
      if (!m) return undefined;
      const c = wordCounts(m[1]!);
      return totals(
        get(c, 'passed', 'xpassed'),
        get(c, 'failed', 'error', 'errors'),
        get(c, 'skipped', 'xfailed'),
      );
    },
  },
  {
    // Python unittest: `Ran 5 tests in 0.01s` then `OK (skipped=1)` or `FAILED (failures=1, errors=1, skipped=2)`.
    name: 'unittest',
    detect(lines) {
      const ran = lines.findLastIndex((l) => /^Ran \d+ tests? in /.test(l));
      if (ran < 0) return undefined;
      const total = n(/^Ran (\d+)/.exec(lines[ran]!)?.[1]);
      const verdict = lines.slice(ran + 1).find((l) => /^(OK|FAILED)\b/.test(l)) ?? '';
      const kv = (key: string) => n(new RegExp(`${key}=(\\d+)`).exec(verdict)?.[1]);
      const failed = kv('failures') + kv('errors') + kv('unexpected successes');
      const skipped = kv('skipped') + kv('expected failures');
      return totals(Math.max(0, total - failed - skipped), failed, skipped);
    },
  },
  {
    // RSpec: `5 examples, 1 failure, 2 pending`.
    name: 'rspec',
    detect(lines) {
      const m = lastMatch(lines, /^(\d+) examples?, (\d+) failures?(?:, (\d+) pending)?/);
      if (!m) return undefined;
      return totals(n(m[1]) - n(m[2]) - n(m[3]), n(m[2]), n(m[3]));
    },
  },
  {
    // .NET: `Failed!  - Failed: 1, Passed: 5, Skipped: 0, Total: 6`.
    name: 'dotnet',
    detect(lines) {
      const m = lastMatch(lines, /Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+), Total:\s+(\d+)/);
      return m ? totals(n(m[2]), n(m[1]), n(m[3])) : undefined;
    },
  },
  {
    // PHPUnit / JUnit 4 console: `OK (5 tests, 9 assertions)`, `OK (5 tests)`, `Tests: 5, Assertions: 9, Failures: 1, Errors: 1, Skipped: 1.`
    name: 'xunit-ok',
    detect(lines) {
      const fail = lastMatch(
        lines,
        /^Tests: (\d+), Assertions: \d+(?:, Errors: (\d+))?(?:, Failures: (\d+))?(?:, \w+: \d+)*?(?:, Skipped: (\d+))?/,
      );
      if (fail) {
        const failed = n(fail[2]) + n(fail[3]);
        return totals(n(fail[1]) - failed - n(fail[4]), failed, n(fail[4]));
      }
      const ok = lastMatch(lines, /^OK \((\d+) tests?/);
      return ok ? totals(n(ok[1]), 0) : undefined;
    },
  },
  {
    // mocha: `2 passing (10ms)`, `1 failing`, `3 pending`.
    name: 'mocha',
    detect(lines) {
      const passing = lastMatch(lines, /^\s*(\d+) passing\b/);
      if (!passing) return undefined;
      return totals(
        n(passing[1]),
        n(lastMatch(lines, /^\s*(\d+) failing\b/)?.[1]),
        n(lastMatch(lines, /^\s*(\d+) pending\b/)?.[1]),
      );
    },
  },
  {
    // TAP (node --test, tape, prove): `ok 1 - x`, `not ok 2 - y`, `# SKIP`, `# TODO`; node's `# pass 2` / `# fail 1` summary wins.
    name: 'tap',
    detect(lines) {
      const pass = lastMatch(lines, /^# pass (\d+)$/);
      const fail = lastMatch(lines, /^# fail (\d+)$/);
      if (pass && fail)
        return totals(
          n(pass[1]),
          n(fail[1]),
          n(lastMatch(lines, /^# skipped (\d+)$/)?.[1]),
          n(lastMatch(lines, /^# todo (\d+)$/)?.[1]),
        );
      let found: TestTotals | undefined;
      for (const line of lines) {
        const m = /^(not )?ok \d+\b(.*)$/.exec(line);
        if (!m) continue;
        found ??= emptyTotals();
        if (/#\s*skip/i.test(m[2]!)) found.skipped += 1;
        else if (/#\s*todo/i.test(m[2]!)) found.todo += 1;
        else if (m[1]) found.failed += 1;
        else found.passed += 1;
      }
      return found;
    },
  },
  {
    // Anything else: `12 passed, 1 failed` / `Passed: 12  Failed: 1` on one line.
    name: 'generic',
    detect(lines) {
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!;
        const c = wordCounts(line);
        const named = /\b(passed|failed)\s*:\s*(\d+)/gi;
        for (const m of line.matchAll(named)) c[m[1]!.toLowerCase()] = Number(m[2]);
        if ('passed' in c || 'failed' in c)
          return totals(
            get(c, 'passed', 'passing'),
            get(c, 'failed', 'failing', 'failures'),
            get(c, 'skipped', 'pending'),
          );
      }
      return undefined;
    },
  },
];

/** Totals from the output's summary lines, with the name of the family that matched. */
export function textTotals(output: string): { totals: TestTotals; family: string } | undefined {
  const lines = stripAnsi(output)
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  for (const detector of DETECTORS) {
    const found = detector.detect(lines);
    if (found) return { totals: found, family: detector.name };
  }
  return undefined;
}

export const textAdapter: RunnerAdapter = {
  id: 'text',
  matches: () => true,
  instrument: (argv) => ({ argv: [...argv], reports: [] }),
  parse(input: ParseInput): ParsedTests {
    const found = textTotals(`${input.stdout}\n${input.stderr}`);
    if (!found)
      return {
        tests: [],
        totals: emptyTotals(),
        parsedFrom: 'text',
        errors: [
          `No test summary NAVI recognises in the output (exit code ${input.exitCode ?? 'none'}): counts unknown (best-effort text parse).`,
        ],
      };
    return { tests: [], totals: found.totals, parsedFrom: 'text', errors: [] };
  },
};
