import type { Project } from '../../../../protocol/scanReport';
import type { DetectedProject } from './index';
import {
  type Commands,
  type ProjectInput,
  arrayValue,
  command,
  dirsWith,
  has,
  isWithin,
  join,
  makeTargets,
  offer,
  offerMakeTargets,
  sections,
  stringValue,
  workspaceMembers,
} from './common';

/** Cargo: a workspace counts once (its member crates are listed as `workspaces`, not as projects). */
export async function detectRust(input: ProjectInput): Promise<DetectedProject[]> {
  const dirs = dirsWith(input, ['Cargo.toml']);
  const manifests = new Map<string, Map<string, string>>();
  await Promise.all(
    dirs.map(async (d) => manifests.set(d, sections((await input.read(join(d, 'Cargo.toml'))) ?? ''))),
  );
  const workspaceRoots = dirs.filter((d) => manifests.get(d)!.has('workspace'));
  const out: DetectedProject[] = [];
  for (const dir of dirs) {
    if (workspaceRoots.some((root) => root !== dir && isWithin(dir, root))) continue;
    const toml = manifests.get(dir)!;
    const isWorkspace = toml.has('workspace');
    const members = isWorkspace
      ? workspaceMembers(input, dir, arrayValue(toml.get('workspace'), 'members'), 'Cargo.toml').filter(
          (m) => !arrayValue(toml.get('workspace'), 'exclude').some((e) => join(dir, e) === m),
        )
      : [];
    // A binary crate (src/main.rs, src/bin/, [[bin]]) needs its Cargo.lock committed; a library need not.
    const isBin = (d: string, t: Map<string, string> | undefined) =>
      has(input, join(d, 'src'), 'main.rs') ||
      [...input.dirs].some((k) => k === join(d, 'src/bin') || k.startsWith(join(d, 'src/bin/'))) ||
      (t?.has('bin') ?? false);
    const binary = isBin(dir, toml) || members.some((m) => isBin(m, manifests.get(m)));
    const all = isWorkspace ? ' --workspace' : '';
    const commands: Commands = {};
    offerMakeTargets(commands, await makeTargets(input, dir));
    offer(commands, 'install', command('cargo fetch', 'Cargo.toml'));
    offer(commands, 'build', command(`cargo build${all}`, 'Cargo.toml'));
    offer(commands, 'test', command(`cargo test${all}`, 'Cargo.toml'));
    offer(commands, 'lint', command(`cargo clippy${all}`, 'Cargo.toml'));
    offer(commands, 'typecheck', command(`cargo check${all}`, 'Cargo.toml'));
    offer(commands, 'format', command('cargo fmt --check', 'Cargo.toml'));
    if (binary) offer(commands, 'start', command('cargo run', 'Cargo.toml', true));
    const name = stringValue(toml.get('package'), 'name');
    const project: Project = {
      path: dir,
      ...(name ? { name } : {}),
      ecosystem: 'rust',
      packageManager: 'cargo',
      manifest: join(dir, 'Cargo.toml'),
      commands,
    };
    if (isWorkspace) project.workspaces = members;
    out.push({
      project,
      missingLockfile: binary && !has(input, dir, 'Cargo.lock') ? 'Cargo.lock' : undefined,
    });
  }
  return out;
}
