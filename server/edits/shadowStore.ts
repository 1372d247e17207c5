/**
 * The shadow git store behind checkpoints: a bare repository NAVI owns in its state folder,
 * `<stateDir>/checkpoints/<hash of the workspace's real path>.git`, with a JSON file next to it
 * that records checkpoints and what NAVI wrote. Git runs with an explicit environment (its own
 * git dir, work tree and index, no system, global or user config, no hooks, no fsmonitor), so
 * the workspace's own `.git` is never read or written.
 */

import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileDurably } from '../durableFile';

export type SkipReason = 'too-large' | 'nested-repo' | 'node-modules' | 'time-budget' | 'unreadable';

export interface Skipped {
  /** Workspace-relative, `/`-separated; a folder stands for everything in it. */
  path: string;
  reason: SkipReason;
}

export interface CheckpointRecord {
  id: string;
  taskId: string;
  commit: string;
  createdAt: number;
  /** `all`: the whole workspace was walked; else the paths it was asked for. */
  scope: 'all' | string[];
  files: number;
  skipped: Skipped[];
  /** Set on the checkpoint a rollback takes first: the task it rolled back. */
  undoOf?: string;
}

export interface WriteRecord {
  /** The checkpoint that holds the file's content from before NAVI's first write. */
  checkpoint: string;
  /** sha256 (hex) of what NAVI left in the file; null when NAVI left no file there. */
  sha256: string | null;
  /** The blob of what NAVI left, in the store; null when NAVI left no file there. */
  blob: string | null;
  at: number;
}

export interface Meta {
  version: 1;
  workspace: string;
  checkpoints: CheckpointRecord[];
  /** taskId → workspace-relative path → the last thing NAVI wrote there. */
  writes: Record<string, Record<string, WriteRecord>>;
}

export interface Store {
  /** Real path of the workspace. */
  workspace: string;
  gitDir: string;
  index: string;
  metaFile: string;
  /** An empty folder: git's HOME, so no user config is found. */
  home: string;
}

export function storeFor(stateDir: string, workspaceRoot: string): Store {
  const workspace = fs.realpathSync(workspaceRoot);
  const base = path.join(path.resolve(stateDir), 'checkpoints');
  const hash = crypto.createHash('sha256').update(workspace).digest('hex').slice(0, 32);
  const gitDir = path.join(base, `${hash}.git`);
  return {
    workspace,
    gitDir,
    index: path.join(gitDir, 'navi-index'),
    metaFile: path.join(base, `${hash}.json`),
    home: path.join(base, 'empty-home'),
  };
}

/** Options that hold for every git call, whatever the store's config says. */
const GIT_OPTIONS = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'gc.auto=0',
  '-c',
  'core.autocrlf=false',
  '-c',
  'core.symlinks=true',
  '--literal-pathspecs', // last: `pathspecMagic` leaves it out
];

function gitEnv(store: Store, withWorkTree: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: store.home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    LC_ALL: 'C',
    GIT_AUTHOR_NAME: 'NAVI',
    GIT_AUTHOR_EMAIL: 'navi@localhost',
    GIT_COMMITTER_NAME: 'NAVI',
    GIT_COMMITTER_EMAIL: 'navi@localhost',
    // glibc gives memory back to the system after every file `hash-object --stdin-paths` reads
    // (thousands of brk calls per batch): with a high trim threshold a cold checkpoint of
    // 100,000 files took 14.9 s instead of 70.2 s (docs/BENCHMARKS.md). Other C libraries ignore it.
    MALLOC_TRIM_THRESHOLD_: '268435456',
  };
  if (withWorkTree) {
    env.GIT_DIR = store.gitDir;
    env.GIT_WORK_TREE = store.workspace;
    env.GIT_INDEX_FILE = store.index;
  }
  return env;
}

export interface GitOptions {
  input?: string | Buffer;
  /** Run without GIT_DIR / GIT_WORK_TREE (only `init`). */
  bare?: boolean;
  /** Pathspecs with magic (`:(exclude,glob)…`); else every pathspec is a literal path. */
  pathspecMagic?: boolean;
  /** Stop git (SIGTERM: it removes its lock files) and fail after this long. */
  timeoutMs?: number;
  /** Sees git's stderr when it succeeds (warnings). */
  onStderr?: (text: string) => void;
  /** Work nobody waits for: git runs at a low CPU priority. */
  lowPriority?: boolean;
  /** Stops git (SIGTERM) and fails. */
  signal?: AbortSignal;
}

/** Runs git on the store; resolves with stdout as bytes. */
export function git(store: Store, args: readonly string[], opts: GitOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...(opts.pathspecMagic ? GIT_OPTIONS.slice(0, -1) : GIT_OPTIONS), ...args],
      {
        env: gitEnv(store, !opts.bare),
        cwd: opts.bare ? path.dirname(store.gitDir) : store.workspace,
        encoding: 'buffer',
        maxBuffer: 1024 * 1024 * 1024,
        windowsHide: true,
        ...(opts.signal ? { signal: opts.signal, killSignal: 'SIGTERM' as const } : {}),
        ...(opts.timeoutMs !== undefined && Number.isFinite(opts.timeoutMs)
          ? { timeout: Math.ceil(opts.timeoutMs), killSignal: 'SIGTERM' as const }
          : {}),
      },
      (err, stdout, stderr) => {
        const detail = Buffer.isBuffer(stderr) ? stderr.toString('utf8').trim() : '';
        if (err)
          reject(new Error(`git ${args[0]} failed in NAVI's checkpoint store: ${detail || err.message}`));
        else {
          if (detail) opts.onStderr?.(detail);
          resolve(stdout);
        }
      },
    );
    if (opts.lowPriority && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, 10);
      } catch {
        // not allowed here: it only runs at the normal priority
      }
    }
    child.stdin?.on('error', () => undefined); // git may exit before reading everything
    child.stdin?.end(opts.input ?? '');
  });
}

export const gitText = async (store: Store, args: readonly string[], opts?: GitOptions) =>
  (await git(store, args, opts)).toString('utf8').trim();

/** Creates the bare store (and the empty HOME) when missing. */
export async function ensureStore(store: Store): Promise<void> {
  await fsp.mkdir(path.dirname(store.gitDir), { recursive: true, mode: 0o700 });
  await fsp.mkdir(store.home, { recursive: true, mode: 0o700 });
  if (fs.existsSync(path.join(store.gitDir, 'HEAD'))) return;
  await git(store, ['init', '-q', '--bare', '--template=', store.gitDir], { bare: true });
}

// ------------------------------------------------------------------------------------------
// Metadata

export function readMeta(store: Store): Meta {
  try {
    const meta = JSON.parse(fs.readFileSync(store.metaFile, 'utf8')) as Meta;
    if (meta.version === 1 && Array.isArray(meta.checkpoints) && meta.writes) return meta;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${store.metaFile} is damaged`);
  }
  return { version: 1, workspace: store.workspace, checkpoints: [], writes: {} };
}

/** Atomic and durable (durableFile.ts), readable only by the user. */
export async function writeMeta(store: Store, meta: Meta): Promise<void> {
  await writeFileDurably(store.metaFile, `${JSON.stringify(meta, null, 1)}\n`);
}

const locks = new Map<string, Promise<unknown>>();

/** Runs `fn` alone for this store (in this process): the index and the metadata are shared. */
export function withStoreLock<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(store.gitDir) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  locks.set(store.gitDir, tail);
  void tail.then(() => {
    if (locks.get(store.gitDir) === tail) locks.delete(store.gitDir);
  });
  return run;
}

// ------------------------------------------------------------------------------------------
// Trees

export interface TreeEntry {
  mode: string;
  oid: string;
}

/** The entries of `commit` at exactly these paths (missing paths are absent from the map). */
export async function entriesAt(store: Store, commit: string, paths: readonly string[]) {
  const out = new Map<string, TreeEntry>();
  for (let i = 0; i < paths.length; i += 500) {
    const chunk = paths.slice(i, i + 500);
    const raw = await git(store, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...chunk]);
    for (const line of raw.toString('utf8').split('\0')) {
      const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
      if (m && m[2] === 'blob' && chunk.includes(m[4]!)) out.set(m[4]!, { mode: m[1]!, oid: m[3]! });
    }
  }
  return out;
}

export const readBlob = (store: Store, oid: string) => git(store, ['cat-file', 'blob', oid]);

export const writeBlob = async (store: Store, content: Buffer) =>
  gitText(store, ['hash-object', '-w', '--no-filters', '--stdin'], { input: content });

export const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** True when the checkpoint holds the state (content or absence) of `rel`. */
export function covers(record: CheckpointRecord, rel: string): boolean {
  const under = (p: string) => p === '' || rel === p || rel.startsWith(`${p}/`);
  if (record.skipped.some((s) => under(s.path))) return false;
  // never in a checkpoint, whether reported in `skipped` (the walk) or not (the index)
  if (/(^|\/)(\.git|node_modules)(\/|$)/.test(rel)) return false;
  return record.scope === 'all' || record.scope.some(under);
}
