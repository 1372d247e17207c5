import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { formatVerdict } from '../../../cli/formatVerdict';
import type { ApprovalParams, ApprovalResult } from '../../../protocol/approvals';
import type { RunOutcome, RunParams } from '../../../protocol/requests';
import { openAuditLog, type AuditLog } from '../../../server/audit/log';
import { initParser, parseCommandLine, textAsJudged } from '../../../server/exec/parse';
import { run, type PipelinePorts } from '../../../server/exec/pipeline';
import { judgeCommand, EMPTY_POLICY, type JudgeContext } from '../../../server/exec/policy';
import { probeSandbox } from '../../../server/exec/sandbox';
import { tempDir } from '../../fixtures/builders';
import { pipelinePorts } from './harness';

// Judge what runs, run what was judged: NAVI expands wildcards itself, judges the names, and runs
// exactly those names. A repository controls its file names, so each test here plants hostile
// ones (option-like, with newlines, spaces, quotes, glob characters) and checks what actually ran.

describe('exec: wildcards are judged as what they become', () => {
  let root: string;
  let ws: string;
  let home: string;
  before(() => initParser());
  beforeEach(() => {
    root = tempDir('navi-expand-');
    ws = path.join(root, 'ws');
    home = path.join(root, 'home');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(ws, 'package.json'), '{"name":"demo"}\n');
    fs.writeFileSync(path.join(ws, 'src', 'index.js'), 'module.exports = 1;\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const ctx = (over: Partial<JudgeContext> = {}): JudgeContext => ({
    cwd: ws,
    workspaceRoot: ws,
    home,
    policy: EMPTY_POLICY,
    trusted: true,
    sandbox: true,
    ...over,
  });
  const touch = (...names: string[]) => {
    for (const n of names) {
      fs.mkdirSync(path.dirname(path.join(ws, n)), { recursive: true });
      fs.writeFileSync(path.join(ws, n), '');
    }
  };

  it('a file named like an option turns `find . -*` into the find it is, and it is not allowed', async () => {
    touch('-delete');
    const v = await judgeCommand('find . -*', ctx());
    assert.notEqual(v.verdict, 'allow', JSON.stringify(v));
    assert.deepEqual(v.commands[0]!.argv, ['find', '.', '-delete']);
    assert.deepEqual(v.expansions, [{ pattern: '-*', names: ['-delete'] }]);
    assert.equal(v.runs, "find . '-delete'");
  });

  it('judges every name a pattern matches, in bash order, and runs them quoted', async () => {
    touch('a b.txt', "it's.txt", 'x\ny.txt', '*.txt', '-n.txt', '.hidden.txt');
    const v = await judgeCommand('cat *.txt', ctx());
    assert.deepEqual(v.commands[0]!.argv, ['cat', '*.txt', '-n.txt', 'a b.txt', "it's.txt", 'x\ny.txt']);
    assert.equal(v.runs, `cat '*.txt' '-n.txt' 'a b.txt' 'it'\\''s.txt' 'x\ny.txt'`);
    // Running the rewritten text parses back to exactly the judged words.
    const again = parseCommandLine(v.runs!);
    assert.deepEqual(
      again.commands[0]!.argv.map((w) => w.value),
      v.commands[0]!.argv,
    );
  });

  it('follows cd, shopt and set -f in text order', async () => {
    touch('src/-rf', 'src/.env.local', 'top.js');
    let v = await judgeCommand('cd src && ls *', ctx());
    assert.deepEqual(v.commands.at(-1)!.argv, ['ls', '-rf', 'index.js']);
    v = await judgeCommand('shopt -s dotglob; ls src/*', ctx());
    assert.deepEqual(v.commands.at(-1)!.argv, ['ls', 'src/-rf', 'src/.env.local', 'src/index.js']);
    v = await judgeCommand('shopt -s nullglob; ls *.none', ctx());
    assert.deepEqual(v.commands.at(-1)!.argv, ['ls']);
    v = await judgeCommand('set -f; ls *.js', ctx());
    assert.deepEqual(v.commands.at(-1)!.argv, ['ls', '*.js']);
    assert.equal(v.runs, "set -f; ls '*.js'");
  });

  it('nothing matched: the pattern itself, quoted, so a file created later changes nothing', async () => {
    const v = await judgeCommand('ls *.md', ctx());
    assert.deepEqual(v.commands[0]!.argv, ['ls', '*.md']);
    assert.equal(v.runs, "ls '*.md'");
  });

  it('asks where NAVI cannot expand: a shell payload, backticks, a cd to a variable, an unreadable name', async () => {
    touch('-delete');
    for (const text of ["bash -c 'ls *'", 'echo `ls *`', 'cd "$DIR" && ls *', "eval 'ls *'"]) {
      const v = await judgeCommand(text, ctx());
      assert.equal(v.verdict, 'ask', text);
      assert.ok(
        v.reasons.some((r) => r.includes('NAVI cannot tell what')),
        `${text}: ${v.reasons.join('; ')}`,
      );
    }
    touch('bad\u001b[31m');
    const v = await judgeCommand('ls ba*', ctx());
    assert.equal(v.verdict, 'ask');
    assert.match(v.reasons.join('\n'), /control characters/);
    assert.equal(v.runs, undefined, 'an unknown pattern is not rewritten');
  });

  it('too many names to judge one by one: still judged by the folder they are in', async () => {
    const outside = path.join(root, 'outside');
    fs.mkdirSync(outside);
    for (let i = 0; i < 1001; i++) {
      fs.writeFileSync(path.join(outside, `f${i}`), '');
      touch(`src/many/f${i}`);
    }
    for (const text of [`(cd ${outside} && rm -rf *)`, `rm -f ${outside}/f*`, 'rm -rf .git/*']) {
      const v = await judgeCommand(text, ctx());
      assert.equal(v.verdict, 'deny', `${text}: ${v.reasons.join('; ')}`);
    }
    const inside = await judgeCommand('rm -f src/many/*', ctx());
    assert.equal(inside.verdict, 'ask', 'inside the workspace: which names is still unknown');
    assert.match(inside.reasons.join('\n'), /more than 1000 matches/);
  });

  it('a redirect target that matches several names is an ambiguous redirect: ask', async () => {
    touch('out1.log', 'out2.log');
    const v = await judgeCommand('echo hi > out*.log', ctx());
    assert.equal(v.verdict, 'ask');
    assert.match(v.reasons.join('\n'), /ambiguous redirect/);
  });

  it('brace expansion and patterns together, and a pattern in the command name', async () => {
    touch('src/b.js', 'tools/run.sh');
    const v = await judgeCommand('ls {src,tools}/*', ctx());
    assert.deepEqual(v.commands[0]!.argv, ['ls', 'src/b.js', 'src/index.js', 'tools/run.sh']);
    assert.equal(v.runs, "ls 'src/b.js' 'src/index.js' 'tools/run.sh'");
    const named = await judgeCommand('tools/ru*.sh', ctx());
    assert.deepEqual(named.commands[0]!.argv, ['tools/run.sh']);
  });

  it("docs/policy.md's example is what navi check prints", async () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/policy.md'), 'utf8');
    const shown = /\$ navi check -- 'find \. -\*'\n([\s\S]*?)\n```/.exec(doc);
    assert.ok(shown, "docs/policy.md shows `navi check -- 'find . -*'` and its output");
    for (const f of fs.readdirSync(ws)) fs.rmSync(path.join(ws, f), { recursive: true });
    touch('-delete', 'package.json');
    execFileSync('git', ['init', '-q'], { cwd: ws });
    const v = await judgeCommand('find . -*', ctx());
    const plain = { bold: String, dim: String, red: String, yellow: String, green: String };
    assert.equal(formatVerdict('find . -*', v, plain).trimEnd(), shown[1]!.trimEnd());
  });

  it('textAsJudged replaces only expanded words and leaves the rest of the text as written', () => {
    const text = 'echo "$HOME" $(ls *.js) > out.txt';
    const parsed = parseCommandLine(text, { globs: { mode: 'expand', cwd: path.join(ws, 'src') } });
    assert.equal(textAsJudged(text, parsed.expansions), `echo "$HOME" $(ls 'index.js') > out.txt`);
    assert.equal(textAsJudged('ls', []), null);
  });
});

describe('exec: the argv that ran is the argv that was judged (real runner, sandbox when available)', function () {
  this.timeout(120_000);
  let root: string;
  let ws: string;
  let log: AuditLog;
  let onApproval: (params: ApprovalParams) => Promise<ApprovalResult>;
  let ports: PipelinePorts;

  before(() => initParser());
  beforeEach(async () => {
    root = tempDir('navi-ran-judged-');
    ws = path.join(root, 'ws');
    fs.mkdirSync(ws);
    log = await openAuditLog(path.join(root, 'state', 'audit.ndjson'), { client: 'cli' });
    onApproval = async () => ({ decision: 'deny', by: 'ana' });
    ports = pipelinePorts(root, {
      audit: log,
      requestApproval: (params) => onApproval(params),
      sandbox: () => probeSandbox(),
    });
  });
  afterEach(async () => {
    await log.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const params = (command: string): RunParams => ({
    runId: 'r',
    command,
    cwd: ws,
    workspaceRoot: ws,
    trusted: true,
    proposer: 'agent',
  });
  /** Runs the text; its stdout is a hex dump of NUL-separated words (names may hold any byte but NUL). */
  async function runAndRead(command: string): Promise<{ outcome: RunOutcome; words: string[] }> {
    let out = '';
    const outcome = await run(params(command), ports, {
      signal: new AbortController().signal,
      onOutput: (chunk, stream) => {
        if (stream === 'stdout') out += chunk;
      },
    });
    const bytes = Buffer.from(out.replace(/\s+/g, ''), 'hex');
    const words = bytes.toString('utf8').split('\0').slice(0, -1);
    return { outcome, words };
  }
  const judgedWords = (outcome: RunOutcome) => outcome.verdict.commands[0]!.argv.slice(2);

  it('the issue: in a repository with a file named -delete, `find . -*` is refused and deletes nothing', async () => {
    fs.writeFileSync(path.join(ws, '-delete'), '');
    fs.writeFileSync(path.join(ws, 'package.json'), '{}');
    execFileSync('git', ['init', '-q'], { cwd: ws });
    const outcome = await run(params('find . -*'), ports, { signal: new AbortController().signal });
    assert.equal(outcome.verdict.verdict, 'deny', JSON.stringify(outcome.verdict.reasons));
    assert.deepEqual(outcome.verdict.commands[0]!.argv, ['find', '.', '-delete']);
    assert.equal(outcome.ran, false);
    assert.ok(fs.existsSync(path.join(ws, 'package.json')));
    assert.ok(fs.existsSync(path.join(ws, '.git', 'HEAD')));
  });

  it('a file created between the judgement and the run changes nothing', async () => {
    fs.writeFileSync(path.join(ws, 'a.txt'), '');
    // `node -e` asks, so the run waits for the person: the moment to plant a file.
    const asked: ApprovalParams[] = [];
    onApproval = async (p) => {
      asked.push(p);
      fs.writeFileSync(path.join(ws, '-late.txt'), '');
      fs.writeFileSync(path.join(ws, 'b.txt'), '');
      return { decision: 'allowOnce', by: 'ana' };
    };
    const { outcome, words } = await runAndRead("printf '%s\\0' x *.txt | od -An -tx1 -v; node -e 0");
    assert.equal(outcome.ran, true, outcome.message);
    assert.deepEqual(judgedWords(outcome), ['x', 'a.txt']);
    assert.deepEqual(words, ['x', 'a.txt']);
    assert.equal(
      asked[0]!.runs,
      "printf '%s\\0' x 'a.txt' | od -An -tx1 -v; node -e 0",
      'the person saw what runs',
    );
    assert.deepEqual(asked[0]!.expansions, [{ pattern: '*.txt', names: ['a.txt'] }]);
  });

  it('property: for random patterns over random folders, what ran equals what was judged', async () => {
    const alphabet = ['a', 'b', '-', ' ', '\n', '*', '?', '[', ']', '.', "'", '"', '\\', '$', 'é'];
    const name = fc
      .array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 6 })
      .map((cs) => cs.join(''))
      .filter((n) => n !== '.' && n !== '..' && !n.includes('/'));
    const tree = fc.uniqueArray(fc.tuple(fc.boolean(), name), {
      maxLength: 8,
      selector: ([, n]) => n,
    });
    const part = fc.constantFrom('*', '?', '[-a]', '[!a]*', 'a*', '-*', '*a', "'*'", '.*', '"a b"*', '\\**');
    const pattern = fc
      .tuple(fc.constantFrom('', 'd/', '*/', '{a,b}'), fc.array(part, { minLength: 1, maxLength: 3 }))
      .map(([prefix, parts]) => prefix + parts.join(''));
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(tree, fc.array(pattern, { minLength: 1, maxLength: 3 }), async (entries, patterns) => {
        fs.rmSync(ws, { recursive: true, force: true });
        fs.mkdirSync(path.join(ws, 'd'), { recursive: true });
        for (const [inDir, n] of entries) fs.writeFileSync(path.join(ws, inDir ? 'd' : '', n), '');
        const { outcome, words } = await runAndRead(
          `printf '%s\\0' x ${patterns.join(' ')} | od -An -tx1 -v`,
        );
        if (!outcome.ran) return; // unknown (asked, denied here): nothing ran, nothing to compare
        compared++;
        assert.equal(outcome.result?.exitCode, 0, outcome.message);
        assert.deepEqual(words, judgedWords(outcome));
      }),
      { numRuns: 60, seed: 20261207 },
    );
    assert.ok(compared >= 40, `only ${compared} of 60 cases ran: the property compared too little`);
    const probe = await probeSandbox();
    if (process.env.CI)
      assert.ok(probe.available, `CI must run this in the sandbox: ${probe.available ? '' : probe.reason}`);
  });
});
