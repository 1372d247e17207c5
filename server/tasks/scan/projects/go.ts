import type { Project } from '../../../../protocol/scanReport';
import type { DetectedProject } from './index';
import {
  type Commands,
  type ProjectInput,
  command,
  dirsWith,
  has,
  join,
  makeTargets,
  offer,
  offerMakeTargets,
  relFrom,
} from './common';

const GOLANGCI = ['.golangci.yml', '.golangci.yaml', '.golangci.toml', '.golangci.json'];

export async function detectGo(input: ProjectInput): Promise<DetectedProject[]> {
  const out: DetectedProject[] = [];
  for (const dir of dirsWith(input, ['go.mod'])) {
    const text = (await input.read(join(dir, 'go.mod'))) ?? '';
    const name = /^module\s+(\S+)/m.exec(text)?.[1]?.replace(/^"|"$/g, '');
    const commands: Commands = {};
    offerMakeTargets(commands, await makeTargets(input, dir));
    offer(commands, 'install', command('go mod download', 'go.mod'));
    offer(commands, 'build', command('go build ./...', 'go.mod'));
    offer(commands, 'test', command('go test ./...', 'go.mod'));
    const golangci = GOLANGCI.find((f) => has(input, dir, f) || has(input, '.', f));
    if (golangci) {
      offer(
        commands,
        'lint',
        command('golangci-lint run', has(input, dir, golangci) ? golangci : relFrom(dir, golangci)),
      );
    }
    offer(commands, 'lint', command('go vet ./...', 'go.mod', true));
    offer(commands, 'format', command('gofmt -l .', 'go.mod', true));
    // `package main` at the module root or under cmd/<name>/: judged by file names, not content.
    if (has(input, dir, 'main.go')) offer(commands, 'start', command('go run .', 'main.go', true));
    else if (input.dirs.has(join(dir, 'cmd'))) {
      const cmd = [...input.dirs]
        .sort()
        .find((d) => d.startsWith(join(dir, 'cmd/')) && has(input, d, 'main.go'));
      if (cmd)
        offer(
          commands,
          'start',
          command(
            `go run ./${cmd.slice(dir === '.' ? 0 : dir.length + 1)}`,
            `${cmd.slice(dir === '.' ? 0 : dir.length + 1)}/main.go`,
            true,
          ),
        );
    }
    const project: Project = {
      path: dir,
      ...(name ? { name } : {}),
      ecosystem: 'go',
      packageManager: 'go',
      manifest: join(dir, 'go.mod'),
      commands,
    };
    out.push({ project });
  }
  // go.work: the modules it uses are still their own projects; the workspace file names them.
  for (const dir of dirsWith(input, ['go.work'])) {
    const text = (await input.read(join(dir, 'go.work'))) ?? '';
    const uses = [...text.matchAll(/^\s*(?:use\s+)?(\.{1,2}\/[^\s)]*|\.)\s*$/gm)].map((m) => m[1]!);
    const members = uses
      .map((u) => join(dir, u.replace(/^\.\/?/, '')).replace(/\/$/, '') || '.')
      .filter((m) => m !== dir);
    const root = out.find((p) => p.project.path === dir);
    if (root && members.length > 0) root.project.workspaces = members;
  }
  return out;
}
