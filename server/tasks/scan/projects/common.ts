import type { CommandKind, DetectedCommand, Project } from '../../../../protocol/scanReport';

/** What a project detector sees: the inventory's paths and a safe reader for small files. */
export interface ProjectInput {
  /** Whether a file exists at a path (relative to the root). */
  paths: { has(rel: string): boolean };
  /** Every directory that holds files, directly or below (relative; `.` for the root). */
  dirs: Set<string>;
  /** The files whose name marks a project (see MANIFEST_NAME), so detectors need not visit every file. */
  manifests: { dir: string; name: string }[];
  /** Reads a small text file below the root; undefined when it cannot (see safeFs.readSmallText). */
  read(rel: string): Promise<string | undefined>;
}

export type Commands = Project['commands'];

/** Manifests under these directories are dependencies or test data, not projects of the repository. */
const NOT_PROJECT_DIR =
  /(?:^|\/)(?:node_modules|vendor|bower_components|fixtures|__fixtures__|testdata|\.venv|venv|site-packages|target\/debug|target\/release)(?:\/|$)/;

/**
 * Two or more levels below a test directory, a manifest is a test case (TypeScript's
 * `tests/cases/user/*`, `test/integration/app`), not a project; one level below (`tests/e2e`)
 * it is often a real package of a monorepo.
 */
const DEEP_IN_TESTS = /(?:^|\/)(?:tests?|__tests__|spec|specs)\/[^/]+\/[^/]+/;

export function isProjectDir(dir: string): boolean {
  return !NOT_PROJECT_DIR.test(dir) && !DEEP_IN_TESTS.test(dir);
}

export function has(input: ProjectInput, dir: string, name: string): boolean {
  return input.paths.has(join(dir, name));
}

export function join(dir: string, name: string): string {
  return dir === '.' ? name : `${dir}/${name}`;
}

export function parentOf(dir: string): string | undefined {
  if (dir === '.') return undefined;
  const slash = dir.lastIndexOf('/');
  return slash < 0 ? '.' : dir.slice(0, slash);
}

/**
 * Path from project directory `from` to root-relative `to`, for evidence: `pnpm-lock.yaml` for a
 * file in the project itself, `../../pnpm-lock.yaml` for a workspace root's file two levels up.
 */
export function relFrom(from: string, to: string): string {
  if (from === '.') return to;
  const a = from.split('/');
  const b = to.split('/');
  let common = 0;
  while (common < a.length && common < b.length - 1 && a[common] === b[common]) common++;
  return '../'.repeat(a.length - common) + b.slice(common).join('/');
}

/** `dir`, its parent, … up to the root. */
export function selfAndAncestors(dir: string): string[] {
  const out: string[] = [];
  for (let d: string | undefined = dir; d !== undefined; d = parentOf(d)) out.push(d);
  return out;
}

/** True when `dir` is `base` or below it. */
export function isWithin(dir: string, base: string): boolean {
  return base === '.' || dir === base || dir.startsWith(`${base}/`);
}

/** Names of the files that can mark a project; detectors look for these only. */
export const MANIFEST_NAME =
  /^(?:package\.json|pnpm-workspace\.yaml|pyproject\.toml|setup\.py|Pipfile|requirements[\w.-]*\.txt|go\.mod|go\.work|Cargo\.toml|pom\.xml|(?:build|settings)\.gradle(?:\.kts)?|.+\.(?:cs|fs|vb)proj|.+\.slnx?)$/i;

/** Directories that hold a manifest with one of `names`, outside dependency/test-data trees. */
export function dirsWith(
  input: ProjectInput,
  names: readonly string[] | ((name: string) => boolean),
): string[] {
  const test = typeof names === 'function' ? names : (n: string) => names.includes(n);
  const out = new Set<string>();
  for (const { dir, name } of input.manifests) if (test(name) && isProjectDir(dir)) out.add(dir);
  return [...out].sort();
}

export function command(commandLine: string, source: string, inferred = false): DetectedCommand {
  return inferred ? { command: commandLine, source, inferred: true } : { command: commandLine, source };
}

/** Sets `kind` unless a command was already found (detectors add from best evidence to weakest). */
export function offer(commands: Commands, kind: CommandKind, detected: DetectedCommand | undefined): void {
  if (detected && !commands[kind]) commands[kind] = detected;
}

/** Converts a workspace glob (`packages/*`, `apps/**`) to an anchored regex over relative paths. */
export function globToRegex(glob: string): RegExp {
  const clean = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  let out = '';
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (c === '*' && clean[i + 1] === '*') {
      out += '.*';
      i++;
      if (clean[i + 1] === '/') i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Members of a workspace rooted at `base`: directories holding `manifest` that match the globs. */
export function workspaceMembers(
  input: ProjectInput,
  base: string,
  globs: readonly string[],
  manifest: string,
): string[] {
  const include = globs.filter((g) => !g.startsWith('!')).map(globToRegex);
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => globToRegex(g.slice(1)));
  return dirsWith(input, [manifest]).filter((dir) => {
    if (dir === base || !isWithin(dir, base)) return false;
    const rel = base === '.' ? dir : dir.slice(base.length + 1);
    return include.some((r) => r.test(rel)) && !exclude.some((r) => r.test(rel));
  });
}

/**
 * The lockfile named in a `.gitignore` of the project's folder or an ancestor (`package-lock.json`,
 * `/poetry.lock`, `**\/Cargo.lock`): left out of git on purpose.
 */
export async function lockfileIgnoredReason(
  input: ProjectInput,
  dir: string,
  lockfile: string,
): Promise<string | undefined> {
  const listed = new RegExp(`^\\s*(?:\\*\\*/|/)?${lockfile.replace(/[.]/g, '\\.')}\\s*$`, 'm');
  for (const d of selfAndAncestors(dir)) {
    if (!has(input, d, '.gitignore')) continue;
    if (listed.test((await input.read(join(d, '.gitignore'))) ?? '')) {
      return `${lockfile} is listed in ${relFrom(dir, join(d, '.gitignore'))}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Makefile targets: the project's own scripts, preferred over conventions.

const MAKE_TARGETS: Partial<Record<CommandKind, string[]>> = {
  test: ['test', 'tests', 'check'],
  lint: ['lint'],
  typecheck: ['typecheck', 'type-check', 'types', 'mypy'],
  format: ['format-check', 'fmt-check', 'check-format', 'format', 'fmt'],
  build: ['build'],
  start: ['run', 'start', 'serve', 'dev'],
  // Not `install`: in a Makefile it installs the built program, not the dependencies.
  install: ['deps', 'install-deps', 'bootstrap'],
};

export async function makeTargets(
  input: ProjectInput,
  dir: string,
): Promise<{ file: string; targets: Set<string> }> {
  const name = ['GNUmakefile', 'Makefile', 'makefile'].find((n) => has(input, dir, n));
  const targets = new Set<string>();
  if (!name) return { file: 'Makefile', targets };
  const text = (await input.read(join(dir, name))) ?? '';
  for (const match of text.matchAll(/^([A-Za-z0-9_][A-Za-z0-9_. -]*?)\s*::?(?![:=])/gm)) {
    for (const target of match[1]!.split(/\s+/)) if (target && !target.startsWith('.')) targets.add(target);
  }
  return { file: name, targets };
}

/** Offers `make <target>` for every kind a Makefile target covers. */
export function offerMakeTargets(commands: Commands, make: { file: string; targets: Set<string> }): void {
  for (const [kind, names] of Object.entries(MAKE_TARGETS) as [CommandKind, string[]][]) {
    const target = names.find((n) => make.targets.has(n));
    if (target) offer(commands, kind, command(`make ${target}`, `${make.file}:${target}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal TOML/INI reading: section bodies by header, enough for manifests' well-known keys.

/** Section name (`tool.pytest.ini_options`, `project`, `` for the top) → its body text. */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  let body: string[] = [];
  const flush = () => out.set(name, (out.has(name) ? `${out.get(name)}\n` : '') + body.join('\n'));
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:[#;].*)?$/.exec(line);
    if (header) {
      flush();
      name = header[1]!.replace(/["']/g, '').replace(/\s*\.\s*/g, '.');
      body = [];
    } else body.push(line);
  }
  flush();
  return out;
}

/** A `key = "value"` string in a section body. */
export function stringValue(body: string | undefined, key: string): string | undefined {
  if (body === undefined) return undefined;
  return new RegExp(`^\\s*${key}\\s*=\\s*["']([^"'\\n]*)["']`, 'm').exec(body)?.[1];
}

/** Quoted strings of a `key = [ … ]` array in a section body (TOML arrays may span lines). */
export function arrayValue(body: string | undefined, key: string): string[] {
  if (body === undefined) return [];
  const match = new RegExp(`^\\s*${key}\\s*=\\s*\\[([\\s\\S]*?)\\]`, 'm').exec(body);
  if (!match) return [];
  return [...match[1]!.replace(/#.*$/gm, '').matchAll(/["']([^"']*)["']/g)].map((m) => m[1]!);
}
