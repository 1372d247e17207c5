import * as path from 'node:path';
import type { ApprovalAddition, ApprovalOrigin } from '../../../protocol/approvals';
import { displayWord } from '../../../protocol/display';

/**
 * What a test step's approval shows besides the exact command: the command the person knows
 * (the profile's `npm test`), the step of it (`node --test`), and each thing NAVI adds to run it
 * — its reporter, the report and cache folders, a test filter, the local tool's path — with why.
 * Worked out by comparing the step as written with what runs, so it stays true for every runner
 * adapter without the adapters saying what they add. For display only: the exact argv is what is
 * judged, approved and audited.
 */

export interface StepOriginInput {
  /** The profile's command (`npm test`). */
  userCommand: string;
  /** The step as the script has it, its position and the number of steps. */
  step: { text: string; index: number; count: number };
  /** The step's argv as written, when it is a simple command NAVI can take apart. */
  written?: readonly string[];
  /** The argv after the local tool lookup (`mocha` → `./node_modules/.bin/mocha`). */
  local?: readonly string[];
  /** The argv the runner adapter made (reporter, filters), when there is an adapter. */
  instrumented?: readonly string[];
  /** Variables the adapter sets. */
  env?: Readonly<Record<string, string>>;
  /** The step's private report folder, when the adapter writes reports there. */
  reportDir?: string;
  /** The workspace's test cache folder (always writable for test steps). */
  cacheDir?: string;
  /** The step's working directory (file arguments are relative to it). */
  cwd: string;
  /** The test files the run is limited to (absolute), when it is. */
  files?: readonly string[];
}

/** Options that select tests by name (every runner NAVI knows). */
const NAME_FILTER =
  /^(--test-name-pattern|--grep|-g|--fgrep|-t|--testNamePattern|-k|-run|--tests|--exact|-Dtest|--filter)(=|$)/;
/** Options that keep the runner's own output on the terminal next to NAVI's report. */
const OWN_OUTPUT = /^--test-reporter(=spec)?$|^--test-reporter-destination(=stdout)?$/;
/** Words compared at most (a longer argv is shown whole, without a word-by-word comparison). */
const MAX_COMPARED = 2000;

export function stepOrigin(input: StepOriginInput): ApprovalOrigin {
  const additions: ApprovalAddition[] = [];
  const { written, local, instrumented } = input;
  if (written && local && local[0] !== written[0]) {
    const tool = path.basename(local[0] ?? '');
    additions.push({
      kind: 'program',
      text: displayWord(local[0]!),
      why: `The project's own ${tool}, named by its path: NAVI keeps the workspace off the command's PATH.`,
    });
  }
  if (local && instrumented) additions.push(...argumentChanges(local, instrumented, input));
  for (const [name, value] of Object.entries(input.env ?? {}))
    additions.push({
      kind: 'environment',
      text: `${name}=${displayWord(value)}`,
      why: whyOfValue(value, input),
    });
  if (input.reportDir)
    additions.push({
      kind: 'folder',
      text: input.reportDir,
      why: 'Writable report folder, private to you: the runner writes the results NAVI reads there.',
    });
  if (input.cacheDir)
    additions.push({
      kind: 'folder',
      text: input.cacheDir,
      why: "Writable cache folder of this workspace's tests, private to you and kept between runs.",
    });
  const sameAsUser = input.step.text.trim() === input.userCommand.trim() && input.step.count === 1;
  return {
    task: 'test',
    userCommand: input.userCommand,
    ...(sameAsUser ? {} : { step: input.step }),
    additions: additions.slice(0, 200).map((a) => ({ ...a, text: a.text.slice(0, 4096) })),
  };
}

/** The words NAVI added to (and left out of) the argv, grouped as an option with its values. */
function argumentChanges(
  before: readonly string[],
  after: readonly string[],
  input: StepOriginInput,
): ApprovalAddition[] {
  const { added, removed } = wordDiff(before, after);
  return [
    ...groups(added, after).map((words) => ({
      kind: 'argument' as const,
      text: words.map(displayWord).join(' '),
      why: whyAdded(words, input),
    })),
    ...groups(removed, before).map((words) => ({
      kind: 'removed' as const,
      text: words.map(displayWord).join(' '),
      why: whyRemoved(words, input),
    })),
  ];
}

/**
 * Indexes of the words only in `after` (added) and only in `before` (removed), by the longest
 * common subsequence: the words both share in order are the person's own.
 */
export function wordDiff(
  before: readonly string[],
  after: readonly string[],
): { added: number[]; removed: number[] } {
  const n = before.length;
  const m = after.length;
  if (n > MAX_COMPARED || m > MAX_COMPARED)
    return { added: after.map((_, i) => i), removed: before.map((_, i) => i) };
  // lcs[i][j]: the longest common subsequence of before[i..] and after[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] =
        before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const added: number[] = [];
  const removed: number[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) removed.push(i++);
    else added.push(j++);
  }
  while (i < n) removed.push(i++);
  while (j < m) added.push(j++);
  return { added, removed };
}

/**
 * Consecutive indexes grouped: an option (`-x`) takes the following words that are not options,
 * and a value whose option stayed (`--reporter dot` → `--reporter X`) is shown with that option.
 */
function groups(indexes: readonly number[], words: readonly string[]): string[][] {
  const out: string[][] = [];
  const taken = new Set(indexes);
  let previous = -2;
  // A group made of a kept option and its new value is complete: that option takes one value.
  let open = false;
  for (const i of indexes) {
    const word = words[i]!;
    const last = out[out.length - 1];
    if (open && last && i === previous + 1 && !word.startsWith('-')) last.push(word);
    else if (!word.startsWith('-') && i > 0 && !taken.has(i - 1) && words[i - 1]!.startsWith('-')) {
      out.push([words[i - 1]!, word]);
      open = false;
    } else {
      out.push([word]);
      open = word.startsWith('-');
    }
    previous = i;
  }
  return out;
}

function isSelectedFile(word: string, input: StepOriginInput): boolean {
  if (!input.files?.length) return false;
  const abs = path.resolve(input.cwd, word);
  return input.files.some((f) => path.resolve(f) === abs);
}

function whyAdded(words: readonly string[], input: StepOriginInput): string {
  const text = words.join(' ');
  const option = words[0]!;
  if (input.reportDir && text.includes(input.reportDir)) {
    return /destination|output|file/i.test(option)
      ? 'Writes the results to a report file in a private folder, which NAVI reads.'
      : "Adds NAVI's reporter, which records each result for NAVI to read.";
  }
  if (input.cacheDir && text.includes(input.cacheDir))
    return "Keeps the runner's cache between runs, in a private folder of this workspace.";
  if (OWN_OUTPUT.test(option))
    return "Keeps the runner's usual output in the terminal next to NAVI's report.";
  if (NAME_FILTER.test(option)) return 'Runs only the tests you picked.';
  if (words.some((w) => isSelectedFile(w, input))) return 'Runs only the test files you picked.';
  return "Makes the runner report its results in a form NAVI reads (the runner's machine-readable output).";
}

function whyRemoved(words: readonly string[], input: StepOriginInput): string {
  const option = words[0]!;
  if (words.some((w) => isSelectedFile(w, input)) || (input.files?.length && !option.startsWith('-')))
    return 'Left out: the test files you picked run instead.';
  if (/^(--watch|-w|--watchAll)(=|$)/.test(option))
    return 'Left out: NAVI runs the tests once (watch mode never ends).';
  if (NAME_FILTER.test(option)) return 'Left out: the tests you picked run instead.';
  return "Left out: NAVI's reporter takes its place and still prints the runner's usual output.";
}

function whyOfValue(value: string, input: StepOriginInput): string {
  if (input.reportDir && value.includes(input.reportDir))
    return 'Tells the runner where to write the results NAVI reads (a private folder).';
  if (input.cacheDir && value.includes(input.cacheDir))
    return "Keeps the runner's cache between runs, in a private folder of this workspace.";
  return "Set for the runner's machine-readable output.";
}
