import type { NextStep, Project, Risk } from '../../../protocol/scanReport';
import { BASELINE_FILE } from './baseline';

/** What to do next, most useful first: stop leaks, then prove the code works, then harden the repo. */
export function buildNextSteps(risks: readonly Risk[], projects: readonly Project[]): NextStep[] {
  const has = (id: string) => risks.some((r) => r.id === id);
  const evidenceOf = (id: string) => risks.find((r) => r.id === id)?.evidence ?? [];
  const steps: NextStep[] = [];
  if (has('secret') || has('private-key') || has('credentials-in-url')) {
    steps.push({
      id: 'rotate-secrets',
      title: 'Rotate the exposed credentials',
      actor: 'user',
      action:
        'Revoke and replace every credential listed under Risks, then remove them from the files and the git history.',
    });
  }
  if (has('secret-in-test-data')) {
    steps.push({
      id: 'review-test-secrets',
      title: 'Confirm the keys in test data are test-only',
      actor: 'user',
      action: `Check that the keys found in fixtures, examples or docs are used by nothing real; accept each with its \`path:rule:line\` in ${BASELINE_FILE}.`,
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
  // Worded for what the project has: a linter is not a type checker.
  const checked = projects.find((p) => p.commands.typecheck ?? p.commands.lint);
  if (checked) {
    const { typecheck, lint } = checked.commands;
    const title =
      typecheck && lint
        ? `Check types and lint (${typecheck.command}, ${lint.command})`
        : typecheck
          ? `Check types (${typecheck.command})`
          : `Run the linter (${lint!.command})`;
    const run = [typecheck, lint]
      .filter((c) => c !== undefined)
      .map((c) => `\`${inDir(checked, c.command)}\``)
      .join(' and ');
    steps.push({
      id: 'fix-errors',
      title,
      actor: 'user',
      action: `Run ${run} and fix what ${typecheck && lint ? 'they report' : 'it reports'}.`,
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
      action: `Run the install command in ${listPaths(evidenceOf('missing-lockfile').map((e) => dirOfManifest(e.path)))} and commit the lockfile it writes.`,
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
      action: `Use Git LFS or an artifact store for ${listPaths(evidenceOf('large-file').map((e) => e.path))}.`,
    });
  }
  return steps;
}

/** `a, b and 3 more`: paths a person reads in a sentence, never an internal id. */
function listPaths(paths: readonly string[], max = 3): string {
  const quoted = paths.slice(0, max).map((p) => (p === '.' ? 'the root folder' : `\`${p}\``));
  const rest = paths.length - quoted.length;
  if (rest > 0) return `${quoted.join(', ')} and ${rest} more (see Risks)`;
  return quoted.length <= 1
    ? (quoted[0] ?? 'each project')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

function dirOfManifest(manifest: string): string {
  const slash = manifest.lastIndexOf('/');
  return slash < 0 ? '.' : manifest.slice(0, slash);
}
