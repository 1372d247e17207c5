import type { CiConfig, Evidence, Risk, Severity } from '../../../protocol/scanReport';
import type { SecretKind } from '../../audit/redact';
// Environment files: one rule for the scan and for the command judge, which never sends them off the machine.
import { ENV_FILE, ENV_TEMPLATE } from '../../exec/knowledge/secretFiles';
import { BASELINE_FILE } from './baseline';
import { findingContext } from './findingContext';
import type { DetectedProject } from './projects';
import type { FileEntry } from './types';
import { baseOf } from './types';

/** A secret found in a file, already redacted. */
export interface Finding {
  kind: SecretKind;
  /** Title of the pattern ("AWS access key id"). */
  title: string;
  /** Id of the rule that matched (`aws-access-key-id`): shown, and used in baseline fingerprints. */
  rule: string;
  path: string;
  line: number;
  /** Redacted excerpt, safe to show. */
  excerpt: string;
  /** The label of a well-known test key (`Stripe test-mode key`), when the match is one. */
  testKey?: string;
}

export interface RiskInput {
  files: readonly FileEntry[];
  maxBytes: number;
  projects: readonly DetectedProject[];
  ci: readonly CiConfig[];
  findings: readonly Finding[];
  git: boolean;
  /** A `.gitignore` at the root, or (in git) at any directory from the root up to the work tree's top. */
  hasGitignore: boolean;
  /** Rust files with test attributes were seen (tests that live inside source files). */
  inlineTests: boolean;
}

const MAX_EVIDENCE = 50;
const SEVERITY_ORDER: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

const TEST_DIR = /(?:^|\/)(?:test|tests|__tests__|spec|specs|e2e|testing)\//i;
const TEST_FILE =
  /(?:\.(?:test|spec)\.[cm]?[jt]sx?$|_test\.(?:go|py|rb|exs?)$|(?:^|\/)test_[^/]*\.py$|_spec\.rb$|(?:Tests?|IT)\.(?:java|kt|cs|fs|scala)$|(?:^|\/)conftest\.py$)/;
const DEPENDENCY_DIR = /(?:^|\/)(?:node_modules|vendor|\.venv|venv|site-packages)\//;

/** Test files or folders in the inventory (outside dependency folders). */
export function hasTestFiles(paths: Iterable<string>): boolean {
  for (const p of paths) {
    // Every pattern below needs one of these words: a cheap test first, the regexes rarely.
    if (!/test|spec|e2e|Test|TEST|Spec|IT\./.test(p)) continue;
    if (!DEPENDENCY_DIR.test(p) && (TEST_FILE.test(p) || TEST_DIR.test(p))) return true;
  }
  return false;
}

/** A test command the project wrote itself (a script, a Makefile target, tox), not a toolchain default. */
function hasDeclaredTestCommand(projects: readonly DetectedProject[]): boolean {
  return projects.some(({ project }) => {
    const test = project.commands.test;
    return (
      test !== undefined &&
      !test.inferred &&
      /^(?:package\.json#scripts|(?:GNU)?[Mm]akefile:|tox\.ini)/.test(test.source)
    );
  });
}

function formatBytes(bytes: number): string {
  const kb = bytes / 1024;
  const mb = kb / 1024;
  return mb >= 1024
    ? `${(mb / 1024).toFixed(1)} GB`
    : mb >= 1
      ? `${mb.toFixed(1)} MB`
      : `${kb.toFixed(1)} KB`;
}

function cap(evidence: Evidence[]): Evidence[] {
  return evidence
    .slice(0, MAX_EVIDENCE)
    .map((e) => (e.detail && e.detail.length > 300 ? { ...e, detail: e.detail.slice(0, 299) + '…' } : e));
}

type Located = Finding & { reason: string };

function secretRisk(findings: readonly Located[], kind: SecretKind): Risk | undefined {
  const mine = findings.filter((f) => f.kind === kind);
  if (mine.length === 0) return undefined;
  const files = new Set(mine.map((f) => f.path)).size;
  const titles = [...new Set(mine.map((f) => f.title))];
  const where = `${files} file${files === 1 ? '' : 's'}`;
  const evidence = mine.map(evidenceOf);
  switch (kind) {
    case 'secret':
      return {
        id: 'secret',
        severity: 'critical',
        title: `${mine.length} secret${mine.length === 1 ? '' : 's'} in ${where} (${titles.join(', ')})`,
        evidence: cap(evidence),
        remedy:
          'Revoke and rotate these credentials now, remove them from the files and the git history, and load them from the environment or a secret manager.',
      };
    case 'private-key':
      return {
        id: 'private-key',
        severity: 'critical',
        title: `Private key${mine.length === 1 ? '' : 's'} in ${where}`,
        evidence: cap(evidence),
        remedy:
          'Replace the key pair, remove the private key from the repository and its history, and keep keys outside the work tree.',
      };
    case 'credentials-in-url':
      return {
        id: 'credentials-in-url',
        severity: 'high',
        title: `Password${mine.length === 1 ? '' : 's'} in URL${mine.length === 1 ? '' : 's'} in ${where}`,
        evidence: cap(evidence),
        remedy:
          'Change the password and pass credentials through environment variables or a secret manager instead of URLs.',
      };
  }
}

function evidenceOf(f: Located): Evidence {
  return { path: f.path, line: f.line, detail: f.excerpt, rule: f.rule, reason: f.reason };
}

/** Keys in test fixtures, examples, docs or vendored code, and published test keys: one low risk. */
function testDataRisk(findings: readonly Located[]): Risk | undefined {
  if (findings.length === 0) return undefined;
  const files = new Set(findings.map((f) => f.path)).size;
  const n = findings.length;
  return {
    id: 'secret-in-test-data',
    severity: 'low',
    title: `${n} key${n === 1 ? '' : 's'} in test data (${files} file${files === 1 ? '' : 's'}): fixtures, examples, docs or test keys`,
    evidence: cap(findings.map(evidenceOf)),
    reason:
      'Found where test data lives (test fixtures, examples, documentation, vendored code) or a provider’s published test key, so reported as test data rather than a leak.',
    remedy: `Check that none of these keys is used outside tests (rotate any that is). To accept one, add its \`path:rule:line\` to ${BASELINE_FILE}.`,
  };
}

export function buildRisks(input: RiskInput): Risk[] {
  const risks: Risk[] = [];
  const ciPaths = new Set(input.ci.map((c) => c.path));
  const located = input.findings.map((f) => {
    const context = findingContext(f.path, ciPaths, f.testKey);
    return { ...f, reason: context.reason, testData: context.testData };
  });
  const live = located.filter((f) => !f.testData);
  for (const kind of ['secret', 'private-key', 'credentials-in-url'] as const) {
    const risk = secretRisk(live, kind);
    if (risk) risks.push(risk);
  }
  const testData = testDataRisk(located.filter((f) => f.testData));
  if (testData) risks.push(testData);

  const envFiles = input.files.filter((f) => ENV_FILE.test(baseOf(f.path)) && !ENV_TEMPLATE.test(f.path));
  if (envFiles.length > 0) {
    const tracked = envFiles.some((f) => f.tracked);
    risks.push({
      id: 'env-file',
      severity: tracked || !input.git ? 'high' : 'medium',
      title: tracked
        ? `Environment file${envFiles.length === 1 ? '' : 's'} committed to git`
        : `Environment file${envFiles.length === 1 ? '' : 's'} not ignored`,
      evidence: cap(
        envFiles.map((f) => ({
          path: f.path,
          detail: f.tracked
            ? 'tracked by git'
            : input.git
              ? 'not ignored: `git add .` would commit it'
              : 'not covered by .gitignore',
        })),
      ),
      remedy:
        'Remove it from git (`git rm --cached`), add `.env*` to .gitignore, commit a `.env.example` without values, and rotate anything it held.',
    });
  }

  const large = input.files.filter((f) => f.size > input.maxBytes).sort((a, b) => b.size - a.size);
  if (large.length > 0) {
    risks.push({
      id: 'large-file',
      severity: 'low',
      title: `${large.length} file${large.length === 1 ? '' : 's'} over ${formatBytes(input.maxBytes)}`,
      evidence: cap(
        large.map((f) => ({
          path: f.path,
          detail: `${formatBytes(f.size)} (${f.size} bytes); not searched`,
        })),
      ),
      remedy: 'Keep large binaries out of git (Git LFS or an artifact store) and add them to .gitignore.',
    });
  }

  const unlocked = input.projects.filter((p) => p.missingLockfile);
  const deliberate = unlocked.filter((p) => p.noLockfileReason);
  const forgotten = unlocked.filter((p) => !p.noLockfileReason);
  if (forgotten.length > 0) {
    risks.push({
      id: 'missing-lockfile',
      severity: 'medium',
      title: `${forgotten.length} project${forgotten.length === 1 ? '' : 's'} without a lockfile`,
      evidence: cap(
        forgotten.map(({ project, missingLockfile }) => ({
          path: project.manifest,
          detail: `${project.packageManager} project without ${missingLockfile}`,
        })),
      ),
      remedy: 'Generate the lockfile with the package manager and commit it, so installs are reproducible.',
    });
  }
  if (deliberate.length > 0) {
    // The project chose this: said, so nobody wonders, but nothing to act on.
    const reasons = [...new Set(deliberate.map((p) => p.noLockfileReason))];
    risks.push({
      id: 'no-lockfile-on-purpose',
      severity: 'info',
      title: `${deliberate.length} project${deliberate.length === 1 ? '' : 's'} without a lockfile, on purpose`,
      evidence: cap(
        deliberate.map(({ project, missingLockfile, noLockfileReason }) => ({
          path: project.manifest,
          detail: `no ${missingLockfile}: ${noLockfileReason}`,
        })),
      ),
      reason: `${reasons.join('; ')}: installs resolve the newest matching versions, as the project intends.`,
    });
  }

  if (
    !hasTestFiles(input.files.map((f) => f.path)) &&
    !input.inlineTests &&
    !hasDeclaredTestCommand(input.projects)
  ) {
    risks.push({
      id: 'no-tests',
      severity: 'medium',
      title: 'No tests found',
      evidence: [],
      remedy: 'Add a test suite and a test command, so changes (NAVI’s included) can be verified.',
    });
  }
  if (input.ci.length === 0) {
    risks.push({
      id: 'no-ci',
      severity: 'low',
      title: 'No CI configuration',
      evidence: [],
      remedy:
        'Add a CI workflow (for example .github/workflows/ci.yml) that installs, lints and tests on every push.',
    });
  }
  if (!input.hasGitignore) {
    risks.push({
      id: 'no-gitignore',
      severity: 'low',
      title: 'No .gitignore',
      evidence: [],
      remedy: 'Add a .gitignore for build output, dependencies and local environment files (.env).',
    });
  }
  return risks
    .map((risk, i) => ({ risk, i }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER.indexOf(a.risk.severity) - SEVERITY_ORDER.indexOf(b.risk.severity) || a.i - b.i,
    )
    .map(({ risk }) => risk);
}
