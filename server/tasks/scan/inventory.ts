import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Inventory } from '../../../protocol/scanReport';
import type { Logger } from '../../taskContext';
import type { FileEntry } from './types';
import { SkippedList, dirOf, intSize } from './types';
import { DirGuard, escapeName, readSmallText } from './safeFs';
import { type IndexEntry, gitTopLevel, listGitFiles } from './git';
import { walkFiles } from './walk';
import type { LinguistAttributes } from './linguistAttributes';
import { languageOfName, languageOfShebang, languageStats, sourceLanguageStats } from './languages';

/** The files of the scan and how they were found. */
export interface Listing {
  source: 'git' | 'walk';
  /** The git work tree's top directory, when the root is inside one. */
  gitTop?: string;
  files: FileEntry[];
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function entryFromGit(
  rootReal: string,
  item: { name: string | undefined; raw: Buffer | undefined },
  skipped: SkippedList,
): FileEntry {
  if (item.name === undefined) {
    const raw = item.raw ?? Buffer.alloc(0);
    const display = escapeName(raw);
    skipped.add(display, 'invalid-name');
    return {
      path: display,
      abs: Buffer.concat([Buffer.from(rootReal + path.sep), raw]),
      size: -1,
      symlink: false,
      tracked: false,
      readable: false,
    };
  }
  // Git paths are normalized (no `.`/`..`, `/`-separated): plain concatenation is enough.
  return {
    path: item.name,
    abs: `${rootReal}/${item.name}`,
    size: -1,
    symlink: false,
    tracked: false,
    readable: true,
  };
}

// The loops over every file live in plain functions: V8 cannot switch a long-running loop inside
// an async function to optimized code (no on-stack replacement for resumable functions), and such
// a loop over 100k files measured several times slower.

function gitEntries(
  rootReal: string,
  tracked: readonly IndexEntry[],
  untracked: readonly { name: string | undefined; raw: Buffer | undefined }[],
  skipped: SkippedList,
): { files: FileEntry[]; needStat: FileEntry[] } {
  const files: FileEntry[] = [];
  const needStat: FileEntry[] = [];
  for (const item of tracked) {
    if (item.mode === 160000) continue; // A submodule: its own repository, not a file.
    const entry = entryFromGit(rootReal, item, skipped);
    entry.tracked = true;
    entry.symlink = item.mode === 120000;
    entry.size = item.size;
    // Git zeroes the cached size of "racily clean" entries; ask the file system for those.
    if (entry.size <= 0) needStat.push(entry);
    files.push(entry);
  }
  for (const item of untracked) {
    const entry = entryFromGit(rootReal, item, skipped);
    needStat.push(entry);
    files.push(entry);
  }
  return { files, needStat };
}

async function listWithGit(
  rootReal: string,
  skipped: SkippedList,
  signal: AbortSignal,
): Promise<FileEntry[]> {
  const { tracked, untracked, unreadable } = await listGitFiles(rootReal, signal);
  for (const dir of unreadable) skipped.add(dir, 'unreadable');
  const { files, needStat } = gitEntries(rootReal, tracked, untracked, skipped);
  const guard = new DirGuard(rootReal);
  const gone = new Set<FileEntry>();
  await mapLimit(needStat, 16, async (entry) => {
    if (entry.readable && guard.check(dirOf(entry.path)) !== 'ok') return;
    try {
      const st = await fs.promises.lstat(entry.abs);
      entry.size = intSize(st.size);
      entry.symlink = st.isSymbolicLink();
    } catch (error) {
      // A tracked file deleted from the work tree is not part of the inventory.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') gone.add(entry);
    }
  });
  return gone.size > 0 ? files.filter((f) => !gone.has(f)) : files;
}

/** Lists the root's files: `git ls-files` inside a work tree (root subtree only), else a walk. */
export async function listFiles(
  rootReal: string,
  skipped: SkippedList,
  signal: AbortSignal,
  log: Logger,
): Promise<Listing> {
  // The listing starts at once, alongside the question whether this is a work tree at all:
  // outside one it fails within milliseconds, inside one it saves a round trip.
  const gitRun = listWithGit(rootReal, skipped, signal);
  gitRun.catch(() => undefined);
  const gitTop = await gitTopLevel(rootReal, signal);
  if (gitTop !== undefined) {
    try {
      return { source: 'git', gitTop, files: await gitRun };
    } catch (error) {
      signal.throwIfAborted();
      log.warn(`git ls-files failed; walking the directory instead: ${String(error)}`);
    }
  } else {
    await gitRun.catch(() => undefined);
  }
  return { source: 'walk', files: await walkFiles(rootReal, skipped, signal) };
}

function languagesByName(files: readonly FileEntry[]): {
  languages: (string | undefined)[];
  unknown: number[];
} {
  // Pushed, not `new Array(n)`: V8 backs a large preallocated array with a hash table.
  const languages: (string | undefined)[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const language = languageOfName(files[i]!.path);
    if (language === undefined) unknown.push(i);
    languages.push(language);
  }
  return { languages, unknown };
}

/** Language of each file: by name, else by the `#!` line of extensionless scripts. */
export async function detectLanguages(files: readonly FileEntry[], guard: DirGuard): Promise<string[]> {
  const { languages, unknown } = languagesByName(files);
  await mapLimit(unknown, 16, async (i) => {
    const file = files[i]!;
    if (!file.readable || file.symlink) return;
    const head = await readSmallText(guard, file.path, 256, true);
    languages[i] = head === undefined ? undefined : languageOfShebang(head);
  });
  return languages.map((language) => language ?? 'Other');
}

export function summarizeInventory(
  source: 'git' | 'walk',
  files: readonly FileEntry[],
  languages: readonly string[],
  attributes?: LinguistAttributes,
): Inventory {
  let bytes = 0;
  for (const file of files) bytes += Math.max(file.size, 0);
  return {
    files: files.length,
    bytes,
    languages: languageStats(files, languages),
    sourceLanguages: sourceLanguageStats(files, languages, attributes),
    source,
  };
}
