import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import { shellQuote } from '../protocol/display';
import { ErrorCodes } from '../protocol/errors';
import type { AgentLogLine } from './agentClient';
import { EXIT, UsageError } from './common';

/**
 * What `navi check` and `navi run` share: splitting their options from the command after `--`,
 * turning that command into one text, finding the workspace, and reporting agent errors.
 */

/** The options before `--` and the words after it (`undefined` when there is no `--`). */
export function splitAtDashDash(args: string[]): { options: string[]; command: string[] | undefined } {
  const at = args.indexOf('--');
  return at < 0
    ? { options: args, command: undefined }
    : { options: args.slice(0, at), command: args.slice(at + 1) };
}

/**
 * The command text to judge or run. One word is taken as it is (`navi run -- 'npm test && tsc'`);
 * several are shell-quoted and joined (`navi run -- ls -la 'my dir'` keeps `my dir` one argument).
 */
export function commandText(words: string[]): string {
  const text = words.length === 1 ? words[0]! : words.map(shellQuote).join(' ');
  if (text.trim() === '') throw new UsageError('The command after -- is empty.');
  return text;
}

export interface Place {
  /** The working directory, absolute and real (symlinks resolved). */
  cwd: string;
  /** The workspace root: `--workspace`, else the git work tree containing cwd, else cwd. */
  workspaceRoot: string;
}

/**
 * Resolves `--cwd` and `--workspace` (both optional) to real directories; cwd must be inside the
 * workspace. A directory that does not exist is an Error (exit 1), a contradiction a UsageError.
 */
export async function resolvePlace(
  cwdFlag: string | undefined,
  workspaceFlag: string | undefined,
): Promise<Place> {
  if (cwdFlag === '') throw new UsageError('--cwd needs a directory.');
  if (workspaceFlag === '') throw new UsageError('--workspace needs a directory.');
  const cwd = realDirectory(cwdFlag ?? '.', cwdFlag === undefined ? 'The current directory' : '--cwd');
  const workspaceRoot =
    workspaceFlag !== undefined
      ? realDirectory(workspaceFlag, '--workspace')
      : ((await gitTopLevel(cwd)) ?? cwd);
  const rel = path.relative(workspaceRoot, cwd);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new UsageError(`--cwd ${cwd} is outside the workspace ${workspaceRoot}.`);
  return { cwd, workspaceRoot };
}

function realDirectory(dir: string, what: string): string {
  const abs = path.resolve(dir);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    throw new Error(`${what} ${abs} does not exist.`);
  }
  if (!fs.statSync(real).isDirectory()) throw new Error(`${what} ${abs} is not a directory.`);
  return real;
}

/** The root of the git work tree that contains `dir`, or undefined (not a repository, no git). */
function gitTopLevel(dir: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { timeout: 10_000 }, (error, stdout) => {
      const top = stdout.trim();
      if (error || !top) return resolve(undefined);
      try {
        resolve(fs.realpathSync(top));
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** Who answers an approval, as the CLI knows them: the OS user. */
export function osUser(): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // no passwd entry (some containers): fall back to the environment
  }
  return process.env.USER || process.env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
}

/** Prints an agent error (message and hint) and returns the exit code: 2 for bad params, else 1. */
export function reportAgentError(error: ResponseError<unknown>): number {
  const hint = (error.data as { hint?: string } | undefined)?.hint;
  process.stderr.write(`navi: ${error.message}${hint ? `\n${hint}` : ''}\n`);
  return error.code === ErrorCodes.InvalidParams ? EXIT.usage : EXIT.failure;
}

export function logPrefix(line: AgentLogLine): string {
  return ['', '[error]', '[warn]', '[info]', '[debug]'][line.type] ?? '[log]';
}

/** Writes the agent's log lines on stderr (for --verbose). */
export function verboseLog(enabled: boolean): (line: AgentLogLine) => void {
  return (line) => {
    if (enabled) process.stderr.write(`${logPrefix(line)} ${line.message}\n`);
  };
}
