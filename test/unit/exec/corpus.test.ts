import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Effect } from '../../../protocol/policy';
import { judgeCommand, judgeEdit } from '../../../server/exec/policy';
import { type Case, corpusPolicyLayers, Fixture, loadCases } from './harness';

// Every adversarial case through the real parser, classifier and policy, in a fake home laid out
// as the corpus assumes. `deny` must be denied; an `ask` may be denied but never allowed; `allow`
// cases that come back stricter are over-blocking, counted and printed (they cost users' trust).

const REPO = path.resolve(__dirname, '../../..');
/** The shared corpus when it is checked out beside the repository, else the copy in the repo. */
const SHARED = path.resolve(REPO, '../shared/safety/corpus.json');
const VENDORED = path.join(REPO, 'test/fixtures/safety/corpus.json');

const suites: { name: string; file: string }[] = [
  { name: 'shared safety corpus', file: fs.existsSync(SHARED) ? SHARED : VENDORED },
  { name: "NAVI's own cases", file: path.join(__dirname, 'cases.json') },
];

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
    const overBlocked: string[] = [];

    after(() => {
      const allows = cases.filter((c) => c.expect === 'allow').length;
      console.log(
        `      ${suite.name}: ${overBlocked.length} of ${allows} allow cases over-blocked${overBlocked.length ? `:\n        ${overBlocked.join('\n        ')}` : ''}`,
      );
    });

    for (const c of cases) {
      it(`${c.expect.padEnd(5)} ${c.kind === 'edit-path' ? 'edit ' : ''}${JSON.stringify(c.input).slice(0, 100)}`, async () => {
        const got = await judge(c);
        const why = `${c.why}\n      got ${got}`;
        if (c.expect === 'deny') assert.equal(got, 'deny', why);
        else if (c.expect === 'ask') assert.notEqual(got, 'allow', why);
        else if (got !== 'allow') overBlocked.push(`${got}: ${c.input}`);
      });
    }
  });
}
