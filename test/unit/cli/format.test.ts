import assert from 'node:assert/strict';
import { formatReport, formatSummary } from '../../../cli/format';
import { foldWorkspaces, outlineProjects } from '../../../protocol/projectOutline';
import type { Project, ScanReport, ScanSummary } from '../../../protocol/scanReport';

const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

function project(path: string, name?: string, extra: Partial<Project> = {}): Project {
  return {
    path,
    ...(name ? { name } : {}),
    ecosystem: 'node',
    packageManager: 'pnpm',
    manifest: path === '.' ? 'package.json' : `${path}/package.json`,
    commands: { install: { command: 'pnpm install --frozen-lockfile', source: 'pnpm-lock.yaml' } },
    ...extra,
  };
}

/** A vite-shaped pnpm monorepo: 257 projects, 212 of them playgrounds, 30 create-vite templates. */
function viteLike(): ScanSummary {
  const playgrounds = Array.from({ length: 212 }, (_, i) =>
    project(`playground/p${i}`, `@vitejs/test-p${i}`),
  );
  const templates = Array.from({ length: 30 }, (_, i) =>
    project(`packages/create-vite/template-t${i}`, `vite-template-${i}`),
  );
  const packages = ['vite', 'create-vite', 'plugin-legacy'].map((p) => project(`packages/${p}`, p));
  const more = Array.from({ length: 11 }, (_, i) => project(`packages/vite/src/node/__tests__/x${i}`));
  const root = project('.', 'vite-monorepo', {
    commands: {
      install: { command: 'pnpm install --frozen-lockfile', source: 'pnpm-lock.yaml' },
      build: { command: 'pnpm run build', source: 'package.json#scripts.build' },
      lint: { command: 'pnpm run lint', source: 'package.json#scripts.lint' },
      typecheck: { command: 'pnpm run typecheck', source: 'package.json#scripts.typecheck' },
      test: { command: 'pnpm test', source: 'package.json#scripts.test' },
    },
    workspaces: [...packages, ...playgrounds, ...templates].map((p) => p.path),
  });
  const projects = [root, ...packages, ...more, ...templates, ...playgrounds];
  return {
    root: '/src/vite',
    durationMs: 100,
    git: true,
    inventory: {
      files: 5000,
      bytes: 10_000_000,
      languages: [
        { name: 'Other', files: 900, bytes: 6_400_000 },
        { name: 'TypeScript', files: 3000, bytes: 3_000_000 },
        { name: 'JavaScript', files: 1000, bytes: 600_000 },
      ],
      sourceLanguages: [
        { name: 'TypeScript', files: 3000, bytes: 3_000_000 },
        { name: 'JavaScript', files: 1000, bytes: 600_000 },
      ],
      source: 'git',
    },
    projects,
    ci: [{ system: 'github-actions', path: '.github/workflows/ci.yml' }],
  };
}

describe('readable scan report (cli/format.ts)', () => {
  it('a big monorepo fits a screen: root in full, packages by folder, playgrounds and templates folded', () => {
    const summary = viteLike();
    const lines = plain(formatSummary(summary)).trimEnd().split('\n');
    assert.ok(lines.length <= 30, `${lines.length} lines:\n${lines.join('\n')}`);
    assert.ok(
      lines.every((l) => l.length <= 120),
      lines.find((l) => l.length > 120),
    );
    const text = lines.join('\n');
    assert.match(text, /Projects \(257\)/);
    assert.match(text, /^ {2}playground\/\s+212 packages\s+folded \(playgrounds\)$/m);
    assert.match(text, /^ {2}packages\/\*\/template-\*\/\s+30 packages\s+folded \(templates\)$/m);
    assert.match(text, /^ {2}packages\/\s+3 packages\s+vite, create-vite, plugin-legacy$/m);
    assert.match(text, /workspaces: 245 folders: playground\/\* \(212\), packages\/create-vite\/\* \(30\)/);
    assert.match(text, /navi scan --all lists every project/);
    // The language bar is source code: no "Other 64%".
    assert.match(text, /Languages {2}TypeScript 83% · JavaScript 17% {2}\(source code, 3\.4 MB\)/);
  });

  it('--all lists every project with its commands and the whole workspace list', () => {
    const summary = viteLike();
    const text = plain(formatSummary(summary, { all: true }));
    for (const p of summary.projects) assert.ok(text.includes(`  ${p.path}`), p.path);
    assert.ok(text.includes('playground/p211, packages/create-vite/template-t0'));
  });

  it('a short project list is shown in full, as before', () => {
    const summary = { ...viteLike(), projects: [project('.', 'a'), project('packages/b', 'b')] };
    const outline = outlineProjects(summary.projects);
    assert.equal(outline.shown.length, 2);
    assert.deepEqual(outline.groups, []);
    assert.match(plain(formatSummary(summary)), /^ {2}packages\/b b {2}node · pnpm/m);
  });

  it('folds nested test packages of every member into one line per folder pattern', () => {
    const projects = [
      project('.'),
      ...Array.from({ length: 20 }, (_, i) => project(`packages/p${i}`)),
      ...Array.from({ length: 20 }, (_, i) => project(`packages/p${i}/test`)),
    ];
    const groups = outlineProjects(projects).groups.map((g) => [g.folder, g.side, g.projects.length]);
    assert.deepEqual(groups, [
      ['packages/', false, 20],
      ['packages/*/test/', true, 20],
    ]);
    assert.equal(foldWorkspaces(['a', 'b']), 'a, b', 'short lists as they are');
  });

  it('a monorepo below the root is shown in full, its members by folder', () => {
    const members = Array.from({ length: 20 }, (_, i) => project(`pkg1/packages/p${i}`));
    const outline = outlineProjects([
      project('pkg1', 'mono', { workspaces: members.map((m) => m.path) }),
      ...members,
    ]);
    assert.deepEqual(
      outline.shown.map((p) => p.path),
      ['pkg1'],
    );
    assert.deepEqual(
      outline.groups.map((g) => [g.folder, g.projects.length]),
      [['pkg1/', 20]],
    );
  });

  it('shows the rule and the reason of each finding, why a severity was lowered, and how many the baseline hid', () => {
    const report: ScanReport = {
      ...viteLike(),
      risks: [
        {
          id: 'secret-in-test-data',
          severity: 'low',
          title: '1 key in test data (1 file): fixtures, examples, docs or test keys',
          evidence: [
            {
              path: 'test/fixtures/key.pem',
              line: 1,
              detail: 'Private key: -----BEGIN PRIVATE KEY----- [REDACTED]',
              rule: 'private-key',
              reason: 'test fixture (test/fixtures/)',
            },
          ],
          reason: 'Found where test data lives.',
        },
      ],
      nextSteps: [],
      skipped: [],
      skippedTotal: 0,
      hidden: { count: 3, file: '.navi/secrets-baseline' },
    };
    const text = plain(formatReport(report));
    assert.match(text, /LOW {7}1 key in test data/);
    assert.match(
      text,
      /test\/fixtures\/key\.pem:1 {2}Private key: .*\[REDACTED\] {2}\(rule private-key, test fixture \(test\/fixtures\/\)\)/,
    );
    assert.match(text, /Why low: Found where test data lives\./);
    assert.match(text, /3 findings hidden by \.navi\/secrets-baseline/);
  });
});
