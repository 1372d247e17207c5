import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import type { Effect } from '../../../protocol/policy';
import { judgeCommand, judgeEdit } from '../../../server/exec/policy';
import { type Case, corpusPolicyLayers, Fixture, loadCases } from './harness';

// Every adversarial case through the real parser, classifier and policy, in a fake home laid out
// as the corpus assumes. `deny` must be denied; an `ask` may be denied but never allowed; an
// `allow` must be allowed unless overblocked.json lists it as known over-blocking (it costs users'
// trust), and a listed case that is allowed now fails too, so the list only shrinks.

const REPO = path.resolve(__dirname, '../../..');
/** The shared corpus when it is checked out beside the repository, else the copy in the repo. */
const SHARED = path.resolve(REPO, '../shared/safety/corpus.json');
const VENDORED = path.join(REPO, 'test/fixtures/safety/corpus.json');

const suites: { name: string; file: string; key: KnownOverBlocked['file'] }[] = [
  { name: 'shared safety corpus', file: fs.existsSync(SHARED) ? SHARED : VENDORED, key: 'corpus.json' },
  { name: "NAVI's own cases", file: path.join(__dirname, 'cases.json'), key: 'cases.json' },
];

/** overblocked.json: allow cases NAVI is known to judge stricter, each with the reason. */
const KnownOverBlocked = z.object({
  /** `corpus.json` (the shared corpus) or `cases.json`. */
  file: z.enum(['corpus.json', 'cases.json']),
  kind: z.enum(['command', 'edit-path']),
  input: z.string(),
  /** What NAVI answers today. */
  got: z.enum(['ask', 'deny']),
  /** Why it is not allowed yet: what allowing it would need, or what it would let through. */
  reason: z.string().min(20),
});
type KnownOverBlocked = z.infer<typeof KnownOverBlocked>;
const KNOWN: KnownOverBlocked[] = z
  .object({ about: z.string(), cases: z.array(KnownOverBlocked) })
  .strict()
  .parse(JSON.parse(fs.readFileSync(path.join(__dirname, 'overblocked.json'), 'utf8'))).cases;

/** Why an allow case fails: over-blocked without being listed, or listed but allowed now. */
function allowCaseFailure(got: Effect, known: KnownOverBlocked | undefined): string | null {
  if (known && got === 'allow')
    return 'it is allowed now: remove it from test/unit/exec/overblocked.json (the list only shrinks)';
  if (!known && got !== 'allow')
    return `over-blocked (${got}): fix the judge, or list it in test/unit/exec/overblocked.json with the reason`;
  if (known && got !== known.got)
    return `overblocked.json says ${known.got}, NAVI now says ${got}: update the entry`;
  return null;
}

async function judge(c: Case): Promise<Effect> {
  const fx = new Fixture();
  try {
    fx.setup(c.why);
    const ctx = fx.context(await corpusPolicyLayers());
    const input = fx.map(c.input);
    const verdict = c.kind === 'command' ? await judgeCommand(input, ctx) : judgeEdit(input, ctx);
    return verdict.verdict;
  } finally {
    fx.dispose();
  }
}

describe('exec: known over-blocked allow cases', () => {
  const entry: KnownOverBlocked = {
    file: 'cases.json',
    kind: 'command',
    input: 'x',
    got: 'ask',
    reason: 'an example entry for these checks',
  };
  it('an allow case that is allowed and not listed passes; one that is not allowed fails', () => {
    assert.equal(allowCaseFailure('allow', undefined), null);
    assert.match(allowCaseFailure('ask', undefined) ?? '', /over-blocked \(ask\)/);
    assert.match(allowCaseFailure('deny', undefined) ?? '', /over-blocked \(deny\)/);
  });
  it('a listed case passes while it is judged as listed, and fails once it is allowed', () => {
    assert.equal(allowCaseFailure('ask', entry), null);
    assert.match(allowCaseFailure('allow', entry) ?? '', /remove it/);
    assert.match(allowCaseFailure('deny', entry) ?? '', /update the entry/);
  });
  it('every entry names an allow case of its file, once', () => {
    const files = { 'corpus.json': suites[0]!.file, 'cases.json': suites[1]!.file };
    for (const k of KNOWN) {
      const allows = loadCases(files[k.file]).filter((c) => c.expect === 'allow');
      assert.ok(
        allows.some((c) => c.kind === k.kind && c.input === k.input),
        `overblocked.json: no allow case ${JSON.stringify(k.input)} in ${k.file}`,
      );
      assert.equal(
        KNOWN.filter((o) => o.file === k.file && o.input === k.input && o.kind === k.kind).length,
        1,
      );
    }
  });
});

describe('exec: safety corpus copy', () => {
  it('test/fixtures/safety/corpus.json is the shared corpus (CI, without shared/, tests the copy)', function () {
    if (!fs.existsSync(SHARED)) this.skip();
    assert.equal(
      fs.readFileSync(VENDORED, 'utf8'),
      fs.readFileSync(SHARED, 'utf8'),
      `the copy is stale: cp ${SHARED} ${VENDORED}`,
    );
  });
});

for (const suite of suites) {
  describe(`exec: ${suite.name}`, () => {
    const cases = loadCases(suite.file);
    const known = KNOWN.filter((k) => k.file === suite.key);

    after(() => {
      const allows = cases.filter((c) => c.expect === 'allow').length;
      console.log(`      ${suite.name}: ${known.length} of ${allows} allow cases known to be over-blocked`);
    });

    for (const c of cases) {
      it(`${c.expect.padEnd(5)} ${c.kind === 'edit-path' ? 'edit ' : ''}${JSON.stringify(c.input).slice(0, 100)}`, async () => {
        const got = await judge(c);
        const why = `${c.why}\n      got ${got}`;
        if (c.expect === 'deny') assert.equal(got, 'deny', why);
        else if (c.expect === 'ask') assert.notEqual(got, 'allow', why);
        else {
          const listed = known.find((k) => k.kind === c.kind && k.input === c.input);
          const failure = allowCaseFailure(got, listed);
          assert.equal(failure, null, `${failure}\n      ${c.why}`);
        }
      });
    }
  });
}
