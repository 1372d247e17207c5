import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pruneCommandLogs } from '../../../server/exec/logRetention';
import { logsInUse, runCommand } from '../../../server/exec/runner';

// Command logs do not pile up forever: old ones and the oldest beyond the size limit go, the
// running command's log and anything that is not a NAVI log stay.

const DAY = 24 * 60 * 60 * 1000;

describe('exec/logRetention', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-logs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  /** A log as the runner names it, last written `ageDays` ago. */
  const logFile = (ageDays: number, bytes = 10): string => {
    const at = new Date(Date.now() - ageDays * DAY);
    const name = `${at.toISOString().replace(/[:.]/g, '-')}-${(n++).toString(16).padStart(8, '0')}.log`;
    const file = path.join(dir, name);
    fs.writeFileSync(file, 'x'.repeat(bytes));
    fs.utimesSync(file, at, at);
    return file;
  };

  it('removes logs past the age limit and keeps the recent ones', async () => {
    const old = logFile(40);
    const recent = logFile(2);
    const r = await pruneCommandLogs(dir, { retention: { maxAgeMs: 30 * DAY, maxTotalBytes: 1e9 } });
    assert.deepEqual([r.removed, r.kept], [1, 1]);
    assert.ok(!fs.existsSync(old));
    assert.ok(fs.existsSync(recent));
  });

  it('keeps the newest logs that fit the size limit', async () => {
    const files = [5, 4, 3, 2, 1].map((age) => logFile(age, 100));
    const r = await pruneCommandLogs(dir, { retention: { maxAgeMs: 30 * DAY, maxTotalBytes: 250 } });
    assert.equal(r.removed, 3);
    assert.equal(r.freedBytes, 300);
    assert.deepEqual(
      files.map((f) => fs.existsSync(f)),
      [false, false, false, true, true],
    );
  });

  it("never removes a running command's log, or files that are not NAVI's logs", async () => {
    const running = logFile(90);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    fs.mkdirSync(path.join(dir, '2020-01-01T00-00-00-000Z-deadbeef.log'));
    const r = await pruneCommandLogs(dir, {
      retention: { maxAgeMs: DAY, maxTotalBytes: 0 },
      inUse: new Set([running]),
    });
    assert.equal(r.removed, 0);
    assert.ok(fs.existsSync(running));
    assert.ok(fs.existsSync(path.join(dir, 'notes.txt')));
  });

  it('a missing folder is nothing to do', async () => {
    assert.deepEqual(await pruneCommandLogs(path.join(dir, 'none')), {
      removed: 0,
      freedBytes: 0,
      kept: 0,
      keptBytes: 0,
    });
  });

  it('the runner reports the log it is writing as in use until the command ends', async () => {
    let seen: string[] = [];
    const result = await runCommand(
      {
        command: 'echo hi',
        cwd: dir,
        workspaceRoot: dir,
        timeoutMs: 10_000,
        network: false,
        protectedPaths: [],
        hiddenPaths: [],
        sandbox: false,
        logDir: path.join(dir, 'logs'),
      },
      { signal: new AbortController().signal, onOutput: () => void (seen = [...logsInUse()]) },
    );
    assert.deepEqual(seen, [result.logFile]);
    assert.equal(logsInUse().size, 0);
    const r = await pruneCommandLogs(path.join(dir, 'logs'), {
      retention: { maxAgeMs: DAY, maxTotalBytes: 0 },
    });
    assert.equal(r.removed, 1, 'the runner names its logs the way retention recognises them');
  });
});
