import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { localBin, planSteps, scriptOf, stepText } from '../../../server/tasks/test/plan';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-plan-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const pkg = (scripts: Record<string, string>) => JSON.stringify({ name: 'p', scripts });

describe('test plan: the steps of a test command', () => {
  it('resolves npm test to its script and splits a chain into steps', async () => {
    const dir = project({ 'package.json': pkg({ test: 'mocha --exit && tsc -p . --noEmit' }) });
    const steps = await planSteps('npm test', dir);
    assert.deepEqual(
      steps.map((s) => [s.original, s.argv, s.afterSuccessOnly]),
      [
        ['mocha --exit', ['mocha', '--exit'], false],
        ['tsc -p . --noEmit', ['tsc', '-p', '.', '--noEmit'], true],
      ],
    );
  });

  it("runs npm's pretest and posttest around the script, and follows npm run inside scripts", async () => {
    const dir = project({
      'package.json': pkg({
        pretest: 'eslint .',
        test: 'npm run unit; npm run types',
        unit: 'jest',
        types: 'tsd',
        posttest: 'echo done',
      }),
    });
    const steps = await planSteps('npm test', dir);
    assert.deepEqual(
      steps.map((s) => [s.original, s.afterSuccessOnly]),
      [
        ['eslint .', false],
        ['jest', true],
        ['tsd', false], // `;` runs it whatever jest did
        ['echo done', true],
      ],
    );
  });

  it('keeps a step it cannot take apart exactly as written (pipes, variables)', async () => {
    const dir = project({ 'package.json': pkg({ test: 'mocha | tee out.txt' }) });
    const [step] = await planSteps('npm test', dir);
    assert.equal(step?.original, 'mocha | tee out.txt');
    assert.equal(step?.argv, undefined);
    const [withVar] = await planSteps('jest $JEST_FLAGS', dir);
    assert.equal(withVar?.argv, undefined);
  });

  it('keeps wrappers such as npx and timeout in the argv', async () => {
    const dir = project({
      'package.json': pkg({ test: 'npx --no-install mocha --exit && timeout 60 jest' }),
    });
    const steps = await planSteps('npm test', dir);
    assert.deepEqual(
      steps.map((s) => s.argv),
      [
        ['npx', '--no-install', 'mocha', '--exit'],
        ['timeout', '60', 'jest'],
      ],
    );
  });

  it('keeps VAR=value prefixes of a step', async () => {
    const dir = project({ 'package.json': pkg({ test: 'NODE_ENV=test mocha' }) });
    const [step] = await planSteps('npm test', dir);
    assert.deepEqual(step?.assignments, ['NODE_ENV=test']);
    assert.deepEqual(step?.argv, ['mocha']);
    assert.equal(
      stepText(step!.assignments, ['./node_modules/.bin/mocha', 'a b']),
      "NODE_ENV=test ./node_modules/.bin/mocha 'a b'",
    );
  });

  it('does not recurse forever on a script that calls itself', async () => {
    const dir = project({ 'package.json': pkg({ test: 'npm test' }) });
    const steps = await planSteps('npm test', dir);
    assert.ok(steps.length >= 1 && steps.length <= 2, `got ${steps.length} steps`);
  });

  it('reads the script names of npm, yarn, pnpm and bun invocations', () => {
    assert.equal(scriptOf(['npm', 'test']), 'test');
    assert.equal(scriptOf(['npm', 't']), 'test');
    assert.equal(scriptOf(['npm', 'run', 'test:unit']), 'test:unit');
    assert.equal(scriptOf(['pnpm', 'run', 'test']), 'test');
    assert.equal(scriptOf(['yarn', 'unit']), 'unit');
    assert.equal(scriptOf(['yarn', 'install']), undefined);
    assert.equal(scriptOf(['npm', 'run', 'test', '--', '--watch']), undefined);
    assert.equal(scriptOf(['make', 'test']), undefined);
  });

  it('names local tools by their node_modules/.bin path, up to the workspace root', () => {
    const root = project({ 'node_modules/.bin/mocha': '', 'packages/a/package.json': '{}' });
    const dir = path.join(root, 'packages', 'a');
    assert.deepEqual(localBin(['mocha', '--exit'], dir, root), ['../../node_modules/.bin/mocha', '--exit']);
    assert.deepEqual(localBin(['npx', '--no-install', 'mocha'], root, root), ['./node_modules/.bin/mocha']);
    assert.deepEqual(localBin(['pytest', '-q'], root, root), ['pytest', '-q']);
    // Never above the workspace: a tool installed outside it is not the project's.
    const outer = project({ 'node_modules/.bin/jest': '', 'ws/package.json': '{}' });
    assert.deepEqual(localBin(['jest'], path.join(outer, 'ws'), path.join(outer, 'ws')), ['jest']);
  });
});
