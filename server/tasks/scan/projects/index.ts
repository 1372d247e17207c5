import type { Project } from '../../../../protocol/scanReport';
import { type ProjectInput, lockfileIgnoredReason } from './common';
import { detectNode } from './node';
import { detectPython } from './python';
import { detectGo } from './go';
import { detectRust } from './rust';
import { detectJava } from './java';
import { detectDotnet } from './dotnet';

export type { ProjectInput } from './common';

/** A project and what the risk checks need to know about it. */
export interface DetectedProject {
  project: Project;
  /** The lockfile this project should have committed and does not (`package-lock.json`…). */
  missingLockfile?: string;
  /**
   * Why the missing lockfile is the project's choice (`package-lock=false` in .npmrc, the
   * lockfile listed in .gitignore), when it is.
   */
  noLockfileReason?: string;
}

/** Every project in the tree, monorepo members included, sorted by path then ecosystem. */
export async function detectProjects(input: ProjectInput): Promise<DetectedProject[]> {
  const found = await Promise.all([
    detectNode(input),
    detectPython(input),
    detectGo(input),
    detectRust(input),
    detectJava(input),
    detectDotnet(input),
  ]);
  // A lockfile the project keeps out of git on purpose is its choice, in every ecosystem.
  await Promise.all(
    found.flat().map(async (d) => {
      if (d.missingLockfile && !d.noLockfileReason) {
        d.noLockfileReason = await lockfileIgnoredReason(input, d.project.path, d.missingLockfile);
      }
    }),
  );
  // The root first, then by path: `.` would sort after `-` and `_` otherwise.
  const key = (p: Project) => (p.path === '.' ? '' : p.path);
  return found
    .flat()
    .sort(
      (a, b) =>
        key(a.project).localeCompare(key(b.project)) ||
        a.project.ecosystem.localeCompare(b.project.ecosystem),
    );
}
