/**
 * How a command word names a program. A bare name is looked up on the runner's PATH, which holds
 * only absolute folders outside the workspace (env.ts scrubEnv: no `.`, no relative entries, no
 * `<workspace>/bin`), so a repository file never stands in for a tool; an absolute path under one of the trusted system directories below is
 * the same program as its bare name (`/usr/bin/git` is `git`). Anything else path-qualified
 * (`./cat`, `bin/cat`, `node_modules/.bin/sed`, `~/bin/x`) is a file someone could have written,
 * so it is never treated as the well-known tool whose name it borrows.
 */

import * as path from 'node:path';

/** Directories whose programs only root (or the OS package manager) can change. */
export const TRUSTED_BIN_DIRS: readonly string[] = [
  '/bin',
  '/sbin',
  '/usr/bin',
  '/usr/sbin',
  '/usr/local/bin',
  '/usr/local/sbin',
  '/usr/libexec',
  '/opt/homebrew/bin',
  '/opt/homebrew/sbin',
  '/home/linuxbrew/.linuxbrew/bin',
];

export type Program =
  /** A bare name, or an absolute path inside a trusted system directory. */
  | { kind: 'system'; name: string }
  /** Any other path: relative (workspace), home-relative or an absolute path elsewhere. */
  | { kind: 'path'; name: string; path: string };

/** What program a literal command word runs. */
export function programOf(word: string): Program {
  if (!word.includes('/')) return { kind: 'system', name: word };
  if (path.posix.isAbsolute(word)) {
    const normal = path.posix.normalize(word);
    const dir = path.posix.dirname(normal);
    if (TRUSTED_BIN_DIRS.includes(dir)) return { kind: 'system', name: path.posix.basename(normal) };
  }
  return { kind: 'path', name: path.posix.basename(word), path: word };
}

/**
 * Shells whose `-c` payload and stdin NAVI parses as bash. Their syntax differs from bash only in
 * features that make tree-sitter report an error, which is judged `ask` anyway.
 */
export const POSIX_SHELLS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'lksh',
  'pdksh',
  'ash',
  'yash',
  'posh',
  'rbash',
]);

/** Shells with their own syntax: NAVI cannot read their scripts, so inline code is only `ask`. */
export const OTHER_SHELLS: ReadonlySet<string> = new Set([
  'fish',
  'csh',
  'tcsh',
  'nu',
  'xonsh',
  'elvish',
  'pwsh',
  'powershell',
  'rc',
  'es',
]);

/**
 * Programs that run another command given in their arguments. NAVI removes them and judges the
 * command they run (plus whatever the wrapper itself does: `sudo` is refused, `xargs` appends
 * arguments, `env` sets variables).
 */
export interface WrapperSpec {
  /** Options that take the next word as their value (`-n 5`); `--long=value` is always understood. */
  valueOptions?: readonly string[];
  /** Short options whose value may be attached (`-e[EOF]`, `-i[R]`): never consume the next word. */
  optionalValueOptions?: readonly string[];
  /** Positional operands before the command (timeout's DURATION, flock's FILE). */
  operands?: number;
  /** `NAME=value` words before the command set its environment (env, cross-env). */
  assignments?: boolean;
  /** With one of these options the wrapper runs no command (command -v, taskset -p). */
  noCommandOptions?: readonly string[];
  /** The command is one shell string in this option's value (su -c, flock -c). */
  shellStringOptions?: readonly string[];
  /** Runs a command only through `shellStringOptions` (`su user` alone starts a login shell). */
  shellStringOnly?: boolean;
  /** All remaining words are joined with spaces and run by `sh -c` (watch). */
  joinsAsShell?: boolean;
  /** The option that disables `joinsAsShell` (watch -x). */
  execDirectOptions?: readonly string[];
  /** More arguments are appended at run time (xargs). */
  appendsArgs?: boolean;
  /** Options whose value is the working directory of the command (env -C). */
  chdirOptions?: readonly string[];
  /** Options whose value is a file the wrapper writes (time -o). */
  outputOptions?: readonly string[];
  /** Options whose value is a file the wrapper reads (xargs -a). */
  inputOptions?: readonly string[];
  /** Only a wrapper when one of these options is present (npx --no-install). */
  requires?: readonly string[];
  /** Numeric options like nice's `-10` are options, not the command. */
  numericOptions?: boolean;
  /** The first word after options is an applet name (busybox ls). */
  applet?: boolean;
}

export const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  timeout: { valueOptions: ['-s', '--signal', '-k', '--kill-after'], operands: 1 },
  nice: { valueOptions: ['-n', '--adjustment'], numericOptions: true },
  nohup: {},
  setsid: {},
  unbuffer: {},
  chronic: {},
  nocache: {},
  catchsegv: {},
  'dbus-run-session': {},
  stdbuf: { valueOptions: ['-i', '-o', '-e', '--input', '--output', '--error'] },
  ionice: {
    valueOptions: ['-c', '--class', '-n', '--classdata'],
    noCommandOptions: ['-p', '--pid', '-P', '-u'],
  },
  taskset: { valueOptions: [], operands: 1, noCommandOptions: ['-p', '--pid'] },
  chrt: { operands: 1, noCommandOptions: ['-p', '--pid', '-m', '--max'] },
  caffeinate: { valueOptions: ['-t', '-w'] },
  faketime: { valueOptions: ['-f'], operands: 1 },
  // The bash keyword: `time X=1 cmd` runs `X=1 cmd`, assignment and all.
  time: {
    valueOptions: ['-f', '--format', '-o', '--output'],
    outputOptions: ['-o', '--output'],
    assignments: true,
  },
  command: { noCommandOptions: ['-v', '-V'] },
  builtin: {},
  exec: { valueOptions: ['-a'] },
  env: {
    valueOptions: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'],
    assignments: true,
    chdirOptions: ['-C', '--chdir'],
    shellStringOptions: ['-S', '--split-string'],
  },
  'cross-env': { assignments: true },
  'cross-env-shell': { assignments: true, joinsAsShell: true },
  xargs: {
    valueOptions: [
      '-a',
      '--arg-file',
      '-d',
      '--delimiter',
      '-E',
      '-I',
      '-L',
      '--max-lines',
      '-n',
      '--max-args',
      '-P',
      '--max-procs',
      '-s',
      '--max-chars',
      '--process-slot-var',
    ],
    optionalValueOptions: ['-e', '-i', '-l'],
    appendsArgs: true,
    inputOptions: ['-a', '--arg-file'],
  },
  watch: {
    valueOptions: ['-n', '--interval', '-q', '--equexit'],
    joinsAsShell: true,
    execDirectOptions: ['-x', '--exec'],
  },
  flock: {
    valueOptions: ['-w', '--wait', '--timeout', '-E', '--conflict-exit-code'],
    operands: 1,
    shellStringOptions: ['-c', '--command'],
  },
  // Privilege wrappers are unwrapped so the command they would run is judged too; the wrapper
  // itself is refused by the classifier.
  sudo: {
    valueOptions: [
      '-u',
      '--user',
      '-g',
      '--group',
      '-h',
      '--host',
      '-p',
      '--prompt',
      '-C',
      '--close-from',
      '-D',
      '--chdir',
      '-r',
      '--role',
      '-t',
      '--type',
      '-U',
      '--other-user',
      '-T',
      '--command-timeout',
    ],
  },
  doas: { valueOptions: ['-u', '-C'] },
  pkexec: { valueOptions: ['--user'] },
  run0: { valueOptions: ['-u', '--user', '-g', '--group', '-D', '--chdir'] },
  su: {
    valueOptions: ['-s', '--shell', '-g', '--group', '-G'],
    shellStringOptions: ['-c', '--command'],
    shellStringOnly: true,
  },
  npx: {
    valueOptions: ['-p', '--package', '-c', '--call', '-w', '--workspace'],
    shellStringOptions: ['-c', '--call'],
    requires: ['--no-install', '--no'],
  },
  busybox: { applet: true },
  toybox: { applet: true },
};

/** Wrappers that run the command as another user; the classifier refuses them. */
export const PRIVILEGE_WRAPPERS: ReadonlySet<string> = new Set(['sudo', 'doas', 'pkexec', 'run0', 'su']);
