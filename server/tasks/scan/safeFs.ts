import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * File-system access that never leaves the scan root: no symlink is followed (final component
 * opened with O_NOFOLLOW, parent directories checked with lstat), nothing but regular files is
 * opened, and FIFOs cannot block a read (O_NONBLOCK).
 */

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
/** Flags for every file the scan opens. */
export const SAFE_OPEN_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a raw path from git or readdir; undefined when it is not valid UTF-8. */
export function decodeName(raw: Uint8Array): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

/** A display form of a raw name that is safe to print: printable ASCII kept, every other byte `\xNN`. */
export function escapeName(raw: Uint8Array): string {
  let out = '';
  for (const byte of raw) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** True when `target` is `root` or below it (both absolute and real). */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export type SymlinkClass = 'inside' | 'symlink-outside-root' | 'symlink-loop';

/** Where a symlink leads, without reading anything through it. */
export async function classifySymlink(rootReal: string, abs: string): Promise<SymlinkClass> {
  try {
    const real = await fs.promises.realpath(abs);
    if (!isInside(rootReal, real)) return 'symlink-outside-root';
    // A link to one of its own ancestors (`ln -s .. up`) is an endless tree for whoever follows it.
    return isInside(real, await fs.promises.realpath(path.dirname(abs))) ? 'symlink-loop' : 'inside';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'symlink-loop';
    // Dangling: judge by where it points, lexically.
    try {
      const target = path.resolve(path.dirname(abs), await fs.promises.readlink(abs));
      return isInside(rootReal, target) ? 'inside' : 'symlink-outside-root';
    } catch {
      return 'symlink-outside-root';
    }
  }
}

/** Why a directory cannot be entered: a symlink (git lists paths below a directory that became one). */
export type DirVerdict = 'ok' | 'missing' | 'symlink' | 'unreadable';

/**
 * Checks that every directory on a relative path is a real directory, not a symlink, with one
 * lstat per distinct directory. Git's index can list `a/b.txt` after `a` was replaced by a
 * symlink to `/etc`; opening `a/b.txt` would then read outside the root.
 */
export class DirGuard {
  private readonly verdicts = new Map<string, DirVerdict>([['.', 'ok']]);

  constructor(readonly rootReal: string) {}

  /** Verdict for directory `relDir` (`.` for the root). */
  check(relDir: string): DirVerdict {
    const known = this.verdicts.get(relDir);
    if (known) return known;
    const slash = relDir.lastIndexOf('/');
    const parent = slash < 0 ? '.' : relDir.slice(0, slash);
    let verdict = this.check(parent);
    if (verdict === 'ok') {
      try {
        const st = fs.lstatSync(path.join(this.rootReal, relDir));
        verdict = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'ok' : 'missing';
      } catch (error) {
        verdict = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
      }
    }
    this.verdicts.set(relDir, verdict);
    return verdict;
  }
}

/**
 * Reads a small text file (a manifest, a config, the head of a script) below the root; undefined
 * when it is not a regular file, is larger than `maxBytes` (unless `head`), or cannot be read.
 * With `head`, reads at most `maxBytes` from the start of larger files too.
 */
export async function readSmallText(
  guard: DirGuard,
  rel: string,
  maxBytes = 1024 * 1024,
  head = false,
): Promise<string | undefined> {
  const slash = rel.lastIndexOf('/');
  if (guard.check(slash < 0 ? '.' : rel.slice(0, slash)) !== 'ok') return undefined;
  let handle: fs.promises.FileHandle | undefined;
  const abs = path.join(guard.rootReal, rel);
  try {
    // lstat first: opening a device node can have side effects even if nothing is read.
    if (!(await fs.promises.lstat(abs)).isFile()) return undefined;
    handle = await fs.promises.open(abs, SAFE_OPEN_FLAGS);
    const st = await handle.stat();
    if (!st.isFile()) return undefined;
    if (st.size > maxBytes && !head) return undefined;
    const buf = Buffer.alloc(Math.min(st.size, maxBytes));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
