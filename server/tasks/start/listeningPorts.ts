import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';

/**
 * Which TCP ports a started app listens on, and whether a port answers.
 *
 * Linux: the app's processes are found by a marker variable NAVI puts in its environment
 * (`/proc/<pid>/environ`; every process it starts inherits it) plus their descendants
 * (`/proc/<pid>/task/<tid>/children`, else the parent links in `/proc/<pid>/stat`). The sandbox
 * (bubblewrap) gives the app its own PID namespace, but the host's /proc still lists its
 * processes under host PIDs, and as the same user NAVI may read their environment and file
 * descriptors. Each process's socket inodes (`/proc/<pid>/fd` → `socket:[inode]`) are matched
 * against the LISTEN entries of `/proc/<pid>/net/tcp` and `tcp6` — read per process, so a sandbox
 * with a network namespace of its own is seen too (and reported as unreachable from the host).
 *
 * Elsewhere, or when /proc cannot be read, there is only what the output says and a TCP connect to
 * candidate ports (see apps.ts).
 */

export interface ListeningSocket {
  port: number;
  /** The bound address: `127.0.0.1`, `0.0.0.0`, `::`, `::1`… */
  address: string;
  family: 4 | 6;
  /** A process of the app that holds it. */
  pid: number;
  /** The process is in another network namespace than NAVI (the sandbox without the host network). */
  isolated: boolean;
}

const HAS_PROC = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

/** Whether this platform lets NAVI look at process sockets (Linux with /proc). */
export function canInspectProcesses(): boolean {
  return HAS_PROC;
}

function numericDirs(dir: string): number[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/** State and parent of a process (from /proc/<pid>/stat), undefined when it is gone. */
function stat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

const alive = (pid: number): boolean => {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
};

/**
 * The live processes of an app: those whose environment holds `name=value`, and all their
 * descendants (a child that cleared its environment is still found through its parent).
 * Empty when /proc is not available.
 */
export function appProcesses(marker: { name: string; value: string }): number[] {
  if (!HAS_PROC) return [];
  const needle = Buffer.from(`${marker.name}=${marker.value}\0`);
  const all = numericDirs('/proc');
  const found = new Set<number>();
  for (const pid of all) {
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`).includes(needle)) found.add(pid);
    } catch {
      // gone, or another user's
    }
  }
  if (found.size === 0) return [];
  // Descendants: /proc/<pid>/task/<tid>/children where the kernel has it, else parent links.
  const queue = [...found];
  let childrenFiles = true;
  while (queue.length > 0 && childrenFiles) {
    const pid = queue.shift()!;
    for (const tid of numericDirs(`/proc/${pid}/task`)) {
      let text: string;
      try {
        text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && alive(pid)) childrenFiles = false;
        continue;
      }
      for (const child of text.split(/\s+/).filter(Boolean).map(Number))
        if (!found.has(child)) {
          found.add(child);
          queue.push(child);
        }
    }
  }
  if (!childrenFiles) {
    const parents = new Map<number, number>();
    for (const pid of all) {
      const s = stat(pid);
      if (s) parents.set(pid, s.ppid);
    }
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, ppid] of parents)
        if (!found.has(pid) && found.has(ppid)) {
          found.add(pid);
          grew = true;
        }
    }
  }
  return [...found].filter(alive).sort((a, b) => a - b);
}

/** One LISTEN entry of /proc/net/tcp or tcp6. */
export interface ProcNetEntry {
  address: string;
  port: number;
  inode: string;
}

/** The 32-bit words of /proc/net/tcp addresses are in host byte order. */
const LITTLE_ENDIAN = os.endianness() === 'LE';

function hexWord(word: string): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(word.slice(i, i + 2), 16));
  return LITTLE_ENDIAN ? bytes.reverse() : bytes;
}

/** `0100007F` → `127.0.0.1`; 32 hex digits → an IPv6 address (`::`, `::1`, `::ffff:127.0.0.1`…). */
export function decodeProcAddress(hex: string): string {
  if (hex.length === 8) return hexWord(hex).join('.');
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...hexWord(hex.slice(i, i + 8)));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Compress the longest run of zero groups, as net.SocketAddress would print it.
  const text = groups.join(':');
  let best = '';
  for (const m of text.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)) if (m[0].length > best.length) best = m[0];
  return best ? text.replace(best, '::') : text;
}

/** The LISTEN (state 0A) entries of a /proc/net/tcp or tcp6 text. */
export function parseProcNetTcp(text: string): ProcNetEntry[] {
  const out: ProcNetEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const [addr, portHex] = f[1]!.split(':');
    if (!addr || !portHex) continue;
    out.push({ address: decodeProcAddress(addr), port: parseInt(portHex, 16), inode: f[9]! });
  }
  return out;
}

function netNamespace(pid: number | 'self'): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/**
 * The TCP ports in LISTEN state held by these processes, or undefined when their sockets cannot
 * be read (no /proc, or none of the processes' fd folders is readable).
 */
export function listeningPorts(pids: readonly number[]): ListeningSocket[] | undefined {
  if (!HAS_PROC) return undefined;
  const ours = netNamespace('self');
  const byNamespace = new Map<string, Map<string, ProcNetEntry & { family: 4 | 6 }>>();
  const found = new Map<string, ListeningSocket>();
  let readable = false;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    readable = true;
    const inodes: string[] = [];
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.push(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
    if (inodes.length === 0) continue;
    const ns = netNamespace(pid) ?? `pid:${pid}`;
    let table = byNamespace.get(ns);
    if (!table) {
      table = new Map();
      for (const [file, family] of [
        ['tcp', 4],
        ['tcp6', 6],
      ] as const) {
        try {
          for (const e of parseProcNetTcp(fs.readFileSync(`/proc/${pid}/net/${file}`, 'utf8')))
            table.set(e.inode, { ...e, family });
        } catch {
          // no IPv6, or gone
        }
      }
      byNamespace.set(ns, table);
    }
    for (const inode of inodes) {
      const e = table.get(inode);
      if (!e) continue;
      const key = `${e.family}/${e.address}/${e.port}`;
      if (!found.has(key))
        found.set(key, {
          port: e.port,
          address: e.address,
          family: e.family,
          pid,
          isolated: ours !== undefined && ns !== ours,
        });
    }
  }
  if (!readable && pids.length > 0) return undefined;
  return [...found.values()].sort((a, b) => a.port - b.port || a.family - b.family);
}

/** Resolves true when a TCP connection to host:port is accepted within timeoutMs. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The first of `hosts` that accepts a connection on `port`, or undefined. */
export async function firstConnectable(
  hosts: readonly string[],
  port: number,
  timeoutMs = 1000,
): Promise<string | undefined> {
  for (const host of hosts) if (await canConnect(host, port, timeoutMs)) return host;
  return undefined;
}

/** Resolves true when host:port answers an HTTP request (any status) within timeoutMs. */
export function answersHttp(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const req = http.request({
      host,
      port,
      method: 'GET',
      path: '/',
      agent: false,
      headers: { connection: 'close' },
    });
    const timer = setTimeout(() => finish(false), timeoutMs);
    req.once('response', (res) => {
      res.resume();
      finish(true);
    });
    req.once('error', () => finish(false));
    req.end();
  });
}
