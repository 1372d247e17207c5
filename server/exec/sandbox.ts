import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { autoRunPathsIn } from './knowledge/autoRunFiles';
import { compileGlob } from './paths';

/**
 * The OS sandbox for commands: bubblewrap (Linux). A sandboxed command sees the whole file system
 * read-only, the workspace writable except its protected paths (`.navi/`, `.git/hooks`,
 * `.git/config`, whatever the policy protects: read-only even when they do not exist yet), its hidden paths (and
 * the usual credential stores in the home folder) as empty, a private /tmp, no network unless
 * allowed, its own PID namespace (nothing it starts survives it) and only the environment given.
 *
 * Missing protected paths. A write must not be able to create them, so an empty read-only file or
 * folder is bind-mounted at the first missing component of the path. bwrap has to create that
 * mount point, and inside the writable workspace it does so on the host: an empty file (mode
 * 0444) or folder appears there while the command runs. `prepareSandbox` records these and its
 * `release` removes them afterwards when they are still empty (reference-counted, so a
 * concurrent sandbox that relies on one keeps it). Creating the mount point elsewhere is not
 * possible without overlayfs (bubblewrap 0.9+), and protecting the parent folder instead would
 * make, say, the whole workspace read-only when `.navi/` does not exist.
 *
 * Rename attacks. A read-only bind of `.git/hooks` does not stop `mv .git .git-old; mkdir -p
 * .git/hooks` — renaming a folder that merely contains a mount point is allowed. So every folder
 * between the workspace root and a protected path is bound onto itself (writable), which makes it
 * a mount point: it cannot be renamed or removed (EBUSY), and its contents stay writable.
 */

export interface SandboxProbe {
  available: boolean;
  /** Why not, in words a user can act on. */
  reason?: string;
  bwrapPath?: string;
}

export interface SandboxOptions {
  /** The workspace folder: writable inside the sandbox (except protected paths). */
  workspaceRoot: string;
  /** Working directory of the command; must be inside the workspace. */
  cwd: string;
  /** Keep the host network (otherwise a new, empty network namespace: loopback only). */
  network: boolean;
  /** Read-only inside the sandbox, even when missing; absolute or relative to the workspace. A trailing `/` (or `/**`) marks a folder. */
  protectedPaths?: readonly string[];
  /** Empty inside the sandbox (files and folders that exist); absolute or relative to the workspace. */
  hiddenPaths?: readonly string[];
  /** The complete environment of the command (already scrubbed). */
  env: Readonly<Record<string, string>>;
  /** Existing folders outside the workspace that stay writable (bound after the read-only system). */
  writableDirs?: readonly string[];
  /** Also hide DEFAULT_HIDDEN_HOME_PATHS (default true). */
  hideHomeSecrets?: boolean;
  /** Home folder for DEFAULT_HIDDEN_HOME_PATHS (default os.homedir()). */
  home?: string;
}

/** A host path bwrap creates (or another sandbox created) as a mount point for a missing protected path. */
export interface MountPoint {
  path: string;
  kind: 'file' | 'dir';
}

export interface SandboxPlan {
  /** bwrap options (no program, no `--`, no command). */
  args: string[];
  /** Mount points this sandbox needs on the host, parents first. */
  mountPoints: MountPoint[];
  /** Resolved protected paths that are enforced (inside the workspace). */
  protectedPaths: string[];
  /** Resolved hidden paths that are enforced (they exist). */
  hiddenPaths: string[];
}

/** Credential stores under the home folder that a command never needs to read. */
export const DEFAULT_HIDDEN_HOME_PATHS: readonly string[] = [
  '.ssh',
  '.gnupg',
  '.aws',
  '.azure',
  '.kube',
  '.docker',
  '.config/gh',
  '.config/hub',
  '.config/gcloud',
  '.config/op',
  '.config/Code/User/globalStorage',
  '.password-store',
  '.local/share/keyrings',
  '.netrc',
  '.git-credentials',
  '.npmrc',
  '.yarnrc.yml',
  '.pypirc',
  '.vault-token',
  '.cargo/credentials',
  '.cargo/credentials.toml',
  '.terraform.d/credentials.tfrc.json',
  '.m2/settings.xml',
  '.gradle/gradle.properties',
];

/** With the network allowed, local daemons' sockets stay out of reach (they are not network namespaced). */
const DAEMON_SOCKETS = [
  '/run/docker.sock',
  '/var/run/docker.sock',
  '/run/containerd',
  '/run/podman',
  '/run/dbus',
  '/var/run/dbus',
];

const BWRAP_LOCATIONS = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---------------------------------------------------------------------------------------------
// Paths

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

interface Resolved {
  /** Canonical path (symlinks resolved as far as they exist). */
  real: string;
  exists: boolean;
  /** For a missing path: its first component that does not exist. */
  firstMissing?: string;
  isDir?: boolean;
}

/**
 * Resolves symlinks the way a write would follow them, also for paths that do not exist yet
 * (deepest existing ancestor + the rest; a dangling symlink is followed). Returns undefined when
 * the path can never exist (an ancestor is a file: `.git/hooks` in a worktree whose `.git` is a
 * file) or cannot be resolved (a symlink loop).
 */
function resolvePath(target: string): Resolved | undefined {
  let current = target;
  for (let hops = 0; hops < 40; hops++) {
    try {
      const real = fs.realpathSync.native(current);
      return { real, exists: true, isDir: fs.statSync(real).isDirectory() };
    } catch {
      // Missing (or dangling) somewhere: walk up to the deepest ancestor that resolves.
    }
    const rest: string[] = [];
    let ancestor = current;
    let realAncestor: string | undefined;
    while (realAncestor === undefined) {
      const parent = path.dirname(ancestor);
      if (parent === ancestor) return undefined;
      rest.unshift(path.basename(ancestor));
      ancestor = parent;
      try {
        realAncestor = fs.realpathSync.native(ancestor);
      } catch {
        // keep walking up
      }
    }
    try {
      if (!fs.statSync(realAncestor).isDirectory()) return undefined;
    } catch {
      return undefined;
    }
    const first = path.join(realAncestor, rest[0]!);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(first);
    } catch {
      // really missing
    }
    if (!stat) return { real: path.join(realAncestor, ...rest), exists: false, firstMissing: first };
    if (!stat.isSymbolicLink()) return undefined; // exists but does not resolve (permissions)
    current = path.join(path.resolve(path.dirname(first), fs.readlinkSync(first)), ...rest.slice(1));
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Policy path patterns

/** A concrete path a pattern stands for. `literal`: named exactly, so protected even while missing. */
interface PatternPath {
  path: string;
  dir: boolean;
  literal: boolean;
}

/** Folders a pattern search does not enter unless the pattern names them (huge, and not sources). */
const SEARCH_SKIPS = new Set([
  '.git',
  'node_modules',
  '.venv',
  'venv',
  'target',
  'dist',
  'build',
  'out',
  '.next',
  '.cache',
]);
/** Directory entries looked at per sandbox when expanding patterns: commands must start fast. */
const SEARCH_BUDGET = 20_000;

/**
 * The paths a policy pattern covers: the path itself for a literal one (`.navi/`, `deploy.key`,
 * `~/.config/x`; a trailing `/` or `/**` marks a folder), plus — for a glob or a name without `/`,
 * which match at any depth — every existing match, found by a bounded search from the pattern's
 * literal prefix. A file that a glob would match but that does not exist yet cannot be mounted
 * over; the policy engine refuses commands that name such paths.
 */
function expandPattern(pattern: string, ws: string, home: string, budget: { left: number }): PatternPath[] {
  let spec = pattern.trim().replace(/\\/g, '/');
  let base = ws;
  if (spec === '~' || spec.startsWith('~/')) {
    base = home;
    spec = spec.slice(2);
  } else if (spec.startsWith('/')) {
    base = '/';
  }
  spec = spec.replace(/^\.\//, '');
  const dir = /\/(?:\*\*)?$/.test(spec);
  // As the policy engine reads it: `x/**` is anchored at the base, `x/` (like `x`) is a name at any depth.
  const anchored = base !== ws || spec.replace(/\/+$/, '').includes('/');
  const rel = spec
    .replace(/\/\*\*$/, '')
    .replace(/\/+$/, '')
    .replace(/^\/+/, '');
  if (rel === '' || rel === '**') return [{ path: base, dir: true, literal: true }];
  const hasGlob = /[*?]/.test(rel);
  const out: PatternPath[] = [];
  if (!hasGlob) out.push({ path: path.join(base, rel), dir, literal: true });
  if (!hasGlob && anchored) return out;

  // Search from the longest literal folder prefix.
  const segments = rel.split('/');
  const firstGlob = segments.findIndex((seg) => /[*?]/.test(seg));
  const prefix = anchored ? segments.slice(0, firstGlob < 0 ? segments.length - 1 : firstGlob) : [];
  // The same reading of a pattern as the judge's (paths.ts): what it protects, the sandbox enforces.
  const re = compileGlob(anchored ? `/${rel}` : rel);
  const named = new Set(segments);
  const queue: string[] = [path.join(base, ...prefix)];
  while (queue.length > 0 && budget.left > 0) {
    const folder = queue.shift()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (--budget.left < 0) break;
      const full = path.join(folder, entry.name);
      const relPath = path.relative(base, full).split(path.sep).join('/');
      if (re.test(relPath)) out.push({ path: full, dir: entry.isDirectory(), literal: false });
      else if (entry.isDirectory() && (!SEARCH_SKIPS.has(entry.name) || named.has(entry.name)))
        queue.push(full);
    }
  }
  return out;
}

function readGitdirFile(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(text);
    return m ? path.resolve(path.dirname(file), m[1]!) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What protects the workspace's git metadata: hooks and config of `.git` (protected even when
 * missing), of its submodules (`.git/modules/*`), and — when `.git` is a file (worktree,
 * submodule checkout) — that file itself and the hooks and config of the git folder it points
 * to, if that lies in the workspace.
 */
export function gitProtectedPaths(workspaceRoot: string): string[] {
  const dotGit = path.join(workspaceRoot, '.git');
  const forGitDir = (dir: string): string[] => [path.join(dir, 'hooks') + path.sep, path.join(dir, 'config')];
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dotGit);
  } catch {
    // no .git yet: protect what `git init` would create
  }
  if (!stat || stat.isDirectory()) {
    const out = forGitDir(dotGit);
    try {
      for (const entry of fs.readdirSync(path.join(dotGit, 'modules'), { withFileTypes: true })) {
        if (entry.isDirectory()) out.push(...forGitDir(path.join(dotGit, 'modules', entry.name)));
      }
    } catch {
      // no submodules
    }
    return out;
  }
  const out = [dotGit];
  const gitDir = readGitdirFile(dotGit);
  if (gitDir) {
    out.push(...forGitDir(gitDir));
    try {
      const common = fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim();
      out.push(...forGitDir(path.resolve(gitDir, common)));
    } catch {
      // not a linked worktree
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Empty mount sources

let emptySources: { root: string; file: string; dir: string } | undefined;

/** An empty read-only file and folder (private to this process) to mount over hidden and missing paths. */
function getEmptySources(): { root: string; file: string; dir: string } {
  if (emptySources && fs.existsSync(emptySources.file) && fs.existsSync(emptySources.dir))
    return emptySources;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-sandbox-'));
  const file = path.join(root, 'empty');
  const dir = path.join(root, 'empty.d');
  fs.writeFileSync(file, '', { mode: 0o444 });
  fs.mkdirSync(dir, { mode: 0o555 });
  emptySources = { root, file, dir };
  registerExitCleanup();
  return emptySources;
}

// ---------------------------------------------------------------------------------------------
// Plan

/** Namespace and base file system options shared by every sandbox (and the probe). */
function coreArgs(network: boolean): string[] {
  const args = [
    '--die-with-parent',
    '--new-session',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    // No cgroup namespace: the JVM reads its memory limits from /proc/self/cgroup and the host's
    // /sys/fs/cgroup, which disagree inside one, and Gradle then fails to start (MemoryManager).
  ];
  if (!network) args.push('--unshare-net');
  args.push(
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
  );
  return args;
}

function isRealDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The bwrap options for one command. Pure apart from creating (once) the empty mount sources.
 * Throws when the workspace or cwd is unusable, a path has glob characters, or a policy hidden
 * path would hide the workspace itself.
 */
export function planSandbox(opts: SandboxOptions): SandboxPlan {
  const ws = fs.realpathSync.native(opts.workspaceRoot);
  if (!fs.statSync(ws).isDirectory()) throw new Error(`The workspace ${opts.workspaceRoot} is not a folder.`);
  if (ws === path.parse(ws).root)
    throw new Error('The sandbox needs a workspace folder, not the file system root.');
  const cwd = fs.realpathSync.native(path.resolve(ws, opts.cwd));
  if (!isInside(ws, cwd))
    throw new Error(`The working directory ${opts.cwd} is outside the workspace ${ws}.`);
  const empty = getEmptySources();

  const args = coreArgs(opts.network);
  if (!opts.network) {
    // Unix sockets are file system objects, not network: without network, no daemon at all.
    for (const dir of ['/run', '/var/run'])
      if (isRealDir(dir) && !isInside(dir, ws)) args.push('--tmpfs', dir);
  }
  args.push('--bind', ws, ws);
  for (const dir of opts.writableDirs ?? []) {
    const real = fs.realpathSync.native(dir);
    if (!isInside(ws, real)) args.push('--bind', real, real);
  }
  if (isInside(ws, empty.root)) args.push('--ro-bind', empty.root, empty.root);

  // Protected paths: read-only, also when missing.
  const home = opts.home ?? os.homedir();
  const budget = { left: SEARCH_BUDGET };
  const specs: PatternPath[] = [
    // NAVI's own policy and state in the workspace: a command (a test an allowed `npm test`
    // runs, say) must not rewrite the rules it is judged by.
    { path: path.join(ws, '.navi'), dir: true, literal: true },
    ...gitProtectedPaths(ws).map((p) => ({
      path: p.replace(/[/\\]+$/, ''),
      dir: /[/\\]$/.test(p),
      literal: true,
    })),
    ...(opts.protectedPaths ?? []).flatMap((p) => expandPattern(p, ws, home, budget)),
    // Files something runs by itself (.vscode, .husky, CI workflows, .envrc…) that exist.
    ...autoRunPathsIn(ws).map((p) => ({ ...p, literal: false })),
  ];
  interface Target {
    mount: string;
    source: string;
    created?: MountPoint;
    real: string;
  }
  const targets: Target[] = [];
  for (const { path: spec, dir } of specs) {
    const resolved = resolvePath(spec);
    if (!resolved || !isInside(ws, resolved.real)) continue; // outside: read-only already
    if (resolved.exists) {
      targets.push({ mount: resolved.real, source: resolved.real, real: resolved.real });
    } else {
      const first = resolved.firstMissing!;
      const kind = first !== resolved.real || dir ? 'dir' : 'file';
      targets.push({
        mount: first,
        source: kind === 'dir' ? empty.dir : empty.file,
        created: { path: first, kind },
        real: resolved.real,
      });
    }
  }
  // Outermost first; a target inside another is covered by it.
  targets.sort((a, b) => a.mount.length - b.mount.length || a.mount.localeCompare(b.mount));
  const kept: Target[] = [];
  for (const t of targets) if (!kept.some((k) => isInside(k.mount, t.mount))) kept.push(t);

  const pins = new Set<string>();
  for (const t of kept) {
    for (let dir = path.dirname(t.mount); dir !== ws && isInside(ws, dir); dir = path.dirname(dir))
      pins.add(dir);
  }
  for (const pin of [...pins].sort((a, b) => a.length - b.length)) args.push('--bind', pin, pin);
  for (const t of kept) args.push('--ro-bind', t.source, t.mount);

  // Mount points the host will hold for this sandbox: new ones, and ones another live sandbox of
  // this process made that this one builds on (so they are not removed under it).
  const mountPoints = new Map<string, MountPoint>();
  for (const t of kept) {
    for (const [p, entry] of liveMountPoints) {
      if (isInside(p, t.mount)) mountPoints.set(p, { path: p, kind: entry.kind });
    }
    if (t.created) mountPoints.set(t.created.path, t.created);
  }

  // Hidden paths: empty and read-only. Policy paths that would hide the workspace are an error;
  // default home paths that contain it are skipped.
  const hiddenSpecs = [
    ...(opts.hiddenPaths ?? []).flatMap((p) =>
      expandPattern(p, ws, home, budget).map((e) => ({ p: e.path, policy: true })),
    ),
    ...(opts.hideHomeSecrets === false || !home ? [] : DEFAULT_HIDDEN_HOME_PATHS).map((p) => ({
      p: path.join(home, p),
      policy: false,
    })),
  ];
  const hidden: Array<{ real: string; dir: boolean }> = [];
  for (const { p, policy } of hiddenSpecs) {
    const resolved = resolvePath(p);
    if (!resolved?.exists) continue;
    if (isInside(resolved.real, ws) || isInside(resolved.real, cwd)) {
      if (policy)
        throw new Error(`The hidden path ${p} contains the workspace; the command could not run in it.`);
      continue;
    }
    hidden.push({ real: resolved.real, dir: resolved.isDir === true });
  }
  hidden.sort((a, b) => a.real.length - b.real.length);
  const keptHidden: typeof hidden = [];
  for (const h of hidden) if (!keptHidden.some((k) => isInside(k.real, h.real))) keptHidden.push(h);
  for (const h of keptHidden) args.push('--ro-bind', h.dir ? empty.dir : empty.file, h.real);

  if (opts.network) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    const sockets = [...DAEMON_SOCKETS, ...(uid === undefined ? [] : [`/run/user/${uid}`])];
    const seen = new Set<string>();
    for (const socket of sockets) {
      const resolved = resolvePath(socket);
      if (!resolved?.exists || seen.has(resolved.real) || isInside(resolved.real, ws)) continue;
      seen.add(resolved.real);
      args.push('--ro-bind', resolved.isDir ? empty.dir : empty.file, resolved.real);
    }
  }

  args.push('--chdir', cwd, '--clearenv');
  for (const [name, value] of Object.entries(opts.env)) args.push('--setenv', name, value);

  return {
    args,
    mountPoints: [...mountPoints.values()].sort((a, b) => a.path.length - b.path.length),
    protectedPaths: kept.map((t) => t.real),
    hiddenPaths: keptHidden.map((h) => h.real),
  };
}

/** The bwrap options for one command (see planSandbox). */
export function bwrapArgs(opts: SandboxOptions): string[] {
  return planSandbox(opts).args;
}

// ---------------------------------------------------------------------------------------------
// Mount points on the host

const liveMountPoints = new Map<string, { refs: number; kind: 'file' | 'dir' }>();

/** Removes a mount point bwrap left on the host, only while it is still empty (nobody wrote to it). */
function removeMountPoint(mp: MountPoint): void {
  try {
    const stat = fs.lstatSync(mp.path);
    if (mp.kind === 'dir' && stat.isDirectory()) fs.rmdirSync(mp.path);
    else if (mp.kind === 'file' && stat.isFile() && stat.size === 0) fs.unlinkSync(mp.path);
  } catch {
    // gone already, not empty, or not ours any more: leave it
  }
}

/**
 * Plans a sandbox and holds its host mount points until `release()` (call it once, after bwrap
 * exited). Synchronous between planning and registration, so concurrent sandboxes in this
 * process see each other's mount points.
 */
export function prepareSandbox(opts: SandboxOptions): { plan: SandboxPlan; release: () => void } {
  const plan = planSandbox(opts);
  for (const mp of plan.mountPoints) {
    const entry = liveMountPoints.get(mp.path);
    if (entry) entry.refs++;
    else liveMountPoints.set(mp.path, { refs: 1, kind: mp.kind });
  }
  registerExitCleanup();
  let released = false;
  return {
    plan,
    release() {
      if (released) return;
      released = true;
      // Deepest first: a folder mount point may hold another one.
      for (const mp of [...plan.mountPoints].reverse()) {
        const entry = liveMountPoints.get(mp.path);
        if (!entry) continue;
        if (--entry.refs > 0) continue;
        liveMountPoints.delete(mp.path);
        removeMountPoint(mp);
      }
    },
  };
}

let exitCleanupRegistered = false;
function registerExitCleanup(): void {
  if (exitCleanupRegistered) return;
  exitCleanupRegistered = true;
  process.on('exit', () => {
    // Sandboxes die with this process (--die-with-parent); what they left on the host goes too.
    const all = [...liveMountPoints.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [p, entry] of all) removeMountPoint({ path: p, kind: entry.kind });
    liveMountPoints.clear();
    if (emptySources) {
      try {
        fs.chmodSync(emptySources.dir, 0o755);
        fs.rmSync(emptySources.root, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Probe

function findBwrap(): string | undefined {
  const candidates = [
    ...BWRAP_LOCATIONS,
    // Only absolute PATH entries: a relative one (./node_modules/.bin) could be the workspace's.
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((d) => path.isAbsolute(d))
      .map((d) => path.join(d, 'bwrap')),
  ];
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

function readSysctl(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Turns bwrap's complaint into what the user can do about it. */
export function explainProbeFailure(stderr: string): string {
  const text = stderr.trim();
  const userns =
    /namespace|uid map|setting up uid|Operation not permitted|Permission denied/i.test(text) &&
    !/RTM_NEWADDR|loopback/i.test(text);
  if (userns) {
    if (readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
      return (
        'user namespaces are restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1, ' +
        'Ubuntu 23.10+): install an AppArmor profile for bwrap or set that sysctl to 0'
      );
    }
    if (readSysctl('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
      return 'user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1';
    }
    if (readSysctl('/proc/sys/user/max_user_namespaces') === '0') {
      return 'user namespaces are disabled: sysctl -w user.max_user_namespaces=15000';
    }
    return `user namespaces are not available here (a container without them?): ${firstLine(text)}`;
  }
  if (/RTM_NEWADDR|loopback/i.test(text))
    return `a network namespace cannot be set up here: ${firstLine(text)}`;
  if (/proc/i.test(text))
    return `a private /proc cannot be mounted here (nested container?): ${firstLine(text)}`;
  return `bubblewrap cannot create a sandbox here: ${firstLine(text) || 'it failed without a message'}`;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/^bwrap:\s*/, '').trim();
}

let probed: Promise<SandboxProbe> | undefined;

/**
 * Whether commands can be sandboxed here: finds bwrap and runs `true` in a sandbox with the same
 * namespaces and mounts commands get. Cached; `{ refresh: true }` probes again.
 */
export function probeSandbox(options: { refresh?: boolean } = {}): Promise<SandboxProbe> {
  if (!probed || options.refresh) probed = runProbe();
  return probed;
}

async function runProbe(): Promise<SandboxProbe> {
  if (process.platform !== 'linux') {
    return {
      available: false,
      reason: `the command sandbox uses bubblewrap, which needs Linux (this is ${process.platform})`,
    };
  }
  const bwrapPath = findBwrap();
  if (!bwrapPath) {
    return {
      available: false,
      reason: 'bubblewrap is not installed: apt-get install bubblewrap (or dnf install bubblewrap)',
    };
  }
  const result = await new Promise<{ code: number | null; stderr: string; error?: Error }>((resolve) => {
    const child = spawn(bwrapPath, [...coreArgs(false), '--', 'true'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: SAFE_PATH },
      timeout: 10_000,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (error) => resolve({ code: null, stderr, error }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  if (result.code === 0) return { available: true, bwrapPath };
  if (result.error) {
    return {
      available: false,
      bwrapPath,
      reason: `bubblewrap could not be started: ${result.error.message}`,
    };
  }
  return { available: false, bwrapPath, reason: explainProbeFailure(result.stderr) };
}
