import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { FileEntry } from './types';
import { SkippedList, intSize, joinRel } from './types';
import { SAFE_OPEN_FLAGS, classifySymlink, decodeName, escapeName } from './safeFs';

/**
 * Directory walk for roots outside git: honours `.gitignore` files at every level (the deeper file
 * wins, as in git), always skips `.git`, and descends into anything not ignored, `node_modules`
 * included, so the inventory is what git would see.
 */

interface IgnoreLevel {
  /** Directory of the .gitignore, relative to the root (`.` for the root). */
  base: string;
  rules: Ignore;
}

/** Yields to the event loop so cancellation and other requests are served during long walks. */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function readIgnoreFile(abs: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(abs, SAFE_OPEN_FLAGS);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > 1024 * 1024) return undefined;
    const buf = Buffer.alloc(st.size);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isIgnored(levels: readonly IgnoreLevel[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, rules } of levels) {
    const local = base === '.' ? rel : rel.slice(base.length + 1);
    const result = rules.test(isDir ? `${local}/` : local);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

interface DirToVisit {
  rel: string;
  abs: string;
  levels: IgnoreLevel[];
}

/**
 * Lists one directory: files into `files`, subdirectories onto `stack`; returns the symlinks to
 * classify. Synchronous on purpose: V8 cannot optimize a long loop inside an async function.
 */
function visitDir(
  dir: DirToVisit,
  stack: DirToVisit[],
  files: FileEntry[],
  skipped: SkippedList,
): FileEntry[] {
  const links: FileEntry[] = [];
  let entries: fs.Dirent<Buffer>[];
  try {
    entries = fs.readdirSync(dir.abs, { withFileTypes: true, encoding: 'buffer' });
  } catch {
    skipped.add(dir.rel === '.' ? '.' : `${dir.rel}/`, 'unreadable');
    return links;
  }
  let levels = dir.levels;
  if (entries.some((e) => e.isFile() && e.name.toString('latin1') === '.gitignore')) {
    const text = readIgnoreFile(path.join(dir.abs, '.gitignore'));
    if (text !== undefined) levels = [...levels, { base: dir.rel, rules: ignore().add(text) }];
  }
  for (const entry of entries) {
    const name = decodeName(entry.name);
    if (name === '.git') continue;
    if (name === undefined) {
      const display = joinRel(dir.rel, escapeName(entry.name));
      skipped.add(display, 'invalid-name');
      if (entry.isFile()) {
        const abs = Buffer.concat([Buffer.from(dir.abs + path.sep), entry.name]);
        let size = 0;
        try {
          size = intSize(fs.lstatSync(abs).size);
        } catch {
          // Counted with an unknown size.
        }
        files.push({ path: display, abs, size, symlink: false, tracked: false, readable: false });
      }
      continue;
    }
    const rel = joinRel(dir.rel, name);
    const abs = path.join(dir.abs, name);
    const isDir = entry.isDirectory();
    if (levels.length > 0 && isIgnored(levels, rel, isDir)) continue;
    if (isDir) {
      stack.push({ rel, abs, levels });
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch {
        continue; // Removed while we walked.
      }
      if (!st.isFile() && !st.isSymbolicLink()) {
        skipped.add(rel, 'special-file');
        continue;
      }
      const file = {
        path: rel,
        abs,
        size: intSize(st.size),
        symlink: st.isSymbolicLink(),
        tracked: false,
        readable: true,
      };
      files.push(file);
      if (file.symlink) links.push(file);
    } else {
      skipped.add(rel, 'special-file');
    }
  }
  return links;
}

export async function walkFiles(
  rootReal: string,
  skipped: SkippedList,
  signal: AbortSignal,
): Promise<FileEntry[]> {
  const files: FileEntry[] = [];
  const stack: DirToVisit[] = [{ rel: '.', abs: rootReal, levels: [] }];
  let visited = 0;
  while (stack.length > 0) {
    const links = visitDir(stack.pop()!, stack, files, skipped);
    for (const link of links) {
      const where = await classifySymlink(rootReal, link.abs as string);
      if (where !== 'inside') skipped.add(link.path, where);
    }
    if (++visited % 32 === 0) {
      await yieldToLoop();
      signal.throwIfAborted();
    }
  }
  return files;
}
