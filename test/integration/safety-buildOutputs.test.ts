import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkWorkspace, requireBuild } from './helpers';

// Forced deletes of build outputs and caches (issue 13, part 5), through the real
// `navi check --json`: inside the workspace they ask at medium risk (detector `destructive`);
// the workspace itself, `.git`, the home folder, what lies outside and a build-output name that
// is a symlink to elsewhere stay denied. Nothing runs; the build is the one `npm run build` made.

describe('navi check: deleting build outputs asks, deleting what cannot be rebuilt is denied', function () {
  this.timeout(60_000);
  let fx: ReturnType<typeof checkWorkspace>;
  before(() => {
    requireBuild();
    fx = checkWorkspace('build-outputs', {
      'package.json': '{"name":"app"}\n',
      'src/index.ts': 'export {};\n',
      'dist/index.js': 'export {};\n',
      'node_modules/left-pad/index.js': 'module.exports = 1;\n',
      'packages/ui/.next/cache/x': 'x\n',
      '__pycache__/a.pyc': 'x\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
    });
    fs.symlinkSync(fx.home, path.join(fx.ws, 'out'));
  });
  after(() => fx.dispose());
  const checkJson = (command: string) => fx.check(['--', command]);

  for (const command of [
    'rm -rf node_modules',
    'rm -rf dist',
    'rm -rf ./packages/ui/.next/',
    'rm -rf __pycache__ dist',
  ]) {
    it(`${command} asks at medium risk (destructive), not deny`, async () => {
      const v = await checkJson(command);
      assert.equal(v.verdict, 'ask', v.reasons.join(' | '));
      assert.equal(v.risk, 'medium');
      assert.ok(
        v.rules.some((r) => r.id === 'builtin:destructive'),
        v.rules.map((r) => r.id).join(', '),
      );
    });
  }

  for (const command of [
    'rm -rf .',
    'rm -rf .git',
    'rm -rf ~',
    'rm -rf out',
    'rm -rf node_modules/left-pad',
  ]) {
    it(`${command} stays denied`, async () => {
      const v = await checkJson(command);
      assert.equal(v.verdict, 'deny', v.reasons.join(' | '));
      assert.equal(v.risk, 'high');
    });
  }
});
