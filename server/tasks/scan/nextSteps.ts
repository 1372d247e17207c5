import type { NextStep, Project, Risk } from '../../../protocol/scanReport';

/** What to do next, most useful first: stop leaks, then prove the code works, then harden the repo. */
export function buildNextSteps(risks: readonly Risk[], projects: readonly Project[]): NextStep[] {
  const has = (id: string) => risks.some((r) => r.id === id);
  const steps: NextStep[] = [];
  if (has('secret') || has('private-key') || has('credentials-in-url')) {
    steps.push({
      id: 'rotate-secrets',
      title: 'Rotate the exposed credentials',
      actor: 'user',
      action:
        'Revoke and replace every credential listed under the secret risks, then remove them from the files and the git history.',
    });
  }
  if (has('env-file')) {
    steps.push({
      id: 'remove-env-file',
      title: 'Take environment files out of git',
      actor: 'user',
      action:
        'Run `git rm --cached` on each .env file, add `.env*` to .gitignore and commit a .env.example instead.',
    });
  }
  // Running tests and fixing errors become NAVI actions when those tasks exist; until then the
  // step names the exact command the user runs, in the project's directory.
  const inDir = (p: Project, command: string) => (p.path === '.' ? command : `cd ${p.path} && ${command}`);
  const tested = projects.find((p) => p.commands.test);
  if (tested?.commands.test) {
    steps.push({
      id: 'run-tests',
      title: `Run the tests (${tested.commands.test.command})`,
      actor: 'user',
      action: `Run \`${inDir(tested, tested.commands.test.command)}\` and check that it passes.`,
    });
  }
  const checked = projects.find((p) => p.commands.typecheck ?? p.commands.lint);
  const check = checked && (checked.commands.typecheck ?? checked.commands.lint);
  if (checked && check) {
    steps.push({
      id: 'fix-errors',
      title: `Check types and lint (${check.command})`,
      actor: 'user',
      action: `Run \`${inDir(checked, check.command)}\` and fix what it reports.`,
    });
  }
  if (has('no-tests')) {
    steps.push({
      id: 'add-tests',
      title: 'Add tests',
      actor: 'user',
      action: 'Add a test suite and a `test` script so changes can be verified.',
    });
  }
  if (has('missing-lockfile')) {
    steps.push({
      id: 'add-lockfile',
      title: 'Commit lockfiles',
      actor: 'user',
      action:
        'Run the install command of each project listed under missing-lockfile and commit the lockfile it writes.',
    });
  }
  if (has('no-ci')) {
    steps.push({
      id: 'add-ci',
      title: 'Set up CI',
      actor: 'user',
      action: 'Add a CI workflow that installs, lints and tests on every push.',
    });
  }
  if (has('no-gitignore')) {
    steps.push({
      id: 'add-gitignore',
      title: 'Add a .gitignore',
      actor: 'user',
      action: 'Ignore dependencies, build output and .env files.',
    });
  }
  if (has('large-file')) {
    steps.push({
      id: 'move-large-files',
      title: 'Move large files out of git',
      actor: 'user',
      action: 'Use Git LFS or an artifact store for the files listed under large-file.',
    });
  }
  return steps;
}
