/**
 * A checkpoint by walking the tree in Node: the workspace's files (or some of them) without
 * following symlinks, leaving out `.git`, nested repositories, `node_modules` and files over the
 * size cap (reported), stored as blobs in the shadow store, stopping at the deadline (what it did
 * not reach is reported). Used for checkpoints of a few paths (each fix's own), and for the whole
 * workspace when the store's persistent index cannot be (indexSnapshot.ts).
 */

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { resolveReal } from '../exec/paths';
import { type Skipped, type Store, git, gitText, writeBlob } from './shadowStore';
import type { IndexSnapshot } from './indexSnapshot';

export interface Found {
  rel: string;
  abs: string;
  mode: '100644' | '100755' | '120000';
  size: number;
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
    if (st.isSymbolicLink()) found.push({ rel, abs, mode: '120000', size: 0 });
    else if (!st.isFile()) return;
    else if (st.size > maxBytes) skipped.push({ path: rel, reason: 'too-large' });
    else found.push({ rel, abs, mode: st.mode & 0o111 ? '100755' : '100644', size: st.size });
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
        for (const e of entries.slice(i))
          if (e.name !== '.git') skipped.push({ path: join(dir, e.name), reason: 'time-budget' });
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

/** Stores the files' contents as blobs; what the deadline did not reach is skipped. */
export async function hashAll(store: Store, found: Found[], deadline: number, skipped: Skipped[]) {
  const stored: { rel: string; mode: string; oid: string }[] = [];
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
      batch.forEach((f, k) => stored.push({ rel: f.rel, mode: f.mode, oid: oids[k]! }));
    else for (const f of batch) await one(f);
  }
  for (const f of batchable.slice(i)) skipped.push({ path: f.rel, reason: 'time-budget' });
  for (const f of single) {
    if (Date.now() >= deadline) skipped.push({ path: f.rel, reason: 'time-budget' });
    else await one(f);
  }
  return stored;
}

/** Walks and hashes `starts` (null: everything) into a tree, through an index of its own. */
export async function walkSnapshot(
  store: Store,
  starts: string[] | null,
  maxBytes: number,
  deadline: number,
): Promise<IndexSnapshot> {
  const { found, skipped } = collect(store.workspace, starts, maxBytes, deadline);
  const stored = await hashAll(store, found, deadline, skipped);
  // A private index: another NAVI process may be taking a checkpoint of the same workspace.
  const own: Store = {
    ...store,
    index: path.join(store.gitDir, `navi-index-${crypto.randomBytes(6).toString('hex')}`),
  };
  try {
    const info = stored.map((s) => `${s.mode} ${s.oid}\t${s.rel}\0`).join('');
    await git(own, ['update-index', '-z', '--index-info'], { input: info });
    return { tree: await gitText(own, ['write-tree']), files: stored.length, skipped };
  } finally {
    await fsp.rm(own.index, { force: true });
  }
}
