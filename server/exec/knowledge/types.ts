/**
 * The interface between the classifier and its knowledge tables. A tool's judge looks at the
 * arguments and reports what the command does through a ToolCall; the classifier turns that
 * into findings (path checks, child commands, network use).
 */

import type { DetectorId } from '../../../protocol/policy';
import type { GitRepository } from '../gitConfig';
import type { CommandNode, Word } from '../parse';

/** Where git looks for its repository: `-C` folders in order, `--git-dir`, `--work-tree`, `--bare`. */
export interface GitWhere {
  chdir: string[];
  gitDir?: string;
  workTree?: string;
  bare?: boolean;
}

/**
 * The repositories a git command would use (one per folder it may run in) with everything git
 * reads from them, or why NAVI cannot tell which one. `show` names a file in a reason.
 */
export type GitRepositories =
  | { unknown: string }
  | {
      repos: GitRepository[];
      show(abs: string): string;
      /** A file the policy hides (hiddenPaths): reasons do not show its values. */
      hidden(abs: string): boolean;
    };

/** A git setting NAVI gives git for this command (GIT_CONFIG_KEY/VALUE) so that it runs nothing. */
export interface NeutralisedSetting {
  key: string;
  value: string;
  /** The file that set what this turns off, as reasons show it. */
  file: string;
  /** "NAVI turns off core.fsmonitor (set in .git/config) for this command". */
  reason: string;
  /** The ask when NAVI cannot turn it off (the command changes git's environment itself). */
  ask: string;
}

export interface ToolCall {
  /** Program name (the basename for an absolute path in a trusted system directory). */
  readonly name: string;
  /** Arguments after the program name. */
  readonly args: readonly Word[];
  /** Their literal values; null where the value is only known when the command runs. */
  readonly values: readonly (string | null)[];
  readonly node: CommandNode;
  /** A finding that needs approval / refuses the command. */
  ask(detector: DetectorId, reason: string): void;
  deny(detector: DetectorId, reason: string): void;
  /** The command changes something (workspace files, the repository): it is not read-only. */
  changes(): void;
  /** Path-checks a file the command writes (it also marks the command as not read-only). */
  write(target: Word | string, options?: { recursive?: boolean; deletes?: boolean }): void;
  /** Path-checks a file the command reads (secrets, hidden paths). */
  read(target: Word | string): void;
  /**
   * The command sends this file's content off the machine (an upload, an attachment, a copy to
   * another host; knowledge/upload.ts). It is path-checked like a read; a file that holds secrets
   * is refused (exfiltration), any other file needs approval. `store`: the destination exists to
   * keep secrets (a GitHub Actions secret), so a secret sent there needs approval instead.
   */
  sends(target: Word | string, how: string, options?: { store?: string }): void;
  /**
   * The word that holds an option's value: the next argument (`-o FILE`), or just the value part
   * of `--output=FILE` / `-oFILE` (never the whole word, whose text starts with the option).
   */
  optionWord(option: OptionArg): Word;
  /**
   * The command talks to the network (an `ask`). `quiet`: it only fetches what the project
   * already pins (npm ci --ignore-scripts), so no approval is needed, but a policy that blocks
   * the network still refuses it.
   */
  network(reason: string, options?: { quiet?: boolean }): void;
  /** The command runs another command given as words (find -exec, git bisect run). */
  run(words: readonly Word[], why: string): void;
  /** The command runs shell code (git rebase -x, git submodule foreach). */
  runShell(code: Word, why: string): void;
  /** The command runs a package.json script (npm test, yarn build…). */
  runScript(script: string, extraArgs: readonly Word[], manager: string): void;
  /** The program reads code from stdin (a shell or interpreter without a script). */
  codeFromStdin(): void;
  /** The command executes this file (for download-then-run detection). */
  executes(target: Word | string): void;
  /** The command saves a download at this path (relative to its working directory). */
  downloads(target: string): void;
  /** Arguments (by index into `args`) that are not file paths: patterns, scripts, hosts. */
  notPaths(...indexes: number[]): void;
  /** Git remotes configured in the workspace repository. */
  gitRemotes(): { names: ReadonlySet<string>; urls: ReadonlySet<string> };
  /** Resolves a path against the command's working directory (null when it is unknown). */
  resolve(target: string): string | null;
  /** Whether an absolute path is inside the workspace (after symlinks). */
  inWorkspace(abs: string): boolean;
  /** The repositories git would use from the command's working folder, their settings read without running anything. */
  gitRepositories(where: GitWhere): GitRepositories;
  /** Runs the command with this git setting (GIT_CONFIG_COUNT…) so that something the repository configures does not run. */
  neutralise(setting: NeutralisedSetting): void;
  /**
   * Workspace files with these names (`.npmrc`, `.cargo/config.toml`) in the command's working
   * folder and each folder above it up to the workspace root, nearest first, read as text (at
   * most 256 KiB each; never executed). `unknown` when the working folder is only known when it runs.
   */
  projectFiles(names: readonly string[]): ProjectFiles;
}

export type ProjectFiles =
  { unknown: true } | { files: { abs: string; name: string; show: string; text: string }[] };

export interface ToolSpec {
  /** Only reads files and prints (the judge reports the options that change this). */
  readOnly?: boolean;
  /**
   * Some options make the tool run programs or write files, so arguments NAVI cannot see in
   * advance (a leading wildcard, xargs input) could smuggle them in.
   */
  riskyOptions?: boolean;
  /** Arguments are only printed or compared (echo, test): variables in them are harmless. */
  inertArgs?: boolean;
  /** Arguments are not file paths at all (hostnames, expressions): skip the read check. */
  noPaths?: boolean;
  judge?(t: ToolCall): void;
}

/** One argument after getopt-style scanning. */
export type Arg =
  | { kind: 'option'; name: string; value: string | null; index: number; valueIndex: number | null }
  | { kind: 'operand'; value: string | null; index: number };

export type OptionArg = Extract<Arg, { kind: 'option' }>;

export interface ArgSpec {
  /** Options that take a value: short (`-o`) and long (`--output`) names. */
  withValue?: readonly string[];
  /** Stop option scanning at the first operand (the rest are operands: `cmd -x file -y`). */
  stopAtOperand?: boolean;
}

/**
 * Splits arguments into options and operands the way getopt does: `--name=value`,
 * `--name value` (for names in `withValue`), short clusters `-abc` with an attached or separate
 * value for the first value-taking letter, one-dash long names listed in `withValue` (`-TT`),
 * `--` ending options, `-` as an operand.
 */
export function parseArgs(values: readonly (string | null)[], spec: ArgSpec = {}): Arg[] {
  const withValue = new Set(spec.withValue ?? []);
  const out: Arg[] = [];
  let onlyOperands = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    if (onlyOperands || v === null || v === '-' || !v.startsWith('-')) {
      out.push({ kind: 'operand', value: v, index: i });
      if (spec.stopAtOperand) onlyOperands = true;
      continue;
    }
    if (v === '--') {
      onlyOperands = true;
      continue;
    }
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      if (eq >= 0) {
        out.push({ kind: 'option', name: v.slice(0, eq), value: v.slice(eq + 1), index: i, valueIndex: i });
      } else if (withValue.has(v)) {
        out.push({ kind: 'option', name: v, value: values[i + 1] ?? null, index: i, valueIndex: i + 1 });
        i++;
      } else out.push({ kind: 'option', name: v, value: null, index: i, valueIndex: null });
      continue;
    }
    if (withValue.has(v) && v.length > 2) {
      // A multi-letter option with one dash (`zip -TT CMD`, `java -jar FILE`) named in the spec.
      out.push({ kind: 'option', name: v, value: values[i + 1] ?? null, index: i, valueIndex: i + 1 });
      i++;
      continue;
    }
    const letters = v.slice(1);
    for (let k = 0; k < letters.length; k++) {
      const name = `-${letters[k]}`;
      if (withValue.has(name)) {
        const attached = letters.slice(k + 1);
        if (attached) out.push({ kind: 'option', name, value: attached, index: i, valueIndex: i });
        else {
          out.push({ kind: 'option', name, value: values[i + 1] ?? null, index: i, valueIndex: i + 1 });
          i++;
        }
        break;
      }
      out.push({ kind: 'option', name, value: null, index: i, valueIndex: null });
    }
  }
  return out;
}

export const operands = (args: readonly Arg[]) =>
  args.filter((a): a is Extract<Arg, { kind: 'operand' }> => a.kind === 'operand');
export const options = (args: readonly Arg[]) =>
  args.filter((a): a is Extract<Arg, { kind: 'option' }> => a.kind === 'option');
export const hasOption = (args: readonly Arg[], ...names: string[]) =>
  args.some((a) => a.kind === 'option' && names.includes(a.name));
export const optionValues = (args: readonly Arg[], ...names: string[]) =>
  args.flatMap((a) => (a.kind === 'option' && names.includes(a.name) && a.value !== null ? [a] : []));
