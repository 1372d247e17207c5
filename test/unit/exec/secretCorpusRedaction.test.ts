import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunRequest, runCommand } from '../../../server/exec/runner';
import { tempDir } from '../../fixtures/builders';
import { secretCorpus } from '../scan/secretCorpus';

/**
 * One engine for the scan and the output redactor: every true positive of the scan's corpus
 * (test/unit/scan/secretCorpus) printed by a command through the real runner never shows, in the
 * streamed chunks, the kept head and tail, or the log file.
 */
describe('exec/runner: the scan corpus never shows in command output', function () {
  this.timeout(120_000);
  const cases = secretCorpus().filter((c) => c.truth === 'tp');
  let root: string;
  let ws: string;
  before(() => {
    root = tempDir('navi-corpus-run-');
    ws = path.join(root, 'ws');
    for (const c of cases) {
      fs.mkdirSync(path.dirname(path.join(ws, c.path)), { recursive: true });
      fs.writeFileSync(path.join(ws, c.path), c.content);
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const request = (command: string): RunRequest => ({
    command,
    cwd: ws,
    workspaceRoot: ws,
    timeoutMs: 60_000,
    network: false,
    protectedPaths: [],
    hiddenPaths: [],
    sandbox: false,
    env: { PATH: process.env.PATH, HOME: root, LANG: 'C.UTF-8' },
    logDir: path.join(root, 'logs'),
  });

  async function run(command: string) {
    const chunks: string[] = [];
    const result = await runCommand(request(command), {
      signal: new AbortController().signal,
      onOutput: (chunk) => void chunks.push(chunk),
    });
    assert.equal(result.exitCode, 0);
    return {
      streamed: chunks.join(''),
      log: fs.readFileSync(result.logFile, 'utf8'),
      kept: result.output.head + result.output.tail,
    };
  }

  const leaks = (text: string) =>
    cases.filter((c) => c.secrets.some((s) => text.includes(s))).map((c) => `${c.rule} (${c.path})`);

  it('masks every example when each file is printed by its own command', async () => {
    const leaked: string[] = [];
    for (const c of cases) {
      const out = await run(`cat '${c.path}'`);
      for (const text of [out.streamed, out.log, out.kept]) {
        if (c.secrets.some((s) => text.includes(s))) leaked.push(`${c.rule} (${c.path})`);
      }
    }
    process.stdout.write(
      `      ${cases.length} true positives printed one by one; shown: ${leaked.length}\n`,
    );
    assert.deepEqual([...new Set(leaked)], []);
  });

  it('masks every example when all files stream through one command', async () => {
    const out = await run(`find . -type f | sort | xargs cat`);
    assert.ok(out.streamed.length > 10_000, 'the output streamed');
    assert.deepEqual(leaks(out.streamed), [], 'streamed chunks');
    assert.deepEqual(leaks(out.log), [], 'log file');
    assert.deepEqual(leaks(out.kept), [], 'head and tail');
  });
});
