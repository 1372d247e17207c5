import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, NaviError } from '../../protocol/errors';
import type { CommandKind, Project } from '../../protocol/scanReport';
import {
  WorkspaceProfile,
  type ProfileCommand,
  type ProjectProfile,
  type WorkspaceProfile as WorkspaceProfileType,
} from '../../protocol/testing';
import type { AuditLog } from '../audit/log';
import { noProgress, silentLogger } from '../taskContext';
import { approveProfile } from './profileApproval';
import { scan } from './scan';

/**
 * The project profile: per project the commands that install, build, lint, typecheck, test and
 * start it. Proposed from the scan; confirmed (or edited) once by a person and then stored per
 * workspace in the agent's state folder — never in the repository, so a repository cannot
 * confirm its own commands — and reused by every test run, app start and verification.
 */

export interface ProfileOptions {
  /** The agent's state folder (profiles live in `<stateDir>/profiles/`). */
  stateDir: string;
  signal: AbortSignal;
}

/** The stored profile's file: one per workspace, named by a hash of its real path. */
export function profileFile(stateDir: string, root: string): string {
  const id = createHash('sha256').update(root).digest('hex').slice(0, 24);
  return path.join(stateDir, 'profiles', `${id}.json`);
}

/** The workspace folder's real path; 41001 with a hint when it does not exist. */
export async function realRoot(root: string): Promise<string> {
  try {
    return await fs.promises.realpath(root);
  } catch {
    throw new NaviError(ErrorCodes.PathNotFound, `Folder not found: ${root}.`, {
      path: root,
      hint: 'Open an existing folder.',
    });
  }
}

/** The confirmed profile, or undefined when none is stored (or the file is unreadable: logged by the caller). */
export function readStoredProfile(stateDir: string, root: string): WorkspaceProfileType | undefined {
  let text: string;
  try {
    text = fs.readFileSync(profileFile(stateDir, root), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = WorkspaceProfile.safeParse(JSON.parse(text));
  return parsed.success && parsed.data.root === root ? parsed.data : undefined;
}

/** The projects the scan finds (only its fast first part: inventory and projects). */
async function scannedProjects(root: string, signal: AbortSignal): Promise<Project[]> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let projects: Project[] | undefined;
  try {
    await scan(
      { root, scanId: 'profile' },
      {
        signal: stop.signal,
        progress: noProgress,
        log: silentLogger,
        onSummary: (summary) => {
          projects = summary.projects;
          stop.abort(); // the content checks are not needed for a profile
        },
      },
    );
  } catch (error) {
    if (!projects) throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return projects ?? [];
}

/** The profile the scan proposes: each project that has at least one command. */
export function proposeProfile(root: string, projects: readonly Project[]): WorkspaceProfileType {
  return {
    root,
    status: 'proposed',
    projects: projects
      .filter((p) => Object.keys(p.commands).length > 0)
      .map((p) => ({
        path: p.path,
        ...(p.name ? { name: p.name } : {}),
        ecosystem: p.ecosystem,
        commands: Object.fromEntries(
          Object.entries(p.commands).map(([kind, c]) => [kind, { command: c.command, source: c.source }]),
        ),
      })),
  };
}

/** `navi/profile`: the confirmed profile when there is one, else a fresh proposal from the scan. */
export async function loadProfile(root: string, opts: ProfileOptions): Promise<WorkspaceProfileType> {
  const real = await realRoot(root);
  return (
    readStoredProfile(opts.stateDir, real) ?? proposeProfile(real, await scannedProjects(real, opts.signal))
  );
}

/**
 * `navi/profileSave`: stores the profile as confirmed (atomically: a crash leaves the old one).
 * Confirming approves exactly its commands as they are now: their text and the script bodies
 * they run are hashed into `approved` (profileApproval.ts) and recorded as `profile.confirmed`
 * before the file is written; if the log cannot record, nothing is stored.
 */
export async function saveProfile(
  root: string,
  projects: readonly ProjectProfile[],
  opts: Pick<ProfileOptions, 'stateDir'> & { home: string; audit: Pick<AuditLog, 'append'> },
): Promise<WorkspaceProfileType> {
  const real = await realRoot(root);
  for (const p of projects) {
    const dir = path.resolve(real, p.path);
    const rel = path.relative(real, dir);
    if (rel.startsWith('..') || path.isAbsolute(rel))
      throw new NaviError(ErrorCodes.InvalidParams, `The project ${p.path} is outside the workspace.`, {
        path: p.path,
        hint: 'Give project paths relative to the workspace root.',
      });
  }
  const confirmedAt = new Date().toISOString();
  const approved = await approveProfile(real, projects, opts.home);
  const profile: WorkspaceProfileType = {
    root: real,
    status: 'confirmed',
    confirmedAt,
    projects: [...projects],
    approved,
  };
  try {
    await opts.audit.append({
      type: 'profile.confirmed',
      actor: { kind: 'user' },
      workspace: real,
      data: { confirmedAt, commands: approved },
    });
  } catch {
    throw new NaviError(
      ErrorCodes.AuditUnavailable,
      'NAVI could not write its audit log, so it did not confirm the profile.',
      { hint: 'Run "navi audit verify" to check the log, then try again.' },
    );
  }
  const file = profileFile(opts.stateDir, real);
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  await fs.promises.rename(tmp, file);
  return profile;
}

export interface ResolvedCommand {
  profile: WorkspaceProfileType;
  project: ProjectProfile;
  /** Absolute project directory. */
  dir: string;
  command: ProfileCommand;
}

const KIND_NAMES: Partial<Record<CommandKind, string>> = { test: 'test', start: 'start' };

/**
 * The profile's command of one kind for a project (by path relative to the root), or for the
 * first project that has one. Throws 41007 when there is none.
 */
export async function profileCommand(
  root: string,
  project: string | undefined,
  kind: CommandKind,
  opts: ProfileOptions,
): Promise<ResolvedCommand> {
  const profile = await loadProfile(root, opts);
  const wanted = project === undefined ? undefined : path.posix.normalize(project.split(path.sep).join('/'));
  // Without a path: the first project that has the command. With one: the project itself, else
  // the deepest project that contains it (`navi test src/lib`) — and that project must have it.
  const contains = (p: ProjectProfile) =>
    wanted !== undefined && (p.path === wanted || p.path === '.' || wanted.startsWith(`${p.path}/`));
  const chosen =
    wanted === undefined
      ? profile.projects.find((p) => p.commands[kind])
      : profile.projects.filter(contains).sort((a, b) => b.path.length - a.path.length)[0];
  if (chosen && !chosen.commands[kind]) {
    const name = KIND_NAMES[kind] ?? kind;
    throw new NaviError(ErrorCodes.NoProfileCommand, `The project ${chosen.path} has no ${name} command.`, {
      path: profile.root,
      hint: `Add one to the project profile (NAVI: Confirm Project Profile…, or navi profile --project ${chosen.path} --set ${name}="…").`,
    });
  }
  const name = KIND_NAMES[kind] ?? kind;
  if (!chosen) {
    const where = wanted === undefined ? 'in this workspace' : `for the project ${wanted}`;
    throw new NaviError(ErrorCodes.NoProfileCommand, `NAVI found no ${name} command ${where}.`, {
      path: profile.root,
      hint: `Add one to the project profile (NAVI: Confirm Project Profile…, or navi profile --set ${name}="…").`,
    });
  }
  return {
    profile,
    project: chosen,
    dir: path.resolve(profile.root, chosen.path),
    command: chosen.commands[kind]!,
  };
}
