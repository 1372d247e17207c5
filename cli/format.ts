import { CI_SYSTEM_NAMES, formatBytes, plural } from '../protocol/display';
import {
  COMMAND_KINDS,
  type CiSystem,
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

/** The first part of the report (inventory, projects, CI): printed as soon as the agent sends it. */
export function formatSummary(summary: ScanSummary): string {
  const lines: string[] = [];
  const { inventory } = summary;
  lines.push(
    `${style.bold('NAVI scan')} of ${summary.root}`,
    `${plural(inventory.files, 'file')}, ${formatBytes(inventory.bytes)}${summary.git ? ' (git)' : ''}`,
  );
  const total = inventory.bytes || 1;
  const top = inventory.languages.slice(0, 6).map((l) => `${l.name} ${Math.round((l.bytes / total) * 100)}%`);
  if (top.length) lines.push(`${style.dim('Languages')}  ${top.join(' · ')}`);
  lines.push('', style.bold(`Projects (${summary.projects.length})`));
  if (!summary.projects.length) lines.push(`  ${style.dim('none detected')}`);
  for (const project of summary.projects) {
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
    if (project.workspaces?.length)
      lines.push(`    ${style.dim(`workspaces: ${project.workspaces.join(', ')}`)}`);
  }
  lines.push(
    '',
    `${style.bold('CI')}  ${summary.ci.length ? formatCi(summary.ci) : style.dim('none found')}`,
  );
  return `${lines.join('\n')}\n`;
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
      lines.push(`            ${where}${ev.detail ? `  ${style.dim(ev.detail)}` : ''}`);
    }
    if (risk.evidence.length > 5)
      lines.push(`            ${style.dim(`… and ${risk.evidence.length - 5} more`)}`);
    if (risk.remedy) lines.push(`            ${style.dim(risk.remedy)}`);
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
