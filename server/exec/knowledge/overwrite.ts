/**
 * Writes that destroy what a file held: the redirections that truncate their file, and the tools
 * that replace the file they are given (`cp`, `mv`, `tee`, `dd of=`…). Onto an existing regular
 * file in the workspace such a write asks (`destructive`), as `truncate` does; onto a file that
 * does not exist yet, a file in a build-output folder, or a device (`/dev/null`) it does not. The
 * classifier applies these tables after a tool's own judge, which has already path-checked every
 * write (outside the workspace, protected and hidden paths keep their own verdicts).
 */

import {
  COPY_VALUE_OPTIONS,
  LN_VALUE_OPTIONS,
  SECOND_OPERAND_OUT_VALUE_OPTIONS,
  SORT_VALUE_OPTIONS,
} from './files';
import { RSYNC_VALUE_OPTIONS } from './network';
import { operands, options, parseArgs, type Arg } from './types';

/**
 * Redirections that truncate their file: `>`, `>|`, `&>`, `>& FILE` (with any descriptor
 * number). Not `>>`/`&>>` (they append) and not `<>` (it opens the file without truncating).
 */
export const TRUNCATING_REDIRECTS: ReadonlySet<string> = new Set(['>', '>|', '&>', '>&']);

// The build outputs and caches: overwriting a file there, or deleting one whole, asks rather than
// being refused (one list for both, in its own module so paths.ts can read it too).
export { BUILD_OUTPUT } from './buildOutputs';

/** How one tool overwrites: which argument names the file, and the options that change that. */
export interface OverwriteSpec {
  /** Options that take a value, so that value is not read as an operand. */
  withValue?: readonly string[];
  /**
   * The file replaced:
   * - `last`: the last operand; when it is a folder (or there are several sources, or it ends in
   *   `/`), the file of each source's name inside it (`cp a b DIR` replaces `DIR/a` and `DIR/b`);
   * - `link`: as `last`, and a lone operand puts its link in the working directory (`ln -sf ../x`);
   * - `all`: every operand (`tee A B`);
   * - `second`: the second operand (`uniq IN OUT`);
   * - `{ option }`: the value of these options (`sort -o FILE`);
   * - `{ keyword }`: the operand that starts with it, after it (`dd of=FILE`).
   */
  target: 'last' | 'link' | 'all' | 'second' | { option: readonly string[] } | { keyword: string };
  /** Options that name the folder the sources go into (`cp -t DIR`). */
  intoFolder?: readonly string[];
  /** Options that make the last operand the file itself, never a folder (`cp -T`). */
  noFolder?: readonly string[];
  /**
   * Options under which nothing existing is lost: `cp -n`, `tee -a`, a backup (`mv -b`), a dry
   * run. `--name=value` entries match that value only (`--update=none`).
   */
  keeps?: readonly string[];
  /** It replaces an existing file only with one of these options (`ln -f`). */
  needs?: readonly string[];
  /** A source ending in `/` copies the folder's contents, not the folder (rsync). */
  slashMeansContents?: boolean;
  /** Operands that name a file on another machine (`host:path`): not judged here. */
  remote?: RegExp;
  /** How the reason names the command: `cp`, `ln -f`, `dd of=`; the tool's name by default. */
  label?: string;
  /** `overwrites` (the content is written over) or `replaces` (another file takes its place). */
  verb: 'overwrites' | 'replaces';
}

const BACKUP = ['-b', '--backup'];
const NO_CLOBBER = ['-n', '--no-clobber', '--update=none', '--update=none-fail'];

/** Tools that overwrite a file they are given, by name. */
export const OVERWRITING_TOOLS: Readonly<Record<string, OverwriteSpec>> = {
  cp: {
    withValue: COPY_VALUE_OPTIONS,
    target: 'last',
    intoFolder: ['-t', '--target-directory'],
    noFolder: ['-T', '--no-target-directory'],
    keeps: [...NO_CLOBBER, ...BACKUP, '--attributes-only'],
    verb: 'overwrites',
  },
  mv: {
    withValue: COPY_VALUE_OPTIONS,
    target: 'last',
    intoFolder: ['-t', '--target-directory'],
    noFolder: ['-T', '--no-target-directory'],
    keeps: [...NO_CLOBBER, ...BACKUP],
    verb: 'replaces',
  },
  install: {
    withValue: COPY_VALUE_OPTIONS,
    target: 'last',
    intoFolder: ['-t', '--target-directory'],
    noFolder: ['-T', '--no-target-directory'],
    keeps: [...BACKUP, '-d', '--directory'],
    verb: 'replaces',
  },
  ln: {
    withValue: LN_VALUE_OPTIONS,
    target: 'link',
    intoFolder: ['-t', '--target-directory'],
    noFolder: ['-T', '--no-target-directory'],
    keeps: BACKUP,
    needs: ['-f', '--force'],
    label: 'ln -f',
    verb: 'replaces',
  },
  rsync: {
    withValue: RSYNC_VALUE_OPTIONS,
    target: 'last',
    keeps: [...BACKUP, '--ignore-existing', '-n', '--dry-run', '--list-only'],
    slashMeansContents: true,
    remote: /^[^/]*::?|^rsync:\/\//,
    verb: 'overwrites',
  },
  tee: { target: 'all', keeps: ['-a', '--append'], verb: 'overwrites' },
  sponge: { target: 'all', keeps: ['-a'], verb: 'overwrites' },
  dd: { target: { keyword: 'of=' }, label: 'dd of=', verb: 'overwrites' },
  sort: {
    withValue: SORT_VALUE_OPTIONS,
    target: { option: ['-o', '--output'] },
    label: 'sort -o',
    verb: 'overwrites',
  },
  uniq: { withValue: SECOND_OPERAND_OUT_VALUE_OPTIONS, target: 'second', verb: 'overwrites' },
  xxd: { withValue: SECOND_OPERAND_OUT_VALUE_OPTIONS, target: 'second', verb: 'overwrites' },
};

/** One file (or folder of files) a command overwrites. */
export interface Overwritten {
  /** Index into the arguments of the word that names it; null when no word does (`ln -sf ../x` → `.`). */
  index: number | null;
  /** The path (`dd of=F`, `-oF`, `--output=F`: the part after the option). */
  path: string;
  /**
   * Set when `path` may be a folder the command writes into: the names it writes there (the
   * sources' last names; those NAVI cannot know are left out). `folder`: it is certainly a
   * folder (`-t DIR`, several sources, a trailing `/`), so `path` itself is never replaced.
   */
  into?: { names: string[]; folder: boolean };
  /** For the reason: `cp overwrites …`. */
  label: string;
  verb: OverwriteSpec['verb'];
}

const matches = (a: Arg, names: readonly string[] | undefined) =>
  a.kind === 'option' &&
  names !== undefined &&
  (names.includes(a.name) || (a.value !== null && names.includes(`${a.name}=${a.value}`)));

/** The last name of a source path (`src/a.js` → `a.js`); null when NAVI cannot know it. */
function lastName(source: string | null, spec: OverwriteSpec): string | null {
  if (source === null) return null;
  if (spec.slashMeansContents && source.endsWith('/')) return null;
  const name = source.replace(/\/+$/, '').split('/').pop() ?? '';
  return name === '' || name === '.' || name === '..' ? null : name;
}

/**
 * The files `name` would overwrite with these arguments (their literal values; null where only
 * known when the command runs). Empty for tools that overwrite nothing, and for options that keep
 * existing files.
 */
export function overwrittenBy(name: string, values: readonly (string | null)[]): Overwritten[] {
  const spec = OVERWRITING_TOOLS[name];
  if (!spec) return [];
  const label = spec.label ?? name;
  const verb = spec.verb;
  const target = spec.target;
  if (typeof target === 'object' && 'keyword' in target) {
    const out: Overwritten[] = [];
    values.forEach((v, index) => {
      if (v?.startsWith(target.keyword) && v.length > target.keyword.length)
        out.push({ index, path: v.slice(target.keyword.length), label, verb });
    });
    return out;
  }
  const args = parseArgs(values, { withValue: spec.withValue ?? [] });
  const opts = options(args);
  if (opts.some((a) => matches(a, spec.keeps))) return [];
  if (spec.needs && !opts.some((a) => matches(a, spec.needs))) return [];
  const ops = operands(args);
  const file = (index: number, path: string | null): Overwritten[] =>
    path === null || path === '' || spec.remote?.test(path) ? [] : [{ index, path, label, verb }];
  if (typeof target === 'object') {
    return opts.flatMap((a) =>
      matches(a, target.option) && a.valueIndex !== null ? file(a.valueIndex, a.value) : [],
    );
  }
  if (target === 'all') return ops.flatMap((o) => file(o.index, o.value));
  if (target === 'second') return ops[1] ? file(ops[1].index, ops[1].value) : [];
  // `last` and `link`: a destination file, or a folder that receives the sources by name.
  const names = (sources: typeof ops) =>
    sources.map((o) => lastName(o.value, spec)).filter((n): n is string => n !== null);
  const folderOption = opts.find((a) => matches(a, spec.intoFolder) && a.valueIndex !== null);
  if (folderOption)
    return file(folderOption.valueIndex!, folderOption.value).map((o) => ({
      ...o,
      into: { names: names(ops), folder: true },
    }));
  if (target === 'link' && ops.length === 1)
    return [{ index: null, path: '.', label, verb, into: { names: names(ops), folder: true } }];
  if (ops.length < 2) return [];
  const dest = ops[ops.length - 1]!;
  const sources = ops.slice(0, -1);
  if (opts.some((a) => matches(a, spec.noFolder))) return file(dest.index, dest.value);
  const folder = sources.length > 1 || (dest.value?.endsWith('/') ?? false);
  return file(dest.index, dest.value).map((o) => ({ ...o, into: { names: names(sources), folder } }));
}
