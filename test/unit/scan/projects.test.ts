import assert from 'node:assert/strict';
import { ScanReport, type Project } from '../../../protocol/scanReport';
import {
  type Fixture,
  fixture,
  goModule,
  npmMochaEslint,
  pnpmMonorepo,
  pythonPytest,
  rustCrate,
  typescriptNodeTest,
} from '../../fixtures/builders';
import { riskIds, runScan } from './harness';

describe('scan: project profile', () => {
  let fx: Fixture | undefined;
  afterEach(() => fx?.cleanup());

  async function projects(make: () => Fixture): Promise<{ projects: Project[]; report: ScanReport }> {
    fx = make();
    const { report } = await runScan(fx.root);
    ScanReport.parse(report);
    return { projects: report.projects, report };
  }

  it('test cases with their own manifests are not projects; a package one level under tests/ is', async () => {
    const { report } = await projects(() =>
      fixture({
        'package.json': JSON.stringify({ name: 'app', scripts: { test: 'mocha' } }),
        'package-lock.json': '{}',
        'tests/cases/user/acorn/package.json': JSON.stringify({ name: 'acorn-test', main: 'index.js' }),
        'test/fixtures/app/package.json': JSON.stringify({ name: 'fixture-app' }),
        'tests/e2e/package.json': JSON.stringify({ name: 'e2e', scripts: { test: 'playwright test' } }),
      }),
    );
    assert.deepEqual(
      report.projects.map((p) => p.path),
      ['.', 'tests/e2e'],
    );
  });

  it('a VS Code extension: `main` is not offered as a start command', async () => {
    const {
      projects: [p],
    } = await projects(() =>
      fixture({
        'package.json': JSON.stringify({
          name: 'ext',
          main: './dist/extension.js',
          engines: { vscode: '^1.99.0' },
        }),
        'package-lock.json': '{}',
      }),
    );
    assert.equal(p!.commands.start, undefined);
  });

  it('`node main` is offered only for an app that depends on a server framework', async () => {
    const { projects: list } = await projects(() =>
      fixture({
        'package.json': JSON.stringify({ name: 'mono', private: true }),
        'package-lock.json': '{}',
        'api/package.json': JSON.stringify({
          name: 'api',
          main: 'server.js',
          dependencies: { fastify: '4' },
        }),
        'lib/package.json': JSON.stringify({
          name: 'lib',
          main: 'index.js',
          exports: { '.': './index.js' },
          dependencies: { undici: '5' },
          devDependencies: { express: '4' },
        }),
      }),
    );
    const byPath = new Map(list.map((p) => [p.path, p]));
    assert.deepEqual(byPath.get('api')!.commands.start, {
      command: 'node server.js',
      source: 'package.json#main (depends on fastify)',
      inferred: true,
    });
    assert.equal(byPath.get('lib')!.commands.start, undefined, 'express only in devDependencies: a library');
  });

  it('evidence paths are relative to the project they belong to (a monorepo below the root)', async () => {
    const { projects: list } = await projects(() =>
      fixture({
        'pkg1/package.json': JSON.stringify({ name: 'mono', private: true, devDependencies: { x: '1' } }),
        'pkg1/pnpm-workspace.yaml': 'packages:\n  - packages/*\n',
        'pkg1/pnpm-lock.yaml': 'lockfileVersion: 9.0\n',
        'pkg1/packages/a/package.json': JSON.stringify({ name: 'a', dependencies: { y: '1' } }),
      }),
    );
    const byPath = new Map(list.map((p) => [p.path, p]));
    assert.equal(byPath.get('pkg1')!.commands.install?.source, 'pnpm-lock.yaml');
    assert.equal(byPath.get('pkg1/packages/a')!.commands.install?.source, '../../pnpm-lock.yaml');
  });

  it('npm project with mocha and eslint: npm test, npm run lint, npm ci', async () => {
    const {
      projects: [p],
      report,
    } = await projects(npmMochaEslint);
    assert.equal(report.projects.length, 1);
    assert.equal(p!.path, '.');
    assert.equal(p!.name, 'npm-mocha-eslint');
    assert.equal(p!.ecosystem, 'node');
    assert.equal(p!.packageManager, 'npm');
    assert.equal(p!.manifest, 'package.json');
    assert.deepEqual(p!.commands.test, { command: 'npm test', source: 'package.json#scripts.test' });
    assert.deepEqual(p!.commands.lint, { command: 'npm run lint', source: 'package.json#scripts.lint' });
    assert.deepEqual(p!.commands.install, { command: 'npm ci', source: 'package-lock.json' });
    assert.equal(p!.commands.start, undefined, 'a library: `main` is its API, not a program to start');
    assert.equal(p!.commands.typecheck, undefined, 'no tsconfig, no typecheck');
    assert.ok(!riskIds(report).includes('no-tests'));
    assert.ok(!riskIds(report).includes('missing-lockfile'));
  });

  it('TypeScript project with node --test, tsc, eslint and prettier', async () => {
    const {
      projects: [p],
    } = await projects(typescriptNodeTest);
    assert.deepEqual(p!.commands.test, { command: 'npm test', source: 'package.json#scripts.test' });
    assert.deepEqual(p!.commands.typecheck, {
      command: 'npm run typecheck',
      source: 'package.json#scripts.typecheck',
    });
    assert.deepEqual(p!.commands.lint, { command: 'npm run lint', source: 'package.json#scripts.lint' });
    assert.deepEqual(p!.commands.build, { command: 'npm run build', source: 'package.json#scripts.build' });
    // Prettier is configured but there is no format script: a guess, marked as one.
    assert.deepEqual(p!.commands.format, {
      command: 'npx prettier --check .',
      source: '.prettierrc.json',
      inferred: true,
    });
  });

  it('TypeScript without a typecheck script gets an inferred `npx tsc --noEmit` from tsconfig.json', async () => {
    const {
      projects: [p],
    } = await projects(() =>
      fixture({
        'package.json': JSON.stringify({
          name: 'bare-ts',
          devDependencies: { typescript: '5', prettier: '3' },
        }),
        'tsconfig.json': '{}',
        'src/a.ts': 'export {};\n',
      }),
    );
    assert.deepEqual(p!.commands.typecheck, {
      command: 'npx tsc --noEmit',
      source: 'tsconfig.json',
      inferred: true,
    });
    assert.deepEqual(p!.commands.format, {
      command: 'npx prettier --check .',
      source: 'package.json#devDependencies.prettier',
      inferred: true,
    });
    assert.deepEqual(p!.commands.install, { command: 'npm install', source: 'package.json', inferred: true });
  });

  it('pnpm monorepo: root with workspaces, each member a project with pnpm commands', async () => {
    const { projects: list, report } = await projects(pnpmMonorepo);
    const byPath = new Map(list.map((p) => [p.path, p]));
    const root = byPath.get('.')!;
    assert.equal(root.packageManager, 'pnpm');
    assert.deepEqual(root.workspaces, ['packages/core', 'packages/web']);
    assert.deepEqual(root.commands.test, { command: 'pnpm test', source: 'package.json#scripts.test' });
    assert.deepEqual(root.commands.lint, { command: 'pnpm run lint', source: 'package.json#scripts.lint' });
    assert.deepEqual(root.commands.install, {
      command: 'pnpm install --frozen-lockfile',
      source: 'pnpm-lock.yaml',
    });

    const core = byPath.get('packages/core')!;
    assert.equal(core.name, '@mono/core');
    assert.equal(core.packageManager, 'pnpm', 'members use the workspace’s package manager');
    assert.deepEqual(core.commands.test, { command: 'pnpm test', source: 'package.json#scripts.test' });
    assert.deepEqual(core.commands.build, {
      command: 'pnpm run build',
      source: 'package.json#scripts.build',
    });
    assert.deepEqual(core.commands.typecheck, {
      command: 'pnpm exec tsc --noEmit',
      source: 'tsconfig.json',
      inferred: true,
    });
    assert.deepEqual(core.commands.install, {
      command: 'pnpm install --frozen-lockfile',
      source: '../../pnpm-lock.yaml',
    });
    const web = byPath.get('packages/web')!;
    assert.deepEqual(web.commands.start, { command: 'pnpm start', source: 'package.json#scripts.start' });
    assert.ok(byPath.has('packages/ignored'), 'a package excluded from the workspace is still a project');
    assert.ok(!riskIds(report).includes('missing-lockfile'), 'members are covered by the root lockfile');
  });

  it('npm/yarn `workspaces` field and yarn commands', async () => {
    const { projects: list } = await projects(() =>
      fixture({
        'package.json': JSON.stringify({
          name: 'y',
          private: true,
          workspaces: { packages: ['apps/**'] },
          scripts: { lint: 'x' },
        }),
        'yarn.lock': '# yarn lockfile v1\n',
        'apps/one/package.json': JSON.stringify({ name: 'one', scripts: { test: 'jest' } }),
        'apps/nested/two/package.json': JSON.stringify({ name: 'two' }),
      }),
    );
    const root = list.find((p) => p.path === '.')!;
    assert.equal(root.packageManager, 'yarn');
    assert.deepEqual(root.workspaces, ['apps/nested/two', 'apps/one']);
    assert.deepEqual(root.commands.lint, { command: 'yarn run lint', source: 'package.json#scripts.lint' });
    assert.deepEqual(root.commands.install, {
      command: 'yarn install --frozen-lockfile',
      source: 'yarn.lock',
    });
    assert.deepEqual(list.find((p) => p.path === 'apps/one')!.commands.test, {
      command: 'yarn test',
      source: 'package.json#scripts.test',
    });
  });

  it('Python project with pytest: pytest, ruff, mypy from pyproject sections', async () => {
    const {
      projects: [p],
      report,
    } = await projects(pythonPytest);
    assert.equal(p!.ecosystem, 'python');
    assert.equal(p!.name, 'calc');
    assert.equal(p!.packageManager, 'pip');
    assert.equal(p!.manifest, 'pyproject.toml');
    assert.deepEqual(p!.commands.test, {
      command: 'pytest',
      source: 'pyproject.toml#tool.pytest.ini_options',
    });
    assert.deepEqual(p!.commands.lint, {
      command: 'ruff check .',
      source: 'pyproject.toml#tool.ruff',
      inferred: true,
    });
    assert.deepEqual(p!.commands.typecheck, {
      command: 'mypy .',
      source: 'pyproject.toml#tool.mypy',
      inferred: true,
    });
    assert.deepEqual(p!.commands.format, {
      command: 'ruff format --check .',
      source: 'pyproject.toml#tool.ruff',
      inferred: true,
    });
    assert.ok(!riskIds(report).includes('no-tests'));
  });

  it('poetry and uv prefix their commands and want their lockfiles', async () => {
    const { projects: list, report } = await projects(() =>
      fixture({
        'poet/pyproject.toml':
          '[tool.poetry]\nname = "poet"\n\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\nblack = "*"\n',
        'uvp/pyproject.toml': '[project]\nname = "uvp"\n\n[tool.uv]\ndev-dependencies = ["pytest"]\n',
        'uvp/uv.lock': 'version = 1\n',
        'uvp/tests/conftest.py': '',
      }),
    );
    const poet = list.find((p) => p.path === 'poet')!;
    assert.equal(poet.packageManager, 'poetry');
    assert.deepEqual(poet.commands.test, {
      command: 'poetry run pytest',
      source: 'pyproject.toml#tool.poetry.group.dev.dependencies',
      inferred: true,
    });
    assert.equal(poet.commands.format?.command, 'poetry run black --check .');
    const uvp = list.find((p) => p.path === 'uvp')!;
    assert.equal(uvp.packageManager, 'uv');
    assert.equal(uvp.commands.test?.command, 'uv run pytest');
    assert.deepEqual(uvp.commands.install, { command: 'uv sync --locked', source: 'uv.lock' });
    const missing = report.risks.find((r) => r.id === 'missing-lockfile');
    assert.deepEqual(
      missing?.evidence.map((e) => e.path),
      ['poet/pyproject.toml'],
    );
  });

  it('Go module: go test, go vet (inferred lint), go build, gofmt, go run', async () => {
    const {
      projects: [p],
    } = await projects(goModule);
    assert.equal(p!.ecosystem, 'go');
    assert.equal(p!.name, 'example.com/hello');
    assert.deepEqual(p!.commands.test, { command: 'go test ./...', source: 'go.mod' });
    assert.deepEqual(p!.commands.build, { command: 'go build ./...', source: 'go.mod' });
    assert.deepEqual(p!.commands.lint, { command: 'go vet ./...', source: 'go.mod', inferred: true });
    assert.deepEqual(p!.commands.format, { command: 'gofmt -l .', source: 'go.mod', inferred: true });
    assert.deepEqual(p!.commands.start, { command: 'go run .', source: 'main.go', inferred: true });
  });

  it('Go with a golangci config and a Makefile test target prefers them', async () => {
    const {
      projects: [p],
    } = await projects(() =>
      fixture({
        'go.mod': 'module m\n',
        '.golangci.yml': 'linters: {}\n',
        Makefile: 'GO := go\n.PHONY: test\ntest: deps\n\t$(GO) test -race ./...\n',
      }),
    );
    assert.deepEqual(p!.commands.lint, { command: 'golangci-lint run', source: '.golangci.yml' });
    assert.deepEqual(p!.commands.test, { command: 'make test', source: 'Makefile:test' });
  });

  it('Rust crate: cargo test, clippy, build, fmt --check, check, run', async () => {
    const {
      projects: [p],
      report,
    } = await projects(rustCrate);
    assert.equal(p!.ecosystem, 'rust');
    assert.equal(p!.name, 'hello');
    assert.deepEqual(p!.commands.test, { command: 'cargo test', source: 'Cargo.toml' });
    assert.deepEqual(p!.commands.lint, { command: 'cargo clippy', source: 'Cargo.toml' });
    assert.deepEqual(p!.commands.build, { command: 'cargo build', source: 'Cargo.toml' });
    assert.deepEqual(p!.commands.format, { command: 'cargo fmt --check', source: 'Cargo.toml' });
    assert.deepEqual(p!.commands.typecheck, { command: 'cargo check', source: 'Cargo.toml' });
    assert.deepEqual(p!.commands.start, { command: 'cargo run', source: 'Cargo.toml', inferred: true });
    // Inline #[test]s count as tests.
    assert.ok(!riskIds(report).includes('no-tests'));
  });

  it('a Cargo workspace counts once, with its members', async () => {
    const { projects: list, report } = await projects(() =>
      fixture({
        'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\n',
        'crates/a/Cargo.toml': '[package]\nname = "a"\n',
        'crates/a/src/lib.rs': '',
        'crates/b/Cargo.toml': '[package]\nname = "b"\n',
        'crates/b/src/main.rs': 'fn main() {}\n',
      }),
    );
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]!.workspaces, ['crates/a', 'crates/b']);
    assert.equal(list[0]!.commands.test?.command, 'cargo test --workspace');
    // A member is a binary and there is no Cargo.lock.
    assert.ok(riskIds(report).includes('missing-lockfile'));
  });

  it('Java (Maven wrapper, Gradle) and .NET solutions', async () => {
    const { projects: list } = await projects(() =>
      fixture({
        'svc/pom.xml':
          '<project><parent><artifactId>parent</artifactId></parent><artifactId>svc</artifactId></project>',
        'svc/mvnw': '#!/bin/sh\n',
        'app/settings.gradle.kts': 'rootProject.name = "app"\ninclude("lib")\n',
        'app/build.gradle.kts': 'plugins { application }\n',
        'app/lib/build.gradle.kts': '',
        'app/gradlew': '#!/bin/sh\n',
        'net/Net.sln': '',
        'net/src/Api/Api.csproj': '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>',
        'net/tests/Api.Tests/Api.Tests.csproj': '<Project Sdk="Microsoft.NET.Sdk"></Project>',
      }),
    );
    const svc = list.find((p) => p.path === 'svc')!;
    assert.equal(svc.name, 'svc');
    assert.deepEqual(svc.commands.test, { command: './mvnw test', source: 'pom.xml' });
    const app = list.find((p) => p.path === 'app')!;
    assert.equal(app.packageManager, 'gradle');
    assert.equal(app.name, 'app');
    assert.deepEqual(app.commands.test, { command: './gradlew test', source: 'build.gradle.kts' });
    assert.deepEqual(app.workspaces, ['app/lib']);
    assert.ok(!list.some((p) => p.path === 'app/lib'), 'a Gradle subproject counts with its build');
    const net = list.find((p) => p.path === 'net')!;
    assert.equal(net.ecosystem, 'dotnet');
    assert.deepEqual(net.commands.test, { command: 'dotnet test', source: 'Net.sln' });
    assert.deepEqual(net.commands.format, {
      command: 'dotnet format --verify-no-changes',
      source: 'Net.sln',
    });
    assert.deepEqual(net.workspaces, ['net/src/Api', 'net/tests/Api.Tests']);
    assert.equal(net.commands.start?.command, 'dotnet run --project src/Api/Api.csproj');
    assert.equal(list.filter((p) => p.ecosystem === 'dotnet').length, 1);
  });

  it('skips manifests under node_modules, vendor and fixtures', async () => {
    const { projects: list } = await projects(() =>
      fixture({
        'package.json': '{"name":"top"}',
        'node_modules/dep/package.json': '{"name":"dep"}',
        'vendor/lib/go.mod': 'module vendored\n',
        'test/fixtures/app/package.json': '{"name":"fixture"}',
      }),
    );
    assert.deepEqual(
      list.map((p) => p.name),
      ['top'],
    );
  });
});
