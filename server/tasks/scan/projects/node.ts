import type { Project } from '../../../../protocol/scanReport';
import type { DetectedProject } from './index';
import {
  type Commands,
  type ProjectInput,
  command,
  dirsWith,
  has,
  join,
  makeTargets,
  offer,
  offerMakeTargets,
  relFrom,
  selfAndAncestors,
  workspaceMembers,
} from './common';

type Pm = 'npm' | 'pnpm' | 'yarn' | 'bun';

interface PackageJson {
  name?: unknown;
  main?: unknown;
  engines?: Record<string, unknown>;
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
  packageManager?: unknown;
  workspaces?: unknown;
  prettier?: unknown;
  eslintConfig?: unknown;
}

const LOCKFILES: [string, Pm][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];
const LOCK_OF: Record<Pm, string> = {
  npm: 'package-lock.json',
  pnpm: 'pnpm-lock.yaml',
  yarn: 'yarn.lock',
  bun: 'bun.lock',
};

const SCRIPT_NAMES = {
  test: ['test', 'test:unit', 'tests'],
  lint: ['lint', 'eslint', 'lint:check'],
  typecheck: ['typecheck', 'type-check', 'check-types', 'types:check', 'typecheck:all', 'tsc'],
  format: [
    'format:check',
    'format-check',
    'check-format',
    'prettier:check',
    'fmt:check',
    'format',
    'fmt',
    'prettier',
  ],
  build: ['build', 'compile'],
  start: ['start', 'dev', 'serve'],
} as const;

/** Runtime dependencies that make a package an app that listens, rather than a library. */
const SERVER_DEPENDENCIES = [
  'express', 'fastify', 'koa', '@hapi/hapi', 'hapi', 'restify', '@nestjs/core', 'next', 'nuxt',
  'sails', 'loopback', '@loopback/core', 'polka', 'micro', 'socket.io', 'ws', 'http-server', 'feathers',
  '@feathersjs/feathers', 'adonis', '@adonisjs/core', 'hono', '@remix-run/serve',
]; // prettier-ignore

const ESLINT_CONFIGS = [
  'eslint.config.js', 'eslint.config.mjs', 'eslint.config.cjs', 'eslint.config.ts', 'eslint.config.mts', 'eslint.config.cts',
  '.eslintrc', '.eslintrc.js', '.eslintrc.cjs', '.eslintrc.json', '.eslintrc.yml', '.eslintrc.yaml',
]; // prettier-ignore
const PRETTIER_CONFIGS = [
  '.prettierrc', '.prettierrc.json', '.prettierrc.json5', '.prettierrc.yml', '.prettierrc.yaml', '.prettierrc.toml',
  '.prettierrc.js', '.prettierrc.cjs', '.prettierrc.mjs', 'prettier.config.js', 'prettier.config.cjs', 'prettier.config.mjs', 'prettier.config.ts',
]; // prettier-ignore

/** `npm test`, `pnpm run lint`, `yarn start`, `bun run test`… (`bun test` would run bun's own runner, not the script). */
function runScript(pm: Pm, script: string): string {
  const name = /^[\w:./@-]+$/.test(script) ? script : `'${script.replace(/'/g, `'\\''`)}'`;
  if (pm !== 'bun' && (script === 'test' || script === 'start')) return `${pm} ${script}`;
  return `${pm} run ${name}`;
}

/** How to run a dependency's binary with each package manager. */
function execBin(pm: Pm, commandLine: string): string {
  return { npm: 'npx', pnpm: 'pnpm exec', yarn: 'yarn', bun: 'bunx' }[pm] + ' ' + commandLine;
}

function installCommand(pm: Pm, locked: boolean, yarnBerry: boolean): string {
  if (!locked) return `${pm} install`;
  switch (pm) {
    case 'npm':
      return 'npm ci';
    case 'pnpm':
      return 'pnpm install --frozen-lockfile';
    case 'yarn':
      return yarnBerry ? 'yarn install --immutable' : 'yarn install --frozen-lockfile';
    case 'bun':
      return 'bun install --frozen-lockfile';
  }
}

function pmFromField(field: unknown): { pm: Pm; major: number } | undefined {
  if (typeof field !== 'string') return undefined;
  const match = /^(npm|pnpm|yarn|bun)@(\d+)?/.exec(field);
  return match ? { pm: match[1] as Pm, major: Number(match[2] ?? 0) } : undefined;
}

function parsePnpmWorkspace(text: string): string[] {
  const out: string[] = [];
  let inPackages = false;
  const unquote = (s: string) => s.trim().replace(/^(['"])(.*)\1$/, '$2');
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '');
    if (!line.trim()) continue;
    const key = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (key) {
      inPackages = key[1] === 'packages';
      const rest = key[2]!.trim();
      if (inPackages && rest.startsWith('[')) {
        out.push(
          ...rest
            .replace(/^\[|\]$/g, '')
            .split(',')
            .map(unquote)
            .filter(Boolean),
        );
        inPackages = false;
      }
      continue;
    }
    const item = /^\s*-\s*(.+)$/.exec(line);
    if (inPackages && item) out.push(unquote(item[1]!));
    else if (!/^\s/.test(line)) inPackages = false;
  }
  return out;
}

function workspaceGlobs(pkg: PackageJson): string[] {
  const ws = pkg.workspaces;
  const list = Array.isArray(ws)
    ? ws
    : ws && typeof ws === 'object'
      ? (ws as { packages?: unknown }).packages
      : [];
  return Array.isArray(list) ? list.filter((g): g is string => typeof g === 'string') : [];
}

export async function detectNode(input: ProjectInput): Promise<DetectedProject[]> {
  const dirs = dirsWith(input, ['package.json']);
  const pkgs = new Map<string, PackageJson>();
  await Promise.all(
    dirs.map(async (dir) => {
      const text = await input.read(join(dir, 'package.json'));
      let pkg: PackageJson = {};
      try {
        const parsed: unknown = text === undefined ? {} : JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) pkg = parsed as PackageJson;
      } catch {
        // A broken package.json is still a project; it just has no commands to offer.
      }
      pkgs.set(dir, pkg);
    }),
  );

  const out: DetectedProject[] = [];
  for (const dir of dirs) {
    const pkg = pkgs.get(dir) ?? {};
    const scripts = pkg.scripts && typeof pkg.scripts === 'object' ? pkg.scripts : {};
    const deps = { ...pkg.optionalDependencies, ...pkg.dependencies, ...pkg.devDependencies };
    const depSource = (name: string) =>
      pkg.devDependencies && name in pkg.devDependencies
        ? `package.json#devDependencies.${name}`
        : `package.json#dependencies.${name}`;

    // Package manager: the `packageManager` field (own or a workspace root's), else the lockfile.
    let field: { pm: Pm; major: number } | undefined;
    for (const d of selfAndAncestors(dir)) if ((field = pmFromField(pkgs.get(d)?.packageManager))) break;
    let lock: { file: string; pm: Pm; dir: string } | undefined;
    for (const d of selfAndAncestors(dir)) {
      const found = LOCKFILES.find(([file, pm]) => has(input, d, file) && (!field || field.pm === pm));
      if (found) {
        lock = { file: join(d, found[0]), pm: found[1], dir: d };
        break;
      }
    }
    const pm: Pm = field?.pm ?? lock?.pm ?? 'npm';
    const yarnBerry =
      pm === 'yarn' && ((field?.major ?? 1) >= 2 || has(input, lock?.dir ?? dir, '.yarnrc.yml'));

    const commands: Commands = {};
    for (const [kind, names] of Object.entries(SCRIPT_NAMES) as [
      keyof typeof SCRIPT_NAMES,
      readonly string[],
    ][]) {
      const name = names.find((n) => {
        const body = scripts[n];
        // npm init's placeholder test script only fails; it is not a test command.
        return typeof body === 'string' && body.trim() !== '' && !/no test specified/.test(body);
      });
      if (name) offer(commands, kind, command(runScript(pm, name), `package.json#scripts.${name}`));
    }
    offerMakeTargets(commands, await makeTargets(input, dir));

    offer(
      commands,
      'install',
      lock
        ? command(installCommand(pm, true, yarnBerry), relFrom(dir, lock.file))
        : command(installCommand(pm, false, yarnBerry), 'package.json', true),
    );
    if (has(input, dir, 'tsconfig.json')) {
      offer(commands, 'typecheck', command(execBin(pm, 'tsc --noEmit'), 'tsconfig.json', true));
    }
    const eslintConfig = ESLINT_CONFIGS.find((n) => has(input, dir, n));
    if (eslintConfig) offer(commands, 'lint', command(execBin(pm, 'eslint .'), eslintConfig, true));
    else if (pkg.eslintConfig)
      offer(commands, 'lint', command(execBin(pm, 'eslint .'), 'package.json#eslintConfig', true));
    else if ('eslint' in deps)
      offer(commands, 'lint', command(execBin(pm, 'eslint .'), depSource('eslint'), true));
    const prettierConfig = PRETTIER_CONFIGS.find((n) => has(input, dir, n));
    if (prettierConfig)
      offer(commands, 'format', command(execBin(pm, 'prettier --check .'), prettierConfig, true));
    else if (pkg.prettier)
      offer(commands, 'format', command(execBin(pm, 'prettier --check .'), 'package.json#prettier', true));
    else if ('prettier' in deps) {
      offer(commands, 'format', command(execBin(pm, 'prettier --check .'), depSource('prettier'), true));
    }
    for (const [dep, line] of [
      ['vitest', 'vitest run'],
      ['jest', 'jest'],
      ['mocha', 'mocha'],
    ] as const) {
      if (dep in deps) offer(commands, 'test', command(execBin(pm, line), depSource(dep), true));
    }
    if (pm === 'bun') offer(commands, 'test', command('bun test', 'package.json', true));
    // `main` is what `require()` loads: for a library that is its API, not a program to start.
    // Only a package that depends on a server framework is taken to be an app whose `main` runs
    // (a VS Code extension's `main` runs inside VS Code, whatever it depends on).
    const isVscodeExtension =
      typeof pkg.engines === 'object' && pkg.engines !== null && 'vscode' in pkg.engines;
    const server = SERVER_DEPENDENCIES.find((d) => pkg.dependencies && d in pkg.dependencies);
    if (typeof pkg.main === 'string' && pkg.main && !isVscodeExtension && server) {
      offer(commands, 'start', command(`node ${pkg.main}`, `package.json#main (depends on ${server})`, true));
    }

    const globs = workspaceGlobs(pkg);
    if (has(input, dir, 'pnpm-workspace.yaml')) {
      globs.push(...parsePnpmWorkspace((await input.read(join(dir, 'pnpm-workspace.yaml'))) ?? ''));
    }
    const project: Project = {
      path: dir,
      ...(typeof pkg.name === 'string' && pkg.name ? { name: pkg.name } : {}),
      ecosystem: 'node',
      packageManager: pm,
      manifest: join(dir, 'package.json'),
      commands,
    };
    if (globs.length > 0) project.workspaces = workspaceMembers(input, dir, globs, 'package.json');
    const hasDeps = Object.keys(deps).length > 0;
    const missing = !lock && hasDeps ? LOCK_OF[pm] : undefined;
    out.push({
      project,
      missingLockfile: missing,
      noLockfileReason: missing ? await lockfileOffReason(input, dir, pm) : undefined,
    });
  }
  return out;
}

/**
 * npm's `package-lock=false` (or pnpm's `lockfile=false`) in the `.npmrc` of the project's folder
 * or an ancestor: the project does not keep a lockfile, on purpose.
 */
async function lockfileOffReason(input: ProjectInput, dir: string, pm: Pm): Promise<string | undefined> {
  const setting = pm === 'pnpm' ? 'lockfile' : pm === 'npm' ? 'package-lock' : undefined;
  if (!setting) return undefined;
  const off = new RegExp(`^\\s*${setting}\\s*=\\s*false\\s*$`, 'm');
  for (const d of selfAndAncestors(dir)) {
    if (!has(input, d, '.npmrc')) continue;
    if (off.test((await input.read(join(d, '.npmrc'))) ?? '')) {
      return `\`${setting}=false\` in ${relFrom(dir, join(d, '.npmrc'))}`;
    }
  }
  return undefined;
}
