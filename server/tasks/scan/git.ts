import { isAscii, isUtf8 } from 'node:buffer';
import { spawn } from 'node:child_process';

/**
 * The two git commands the scan runs, always through `spawn` with an argv (never a shell), with
 * `--` before any pathspec, and with repository settings that could run programs switched off.
 */

export interface GitResult {
  /** Exit code; -1 when git could not be started (not installed). */
  code: number;
  stdout: Buffer;
  stderr: string;
}

// Settings from the repository's own .git/config must not make the scan run programs
// (core.fsmonitor is a command) or print paths escaped.
const SAFE_CONFIG = ['-c', 'core.quotepath=off', '-c', 'core.fsmonitor=false'];

/** The environment for git: without variables that would point it at another repository. */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
  for (const key of [
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_OBJECT_DIRECTORY',
    'GIT_COMMON_DIR',
  ]) {
    delete env[key];
  }
  return env;
}

/** Runs `git <args>` in `cwd`, collecting stdout as bytes; kills git and rejects when `signal` aborts. */
export function runGit(cwd: string, args: readonly string[], signal: AbortSignal): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const child = spawn('git', [...SAFE_CONFIG, ...args], {
      cwd,
      env: gitEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let errBytes = 0;
    const onAbort = () => {
      child.kill('SIGKILL');
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      // Warnings are short; a flood is cut so it cannot hold memory.
      if (errBytes < 256 * 1024) err.push(chunk);
      errBytes += chunk.length;
    });
    child.on('error', () => {
      signal.removeEventListener('abort', onAbort);
      resolve({ code: -1, stdout: Buffer.alloc(0), stderr: 'git could not be started' });
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Where the root sits in git: the work tree's top directory, or undefined outside a work tree. */
export async function gitTopLevel(root: string, signal: AbortSignal): Promise<string | undefined> {
  const res = await runGit(root, ['rev-parse', '--is-inside-work-tree', '--show-toplevel'], signal);
  if (res.code !== 0) return undefined;
  const [inside, top] = res.stdout.toString('utf8').split('\n');
  return inside === 'true' && top ? top : undefined;
}

/** One path from git's index, with the stat data git cached for it. */
export interface IndexEntry {
  /** The path, when it is valid UTF-8. */
  name: string | undefined;
  /** The raw bytes of the path, only when it is not valid UTF-8. */
  raw: Buffer | undefined;
  /** The octal mode's digits as a number: 100644/100755 file, 120000 symlink, 160000 submodule. */
  mode: number;
  /** Size from the index's stat cache; -1 when the output had none. */
  size: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeRaw(raw: Buffer): { name: string | undefined; raw: Buffer | undefined } {
  try {
    return { name: utf8.decode(raw), raw: undefined };
  } catch {
    return { name: undefined, raw: Buffer.from(raw) };
  }
}

/**
 * Parses `git ls-files -z --cached --stage --debug`: records of `<mode> <oid> <stage>\t<path>\0`
 * followed by indented debug lines ending with `size: N\tflags: F\n`. Entries of an unmerged path
 * (one per stage) are merged. Works on the output decoded once (the usual case, where every path
 * is UTF-8, and the debug text is ASCII) or, when some path is not UTF-8, on the bytes.
 */
/**
 * Parses `git ls-files -z --cached --stage --debug`: records of `<mode> <oid> <stage>\t<path>\0`
 * followed by indented debug lines ending with `size: N\tflags: F\n`. Entries of an unmerged path
 * (one per stage) are merged.
 *
 * Decoding is the costly part. The output is decoded 256 KB at a time and parsed as text: one
 * string per path costs ~2 µs each (100k paths), and one decode of the whole output gives an
 * external string (Node does not copy large ones) whose slices made every later string operation
 * on the paths several times slower. Chunks need ASCII (bytes = characters); other output is
 * decoded whole, and output that is not UTF-8 is parsed as bytes, path by path.
 */
export function parseIndexListing(out: Buffer): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const seen = new Set<string>();
  if (!isUtf8(out)) return parseIndexBytes(out, entries, seen);
  if (!isAscii(out)) {
    parseIndexText(out.toString('utf8'), true, entries, seen);
    return entries;
  }
  let chunk = 256 * 1024;
  for (let pos = 0; pos < out.length;) {
    const end = Math.min(out.length, pos + chunk);
    const used = parseIndexText(out.toString('latin1', pos, end), end === out.length, entries, seen);
    if (used === 0 && end < out.length)
      chunk *= 2; // A record longer than a chunk: widen.
    else if (used === 0) break;
    pos += used;
  }
  return entries;
}

/** Parses the complete records of `text`; returns how many characters they took. */
function parseIndexText(text: string, final: boolean, entries: IndexEntry[], seen: Set<string>): number {
  let pos = 0;
  while (pos < text.length) {
    const space = text.indexOf(' ', pos);
    const tab = text.indexOf('\t', pos);
    const nul = tab < 0 ? -1 : text.indexOf('\0', tab + 1);
    if (space < 0 || nul < 0) return pos;
    // The debug block follows the NUL; a chunk must hold all of it to know the size.
    let next = nul + 1;
    let size = -1;
    if (!final && next + 8 > text.length) return pos;
    if (text.startsWith('  ctime:', next)) {
      const tag = text.indexOf('size: ', next);
      const eol = tag < 0 ? -1 : text.indexOf('\n', tag);
      if (eol < 0) {
        if (!final) return pos;
      } else {
        size = parseInt(text.slice(tag + 6, eol), 10);
        next = eol + 1;
      }
    }
    let mode = 0;
    for (let i = pos; i < space; i++) mode = mode * 10 + (text.charCodeAt(i) - 48);
    const name = text.slice(tab + 1, nul);
    const stage = text.charCodeAt(tab - 1);
    pos = next;
    // Stage 0 is the normal case; only an unmerged path (stages 1-3) is listed more than once.
    if (stage !== 48) {
      if (seen.has(name)) continue;
      seen.add(name);
    }
    entries.push({ name, raw: undefined, mode, size: Number.isFinite(size) ? size : -1 });
  }
  return pos;
}

/** The same on bytes, for output with paths that are not UTF-8. */
function parseIndexBytes(out: Buffer, entries: IndexEntry[], seen: Set<string>): IndexEntry[] {
  let pos = 0;
  while (pos < out.length) {
    const space = out.indexOf(32, pos);
    const tab = out.indexOf(9, pos);
    const nul = tab < 0 ? -1 : out.indexOf(0, tab + 1);
    if (space < 0 || nul < 0) break;
    let mode = 0;
    for (let i = pos; i < space; i++) mode = mode * 10 + (out[i]! - 48);
    const stage = out[tab - 1];
    const raw = out.subarray(tab + 1, nul);
    let size = -1;
    pos = nul + 1;
    if (out.toString('latin1', pos, pos + 8) === '  ctime:') {
      const tag = out.indexOf(SIZE_TAG_BYTES, pos);
      const eol = tag < 0 ? -1 : out.indexOf(10, tag);
      if (eol >= 0) {
        size = parseInt(out.toString('latin1', tag + SIZE_TAG_BYTES.length, eol), 10);
        pos = eol + 1;
      }
    }
    if (stage !== 48) {
      const key = raw.toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
    }
    entries.push({ ...decodeRaw(raw), mode, size: Number.isFinite(size) ? size : -1 });
  }
  return entries;
}

const SIZE_TAG_BYTES = Buffer.from('size: ');

/** Splits NUL-terminated output into paths (decoded like parseIndexListing does) or raw bytes. */
export function splitNul(out: Buffer): { name: string | undefined; raw: Buffer | undefined }[] {
  const parts: { name: string | undefined; raw: Buffer | undefined }[] = [];
  if (!isUtf8(out)) {
    for (let pos = 0; pos < out.length;) {
      const nul = out.indexOf(0, pos);
      const end = nul < 0 ? out.length : nul;
      if (end > pos) parts.push(decodeRaw(out.subarray(pos, end)));
      pos = end + 1;
    }
    return parts;
  }
  const ascii = isAscii(out);
  const chunk = ascii ? 256 * 1024 : out.length;
  for (let pos = 0; pos < out.length;) {
    // Cut at the last NUL inside the chunk, so no path is split.
    let end = Math.min(out.length, pos + chunk);
    if (end < out.length) end = out.lastIndexOf(0, end - 1) + 1 || Math.min(out.length, pos + chunk * 4);
    const text = out.toString(ascii ? 'latin1' : 'utf8', pos, end);
    for (const name of text.split('\0')) if (name !== '') parts.push({ name, raw: undefined });
    pos = end;
  }
  return parts;
}

/** Directories git could not read while listing untracked files (`warning: could not open directory 'x/': …`). */
export function unreadableDirs(stderr: string): string[] {
  const dirs: string[] = [];
  for (const match of stderr.matchAll(/could not open directory '(.*)': /g)) {
    if (match[1]) dirs.push(match[1]);
  }
  return dirs;
}

/** Lists the root's subtree: tracked files (with cached sizes) and untracked files that are not ignored. */
export async function listGitFiles(
  root: string,
  signal: AbortSignal,
): Promise<{ tracked: IndexEntry[]; untracked: ReturnType<typeof splitNul>; unreadable: string[] }> {
  // Two processes so the index read (fast) and the untracked walk (slow) use both cores; the
  // index listing is parsed while git still walks for untracked files.
  const othersRun = runGit(root, ['ls-files', '-z', '--others', '--exclude-standard', '--'], signal);
  othersRun.catch(() => undefined);
  const cached = await runGit(root, ['ls-files', '-z', '--cached', '--stage', '--debug', '--'], signal);
  if (cached.code !== 0)
    throw new Error(`git ls-files failed (${cached.code}): ${cached.stderr.slice(0, 500)}`);
  const tracked = parseIndexListing(cached.stdout);
  const others = await othersRun;
  if (others.code !== 0)
    throw new Error(`git ls-files failed (${others.code}): ${others.stderr.slice(0, 500)}`);
  return {
    tracked,
    untracked: splitNul(others.stdout),
    unreadable: unreadableDirs(others.stderr),
  };
}
