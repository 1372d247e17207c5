/**
 * Package managers and build tools. Installing downloads code and runs its install scripts
 * (`package-install`, ask); running a package.json script is judged by the script's body, which
 * the classifier resolves from the nearest package.json; build tools run recipes from the
 * workspace (`interpreter`, ask).
 */

import type { Word } from '../parse';
import { judgeProxyOptions } from './networkTampering';
import { cargoProjectConfig, jsManagerProjectConfig, npmProjectConfig } from './projectConfig';
import {
  hasOption,
  operands,
  options,
  optionValues,
  parseArgs,
  type Arg,
  type ToolCall,
  type ToolSpec,
} from './types';

const NPM_INSTALL = new Set([
  'install',
  'i',
  'in',
  'ins',
  'inst',
  'insta',
  'instal',
  'isnt',
  'isnta',
  'isntal',
  'isntall',
  'add',
  'ci',
  'clean-install',
  'ic',
  'install-clean',
  'isntall-clean',
  'update',
  'up',
  'upgrade',
  'udpate',
  'rebuild',
  'rb',
  'link',
  'ln',
  'dedupe',
  'ddp',
  'uninstall',
  'remove',
  'rm',
  'r',
  'un',
  'unlink',
  'prune',
]);

const NPM_READ = new Set([
  'ls',
  'list',
  'la',
  'll',
  'explain',
  'why',
  'help',
  'help-search',
  'prefix',
  'root',
  'bin',
  'fund',
  'query',
  'sbom',
  'completion',
  'get',
]);

const NPM_NETWORK = new Set([
  'view',
  'info',
  'show',
  'v',
  'outdated',
  'audit',
  'doctor',
  'search',
  's',
  'se',
  'find',
  'ping',
  'diff',
  'login',
  'logout',
  'adduser',
  'add-user',
  'token',
  'owner',
  'access',
  'team',
  'org',
  'profile',
  'hook',
  'star',
  'unstar',
  'stars',
  'deprecate',
  'dist-tag',
  'publish',
  'unpublish',
  'whoami',
]);

/** npm's global options that take a value. */
const NPM_VALUE = [
  '--prefix',
  '-C',
  '--userconfig',
  '--globalconfig',
  '--registry',
  '--script-shell',
  '--node-options',
  '-w',
  '--workspace',
  '--location',
  '--cache',
  '--loglevel',
  '--tag',
  '--otp',
  '--omit',
  '--include',
  '--install-strategy',
  '--save-prefix',
  '--proxy',
  '--https-proxy',
  '--noproxy',
];

/** Checks npm options that change how every script runs or where things are written. */
function npmGlobalOptions(t: ToolCall, args: Arg[]): void {
  judgeProxyOptions(t, args);
  for (const a of options(args)) {
    if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    if (a.name === '--script-shell')
      t.deny('exec-option', `npm ${a.name} runs every script with another program`);
    if (a.name === '--node-options')
      t.deny('exec-env', 'npm --node-options can make node load any module first');
    if (a.name === '--registry')
      t.ask('env-override', 'npm --registry downloads packages from another server');
    if (a.name === '--userconfig' || a.name === '--globalconfig')
      t.ask('env-override', `npm ${a.name} reads settings from another file`);
    if ((a.name === '--prefix' || a.name === '-C') && a.value !== null) {
      const abs = t.resolve(a.value);
      if (abs !== null && !t.inWorkspace(abs))
        t.deny('write-outside-workspace', `npm ${a.name} ${a.value} works outside the workspace`);
    }
  }
}

function isGlobal(args: Arg[]): boolean {
  return (
    hasOption(args, '-g', '--global') ||
    optionValues(args, '--location').some((o) => o.value === 'global') ||
    args.some((a) => a.kind === 'option' && a.name === '--global' && a.value === 'true')
  );
}

/** npm install/ci/update/uninstall… (`packages`: the operands after the verb). */
function npmInstall(t: ToolCall, manager: string, verb: string, all: Arg[], packages: Arg[]): void {
  t.changes();
  if (isGlobal(all)) {
    t.deny('write-outside-workspace', `${manager} ${verb} -g installs outside the workspace`);
    return;
  }
  const ignoreScripts =
    hasOption(all, '--ignore-scripts') ||
    optionValues(all, '--ignore-scripts').some((o) => o.value !== 'false');
  const lockedInstall = [
    'ci',
    'clean-install',
    'ic',
    'install-clean',
    'isntall-clean',
    'install',
    'i',
    'in',
  ].includes(verb);
  if (lockedInstall && packages.length === 0 && ignoreScripts) {
    // Installing the locked dependencies without running their scripts downloads code but runs none.
    t.network(`${manager} ${verb} --ignore-scripts downloads the locked dependencies`, { quiet: true });
    return;
  }
  const scripts = ignoreScripts ? '' : ' and runs their install scripts (preinstall, install, postinstall)';
  if (packages.length > 0)
    t.ask(
      'package-install',
      `${manager} ${verb} ${packages.map((p) => p.value ?? '…').join(' ')} adds or changes dependencies${scripts}`,
    );
  else t.ask('package-install', `${manager} ${verb} downloads dependencies${scripts}`);
}

/** npm config set/delete/edit write ~/.npmrc unless --location=project. */
function npmConfig(t: ToolCall, all: Arg[], action: string | null | undefined): void {
  if (action === 'get' || action === 'list' || action === 'ls' || action === undefined) return;
  t.changes();
  const location = optionValues(all, '--location')[0]?.value;
  if (location === 'project') {
    t.write('.npmrc');
    return;
  }
  const userconfig = optionValues(all, '--userconfig')[0];
  if (userconfig?.value) {
    t.write(userconfig.value);
    return;
  }
  const where = location === 'global' || isGlobal(all) ? 'the global npmrc' : '~/.npmrc';
  t.deny(
    'write-outside-workspace',
    `npm config ${action ?? ''} writes ${where}, outside the workspace, and can redirect every later install`,
  );
}

const npm: ToolSpec = {
  noPaths: true,
  judge(t) {
    const all = parseArgs(t.values, { withValue: NPM_VALUE });
    npmGlobalOptions(t, all);
    const ops = operands(all);
    const verbOp = ops[0];
    // .npmrc settings in the workspace that make npm run a program (script-shell…).
    npmProjectConfig(t, verbOp?.value);
    if (!verbOp) return; // `npm --version`, `npm -v`
    const verb = verbOp.value;
    if (verb === null) {
      t.ask('dynamic-argument', 'the npm command is only known when it runs');
      return;
    }
    const rest = ops.slice(1);
    const restWords = rest.map((o) => t.args[o.index]!);
    if (NPM_INSTALL.has(verb)) return npmInstall(t, 'npm', verb, all, rest);
    if (['test', 't', 'tst', 'start', 'stop', 'restart'].includes(verb)) {
      t.runScript(verb === 't' || verb === 'tst' ? 'test' : verb, restWords, 'npm');
      return;
    }
    if (['run', 'run-script', 'rum', 'urn'].includes(verb)) {
      const name = rest[0];
      if (!name) return; // lists the scripts
      if (name.value === null) {
        t.ask('dynamic-argument', 'the npm script name is only known when it runs');
        return;
      }
      if (hasOption(all, '-w', '--workspace', '--workspaces', '-ws'))
        t.ask(
          'package-script',
          `npm run ${name.value} in workspaces: NAVI does not resolve each workspace's script`,
        );
      else t.runScript(name.value, restWords.slice(1), 'npm');
      return;
    }
    if (['install-test', 'it', 'install-ci-test', 'cit'].includes(verb)) {
      npmInstall(t, 'npm', verb, all, rest);
      t.runScript('test', [], 'npm');
      return;
    }
    if (verb === 'exec' || verb === 'x') {
      if (hasOption(all, '--no', '--no-install', '--offline')) {
        if (restWords.length > 0) t.run(restWords, `npm ${verb}`);
        return;
      }
      t.ask('package-install', `npm ${verb} may download a package and run it`);
      return;
    }
    if (verb === 'config' || verb === 'c') return npmConfig(t, all, rest[0]?.value);
    if (verb === 'set') return npmConfig(t, all, 'set');
    if (verb === 'pkg') {
      if (rest[0]?.value === 'get') return;
      t.changes();
      t.ask('write-sensitive', 'npm pkg changes package.json (its scripts run with later npm commands)');
      return;
    }
    if (verb === 'cache') {
      const action = rest[0]?.value;
      if (action === 'ls' || action === 'verify') return;
      t.ask('package-install', `npm cache ${action ?? ''} changes the package cache`.trim());
      return;
    }
    if (verb === 'version') {
      if (rest.length === 0) return;
      t.changes();
      t.ask('git-state', 'npm version bumps the version, commits, tags and runs version scripts');
      return;
    }
    if (verb === 'pack' || verb === 'publish') {
      t.changes();
      t.ask('package-script', `npm ${verb} runs the prepack/prepare scripts`);
      if (verb === 'publish') t.network('npm publish uploads the package to the registry');
      return;
    }
    if (verb === 'init' || verb === 'create' || verb === 'innit') {
      t.changes();
      t.ask('package-install', `npm ${verb} may download and run an initializer package`);
      return;
    }
    if (verb === 'edit' || verb === 'explore') {
      t.ask('exec-option', `npm ${verb} opens an editor or a shell`);
      return;
    }
    if (NPM_READ.has(verb)) return;
    if (NPM_NETWORK.has(verb)) {
      t.network(`npm ${verb} talks to the registry`);
      if (verb === 'audit' && rest[0]?.value === 'fix') npmInstall(t, 'npm', 'audit fix', all, []);
      return;
    }
    t.ask('unknown-command', `NAVI does not know what npm ${verb} does`);
  },
};

/** npx without --no-install may download a package and run it; with it, see the npx wrapper. */
const npx: ToolSpec = {
  noPaths: true,
  judge(t) {
    const name = t.values.find((v) => v !== null && !v.startsWith('-'));
    t.ask('package-install', `npx may download ${name ? `the package ${name}` : 'a package'} and run it`);
  },
};

const YARN_COMMANDS = new Set([
  'add',
  'install',
  'remove',
  'upgrade',
  'up',
  'init',
  'info',
  'why',
  'list',
  'outdated',
  'audit',
  'cache',
  'config',
  'global',
  'link',
  'unlink',
  'pack',
  'publish',
  'login',
  'logout',
  'dlx',
  'exec',
  'node',
  'workspace',
  'workspaces',
  'set',
  'plugin',
  'version',
  'bin',
  'dedupe',
  'npm',
  'constraints',
  'import',
  'licenses',
  'owner',
  'tag',
  'team',
  'check',
  'autoclean',
  'policies',
  'create',
  'rebuild',
  'patch',
  'patch-commit',
  'unplug',
  'stage',
  'explain',
  'search',
  'help',
  'run',
  'test',
  'start',
  'generate-lock-entry',
  'upgrade-interactive',
]);

const PNPM_INSTALL = new Set([
  'install',
  'i',
  'add',
  'update',
  'up',
  'upgrade',
  'remove',
  'rm',
  'uninstall',
  'un',
  'link',
  'ln',
  'unlink',
  'import',
  'rebuild',
  'rb',
  'fetch',
  'prune',
  'dedupe',
  'patch',
  'patch-commit',
  'install-test',
  'it',
]);
const PNPM_READ = new Set(['list', 'ls', 'll', 'la', 'why', 'root', 'bin', 'help', 'licenses', 'store']);
const PNPM_NETWORK = new Set([
  'outdated',
  'audit',
  'view',
  'info',
  'publish',
  'login',
  'logout',
  'whoami',
  'search',
]);

/** Verbs of yarn and pnpm that run no package.json script. */
const NO_SCRIPTS = new Set([
  'list',
  'ls',
  'll',
  'la',
  'why',
  'bin',
  'root',
  'help',
  'licenses',
  'explain',
  'constraints',
  'store',
  'config',
  'set',
  'info',
  'view',
  'outdated',
  'audit',
  'npm',
  'login',
  'logout',
  'whoami',
  'search',
  'owner',
  'tag',
  'team',
]);

/** yarn, pnpm and bun share a shape: install verbs, dlx, exec, run, and scripts by bare name. */
function jsManager(t: ToolCall, manager: 'yarn' | 'pnpm' | 'bun'): void {
  const all = parseArgs(t.values, {
    withValue: [
      '--cwd',
      '-C',
      '--dir',
      '--filter',
      '-F',
      '--registry',
      '--prefix',
      '--cache-folder',
      '--mode',
    ],
  });
  judgeProxyOptions(t, all);
  for (const a of options(all)) {
    if (['--cwd', '-C', '--dir', '--prefix'].includes(a.name) && a.value !== null) {
      const abs = t.resolve(a.value);
      if (abs !== null && !t.inWorkspace(abs))
        t.deny('write-outside-workspace', `${manager} ${a.name} ${a.value} works outside the workspace`);
    }
    if (a.name === '--registry')
      t.ask('env-override', `${manager} --registry downloads packages from another server`);
  }
  const ops = operands(all);
  const verbOp = ops[0];
  // Files in the workspace that name a program yarn or pnpm runs (yarnPath, .pnpmfile.cjs…).
  jsManagerProjectConfig(
    t,
    manager,
    verbOp?.value,
    verbOp === undefined
      ? manager === 'yarn' && !hasOption(all, '--version', '-v', '--help', '-h')
      : verbOp.value === null || !NO_SCRIPTS.has(verbOp.value),
  );
  if (!verbOp) {
    if (manager === 'yarn' && !hasOption(all, '--version', '-v', '--help', '-h'))
      npmInstall(t, 'yarn', 'install', all, []);
    return;
  }
  const verb = verbOp.value;
  if (verb === null) {
    t.ask('dynamic-argument', `the ${manager} command is only known when it runs`);
    return;
  }
  const rest = ops.slice(1);
  const restWords = rest.map((o) => t.args[o.index]!);
  if (hasOption(all, '--filter', '-F', '-r', '--recursive', '-w', '--workspaces', '--workspace')) {
    t.ask(
      'package-script',
      `${manager} in several workspace packages: NAVI does not resolve each package's scripts`,
    );
    return;
  }
  const installVerbs =
    manager === 'pnpm'
      ? PNPM_INSTALL
      : new Set([
          'add',
          'install',
          'i',
          'remove',
          'rm',
          'upgrade',
          'up',
          'update',
          'link',
          'unlink',
          'rebuild',
          'dedupe',
          'import',
          'patch',
          'unplug',
          'global',
        ]);
  if (installVerbs.has(verb)) {
    if (verb === 'global') {
      t.deny('write-outside-workspace', `${manager} global installs outside the workspace`);
      return;
    }
    const skipBuild = optionValues(all, '--mode').some((o) => o.value === 'skip-build');
    const opts: Arg[] = skipBuild
      ? [...all, { kind: 'option', name: '--ignore-scripts', value: null, index: -1, valueIndex: null }]
      : all;
    npmInstall(t, manager, verb, opts, verb === 'install' || verb === 'i' ? [] : rest);
    if (verb === 'install-test' || verb === 'it') t.runScript('test', [], manager);
    return;
  }
  if (verb === 'dlx' || verb === 'create' || (manager === 'bun' && verb === 'x')) {
    t.ask('package-install', `${manager} ${verb} downloads a package and runs it`);
    return;
  }
  if (verb === 'exec') {
    if (restWords.length > 0) t.run(restWords, `${manager} exec`);
    return;
  }
  if (verb === 'node') {
    t.run(
      [{ raw: 'node', value: 'node', glob: false, substitution: false, variable: false }, ...restWords],
      `${manager} node`,
    );
    return;
  }
  if (verb === 'run' || verb === 'run-script') {
    const name = rest[0];
    if (!name) return;
    if (name.value === null) {
      t.ask('dynamic-argument', `the ${manager} script name is only known when it runs`);
      return;
    }
    t.runScript(name.value, restWords.slice(1), manager);
    return;
  }
  if (manager === 'bun' && verb === 'test') {
    t.ask('interpreter', 'bun test runs the test files');
    return;
  }
  if (['test', 't', 'tst', 'start', 'stop', 'restart'].includes(verb)) {
    t.runScript(verb === 't' || verb === 'tst' ? 'test' : verb, restWords, manager);
    return;
  }
  if (verb === 'config' || verb === 'set') {
    const action = rest[0]?.value;
    if (action === 'get' || action === 'list' || action === undefined) return;
    t.changes();
    if (hasOption(all, '-H', '--home', '-g', '--global') || manager === 'pnpm')
      t.deny(
        'write-outside-workspace',
        `${manager} config ${action ?? ''} changes settings outside the workspace`,
      );
    else t.ask('write-sensitive', `${manager} config ${action ?? ''} changes the package manager settings`);
    return;
  }
  const reads =
    manager === 'pnpm'
      ? PNPM_READ
      : new Set(['list', 'why', 'bin', 'help', 'licenses', 'explain', 'constraints']);
  if (reads.has(verb)) return;
  const network =
    manager === 'pnpm'
      ? PNPM_NETWORK
      : new Set([
          'info',
          'outdated',
          'audit',
          'npm',
          'publish',
          'login',
          'logout',
          'search',
          'owner',
          'tag',
          'team',
        ]);
  if (network.has(verb)) {
    t.network(`${manager} ${verb} talks to the registry`);
    return;
  }
  if (manager === 'yarn' && YARN_COMMANDS.has(verb)) {
    t.ask('unknown-command', `NAVI does not judge yarn ${verb}`);
    return;
  }
  if (manager === 'bun' && /\.(m?[jt]sx?|c[jt]s)$/.test(verb)) {
    t.executes(t.args[verbOp.index]!);
    t.ask('interpreter', `bun runs ${verb}`);
    return;
  }
  // `yarn build`, `pnpm lint`: a script of that name (or a bin from node_modules/.bin).
  t.runScript(verb, restWords, manager);
}

/** pip and friends: installing runs setup.py/build backends of source packages. */
const pip: ToolSpec = {
  judge(t) {
    const args = parseArgs(t.values, {
      withValue: [
        '-r',
        '--requirement',
        '-c',
        '--constraint',
        '-e',
        '--editable',
        '-i',
        '--index-url',
        '--extra-index-url',
        '-f',
        '--find-links',
        '-t',
        '--target',
        '--prefix',
        '--root',
        '--python',
        '--proxy',
      ],
    });
    judgeProxyOptions(t, args);
    for (const a of options(args)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
    const verb = operands(args)[0]?.value;
    operands(args).forEach((o) => t.notPaths(o.index));
    if (
      verb === undefined ||
      ['list', 'show', 'freeze', 'check', 'help', 'debug', 'inspect', 'hash', 'cache'].includes(verb ?? '')
    )
      return;
    if (verb === 'config') {
      const action = operands(args)[1]?.value;
      if (action === 'list' || action === 'get' || action === 'debug') return;
      t.deny('write-outside-workspace', `pip config ${action ?? ''} changes settings outside the workspace`);
      return;
    }
    if (verb === 'download' || verb === 'index' || verb === 'search') {
      t.network(`pip ${verb} talks to the package index`);
      return;
    }
    if (hasOption(args, '-i', '--index-url', '--extra-index-url'))
      t.ask('env-override', 'pip uses another package index');
    for (const r of optionValues(args, '-r', '--requirement', '-c', '--constraint'))
      if (r.valueIndex !== null) t.read(t.optionWord(r));
    t.changes();
    t.ask(
      'package-install',
      `pip ${verb ?? ''} installs packages (source packages run their build scripts)`.replace('  ', ' '),
    );
  },
};

/** python -m pip … is pip. */
export function pipViaPython(t: ToolCall, rest: readonly Word[]): void {
  t.run(
    [{ raw: 'pip', value: 'pip', glob: false, substitution: false, variable: false }, ...rest],
    'python -m pip',
  );
}

const installer = (what: string, readVerbs: string[] = [], runVerbs: string[] = []): ToolSpec => ({
  noPaths: true,
  judge(t) {
    const verb = t.values.find((v) => v === null || !v.startsWith('-'));
    if (verb === undefined) return; // --version, --help
    if (verb !== null && readVerbs.includes(verb)) return;
    t.changes();
    if (verb !== null && runVerbs.includes(verb))
      t.ask('interpreter', `${t.name} ${verb} runs code from the workspace`);
    else t.ask('package-install', `${t.name} ${verb ?? ''} ${what}`.replace('  ', ' '));
  },
});

/** cargo: building runs build scripts and proc macros; install/add fetch crates. */
const cargo: ToolSpec = {
  noPaths: true,
  judge(t) {
    const verb = t.values.find((v) => v === null || !v.startsWith('-'));
    // An alias in .cargo/config.toml, a toolchain from the workspace (rust-toolchain.toml path).
    if (verb !== null) cargoProjectConfig(t, verb);
    if (
      verb === undefined ||
      ['version', 'help', 'locate-project', 'pkgid', 'verify-project', 'read-manifest'].includes(verb ?? '')
    )
      return;
    if (verb === 'fmt' && t.values.includes('--check')) return;
    t.changes();
    if (
      [
        'install',
        'add',
        'update',
        'fetch',
        'publish',
        'search',
        'login',
        'owner',
        'yank',
        'remove',
        'generate-lockfile',
        'vendor',
      ].includes(verb ?? '')
    )
      t.ask('package-install', `cargo ${verb} downloads or changes crates`);
    else if (verb === 'fmt') return;
    else
      t.ask(
        'interpreter',
        `cargo ${verb ?? ''} compiles and runs code from the workspace (build scripts, proc macros${verb === 'run' || verb === 'test' || verb === 'bench' ? ', the program' : ''})`.replace(
          '  ',
          ' ',
        ),
      );
  },
};

/** go: -exec and -toolexec run another program (a classic argument injection on `go test`). */
const go: ToolSpec = {
  noPaths: true,
  judge(t) {
    const v = t.values;
    const verb = v.find((x) => x === null || !x.startsWith('-'));
    for (const x of v) {
      if (x !== null && /^-{1,2}(exec|toolexec)(=|$)/.test(x))
        t.deny('exec-option', `go ${x.split('=')[0]} runs another program around every binary`);
      if (x !== null && /^-{1,2}overlay(=|$)/.test(x))
        t.ask('exec-option', 'go -overlay replaces source files');
    }
    if (verb === undefined || ['version', 'help', 'doc'].includes(verb ?? '')) return;
    if (verb === 'env') {
      if (v.includes('-w') || v.includes('-u'))
        t.deny('write-outside-workspace', 'go env -w changes settings outside the workspace');
      return;
    }
    t.changes();
    if (verb === 'fmt' || verb === 'vet')
      return verb === 'vet'
        ? t.ask('interpreter', 'go vet builds the packages (and may download modules)')
        : undefined;
    if (['get', 'install', 'mod', 'work', 'clean'].includes(verb ?? ''))
      t.ask('package-install', `go ${verb} downloads or changes modules`);
    else if (verb === 'generate')
      t.ask('interpreter', 'go generate runs the commands in //go:generate comments');
    else
      t.ask('interpreter', `go ${verb ?? ''} compiles and runs code from the workspace`.replace('  ', ' '));
  },
};

/** Build tools run recipes written in the workspace. */
const builder: ToolSpec = {
  noPaths: true,
  judge(t) {
    if (
      t.values.length === 1 &&
      ['--version', '-v', '-V', '--help', '-h', 'version'].includes(t.values[0] ?? '')
    )
      return;
    t.changes();
    t.ask('interpreter', `${t.name} runs build steps defined in the workspace`);
  },
};

const deno: ToolSpec = {
  noPaths: true,
  judge(t) {
    const verb = t.values.find((v) => v === null || !v.startsWith('-'));
    if (verb === undefined || verb === 'help' || verb === 'info' || verb === 'lint' || verb === 'check')
      return;
    t.changes();
    if (verb === 'eval') t.ask('interpreter-inline', 'deno eval runs code given on the command line');
    else if (verb === 'install' || verb === 'add' || verb === 'cache' || verb === 'upgrade')
      t.ask('package-install', `deno ${verb} downloads code`);
    else if (verb === 'task')
      t.ask('package-script', 'deno task runs a task from deno.json, which NAVI does not resolve');
    else if (verb === 'fmt') return;
    else t.ask('interpreter', `deno ${verb ?? ''} runs code`.replace('  ', ' '));
  },
};

export const PACKAGE_TOOLS: Readonly<Record<string, ToolSpec>> = {
  npm,
  npx,
  pnpx: npx,
  bunx: npx,
  yarn: { noPaths: true, judge: (t) => jsManager(t, 'yarn') },
  pnpm: { noPaths: true, judge: (t) => jsManager(t, 'pnpm') },
  bun: { noPaths: true, judge: (t) => jsManager(t, 'bun') },
  pip,
  pip3: pip,
  uv: installer('installs or runs packages', ['version', 'help', 'tree'], ['run']),
  uvx: installer('downloads a tool and runs it'),
  pipx: installer('installs or runs packages', ['list', 'environment']),
  poetry: installer(
    'installs packages',
    ['show', 'check', 'version', 'env', 'config', 'about'],
    ['run', 'shell'],
  ),
  pdm: installer('installs packages', ['list', 'show', 'info', 'config'], ['run']),
  pipenv: installer('installs packages', ['graph', '--venv', '--where'], ['run', 'shell']),
  conda: installer('installs packages', ['list', 'info', 'search', 'env']),
  mamba: installer('installs packages', ['list', 'info', 'search']),
  micromamba: installer('installs packages', ['list', 'info', 'search']),
  gem: installer('installs gems', ['list', 'info', 'search', 'env', 'which', 'contents', 'specification']),
  bundle: installer(
    'installs gems',
    ['list', 'show', 'info', 'check', 'outdated', 'version', 'platform'],
    ['exec'],
  ),
  bundler: installer(
    'installs gems',
    ['list', 'show', 'info', 'check', 'outdated', 'version', 'platform'],
    ['exec'],
  ),
  composer: installer(
    'installs packages (and runs their scripts)',
    [
      'show',
      'info',
      'validate',
      'diagnose',
      'licenses',
      'outdated',
      'depends',
      'why',
      'why-not',
      'about',
      'search',
    ],
    ['run-script', 'run', 'exec'],
  ),
  brew: installer('installs software', [
    'list',
    'ls',
    'info',
    'search',
    'config',
    'doctor',
    'outdated',
    'deps',
    'uses',
    'leaves',
    'home',
    'desc',
  ]),
  port: installer('installs software', ['list', 'info', 'search', 'installed', 'outdated']),
  apt: installer('installs system packages', ['list', 'show', 'search', 'policy', 'depends', 'rdepends']),
  'apt-get': installer('installs system packages'),
  'apt-cache': { readOnly: true, noPaths: true },
  dpkg: installer('installs system packages', [
    '-l',
    '-L',
    '-s',
    '-S',
    '--list',
    '--listfiles',
    '--status',
    '--search',
    '--print-architecture',
  ]),
  dnf: installer('installs system packages', ['list', 'info', 'search', 'repolist', 'provides']),
  yum: installer('installs system packages', ['list', 'info', 'search', 'repolist', 'provides']),
  apk: installer('installs system packages', ['info', 'search', 'list', 'policy']),
  pacman: installer('installs system packages'),
  zypper: installer('installs system packages', ['search', 'info', 'list-updates', 'repos']),
  snap: installer('installs software', ['list', 'info', 'find']),
  flatpak: installer('installs software', ['list', 'info', 'search']),
  'nix-env': installer('installs software'),
  rustup: installer('installs toolchains', ['show', 'toolchain', 'target', 'component', 'which', 'help']),
  dotnet: installer(
    'restores packages',
    ['--version', '--info', '--list-sdks', '--list-runtimes', 'help'],
    ['build', 'test', 'run', 'watch', 'publish', 'pack', 'msbuild', 'exec'],
  ),
  cargo,
  go,
  deno,
  make: builder,
  gmake: builder,
  cmake: builder,
  ninja: builder,
  meson: builder,
  bazel: builder,
  bazelisk: builder,
  buck: builder,
  buck2: builder,
  pants: builder,
  mvn: builder,
  gradle: builder,
  ant: builder,
  sbt: builder,
  lein: builder,
  mix: builder,
  rake: builder,
  just: builder,
  task: builder,
  invoke: builder,
  nox: builder,
  tox: builder,
  xcodebuild: builder,
  swift: builder,
  turbo: builder,
  nx: builder,
  lerna: builder,
};
