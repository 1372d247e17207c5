import type { LanguageStat } from '../../../protocol/scanReport';
import type { LinguistAttributes } from './linguistAttributes';

/** Languages by file extension (lower case, without the dot). */
// prettier-ignore
const BY_EXTENSION: Record<string, string> = {
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript',
  js: 'JavaScript', jsx: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript',
  py: 'Python', pyi: 'Python', pyw: 'Python', ipynb: 'Jupyter Notebook',
  go: 'Go', rs: 'Rust', java: 'Java', kt: 'Kotlin', kts: 'Kotlin', scala: 'Scala', sc: 'Scala',
  groovy: 'Groovy', gradle: 'Groovy', clj: 'Clojure', cljs: 'Clojure',
  cs: 'C#', fs: 'F#', fsx: 'F#', vb: 'Visual Basic .NET', csproj: 'XML', fsproj: 'XML', sln: 'Visual Studio Solution',
  c: 'C', h: 'C', cpp: 'C++', cc: 'C++', cxx: 'C++', hpp: 'C++', hh: 'C++', hxx: 'C++', m: 'Objective-C', mm: 'Objective-C++',
  swift: 'Swift', dart: 'Dart', rb: 'Ruby', erb: 'Ruby', php: 'PHP', pl: 'Perl', pm: 'Perl', lua: 'Lua', r: 'R',
  ex: 'Elixir', exs: 'Elixir', erl: 'Erlang', hs: 'Haskell', ml: 'OCaml', zig: 'Zig', nim: 'Nim', jl: 'Julia',
  sh: 'Shell', bash: 'Shell', zsh: 'Shell', fish: 'Shell', ps1: 'PowerShell', psm1: 'PowerShell', bat: 'Batchfile', cmd: 'Batchfile',
  html: 'HTML', htm: 'HTML', css: 'CSS', scss: 'SCSS', sass: 'SCSS', less: 'Less', vue: 'Vue', svelte: 'Svelte', astro: 'Astro',
  json: 'JSON', jsonc: 'JSON', json5: 'JSON', yml: 'YAML', yaml: 'YAML', toml: 'TOML', xml: 'XML', ini: 'INI', cfg: 'INI',
  md: 'Markdown', markdown: 'Markdown', mdx: 'MDX', rst: 'reStructuredText', txt: 'Text', adoc: 'AsciiDoc',
  sql: 'SQL', proto: 'Protocol Buffers', graphql: 'GraphQL', gql: 'GraphQL', tf: 'HCL', hcl: 'HCL',
  dockerfile: 'Dockerfile', mk: 'Makefile', cmake: 'CMake', svg: 'SVG', csv: 'CSV',
};

/** Languages of well-known file names without a telling extension. */
// prettier-ignore
const BY_NAME: Record<string, string> = {
  dockerfile: 'Dockerfile', containerfile: 'Dockerfile', makefile: 'Makefile', gnumakefile: 'Makefile',
  'cmakelists.txt': 'CMake', jenkinsfile: 'Groovy', rakefile: 'Ruby', gemfile: 'Ruby', justfile: 'Just',
  vagrantfile: 'Ruby', procfile: 'Procfile', '.bashrc': 'Shell', '.zshrc': 'Shell', '.profile': 'Shell',
};

/** Interpreters named on a `#!` line. */
const BY_INTERPRETER: [RegExp, string][] = [
  [/^python[0-9.]*$|^pypy[0-9.]*$/, 'Python'],
  [/^(?:node|nodejs|deno|bun)$/, 'JavaScript'],
  [/^(?:ts-node|tsx)$/, 'TypeScript'],
  [/^(?:sh|bash|zsh|dash|ksh|ash|fish)$/, 'Shell'],
  [/^ruby[0-9.]*$/, 'Ruby'],
  [/^perl[0-9.]*$/, 'Perl'],
  [/^php[0-9.]*$/, 'PHP'],
  [/^lua[0-9.]*$/, 'Lua'],
  [/^Rscript$/, 'R'],
  [/^pwsh$/, 'PowerShell'],
];

const EXTENSIONS = new Map(Object.entries(BY_EXTENSION));
const NAMES = new Map(Object.entries(BY_NAME));

/**
 * The language a path's name tells, `Other` for an extension not in the table, or `undefined`
 * when only the content can tell (no extension and not a well-known name). Called for every file
 * of the inventory, so it slices and lower-cases only when it must.
 */
export function languageOfName(rel: string): string | undefined {
  const slash = rel.lastIndexOf('/');
  const dot = rel.lastIndexOf('.');
  if (dot <= slash + 1) {
    // No extension (or a dotfile): a well-known name, or the content decides.
    const base = rel.slice(slash + 1);
    return NAMES.get(base) ?? NAMES.get(base.toLowerCase());
  }
  const ext = rel.slice(dot + 1);
  const language = EXTENSIONS.get(ext);
  if (language !== undefined && ext !== 'txt') return language;
  const base = rel.slice(slash + 1).toLowerCase();
  return (
    NAMES.get(base) ??
    EXTENSIONS.get(ext.toLowerCase()) ??
    (base.startsWith('dockerfile.') ? 'Dockerfile' : 'Other')
  );
}

/** The language of a script from its first line (`#!/usr/bin/env python3` → Python). */
export function languageOfShebang(head: string): string | undefined {
  if (!head.startsWith('#!')) return undefined;
  const line = head.slice(2, (head.indexOf('\n') + 1 || head.length + 1) - 1).trim();
  const words = line.split(/\s+/);
  let program = (words[0] ?? '').split('/').pop() ?? '';
  if (program === 'env') {
    // `env -S node --flag`, `env VAR=1 python3`: the first word that is neither an option nor an assignment.
    program = words.slice(1).find((w) => !w.startsWith('-') && !w.includes('=')) ?? '';
  }
  for (const [pattern, language] of BY_INTERPRETER) if (pattern.test(program)) return language;
  return undefined;
}

/** Files and bytes per language (`languages` index-aligned with `files`), sorted by bytes, files, name. */
export function languageStats(
  files: readonly { size: number }[],
  languages: readonly string[],
): LanguageStat[] {
  const byName = new Map<string, LanguageStat>();
  files.forEach((file, i) => count(byName, languages[i] ?? 'Other', file.size));
  return sortedStats(byName);
}

/**
 * Languages the language bar leaves out, as GitHub's linguist does: data and prose (its `data`
 * and `prose` types), and files no language was recognised for (images, fonts, archives…).
 */
const NOT_SOURCE = new Set([
  'Other', 'JSON', 'YAML', 'TOML', 'XML', 'INI', 'CSV', 'SVG', 'Markdown', 'MDX', 'reStructuredText',
  'Text', 'AsciiDoc', 'SQL', 'Protocol Buffers', 'GraphQL', 'Visual Studio Solution', 'Procfile',
]); // prettier-ignore

/**
 * Folders and names linguist counts as vendored, generated or documentation (its vendor.yml,
 * generated.rb and documentation.yml, in short): dependencies, bundles and minified files, docs
 * and examples.
 */
const NOT_SOURCE_DIR =
  /(?:^|\/)(?:node_modules|vendor|vendored|third[_-]party|bower_components|\.yarn|dist|docs?|documentation|examples?)(?:\/|$)/i;

/** Minified files, bundles and source maps. Called for every file: suffix checks, not a regex. */
function isGeneratedName(path: string): boolean {
  if (path.endsWith('.map')) return true;
  if (!path.endsWith('.js') && !path.endsWith('.css') && !path.endsWith('.mjs')) return false;
  return /\.min\.[a-z]+$/.test(path) || path.endsWith('.bundle.js') || path.endsWith('-bundle.js');
}

/**
 * The language bar: like `languageStats`, over source files only (see NOT_SOURCE, NOT_SOURCE_DIR,
 * isGeneratedName), with the repository's own linguist overrides from `.gitattributes`.
 */
export function sourceLanguageStats(
  files: readonly { path: string; size: number }[],
  languages: readonly string[],
  attributes?: LinguistAttributes,
): LanguageStat[] {
  // One pass into the totals, no filtered copies: this runs before the first summary is sent.
  const byName = new Map<string, LanguageStat>();
  // Consecutive files mostly share their folder: its verdict is reused, not recomputed.
  let lastDir = '';
  let lastDirOut = false;
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const path = file.path;
    const override = attributes?.(path);
    const language = override?.language ?? languages[i] ?? 'Other';
    if (NOT_SOURCE.has(language) || override?.excluded === true) continue;
    if (override?.excluded !== false) {
      const slash = path.lastIndexOf('/');
      // Compared in place, not sliced: a new string per file would cost more than the check.
      if (!(slash === lastDir.length && path.startsWith(lastDir))) {
        lastDir = slash < 0 ? '' : path.slice(0, slash);
        lastDirOut = NOT_SOURCE_DIR.test(lastDir);
      }
      if (lastDirOut || isGeneratedName(path)) continue;
    }
    count(byName, language, file.size);
  }
  return sortedStats(byName);
}

function count(byName: Map<string, LanguageStat>, language: string, size: number): void {
  let stat = byName.get(language);
  if (!stat) byName.set(language, (stat = { name: language, files: 0, bytes: 0 }));
  stat.files++;
  stat.bytes += Math.max(size, 0);
}

/** By bytes, then files, then name. */
function sortedStats(byName: Map<string, LanguageStat>): LanguageStat[] {
  return [...byName.values()].sort(
    (a, b) => b.bytes - a.bytes || b.files - a.files || a.name.localeCompare(b.name),
  );
}
