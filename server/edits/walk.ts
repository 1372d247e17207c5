/**
 * What a checkpoint reads: the workspace's files without following symlinks, leaving out
 * `.git`, nested repositories, `node_modules` and files over the size cap (reported), stored as
 * blobs in the shadow store, stopping at the deadline (what it did not reach is reported).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveReal } from '../exec/paths';
import { type Skipped, type Store, gitText, writeBlob } from './shadowStore';

export interface Found {
  rel: string;
  abs: string;
  mode: '100644' | '100755' | '120000';
  size: number;
  /** What the stat cache compares (see hashAll). */
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
const isRepo = (abs: string) => fs.existsSync(path.join(abs, '.git'));

/** Walks the workspace (or `starts`) without following symlinks. */
export function collect(ws: string, starts: string[] | null, maxBytes: number, deadline: number) {
  const found: Found[] = [];
  const skipped: Skipped[] = [];
  const queue: string[] = [];
  const addFile = (rel: string, st: fs.Stats) => {
    const abs = path.join(ws, rel);
    const times = { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
    if (st.isSymbolicLink()) found.push({ rel, abs, mode: '120000', size: 0, ...times });
    else if (!st.isFile()) return;
    else if (st.size > maxBytes) skipped.push({ path: rel, reason: 'too-large' });
    else found.push({ rel, abs, mode: st.mode & 0o111 ? '100755' : '100644', size: st.size, ...times });
  };
  for (const rel of starts ?? ['']) {
    if (rel === '') {
      queue.push('');
      continue;
    }
    const abs = path.join(ws, rel);
    if (resolveReal(path.dirname(abs)) !== path.dirname(abs)) {
      skipped.push({ path: rel, reason: 'unreadable' }); // a folder on the way is a symlink now
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') skipped.push({ path: rel, reason: 'unreadable' });
      continue; // missing: the checkpoint records that it did not exist
    }
    if (st.isDirectory()) {
      if (isRepo(abs)) skipped.push({ path: rel, reason: 'nested-repo' });
      else queue.push(rel);
    } else addFile(rel, st);
  }
  for (let q = 0; q < queue.length; q++) {
    const dir = queue[q]!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(ws, dir), { withFileTypes: true });
    } catch {
      skipped.push({ path: dir, reason: 'unreadable' });
      continue;
    }
    for (let i = 0; i < entries.length; i++) {
      if (Date.now() >= deadline) {
        for (const e of entries.slice(i)) skipped.push({ path: join(dir, e.name), reason: 'time-budget' });
        for (const d of queue.slice(q + 1)) skipped.push({ path: d, reason: 'time-budget' });
        return { found, skipped };
      }
      const e = entries[i]!;
      const rel = join(dir, e.name);
      if (e.name === '.git') continue;
      if (e.isDirectory()) {
        if (e.name === 'node_modules') skipped.push({ path: rel, reason: 'node-modules' });
        else if (isRepo(path.join(ws, rel))) skipped.push({ path: rel, reason: 'nested-repo' });
        else queue.push(rel);
        continue;
      }
      try {
        addFile(rel, fs.lstatSync(path.join(ws, rel)));
      } catch {
        skipped.push({ path: rel, reason: 'unreadable' });
      }
    }
  }
  return { found, skipped };
}

// ---------------------------------------------------------------------------------------------
// The stat cache: what git's index does for `git status`. A file whose size, mtime, ctime and inode
// are those it had when the store last hashed it has the same blob, so a second checkpoint of a
// big tree reads only what changed. An entry younger than RACY_MS when recorded is not kept: a
// write within the clock's granularity could leave the stat unchanged ("racily clean" in git).

const STAT_CACHE = 'navi-stat-cache.json';
/** Below this many files the cache costs more than it saves (per-fix checkpoints). */
const STAT_CACHE_MIN_FILES = 1000;
const RACY_MS = 2000;
type StatEntry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, oid: string];

/**
 * The cache as this process last read or wrote it, by store: VS Code's agent lives long, so its
 * next checkpoint does not parse the file again (unless another process wrote it since).
 */
const loaded = new Map<string, { mtimeMs: number; entries: Map<string, StatEntry> }>();

function readStatCache(store: Store): Map<string, StatEntry> {
  const file = path.join(store.gitDir, STAT_CACHE);
  try {
    const mtimeMs = fs.statSync(file).mtimeMs;
    const mine = loaded.get(file);
    if (mine?.mtimeMs === mtimeMs) return mine.entries;
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (raw && typeof raw === 'object' && !Array.isArray(raw))
      return new Map(
        Object.entries(raw as Record<string, StatEntry>).filter(
          ([, e]) => Array.isArray(e) && e.length === 5,
        ),
      );
  } catch {
    // none yet, or damaged: everything is hashed
  }
  return new Map();
}

function writeStatCache(store: Store, entries: Map<string, StatEntry>): void {
  const file = path.join(store.gitDir, STAT_CACHE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(entries)), { mode: 0o600 });
    fs.renameSync(tmp, file);
    loaded.set(file, { mtimeMs: fs.statSync(file).mtimeMs, entries });
  } catch {
    fs.rmSync(tmp, { force: true }); // a cache that cannot be written only costs time next time
    loaded.delete(file);
  }
}

const sameStat = (e: StatEntry | undefined, f: Found) =>
  e !== undefined && e[0] === f.size && e[1] === f.mtimeMs && e[2] === f.ctimeMs && e[3] === f.ino;

/** Stores the files' contents as blobs; what the deadline did not reach is skipped. */
export async function hashAll(store: Store, found: Found[], deadline: number, skipped: Skipped[]) {
  const stored: { rel: string; mode: string; oid: string }[] = [];
  const useCache = found.length >= STAT_CACHE_MIN_FILES;
  const cache = useCache ? readStatCache(store) : new Map<string, StatEntry>();
  const next = new Map<string, StatEntry>();
  const remember = (f: Found, oid: string) => {
    if (useCache && f.mode !== '120000' && Math.max(f.mtimeMs, f.ctimeMs) < Date.now() - RACY_MS)
      next.set(f.rel, [f.size, f.mtimeMs, f.ctimeMs, f.ino, oid]);
  };
  const fresh: Found[] = [];
  for (const f of found) {
    const e = f.mode === '120000' ? undefined : cache.get(f.rel);
    if (sameStat(e, f)) {
      stored.push({ rel: f.rel, mode: f.mode, oid: e![4] });
      next.set(f.rel, e!);
    } else fresh.push(f);
  }
  found = fresh;
  const one = async (f: Found) => {
    try {
      const content = f.mode === '120000' ? Buffer.from(fs.readlinkSync(f.abs)) : fs.readFileSync(f.abs);
      stored.push({ rel: f.rel, mode: f.mode, oid: await writeBlob(store, content) });
    } catch {
      skipped.push({ path: f.rel, reason: 'unreadable' });
    }
  };
  // Regular files in batches through one git process each; symlinks and odd names one by one.
  const batchable: Found[] = [];
  const single: Found[] = [];
  for (const f of found) (f.mode !== '120000' && !/[\n\r]/.test(f.rel) ? batchable : single).push(f);
  let i = 0;
  while (i < batchable.length) {
    if (Date.now() >= deadline) break;
    let bytes = 0;
    let end = i;
    while (end < batchable.length && end - i < 2000 && bytes < 64 << 20) bytes += batchable[end++]!.size;
    const batch = batchable.slice(i, end);
    i = end;
    let oids: string[] = [];
    try {
      const input = `${batch.map((f) => f.abs).join('\n')}\n`;
      const out = await gitText(store, ['hash-object', '-w', '--no-filters', '--stdin-paths'], { input });
      oids = out.split('\n');
    } catch {
      oids = []; // one unreadable file fails the batch: redo it file by file
    }
    if (oids.length === batch.length)
      batch.forEach((f, k) => {
        stored.push({ rel: f.rel, mode: f.mode, oid: oids[k]! });
        remember(f, oids[k]!);
      });
    else for (const f of batch) await one(f);
  }
  for (const f of batchable.slice(i)) skipped.push({ path: f.rel, reason: 'time-budget' });
  for (const f of single) {
    if (Date.now() >= deadline) skipped.push({ path: f.rel, reason: 'time-budget' });
    else await one(f);
  }
  if (useCache) writeStatCache(store, next);
  return stored;
}
