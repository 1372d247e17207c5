import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { CommandKind } from '../../protocol/scanReport';
import type {
  ApprovedCommand,
  ApprovedScript,
  ProjectProfile,
  WorkspaceProfile,
} from '../../protocol/testing';
import { classifyText } from '../exec/classify';
import { initParser } from '../exec/parse';
import { PathPatterns } from '../exec/paths';

/**
 * A confirmed profile is the approval of its commands (docs/policy.md, "A confirmed profile"):
 * confirming it records each command's text and the bodies of the package.json scripts it runs
 * (resolved exactly as the judge resolves them, transitively, with `pre`/`post` scripts), hashed.
 * A later run of one of those commands by a NAVI task is vouched for only while all of them are
 * unchanged; otherwise it asks again and says what changed.
 */

const NO_PATHS = new PathPatterns([]);

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The scripts `command` runs in `dir`, with their bodies hashed, in the order the judge resolves them. */
async function scriptsOf(
  command: string,
  dir: string,
  root: string,
  home: string,
): Promise<ApprovedScript[]> {
  await initParser();
  const scripts: ApprovedScript[] = [];
  try {
    classifyText(command, {
      cwd: dir,
      workspaceRoot: root,
      home,
      protectedPaths: NO_PATHS,
      hiddenPaths: NO_PATHS,
      onScript: (manifest, name, body) => {
        const file = path.relative(root, manifest).split(path.sep).join('/');
        const hash = sha256(body);
        if (!scripts.some((s) => s.file === file && s.name === name && s.sha256 === hash))
          scripts.push({ file, name, sha256: hash });
      },
    });
  } catch {
    // A text the classifier cannot take apart runs no script it could hash; its runs are judged
    // (and ask) as before, so there is nothing more to vouch for here.
  }
  return scripts.slice(0, 200);
}

/** One command of a project as it is now: its text and the script bodies it runs, hashed. */
export async function approveCommand(
  root: string,
  project: Pick<ProjectProfile, 'path'>,
  kind: CommandKind,
  command: string,
  home: string,
): Promise<ApprovedCommand> {
  const dir = path.resolve(root, project.path);
  return {
    project: project.path,
    kind,
    command,
    sha256: sha256(command),
    scripts: await scriptsOf(command, dir, root, home),
  };
}

/** Every command of every project, as it is now (what confirming the profile approves). */
export async function approveProfile(
  root: string,
  projects: readonly ProjectProfile[],
  home: string,
): Promise<ApprovedCommand[]> {
  const out: ApprovedCommand[] = [];
  for (const p of projects)
    for (const [kind, c] of Object.entries(p.commands) as [CommandKind, { command: string }][])
      out.push(await approveCommand(root, p, kind, c.command, home));
  return out;
}

/**
 * What the pipeline needs to know about a task's command from the profile: when it was confirmed
 * and what changed since (empty: nothing did, so the confirmation vouches for it).
 */
export interface ProfileConfirmation {
  confirmedAt: string;
  /** One sentence per change, for the approval's reasons. */
  changes: string[];
}

/**
 * Whether the confirmed profile still approves the project's command of `kind`: undefined when
 * the profile is not confirmed or recorded no approval for it (it asks as any command does).
 */
export async function profileConfirmation(
  profile: WorkspaceProfile,
  project: ProjectProfile,
  kind: CommandKind,
  home: string,
): Promise<ProfileConfirmation | undefined> {
  const command = project.commands[kind]?.command;
  if (profile.status !== 'confirmed' || !profile.confirmedAt || command === undefined) return undefined;
  const approved = profile.approved?.find((a) => a.project === project.path && a.kind === kind);
  if (!approved) return undefined;
  const now = await approveCommand(profile.root, project, kind, command, home);
  return { confirmedAt: profile.confirmedAt, changes: changesSince(approved, now, profile.confirmedAt) };
}

/** What differs between the approved command and the command as it is now, in words. */
export function changesSince(approved: ApprovedCommand, now: ApprovedCommand, confirmedAt: string): string[] {
  const since = `since you confirmed the profile on ${confirmedAt.slice(0, 10)}`;
  const changes: string[] = [];
  if (approved.sha256 !== now.sha256) changes.push(`The ${approved.kind} command changed ${since}`);
  const key = (s: ApprovedScript) => `${s.file}#${s.name}`;
  const label = (s: ApprovedScript) => `\`scripts.${s.name}\` in ${s.file}`;
  for (const s of now.scripts) {
    const before = approved.scripts.filter((a) => key(a) === key(s));
    if (before.length === 0) changes.push(`${label(s)} is new ${since}`);
    else if (!before.some((a) => a.sha256 === s.sha256)) changes.push(`${label(s)} changed ${since}`);
  }
  for (const a of approved.scripts)
    if (!now.scripts.some((s) => key(s) === key(a)) && !changes.some((c) => c.startsWith(label(a))))
      changes.push(`${label(a)} was removed or is no longer run ${since}`);
  return changes;
}
