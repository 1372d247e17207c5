import type { SkippedEntry } from '../../../protocol/scanReport';

/** One file of the inventory, as the scan knows it while it works. */
export interface FileEntry {
  /** Path relative to the root, `/`-separated; for names that are not UTF-8, an escaped display. */
  path: string;
  /** Absolute path to stat and read; a Buffer when the name is not valid UTF-8 (never read then). */
  abs: string | Buffer;
  /**
   * Size in bytes. From git's index (summary) or lstat (walk, untracked files); replaced by the
   * lstat of the content pass for the report. -1 when not known yet.
   */
  size: number;
  /** The entry is a symbolic link (counted, never followed). */
  symlink: boolean;
  /** Tracked by git (false for untracked files and for every file of a walk). */
  tracked: boolean;
  /** False when the name is not valid UTF-8: listed in `skipped`, counted, never read. */
  readable: boolean;
}

/**
 * A size from `fs.Stats` as a small integer when it fits. Stats sizes are doubles; storing one
 * into `FileEntry.size` (which holds small integers) makes V8 change the field's representation
 * for every FileEntry at once, and the 100k entries then migrate one by one on their next use,
 * which measured as a 100 ms stall on the next loop over the files.
 */
export function intSize(size: number): number {
  return size >= 0 && size < 2 ** 30 ? size | 0 : size;
}

/** Collects skipped entries; keeps the first `cap` and counts the rest. */
export class SkippedList {
  readonly entries: SkippedEntry[] = [];
  total = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly cap = 200) {}

  add(path: string, reason: string): void {
    const key = `${reason}\0${path}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.total++;
    if (this.entries.length < this.cap) this.entries.push({ path, reason });
  }
}

/** The path of the directory holding `rel` (`.` for files at the root). */
export function dirOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '.' : rel.slice(0, slash);
}

/** The last segment of `rel`. */
export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

/** `dir/name`, with `.` as the root. */
export function joinRel(dir: string, name: string): string {
  return dir === '.' || dir === '' ? name : `${dir}/${name}`;
}
