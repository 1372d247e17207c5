import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, NaviError } from '../../protocol/errors';
import type { ScanParams } from '../../protocol/requests';
import type { ScanReport, ScanSummary } from '../../protocol/scanReport';
import type { ScanContext } from '../taskContext';
import { SECRET_PATTERNS, redactMatch, redactSecrets } from '../audit/redact';
import { isReportable } from '../audit/secretRules';
import { detectCi } from './scan/ci';
import { detectLanguages, listFiles, mapLimit, summarizeInventory } from './scan/inventory';
import { BASELINE_FILE, parseBaseline } from './scan/baseline';
import { wellKnownTestKey } from './scan/findingContext';
import { parseLinguistAttributes } from './scan/linguistAttributes';
import { buildNextSteps } from './scan/nextSteps';
import { detectProjects, type ProjectInput } from './scan/projects';
import { MANIFEST_NAME } from './scan/projects/common';
import { buildRisks, type Finding } from './scan/risks';
import { DirGuard, classifySymlink, isInside, readSmallText } from './scan/safeFs';
import { startContentSearch, type ContentTarget } from './scan/secrets';
import type { Hit } from './scan/contentSearch';
import { type FileEntry, SkippedList, dirOf, intSize } from './scan/types';

/**
 * The repository scan, read-only: inventory, projects and CI first (sent through `onSummary`
 * as soon as they are known), then the content checks (secrets) and the risks and next steps.
 * It never follows a symlink, never opens anything but regular files inside the root, and never
 * puts a secret in the report or the log: findings carry redacted excerpts only.
 */

export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

/**
 * The reportable findings among one file's hits: documented examples, placeholders and
 * low-entropy generic values dropped, and where two rules matched the same value on a line
 * (a provider rule and a generic one) only the first in table order, the more specific, kept.
 */
function secretFindings(path: string, hits: readonly Hit[]): Finding[] {
  const kept: { hit: Hit; whole: string; sensitive: string }[] = [];
  for (const hit of [...hits].sort((a, b) => a.pattern - b.pattern)) {
    const rule = SECRET_PATTERNS[hit.pattern]!;
    if (!isReportable(rule, hit.groups)) continue;
    const whole = hit.groups[0] ?? '';
    const sensitive = hit.groups[1] ?? whole;
    const overlaps = kept.some(
      (k) => k.hit.line === hit.line && (k.whole.includes(sensitive) || sensitive.includes(k.sensitive)),
    );
    if (!overlaps) kept.push({ hit, whole, sensitive });
  }
  return kept
    .sort((a, b) => a.hit.line - b.hit.line)
    .map(({ hit }) => {
      const rule = SECRET_PATTERNS[hit.pattern]!;
      const match = Object.assign([...hit.groups], { index: 0, input: '' }) as unknown as RegExpExecArray;
      // redactSecrets on top: the excerpt must not carry another secret that overlapped this one.
      // One line, whatever the match spanned (multi-line formats).
      const excerpt = redactSecrets(`${rule.title}: ${redactMatch(match, rule)}`)
        .replace(/\s+/g, ' ')
        .slice(0, 240);
      const testKey = wellKnownTestKey(hit.groups[1] ?? hit.groups[0]);
      return {
        kind: rule.kind,
        rule: rule.id,
        title: rule.title,
        path,
        line: hit.line,
        excerpt,
        ...(testKey ? { testKey } : {}),
      };
    });
}

async function resolveRoot(root: string): Promise<string> {
  const abs = path.resolve(root);
  let real: string;
  try {
    real = await fs.promises.realpath(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new NaviError(ErrorCodes.PermissionDenied, `Cannot read ${abs}.`, {
        path: abs,
        hint: 'Check the folder’s permissions.',
      });
    }
    throw new NaviError(ErrorCodes.PathNotFound, `Folder not found: ${abs}.`, {
      path: abs,
      hint: 'Open an existing folder and scan again.',
    });
  }
  const st = await fs.promises.stat(real);
  if (!st.isDirectory()) {
    throw new NaviError(ErrorCodes.NotADirectory, `Not a folder: ${abs}.`, {
      path: abs,
      hint: 'Scan the folder that contains it.',
    });
  }
  try {
    const dir = await fs.promises.opendir(real);
    await dir.read();
    await dir.close();
  } catch {
    throw new NaviError(ErrorCodes.PermissionDenied, `Cannot read the folder ${abs}.`, {
      path: abs,
      hint: 'Check the folder’s permissions.',
    });
  }
  return real;
}

function projectInput(files: readonly FileEntry[], guard: DirGuard): ProjectInput {
  // A sorted list and binary search instead of a Set: detectors ask about a few dozen paths, and
  // hashing 100k paths into a Set cost more than everything else here. Git lists paths sorted
  // (tracked, then untracked), so the sort merges two runs.
  const list: string[] = [];
  const dirs = new Set<string>(['.']);
  const manifests: ProjectInput['manifests'] = [];
  let sorted = true;
  let lastDir = '';
  for (const file of files) {
    if (!file.readable) continue;
    const p = file.path;
    if (sorted && list.length > 0 && p < list[list.length - 1]!) sorted = false;
    list.push(p);
    const slash = p.lastIndexOf('/');
    // Consecutive files mostly share their folder: compare instead of hashing a new string.
    if (slash > 0 && !(slash === lastDir.length && p.startsWith(lastDir))) {
      lastDir = p.slice(0, slash);
      for (let d = lastDir; d !== '.' && !dirs.has(d); d = dirOf(d)) dirs.add(d);
    }
    const name = slash < 0 ? p : p.slice(slash + 1);
    if (MANIFEST_NAME.test(name)) manifests.push({ dir: slash < 0 ? '.' : p.slice(0, slash), name });
  }
  if (!sorted) list.sort();
  const has = (rel: string) => {
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = list[mid]!;
      if (value === rel) return true;
      if (value < rel) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
  return { paths: { has }, dirs, manifests, read: (rel) => readSmallText(guard, rel) };
}

/** A `.gitignore` at the root, or in git at any folder from the root up to the work tree's top. */
function findGitignore(rootReal: string, gitTop: string | undefined): boolean {
  const isFile = (dir: string) => {
    try {
      return fs.lstatSync(path.join(dir, '.gitignore')).isFile();
    } catch {
      return false;
    }
  };
  if (isFile(rootReal)) return true;
  if (gitTop === undefined) return false;
  for (let dir = rootReal; dir !== gitTop && isInside(gitTop, dir) && dir !== path.dirname(dir);) {
    dir = path.dirname(dir);
    if (isFile(dir)) return true;
  }
  return false;
}

export async function scan(params: ScanParams, ctx: ScanContext): Promise<ScanReport> {
  const started = performance.now();
  const { signal, progress, log } = ctx;
  const maxBytes = params.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  signal.throwIfAborted();
  const rootReal = await resolveRoot(params.root);
  const skipped = new SkippedList(200);

  // --- Fast part: file list, languages, projects, CI -------------------------------------------
  progress.report('Listing files', 0);
  const listing = await listFiles(rootReal, skipped, signal, log);
  signal.throwIfAborted();
  log.debug(`scan: listed ${listing.files.length} files at ${Math.round(performance.now() - started)} ms`);
  progress.report(`Detecting projects in ${listing.files.length} files`, 10);
  const guard = new DirGuard(rootReal);
  const phase = performance.now();
  const [languages, detected, gitattributes] = await Promise.all([
    detectLanguages(listing.files, guard),
    detectProjects(projectInput(listing.files, guard)),
    readSmallText(guard, '.gitattributes'),
  ]);
  const linguist = gitattributes === undefined ? undefined : parseLinguistAttributes(gitattributes);
  signal.throwIfAborted();
  const projects = detected.map((d) => d.project);
  const ci = detectCi(listing.files.filter((f) => f.readable).map((f) => f.path));
  const summary: ScanSummary = {
    root: rootReal,
    durationMs: Math.round(performance.now() - started),
    git: listing.source === 'git',
    inventory: summarizeInventory(listing.source, listing.files, languages, linguist),
    projects,
    ci,
  };
  log.debug(`scan: projects, languages and CI in ${Math.round(performance.now() - phase)} ms`);
  ctx.onSummary(summary);
  log.info(
    `scan: ${summary.inventory.files} files (${listing.source}), ${projects.length} projects in ${summary.durationMs} ms`,
  );

  // --- Content part: every file not over the limit is read once and searched -------------------
  signal.throwIfAborted();
  progress.report('Searching files for secrets', 20);
  const search = startContentSearch({
    maxBytes,
    signal,
    files: listing.files.length,
    bytes: summary.inventory.bytes,
  });
  try {
    return await searchAndReport();
  } finally {
    search.close();
  }

  // The rest of the scan, with the search's worker threads (if any) starting in the background.
  async function searchAndReport(): Promise<ScanReport> {
    // Typed, not `new Array(n)`: V8 backs a large preallocated array with a hash table.
    const keep = new Uint8Array(listing.files.length).fill(1);
    const targets: ContentTarget[] = [];
    const targetFile: number[] = [];
    const links: number[] = [];
    let bytes = 0;
    listing.files.forEach((file, i) => {
      if (!file.readable) return;
      const verdict = guard.check(dirOf(file.path));
      if (verdict === 'missing' || verdict === 'symlink') {
        // Listed by git below a folder that is gone or was replaced by a symlink: nothing is read there.
        keep[i] = 0;
        return;
      }
      if (verdict === 'unreadable') {
        skipped.add(`${dirOf(file.path)}/`, 'unreadable');
        return;
      }
      if (file.symlink) links.push(i);
      else {
        targets.push(file.abs as string);
        targetFile.push(i);
        bytes += Math.max(file.size, 0);
      }
    });
    // Symlinked folders that git still lists files below: say where they lead.
    for (const dir of new Set(
      listing.files.filter((f, i) => !keep[i] && f.readable).map((f) => firstSymlinkDir(guard, f.path)),
    )) {
      if (dir === undefined) continue;
      const where = await classifySymlink(rootReal, path.join(rootReal, dir));
      if (where !== 'inside') skipped.add(dir, where);
    }

    log.debug(
      `scan: searching ${targets.length} files (${bytes} bytes) at ${Math.round(performance.now() - started)} ms`,
    );
    let lastReport = 0;
    const results = await search.run(targets, (done, total) => {
      const now = performance.now();
      if (now - lastReport < 100) return;
      lastReport = now;
      progress.report(
        `Searched ${done} of ${total} files`,
        20 + Math.round((75 * done) / Math.max(total, 1)),
      );
    });
    signal.throwIfAborted();
    log.debug(`scan: searched at ${Math.round(performance.now() - started)} ms`);

    const findings: Finding[] = [];
    let inlineTests = false;
    results.forEach((result, t) => {
      const i = targetFile[t]!;
      const file = listing.files[i]!;
      if (typeof result === 'number') {
        file.size = intSize(result);
        return;
      }
      if (result.size >= 0) file.size = intSize(result.size);
      switch (result.status) {
        case 'ok':
          break;
        case 'missing':
          keep[i] = 0;
          return;
        case 'special-file':
          keep[i] = 0;
          skipped.add(file.path, 'special-file');
          return;
        case 'symlink':
          file.symlink = true;
          links.push(i);
          return;
        default:
          skipped.add(file.path, result.status);
          return;
      }
      inlineTests ||= result.testMarker;
      findings.push(...secretFindings(file.path, result.hits));
    });
    await mapLimit(links, 16, async (i) => {
      const file = listing.files[i]!;
      const where = await classifySymlink(rootReal, file.abs as string);
      if (where !== 'inside') skipped.add(file.path, where);
    });
    // Names that are not UTF-8 are not read, but their size still counts.
    await mapLimit(
      listing.files.filter((f) => !f.readable),
      16,
      async (file) => {
        try {
          const st = await fs.promises.lstat(file.abs);
          file.size = intSize(st.size);
        } catch {
          // Keep the listed size.
        }
      },
    );

    const files = listing.files.filter((_, i) => keep[i]);
    const fileLanguages = languages.filter((_, i) => keep[i]);
    const inventory = summarizeInventory(listing.source, files, fileLanguages, linguist);
    files.forEach((file) => file.size > maxBytes && skipped.add(file.path, 'too-large'));
    // The repository's accepted findings leave the report (it says how many), nothing else.
    const baselineText = await readSmallText(guard, BASELINE_FILE);
    const baseline = baselineText === undefined ? undefined : parseBaseline(baselineText);
    const reported = baseline ? findings.filter((f) => !baseline.accepts(f)) : findings;
    const risks = buildRisks({
      files,
      maxBytes,
      projects: detected,
      ci,
      findings: reported,
      git: listing.source === 'git',
      hasGitignore: findGitignore(rootReal, listing.gitTop),
      inlineTests,
    });
    const report: ScanReport = {
      ...summary,
      durationMs: Math.round(performance.now() - started),
      inventory,
      risks,
      nextSteps: buildNextSteps(risks, projects),
      skipped: skipped.entries,
      skippedTotal: skipped.total,
      ...(baseline ? { hidden: { count: findings.length - reported.length, file: BASELINE_FILE } } : {}),
    };
    progress.report('Scan complete', 100);
    log.info(
      `scan: done in ${report.durationMs} ms; ${risks.length} risks, ${findings.length} findings, ${skipped.total} skipped`,
    );
    return report;
  }
}

/** The shallowest folder on `rel`'s path that is a symlink (or gone), as the guard judged it. */
function firstSymlinkDir(guard: DirGuard, rel: string): string | undefined {
  const parts = rel.split('/');
  for (let n = 1; n < parts.length; n++) {
    const dir = parts.slice(0, n).join('/');
    const verdict = guard.check(dir);
    if (verdict === 'symlink') return dir;
    if (verdict !== 'ok') return undefined;
  }
  return undefined;
}
