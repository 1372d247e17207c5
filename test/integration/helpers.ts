import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Verdict } from '../../protocol/policy';
import { probeSandbox } from '../../server/exec/sandbox';

export const REPO = path.resolve(__dirname, '..', '..');
export const SERVER = path.join(REPO, 'dist', 'server.js');
export const CLI = path.join(REPO, 'bin', 'navi.js');

/** Integration tests run against the built bundles: fail early with a clear message if they are missing. */
export function requireBuild(): void {
  for (const file of [SERVER, path.join(REPO, 'dist', 'cli.js')]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first.`);
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `navi-${prefix}-`));
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `navi` command (bin/navi.js → dist/cli.js) as a user would. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A Stripe-format live key built at run time, so this repository holds no secret-looking literal. */
export function fakeStripeKey(): string {
  return ['sk', 'live', 'Q7x9Lm2Pw4Rt6Yu8Io0As3Df'].join('_');
}

/**
 * For a suite's `before`: skips the suite where bubblewrap cannot run (saying why), and fails it
 * in CI, which must run it.
 */
export async function requireSandbox(suite: Mocha.Context): Promise<void> {
  const probe = await probeSandbox();
  if (probe.available) return;
  const message = `the bubblewrap sandbox is not available here: ${probe.reason}`;
  if (process.env.CI)
    throw new Error(`${message}. CI must run these tests (install the bubblewrap package).`);
  console.warn(`      skipping: ${message}`);
  suite.skip();
}

/**
 * Copies an npm tool from NAVI's own node_modules into `root`'s, with every package it needs
 * (resolved as Node does: its own node_modules first, then the hoisted ones), and links its
 * commands into `node_modules/.bin`. Copies, not links: the sandbox shows a command only the
 * workspace and the system, so a link into a clone under /tmp would point at nothing there.
 */
export function copyNpmTool(root: string, tool: string): void {
  const top = path.join(REPO, 'node_modules');
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    if (path.dirname(dir) === top || path.dirname(path.dirname(dir)) === top) {
      const to = path.join(root, 'node_modules', path.relative(top, dir));
      if (!fs.existsSync(to)) fs.cpSync(dir, to, { recursive: true, dereference: true });
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      // Node's lookup: dir/node_modules, then each enclosing package's, then the hoisted one.
      const candidates: string[] = [];
      for (let at = dir; at.length > top.length; at = path.dirname(at))
        if (path.basename(at) !== 'node_modules') candidates.push(path.join(at, 'node_modules', dep));
      candidates.push(path.join(top, dep));
      const found = candidates.find((c) => fs.existsSync(path.join(c, 'package.json')));
      if (found) visit(found);
    }
  };
  visit(path.join(top, tool));
  fs.mkdirSync(path.join(root, 'node_modules', '.bin'), { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(top, tool, 'package.json'), 'utf8')) as {
    bin: Record<string, string> | string;
  };
  const bins = typeof pkg.bin === 'string' ? { [tool]: pkg.bin } : pkg.bin;
  for (const [name, rel] of Object.entries(bins))
    fs.symlinkSync(path.join('..', tool, rel), path.join(root, 'node_modules', '.bin', name));
}

/**
 * A workspace at `<tmp>/home/app` whose HOME, state and config folders are its own, for tests of
 * `navi check`: `check(args)` runs the real `navi check --json ARGS…` there and parses the
 * verdict with the protocol's schema. Nothing runs, so no sandbox is needed.
 */
export function checkWorkspace(
  prefix: string,
  files: Record<string, string>,
  homeFiles: Record<string, string> = {},
) {
  const root = fs.realpathSync(tempDir(prefix));
  const home = path.join(root, 'home');
  const ws = path.join(home, 'app');
  writeFiles(ws, files);
  writeFiles(home, homeFiles);
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    XDG_STATE_HOME: path.join(root, 'state'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
  };
  return {
    root,
    home,
    ws,
    env,
    async check(args: string[]): Promise<Verdict> {
      const r = await runCli(['check', '--json', ...args], { cwd: ws, env });
      if (r.code !== 0) throw new Error(`navi check exited ${r.code}: ${r.stderr}`);
      return Verdict.parse(JSON.parse(r.stdout));
    },
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
