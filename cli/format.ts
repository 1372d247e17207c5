import { CI_SYSTEM_NAMES, formatBytes, plural } from '../protocol/display';
import { type ProjectGroup, foldWorkspaces, outlineProjects, projectLabel } from '../protocol/projectOutline';
import {
  COMMAND_KINDS,
  type CiSystem,
  type Project,
  type ScanReport,
  type ScanSummary,
  type Severity,
} from '../protocol/scanReport';

const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
const sgr = (open: number, close: number) => (text: string) =>
  useColor ? `\x1b[${open}m${text}\x1b[${close}m` : text;

export const style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  green: sgr(32, 39),
};

const SEVERITY_STYLE: Record<Severity, (s: string) => string> = {
  critical: (s) => style.bold(style.red(s)),
  high: style.red,
  medium: style.yellow,
  low: style.cyan,
  info: style.dim,
};

/** How much of the report to print. */
export interface FormatOptions {
  /** Every project in full and the whole workspace list (`navi scan --all`), instead of an outline. */
  all?: boolean;
}

/** The first part of the report (inventory, projects, CI): printed as soon as the agent sends it. */
export function formatSummary(summary: ScanSummary, options: FormatOptions = {}): string {
  const lines: string[] = [];
  const { inventory } = summary;
  lines.push(
    `${style.bold('NAVI scan')} of ${summary.root}`,
    `${plural(inventory.files, 'file')}, ${formatBytes(inventory.bytes)}${summary.git ? ' (git)' : ''}`,
  );
  lines.push(...formatLanguages(inventory));
  lines.push('', style.bold(`Projects (${summary.projects.length})`));
  if (!summary.projects.length) lines.push(`  ${style.dim('none detected')}`);
  const outline = options.all ? { shown: summary.projects, groups: [] } : outlineProjects(summary.projects);
  for (const project of outline.shown) lines.push(...formatProject(project, options));
  lines.push(...formatGroups(outline.groups));
  lines.push(
    '',
    `${style.bold('CI')}  ${summary.ci.length ? formatCi(summary.ci) : style.dim('none found')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The language bar: source languages as GitHub counts them, when the agent sent them. */
function formatLanguages(inventory: ScanSummary['inventory']): string[] {
  const source = inventory.sourceLanguages;
  const list = source && source.length > 0 ? source : inventory.languages;
  const total = list.reduce((sum, l) => sum + l.bytes, 0) || 1;
  const top = list.slice(0, 6).map((l) => `${l.name} ${percent(l.bytes, total)}`);
  if (!top.length) return [];
  const note = list === source ? style.dim(`  (source code, ${formatBytes(total)})`) : '';
  return [`${style.dim('Languages')}  ${top.join(' · ')}${note}`];
}

function percent(part: number, total: number): string {
  const value = (part / total) * 100;
  return value > 0 && value < 1 ? '<1%' : `${Math.round(value)}%`;
}

function formatProject(project: Project, options: FormatOptions): string[] {
  const lines: string[] = [];
  const name = project.name ? ` ${project.name}` : '';
  lines.push(
    `  ${style.cyan(project.path)}${name}  ${style.dim(`${project.ecosystem} · ${project.packageManager} · ${project.manifest}`)}`,
  );
  const width = Math.max(0, ...COMMAND_KINDS.map((k) => project.commands[k]?.command.length ?? 0));
  for (const kind of COMMAND_KINDS) {
    const cmd = project.commands[kind];
    if (!cmd) continue;
    const source = cmd.inferred ? `${cmd.source}, inferred` : cmd.source;
    lines.push(`    ${kind.padEnd(10)}${cmd.command.padEnd(width + 2)}${style.dim(source)}`);
  }
  if (project.workspaces?.length) {
    const list = options.all ? project.workspaces.join(', ') : foldWorkspaces(project.workspaces);
    lines.push(`    ${style.dim(`workspaces: ${list}`)}`);
  }
  return lines;
}

const MAX_GROUPS = 12;
const LINE_WIDTH = 100;

/** One line per folder of projects; side material (playgrounds, fixtures…) marked as folded. */
function formatGroups(groups: readonly ProjectGroup[]): string[] {
  if (groups.length === 0) return [];
  const lines: string[] = [];
  const width = Math.min(32, Math.max(...groups.slice(0, MAX_GROUPS).map((g) => g.folder.length)));
  for (const group of groups.slice(0, MAX_GROUPS)) {
    const n = group.projects.length;
    const head = `  ${style.cyan(group.folder.padEnd(width))}  ${plural(n, 'package').padEnd(14)}`;
    if (group.side) {
      lines.push(`${head}${style.dim(`folded (${group.kind})`)}`);
      continue;
    }
    const budget = LINE_WIDTH - width - 20;
    let names = '';
    for (const [i, p] of group.projects.entries()) {
      const next = `${i ? ', ' : ''}${projectLabel(p)}`;
      if (names.length + next.length > budget) {
        names = i === 0 ? `${next.slice(0, Math.max(0, budget - 1))}…` : `${names}, …`;
        break;
      }
      names += next;
    }
    lines.push(`${head}${style.dim(names)}`);
  }
  if (groups.length > MAX_GROUPS) {
    const rest = groups.slice(MAX_GROUPS).reduce((sum, g) => sum + g.projects.length, 0);
    lines.push(
      `  ${style.dim(`… ${plural(rest, 'package')} in ${plural(groups.length - MAX_GROUPS, 'more folder')}`)}`,
    );
  }
  lines.push(`  ${style.dim('navi scan --all lists every project with its commands.')}`);
  return lines;
}

/** One entry per CI system with its files: `GitHub Actions (ci.yml, release.yml)`. */
function formatCi(ci: ScanSummary['ci']): string {
  const bySystem = new Map<CiSystem, string[]>();
  for (const c of ci) bySystem.set(c.system, [...(bySystem.get(c.system) ?? []), c.path]);
  return [...bySystem]
    .map(([system, paths]) => `${CI_SYSTEM_NAMES[system]} ${style.dim(`(${paths.join(', ')})`)}`)
    .join(', ');
}

/** The rest of the report (risks, next steps, skipped entries): printed when the scan finishes. */
export function formatReport(report: ScanReport): string {
  const lines: string[] = ['', style.bold(`Risks (${report.risks.length})`)];
  if (!report.risks.length) lines.push(`  ${style.green('none found')}`);
  for (const risk of report.risks) {
    lines.push(`  ${SEVERITY_STYLE[risk.severity](risk.severity.toUpperCase().padEnd(9))} ${risk.title}`);
    for (const ev of risk.evidence.slice(0, 5)) {
      const where = ev.line ? `${ev.path}:${ev.line}` : ev.path;
      const why = [ev.rule && `rule ${ev.rule}`, ev.reason].filter(Boolean).join(', ');
      lines.push(
        `            ${where}${ev.detail ? `  ${style.dim(ev.detail)}` : ''}${why ? `  ${style.dim(`(${why})`)}` : ''}`,
      );
    }
    if (risk.evidence.length > 5)
      lines.push(`            ${style.dim(`… and ${risk.evidence.length - 5} more`)}`);
    if (risk.reason) lines.push(`            ${style.dim(`Why ${risk.severity}: ${risk.reason}`)}`);
    if (risk.remedy) lines.push(`            ${style.dim(risk.remedy)}`);
  }
  if (report.hidden) {
    lines.push(
      `  ${style.dim(`${plural(report.hidden.count, 'finding')} hidden by ${report.hidden.file} (accepted by the repository)`)}`,
    );
  }
  lines.push('', style.bold('Next steps'));
  report.nextSteps.forEach((step, i) => {
    const who = step.actor === 'navi' ? style.green('NAVI') : style.dim('you');
    lines.push(`  ${i + 1}. ${step.title}  ${who}${step.action ? style.dim(` — ${step.action}`) : ''}`);
  });
  if (report.skippedTotal > 0) {
    lines.push('', style.dim(`Skipped ${plural(report.skippedTotal, 'entry', 'entries')}:`));
    for (const s of report.skipped.slice(0, 10)) lines.push(style.dim(`  ${s.path}  (${s.reason})`));
    if (report.skippedTotal > 10) lines.push(style.dim(`  … ${report.skippedTotal - 10} more (see --json)`));
  }
  lines.push('', style.dim(`Scanned in ${(report.durationMs / 1000).toFixed(2)} s.`));
  return `${lines.join('\n')}\n`;
}
