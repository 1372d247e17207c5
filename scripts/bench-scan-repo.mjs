// The synthetic repository of the scan benchmark (see bench-scan.mjs): a monorepo of
// TypeScript/JavaScript packages, Python services, Go modules and docs, with nested trees,
// log-normal file sizes, a few planted fake secrets and two files over 5 MB. Deterministic: every
// machine builds the same tree.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Deterministic PRNG (mulberry32) so every machine builds the same tree. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(42);
const pick = (list) => list[Math.floor(rand() * list.length)];
const words =
  'user order item account session token cache queue event handler service client server config state value index count total price name label parser router request response buffer stream record entry node tree graph path file store model view widget layout theme query filter result error status'.split(
    ' ',
  );
const ident = () => pick(words) + pick(words).replace(/^./, (c) => c.toUpperCase());

const lineMakers = {
  ts: [
    () => `import { ${ident()} } from './${pick(words)}/${pick(words)}';`,
    () => `export function ${ident()}(${pick(words)}: ${pick(['string', 'number', 'boolean'])}): void {`,
    () =>
      `  const ${ident()} = await ${ident()}.${pick(words)}(${pick(words)}, { ${pick(words)}: ${Math.floor(rand() * 1000)} });`,
    () =>
      `  if (${pick(words)}.${pick(words)} === undefined) throw new Error('${pick(words)} ${pick(words)} missing');`,
    () => `  // See https://example.com/docs/${pick(words)}/${pick(words)} for the ${pick(words)} contract.`,
    () =>
      `  return ${pick(words)}.map((${pick(words)}) => ${pick(words)}.${pick(words)} + ${Math.floor(rand() * 100)});`,
    () => `}`,
    () => ``,
  ],
  py: [
    () => `from ${pick(words)}.${pick(words)} import ${ident()}`,
    () => `def ${pick(words)}_${pick(words)}(${pick(words)}, ${pick(words)}=None):`,
    () =>
      `    ${pick(words)} = ${pick(words)}.${pick(words)}(${pick(words)}, timeout=${Math.floor(rand() * 60)})`,
    () => `    # https://docs.example.org/${pick(words)} describes the ${pick(words)} format`,
    () => `    return {"${pick(words)}": ${pick(words)}, "${pick(words)}": ${Math.floor(rand() * 1000)}}`,
    () => ``,
  ],
  go: [
    () => `func (s *${ident()}) ${ident()}(ctx context.Context, ${pick(words)} string) error {`,
    () => `\t${pick(words)}, err := s.${pick(words)}.${ident()}(ctx, ${pick(words)})`,
    () => `\tif err != nil {\n\t\treturn fmt.Errorf("${pick(words)}: %w", err)\n\t}`,
    () => `\t// ${pick(words)} ${pick(words)} ${pick(words)} ${pick(words)}`,
    () => `}`,
    () => ``,
  ],
  md: [
    () => `## ${pick(words)} ${pick(words)}`,
    () =>
      `The ${pick(words)} ${pick(words)} keeps a ${pick(words)} of every ${pick(words)} and ${pick(words)}s it on ${pick(words)}.`,
    () => `- [${pick(words)}](https://example.com/${pick(words)}) — ${pick(words)} ${pick(words)}`,
    () => ``,
  ],
};
lineMakers.js = lineMakers.ts;

function fileBody(lang) {
  // Log-normal sizes: median ~2.4 KB, long tail up to ~200 KB, like real source trees.
  const u = Math.max(rand(), 1e-9);
  const v = rand();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  const size = Math.min(200_000, Math.max(80, Math.round(Math.exp(7.8 + 1.0 * normal))));
  const makers = lineMakers[lang];
  const lines = [];
  let n = 0;
  while (n < size) {
    const line = pick(makers)();
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

// Fake credentials in the provider formats (never real; built at run time so this file holds none).
const fakeSecrets = [
  () => `aws_access_key_id = AKIA${'Q7RZ'.repeat(4)}`,
  () => `const token = "ghp_${'a1B2c3D4e5'.repeat(3)}abcdef";`,
  () => `DATABASE_URL=postgres://svc_app:${'Zq9'.repeat(5)}@db.internal.corp:5432/app`,
  () =>
    `-----BEGIN RSA ${'PRIVATE'} KEY-----\nMIIEowIBAAKCAQEA${'x'.repeat(60)}\n-----END RSA ${'PRIVATE'} KEY-----`,
  () => `SLACK_BOT_TOKEN=xoxb-${'1234567890'}-${'abcdefghijKLMNOP'}`,
];

/**
 * Builds the synthetic repository in `repo` (which must not exist yet) and commits it.
 * Returns the number of files written.
 */
export function buildSyntheticRepo(repo, targetFiles) {
  fs.mkdirSync(repo, { recursive: true });
  let count = 0;
  const write = (rel, body) => {
    const abs = path.join(repo, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, body);
    count++;
  };
  write('.gitignore', 'node_modules/\ndist/\n*.log\n');
  write(
    'package.json',
    JSON.stringify(
      {
        name: 'bench-mono',
        private: true,
        workspaces: ['packages/*'],
        scripts: { test: 'npm test --workspaces', lint: 'eslint .' },
      },
      null,
      2,
    ),
  );
  // A workspace lockfile, as a real monorepo has (it covers every package).
  write(
    'package-lock.json',
    JSON.stringify({ name: 'bench-mono', lockfileVersion: 3, packages: {} }, null, 2),
  );
  write('tsconfig.json', '{ "compilerOptions": { "strict": true } }\n');
  write(
    '.github/workflows/ci.yml',
    'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n',
  );
  write('README.md', fileBody('md'));

  // Units: 70% TS/JS packages, 15% Python services, 10% Go modules, 5% docs.
  const units = [];
  const perUnit = 2000;
  const unitCount = Math.ceil(targetFiles / perUnit);
  for (let u = 0; u < unitCount; u++) {
    const r = u / unitCount;
    units.push(r < 0.7 ? 'node' : r < 0.85 ? 'python' : r < 0.95 ? 'go' : 'docs');
  }
  let secretIndex = 0;
  units.forEach((kind, u) => {
    const base =
      kind === 'node'
        ? `packages/pkg-${u}`
        : kind === 'python'
          ? `services/svc-${u}`
          : kind === 'go'
            ? `go/mod-${u}`
            : `docs/book-${u}`;
    if (kind === 'node')
      write(
        `${base}/package.json`,
        JSON.stringify(
          {
            name: `@bench/pkg-${u}`,
            version: '1.0.0',
            scripts: { test: 'mocha', build: 'tsc -p .' },
            devDependencies: { mocha: '^11.0.0' },
          },
          null,
          2,
        ),
      );
    if (kind === 'python')
      write(
        `${base}/pyproject.toml`,
        `[project]\nname = "svc-${u}"\ndependencies = ["requests"]\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n`,
      );
    if (kind === 'go') write(`${base}/go.mod`, `module example.com/mod${u}\n\ngo 1.22\n`);
    const langs =
      kind === 'node'
        ? ['ts', 'ts', 'ts', 'js', 'md']
        : kind === 'python'
          ? ['py', 'py', 'py', 'md']
          : kind === 'go'
            ? ['go', 'go', 'go', 'md']
            : ['md'];
    const ext = (lang) =>
      lang === 'ts' ? '.ts' : lang === 'js' ? '.js' : lang === 'py' ? '.py' : lang === 'go' ? '.go' : '.md';
    for (let i = 0; i < perUnit - 1 && count < targetFiles - 10; i++) {
      // Nested directories 1..4 levels deep, ~20 files per leaf directory.
      const leaf = Math.floor(i / 20);
      const depth = 1 + (leaf % 4);
      const dirs = [];
      for (let d = 0; d < depth; d++)
        dirs.push(`${words[(leaf * 7 + d * 13) % words.length]}${d === depth - 1 ? leaf : ''}`);
      const lang = pick(langs);
      const name = `${pick(words)}_${i}${ext(lang)}`;
      let body = fileBody(lang);
      if (i % 9973 === 5000 || (i === 1000 && u % 7 === 0)) {
        const secret = fakeSecrets[secretIndex++ % fakeSecrets.length]();
        const lines = body.split('\n');
        lines.splice(Math.floor(lines.length / 2), 0, secret);
        body = lines.join('\n');
      }
      write(`${base}/src/${dirs.join('/')}/${name}`, body);
    }
  });
  // Two large files (reported as large-file, never read).
  write('assets/video-1.bin', Buffer.alloc(6 * 1024 * 1024, 7));
  write('assets/video-2.bin', Buffer.alloc(7 * 1024 * 1024, 9));
  const git = (...a) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...a], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'inherit'],
      maxBuffer: 1 << 30,
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'synthetic repository');
  // A few untracked files too, like a real working tree.
  for (let i = 0; i < 5; i++) write(`scratch/notes-${i}.md`, fileBody('md'));
  return count;
}
