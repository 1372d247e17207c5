import type { Project } from '../../../../protocol/scanReport';
import type { DetectedProject } from './index';
import {
  type Commands,
  type ProjectInput,
  command,
  isProjectDir,
  isWithin,
  join,
  makeTargets,
  offer,
  offerMakeTargets,
} from './common';

const isProjectFile = (name: string) => /\.(?:cs|fs|vb)proj$/i.test(name);
const isSolution = (name: string) => /\.slnx?$/i.test(name);

/** .NET: a solution counts once (its project folders are `workspaces`); a project outside any solution on its own. */
export async function detectDotnet(input: ProjectInput): Promise<DetectedProject[]> {
  const solutions: { dir: string; file: string }[] = [];
  const projects: { dir: string; file: string }[] = [];
  for (const { dir, name: file } of input.manifests) {
    if (!isProjectDir(dir)) continue;
    if (isSolution(file)) solutions.push({ dir, file });
    else if (isProjectFile(file)) projects.push({ dir, file });
  }
  const byPath = (a: { dir: string; file: string }, b: { dir: string; file: string }) =>
    a.dir.localeCompare(b.dir) || a.file.localeCompare(b.file);
  solutions.sort(byPath);
  projects.sort(byPath);
  const out: DetectedProject[] = [];
  const seenDirs = new Set<string>();
  const candidates = [
    ...solutions,
    ...projects.filter((p) => !solutions.some((s) => isWithin(p.dir, s.dir))),
  ].sort(byPath);
  for (const { dir, file } of candidates) {
    if (seenDirs.has(dir)) continue; // One project per folder: the first solution (or project) file.
    seenDirs.add(dir);
    const filesHere = input.manifests.filter(
      (m) => m.dir === dir && (isSolution(m.name) || isProjectFile(m.name)),
    );
    // `dotnet test` refuses a folder with several project/solution files unless told which.
    const target = filesHere.length > 1 ? ` ${file}` : '';
    const commands: Commands = {};
    offerMakeTargets(commands, await makeTargets(input, dir));
    offer(commands, 'install', command(`dotnet restore${target}`, file));
    offer(commands, 'build', command(`dotnet build${target}`, file));
    offer(commands, 'test', command(`dotnet test${target}`, file));
    offer(commands, 'format', command(`dotnet format${target} --verify-no-changes`, file));
    const members = isSolution(file) ? projects.filter((p) => isWithin(p.dir, dir)) : [{ dir, file }];
    for (const member of members) {
      const text = (await input.read(join(member.dir, member.file))) ?? '';
      if (/<OutputType>\s*(?:Win)?Exe\s*<\/OutputType>|Sdk="Microsoft\.NET\.Sdk\.Web"/i.test(text)) {
        const rel =
          member.dir === dir
            ? member.file
            : `${member.dir.slice(dir === '.' ? 0 : dir.length + 1)}/${member.file}`;
        offer(commands, 'start', command(`dotnet run --project ${rel}`, rel, true));
        break;
      }
    }
    const project: Project = {
      path: dir,
      name: file.replace(/\.[^.]+$/, ''),
      ecosystem: 'dotnet',
      packageManager: 'dotnet',
      manifest: join(dir, file),
      commands,
    };
    if (isSolution(file))
      project.workspaces = [...new Set(members.map((m) => m.dir))].filter((d) => d !== dir);
    out.push({ project });
  }
  return out;
}
