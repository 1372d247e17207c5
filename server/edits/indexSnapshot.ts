/**
 * Whole-workspace checkpoints through a persistent git index in the shadow store: git's own stat
 * walk (parallel lstat, C readdir) finds what changed since the last checkpoint, and only that is
 * read and hashed. On a 100,000-file tree with 20 changed files this takes about a second where
 * a walk in Node took five (docs/BENCHMARKS.md).
 *
 * The index (`navi-index-all` in the store) is a cache, never the truth: every entry in it was
 * hashed by git from the file whose stat it records, and `git diff-files` compares that stat
 * (size, times, inode, mode; git's "racily clean" rule for files changed within the index's own
 * timestamp) with the file now. What the checkpoint leaves out (nested repositories, files over
 * the size cap, unreadable files, what the time budget did not reach) is not in the index when
 * the tree is written, and is reported. `node_modules` folders at any depth are left out by
 * pathspec; the top-level one is reported, `covers` knows the rest.
 *
 * Everything runs with git's pathspec magic on the store's own index and objects: the
 * workspace's `.git` is never read (shadowStore.ts sets GIT_DIR, GIT_INDEX_FILE and no config).
 * When the index cannot be used (another NAVI process holds its lock, git fails, the time budget
 * runs out while git looks) this returns null and the caller walks the tree in Node instead.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileDurably } from '../durableFile';
import { type Skipped, type Store, git, gitText } from './shadowStore';

const INDEX_NAME = 'navi-index-all';
/** node_modules at any depth, the folder and what is in it. */
const EXCLUDE = [':(exclude,glob)**/node_modules', ':(exclude,glob)**/node_modules/**'];
/**
 * The first `update-index` process reads this many files (or bytes); each next one twice as many,
 * but no more than the time left allows at the rate seen so far: the deadline is checked between
 * them, and one process per 2,000 files cost twice as much as one for all (each rewrites the index).
 */
const FIRST_BATCH_FILES = 2000;
const FIRST_BATCH_BYTES = 64 << 20;

export interface IndexSnapshot {
  tree: string;
  files: number;
  skipped: Skipped[];
}

type Change = { rel: string; tracked: boolean; size: number; ctimeMs: number };

/**
 * Paths hashed while their inode change time was less than a second old. git compares times in
 * whole seconds (Debian's git is built without USE_NSEC), so a second change within that same
 * second, of the same size, with the mtime set back (`touch -r`, `cp -p`, `rsync -t`), would look
 * unchanged: the next checkpoint hashes these again whatever their stat says. A lost list only
 * loses that guard.
 */
const YOUNG_NAME = `${INDEX_NAME}.young.json`;

function readYoung(file: string): string[] {
  try {
    const list = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

/** Atomic and durable like the store's other state; a list that cannot be written only loses the guard. */
const writeYoung = (file: string, rels: string[]) =>
  writeFileDurably(file, JSON.stringify(rels)).catch(() => undefined);

/** Entries in an index file: its header is "DIRC", a version and the count, big-endian. */
function indexEntries(file: string): number {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(12);
      if (fs.readSync(fd, head, 0, 12, 0) === 12 && head.toString('latin1', 0, 4) === 'DIRC')
        return head.readUInt32BE(8);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // no index yet
  }
  return 0;
}

const zList = (out: Buffer) =>
  out
    .toString('utf8')
    .split('\0')
    .filter((s) => s !== '');

/**
 * How long git may look at the tree whatever the time budget: the look is what makes the rest
 * cheap (about half a second per 100,000 files), and cut short it leaves nothing to go on. The
 * budget bounds reading and hashing files, the part that grows with their size.
 */
const LOOK_LIMIT_MS = 60_000;

/** What git found changed (tracked) or new (untracked) since the index last saw the tree. */
async function changes(store: Store, deadline: number) {
  const timeoutMs = Math.max(LOOK_LIMIT_MS, deadline - Date.now());
  const unreadableDirs: string[] = [];
  const [modified, untracked] = await Promise.all([
    git(store, ['diff-files', '-z', '--name-only', '--', ...EXCLUDE], { pathspecMagic: true, timeoutMs }),
    git(store, ['ls-files', '-z', '--others', '--', ...EXCLUDE], {
      pathspecMagic: true,
      timeoutMs,
      onStderr: (text) => {
        for (const m of text.matchAll(/could not open directory '(.*)\/': /g)) unreadableDirs.push(m[1]!);
      },
    }),
  ]);
  return { modified: zList(modified), untracked: zList(untracked), unreadableDirs };
}

/** Feeds NUL-separated paths to `git update-index` with these options. */
const updateIndex = (store: Store, options: string[], rels: string[], background?: AbortSignal) =>
  git(store, ['update-index', ...options, '-z', '--stdin'], {
    input: `${rels.join('\0')}\0`,
    ...(background ? { lowPriority: true, signal: background } : {}),
  });

type Look = { change: Change } | { skip: Skipped['reason'] | null; path: string };

/** What to do with a path git listed: hash it, or leave it out (and say why, when it matters). */
function lookAt(workspace: string, rel: string, tracked: boolean, maxBytes: number): Look {
  // ls-files shows a folder only when it holds a repository of its own
  if (rel.endsWith('/')) return { skip: 'nested-repo', path: rel.slice(0, -1) };
  const abs = path.join(workspace, rel);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(abs);
  } catch {
    st = undefined; // gone, or a folder on its way is a file now
  }
  // gone (the checkpoint records that it does not exist), a folder now (its files are untracked)
  if (!st || (!st.isFile() && !st.isSymbolicLink())) return { skip: null, path: rel };
  if (st.isSymbolicLink()) return { change: { rel, tracked, size: 0, ctimeMs: st.ctimeMs } };
  if (st.size > maxBytes) return { skip: 'too-large', path: rel };
  try {
    fs.accessSync(abs, fs.constants.R_OK);
  } catch {
    return { skip: 'unreadable', path: rel };
  }
  return { change: { rel, tracked, size: st.size, ctimeMs: st.ctimeMs } };
}

/** Hashes `add` into the index, in growing batches, until done or the deadline; returns how many. */
async function addInBatches(
  indexed: Store,
  add: Change[],
  deadline: number,
  background?: AbortSignal,
): Promise<number> {
  let i = 0;
  let [batchFiles, batchBytes] = [FIRST_BATCH_FILES, FIRST_BATCH_BYTES];
  while (i < add.length && Date.now() < deadline && !background?.aborted) {
    let bytes = 0;
    let end = i;
    while (end < add.length && end - i < batchFiles && bytes < batchBytes) bytes += add[end++]!.size;
    const t0 = Date.now();
    const batch = add.slice(i, end).map((c) => c.rel);
    await updateIndex(indexed, ['--add', '--remove', '--replace'], batch, background);
    const msPerFile = (Date.now() - t0 + 1) / batch.length;
    batchFiles = Math.max(1, Math.min(batchFiles * 2, Math.floor((deadline - Date.now()) / msPerFile)));
    batchBytes *= 2;
    i = end;
  }
  return i;
}

/** The hashed paths changed within a second of `started`, before git hashed them or since. */
function youngOf(workspace: string, hashed: Change[], started: number): string[] {
  const recent = (Math.floor(started / 1000) - 1) * 1000;
  const ctimeNow = (rel: string) => {
    try {
      return fs.lstatSync(path.join(workspace, rel)).ctimeMs;
    } catch {
      return 0;
    }
  };
  return hashed.filter((c) => c.ctimeMs >= recent || ctimeNow(c.rel) >= recent).map((c) => c.rel);
}

/** A long list of paths as their top-level folders (a folder stands for everything in it). */
function collapse(rels: string[], reason: Skipped['reason']): Skipped[] {
  const paths = rels.length <= 100 ? rels : [...new Set(rels.map((r) => r.split('/')[0]!))];
  return paths.map((p) => ({ path: p, reason }));
}

/** Background hashing by store: the next checkpoint of the store stops it and takes over. */
const warming = new Map<string, { run: Promise<void>; stop: AbortController }>();

/**
 * What a checkpoint's time budget did not reach is hashed into the index after it returns, so the
 * next checkpoint finds it done (a first checkpoint of a big tree never fits its budget). Errors
 * only cost time: the next checkpoint looks again.
 */
function warmUp(store: Store, indexed: Store, rels: string[], maxBytes: number): void {
  const started = Date.now();
  const stop = new AbortController();
  const signal = stop.signal;
  const run = (async () => {
    const rest: Change[] = [];
    for (let i = 0; i < rels.length && !signal.aborted; i++) {
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve)); // the agent stays responsive
      const now = lookAt(store.workspace, rels[i]!, false, maxBytes);
      if ('change' in now) rest.push(now.change);
    }
    const n = await addInBatches(indexed, rest, Infinity, signal);
    const youngFile = path.join(store.gitDir, YOUNG_NAME);
    await writeYoung(youngFile, [
      ...readYoung(youngFile),
      ...youngOf(store.workspace, rest.slice(0, n), started),
    ]);
    // git keeps the trees in the index: the next checkpoint's write-tree rewrites only what changed
    if (!signal.aborted) await git(indexed, ['write-tree'], { lowPriority: true, signal });
  })().catch(() => undefined);
  warming.set(store.gitDir, { run, stop });
  void run.finally(() => {
    if (warming.get(store.gitDir)?.run === run) warming.delete(store.gitDir);
  });
}

/** Stops the store's background hashing (git, stopped, removes its lock) and waits for it. */
async function stopWarmUp(store: Store): Promise<void> {
  const w = warming.get(store.gitDir);
  if (!w) return;
  w.stop.abort();
  await w.run;
}

/** Resolves when the background hashing of earlier checkpoints is done (tests, shutdown). */
export async function indexWarmedUp(): Promise<void> {
  while (warming.size) await Promise.all([...warming.values()].map((w) => w.run));
}

export async function snapshotByIndex(
  store: Store,
  maxBytes: number,
  deadline: number,
): Promise<IndexSnapshot | null> {
  const started = Date.now();
  const indexed: Store = { ...store, index: path.join(store.gitDir, INDEX_NAME) };
  const youngFile = path.join(store.gitDir, YOUNG_NAME);
  const skipped: Skipped[] = [];
  await stopWarmUp(store);
  let found: Awaited<ReturnType<typeof changes>>;
  try {
    found = await changes(indexed, deadline);
  } catch {
    return null;
  }
  for (const dir of found.unreadableDirs) skipped.push({ path: dir, reason: 'unreadable' });
  if (fs.existsSync(path.join(store.workspace, 'node_modules')))
    skipped.push({ path: 'node_modules', reason: 'node-modules' });

  // Each path as it is now: what to hash into the index and what to take out of it.
  const add: Change[] = [];
  const remove: string[] = [];
  const young = readYoung(youngFile);
  // Past the deadline new files are left for later (changed ones are few: each is looked at).
  const unseen: string[] = [];
  const look = (rel: string, tracked: boolean) => {
    if (!tracked && Date.now() >= deadline) {
      unseen.push(rel);
      return;
    }
    const now = lookAt(store.workspace, rel, tracked, maxBytes);
    if ('change' in now) add.push(now.change);
    else {
      if (tracked) remove.push(rel);
      if (now.skip) skipped.push({ path: now.path, reason: now.skip });
    }
  };
  for (const rel of new Set([...found.modified, ...young])) look(rel, true);
  for (const rel of found.untracked) look(rel, false);
  // A young entry is taken out first: git would not hash a file its stat says is up to date.
  const again = new Set(young);
  remove.push(...add.filter((c) => again.has(c.rel)).map((c) => c.rel));

  try {
    // Removals first: a file that became a folder (or the reverse) is then a plain add.
    if (remove.length) await updateIndex(indexed, ['--force-remove'], remove);
    const i = await addInBatches(indexed, add, deadline);
    const late = add.slice(i);
    skipped.push(...collapse([...late.map((c) => c.rel), ...unseen], 'time-budget'));
    // A changed file the budget did not reach must not keep its old content in the tree.
    const stale = late.filter((c) => c.tracked).map((c) => c.rel);
    if (stale.length) await updateIndex(indexed, ['--force-remove'], stale);
    await writeYoung(youngFile, youngOf(store.workspace, add.slice(0, i), started));
    const tree = await gitText(indexed, ['write-tree']);
    const files = indexEntries(indexed.index);
    if (late.length || unseen.length)
      warmUp(store, indexed, [...late.map((c) => c.rel), ...unseen], maxBytes);
    return { tree, files, skipped };
  } catch {
    return null; // the index lock is taken, or a file changed under git: walk instead
  }
}
