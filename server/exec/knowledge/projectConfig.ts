/**
 * Settings files in the workspace that make a package manager run a program of the repository's
 * choosing, for commands NAVI otherwise lets run (`yarn --version`, `npm test`, `cargo fmt`…): a
 * workspace that arrives as an archive or a dev container can carry them. They are read as text,
 * never run; a setting found asks (`repo-config-exec`) and names the file and the key.
 *
 * - npm, pnpm, yarn classic: `.npmrc` `script-shell` and `node-options` (every script and its
 *   pre/post scripts run under that shell, with those node options), `userconfig`/`globalconfig`
 *   (settings from another file), `onload-script` (npm 6), `browser`/`viewer` (`npm help`),
 *   pnpm's `pnpmfile`/`global-pnpmfile`.
 * - Yarn Berry: `.yarnrc.yml` `yarnPath` (every yarn command, even `yarn --version`, runs that
 *   file) and `plugins` (loaded by every command); yarn classic: `.yarnrc` `yarn-path`.
 * - pnpm: `.pnpmfile.cjs` (loaded by pnpm's commands), `pnpm-workspace.yaml` `scriptShell`,
 *   `nodeOptions`, `pnpmfile`.
 * - cargo: `.cargo/config.toml` `[alias]` for a command that is not built in (`cargo fmt`), and a
 *   `rust-toolchain.toml` / `rust-toolchain` with `path` (rustup runs that toolchain's cargo).
 *
 * Files are looked for in the working folder and each folder above it up to the workspace root
 * (the tools also read them from the home folder: that is the user's own configuration).
 */

import { showConfigValue } from './gitRepository';
import type { ToolCall } from './types';

interface Setting {
  key: string;
  value: string;
}

/** `key=value` lines of an ini-style file (.npmrc), keys in lower case with `_` as `-`. */
function iniSettings(text: string): Setting[] {
  const out: Setting[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^=;#\s[][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1]!
      .replace(/^["']|["']$/g, '')
      .toLowerCase()
      .replace(/_/g, '-');
    out.push({ key, value: m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1') });
  }
  return out;
}

/** Top-level `key: value` lines of a YAML file (no indentation). */
function yamlTopLevel(text: string): Setting[] {
  const out: Setting[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$/.exec(line);
    if (m) out.push({ key: m[1]!, value: m[2]!.replace(/^["'](.*)["']$/, '$1') || '(a list)' });
  }
  return out;
}

/** `yarn-path "./x.js"` lines of a yarn classic .yarnrc. */
function yarnrcSettings(text: string): Setting[] {
  const out: Setting[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*"?([\w-]+)"?\s+(.+?)\s*$/.exec(line);
    if (m && !line.trim().startsWith('#'))
      out.push({ key: m[1]!.toLowerCase(), value: m[2]!.replace(/^"(.*)"$/, '$1') });
  }
  return out;
}

/** Keys of TOML tables: `[alias]` entries and dotted `alias.x = …` (enough to find one name). */
function tomlKeys(text: string): { table: string; key: string; value: string }[] {
  const out: { table: string; key: string; value: string }[] = [];
  let table = '';
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$/.exec(line);
    if (header) {
      table = header[1]!.replace(/["'\s]/g, '');
      continue;
    }
    const m = /^\s*([\w."'-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const parts = m[1]!.replace(/["']/g, '').split('.');
    const key = parts.pop()!;
    out.push({ table: [table, ...parts].filter(Boolean).join('.'), key, value: m[2]! });
  }
  return out;
}

/** Which settings of which files matter for a command, and what the command would do with them. */
interface Rule {
  file: string;
  parse: (text: string) => Setting[];
  keys: RegExp;
  does: string;
  /** The file itself is code the tool loads (no key to name). */
  whole?: true;
}

const NPMRC_SCRIPTS: Rule = {
  file: '.npmrc',
  parse: iniSettings,
  keys: /^(script-shell|node-options)$/,
  does: 'would run its scripts with it',
};
const NPMRC_ALL: Rule = {
  file: '.npmrc',
  parse: iniSettings,
  keys: /^(userconfig|globalconfig|onload-script)$/,
  does: 'would load it',
};
const NPMRC_HELP: Rule = {
  file: '.npmrc',
  parse: iniSettings,
  keys: /^(browser|viewer)$/,
  does: 'would open the documentation with it',
};

function ask(t: ToolCall, rules: readonly Rule[], command: string): void {
  const found = t.projectFiles([...new Set(rules.map((r) => r.file))]);
  if ('unknown' in found) {
    t.ask(
      'dynamic-argument',
      `${command} runs in a folder only known when it runs, so NAVI cannot read its settings files`,
    );
    return;
  }
  for (const f of found.files)
    for (const rule of rules) {
      if (rule.file !== f.name) continue;
      if (rule.whole) {
        t.ask('repo-config-exec', `${f.show} is in the workspace: ${command} ${rule.does}`);
        continue;
      }
      for (const s of rule.parse(f.text))
        if (rule.keys.test(s.key))
          t.ask(
            'repo-config-exec',
            `${f.show} sets ${s.key} = ${showConfigValue(s.value)}: ${command} ${rule.does}`,
          );
    }
}

const SCRIPT_VERBS = new Set([
  'test',
  't',
  'tst',
  'start',
  'stop',
  'restart',
  'run',
  'run-script',
  'rum',
  'urn',
  'exec',
  'x',
  'install-test',
  'it',
  'install-ci-test',
  'cit',
]);

/** npm VERB: .npmrc settings that run a program. `verb` undefined: npm without a command. */
export function npmProjectConfig(t: ToolCall, verb: string | null | undefined): void {
  const rules = [NPMRC_ALL];
  if (verb && SCRIPT_VERBS.has(verb)) rules.push(NPMRC_SCRIPTS);
  if (verb === 'help' || verb === 'help-search' || verb === 'docs' || verb === 'bugs' || verb === 'repo')
    rules.push(NPMRC_HELP);
  ask(t, rules, `npm ${verb ?? ''}`.trim());
}

/** yarn and pnpm: the files that name a program every command (or every script) runs. */
export function jsManagerProjectConfig(
  t: ToolCall,
  manager: 'yarn' | 'pnpm' | 'bun',
  verb: string | null | undefined,
  runsScripts: boolean,
): void {
  const command = `${manager} ${verb ?? ''}`.trim();
  if (manager === 'yarn') {
    const rules: Rule[] = [
      {
        file: '.yarnrc.yml',
        parse: yamlTopLevel,
        keys: /^(yarnPath|plugins)$/,
        does: 'would run it (every yarn command loads it)',
      },
      {
        file: '.yarnrc',
        parse: yarnrcSettings,
        keys: /^yarn-path$/,
        does: 'would run it (every yarn command does)',
      },
    ];
    if (runsScripts)
      rules.push(
        { ...NPMRC_SCRIPTS, keys: /^script-shell$/ },
        {
          file: '.yarnrc',
          parse: yarnrcSettings,
          keys: /^script-shell$/,
          does: 'would run its scripts with it',
        },
      );
    ask(t, rules, command);
    return;
  }
  if (manager === 'pnpm') {
    const rules: Rule[] = [
      { ...NPMRC_ALL, keys: /^(userconfig|globalconfig|pnpmfile|global-pnpmfile)$/ },
      {
        file: 'pnpm-workspace.yaml',
        parse: yamlTopLevel,
        keys: runsScripts
          ? /^(scriptShell|nodeOptions|pnpmfile|globalPnpmfile)$/
          : /^(pnpmfile|globalPnpmfile)$/,
        does: 'would run it',
      },
      {
        file: '.pnpmfile.cjs',
        parse: () => [],
        keys: /^$/,
        whole: true,
        does: 'would load and run it (pnpm hooks)',
      },
    ];
    if (runsScripts) rules.push(NPMRC_SCRIPTS);
    ask(t, rules, command);
  }
}

const CARGO_BUILTIN = new Set([
  'version',
  'help',
  'locate-project',
  'pkgid',
  'verify-project',
  'read-manifest',
  'build',
  'b',
  'check',
  'c',
  'run',
  'r',
  'test',
  't',
  'bench',
  'doc',
  'd',
  'clean',
  'new',
  'init',
  'add',
  'remove',
  'update',
  'search',
  'publish',
  'install',
  'uninstall',
  'metadata',
  'tree',
  'vendor',
  'fetch',
  'fix',
  'generate-lockfile',
  'login',
  'logout',
  'owner',
  'package',
  'report',
  'rustc',
  'rustdoc',
  'yank',
  'config',
  'info',
]);

/** cargo VERB: an alias that replaces an external command, a toolchain from the workspace. */
export function cargoProjectConfig(t: ToolCall, verb: string | undefined): void {
  const found = t.projectFiles([
    '.cargo/config.toml',
    '.cargo/config',
    'rust-toolchain.toml',
    'rust-toolchain',
  ]);
  if ('unknown' in found) {
    t.ask(
      'dynamic-argument',
      'cargo runs in a folder only known when it runs, so NAVI cannot read its settings files',
    );
    return;
  }
  for (const f of found.files) {
    if (f.name.startsWith('rust-toolchain')) {
      const path = tomlKeys(f.text).find((k) => k.key === 'path');
      if (path)
        t.ask(
          'repo-config-exec',
          `${f.show} sets path = ${showConfigValue(path.value)}: cargo would run the cargo of that toolchain`,
        );
      continue;
    }
    if (!verb || CARGO_BUILTIN.has(verb)) continue;
    const alias = tomlKeys(f.text).find((k) => k.table === 'alias' && k.key === verb);
    if (alias)
      t.ask(
        'repo-config-exec',
        `${f.show} sets alias.${verb} = ${showConfigValue(alias.value)}: cargo ${verb} would run that instead`,
      );
  }
}
