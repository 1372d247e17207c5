import { COMMAND_KINDS, type Risk, type ScanReport, type ScanSummary } from '../../protocol/scanReport';
import { CI_SYSTEM_NAMES, formatBytes, plural } from '../../protocol/display';
import { button, h, withCode } from '../dom';

export interface ReportActions {
  openFile(path: string, line?: number): void;
}

const EVIDENCE_SHOWN = 5;

/** Inventory, languages, projects with their commands, CI: available before risks are checked. */
export function renderSummary(summary: ScanSummary): HTMLElement[] {
  const { inventory } = summary;
  const total = inventory.bytes || 1;
  const languages = inventory.languages.slice(0, 8);
  const overview = h(
    'section',
    { testid: 'inventory', 'aria-labelledby': 'h-overview' },
    h('h2', { id: 'h-overview' }, 'Overview'),
    h(
      'p',
      { className: 'stat-line' },
      h('strong', {}, plural(inventory.files, 'file')),
      ` · ${formatBytes(inventory.bytes)}`,
      summary.git ? ' · git' : ' · not a git repository',
    ),
    h(
      'div',
      {
        className: 'lang-bar',
        role: 'img',
        'aria-label': languages.map((l) => `${l.name} ${pct(l.bytes, total)}`).join(', '),
      },
      ...languages.map((l, i) => {
        // CSSOM, not a style attribute: the panel's CSP forbids inline styles.
        const bar = h('span', { className: `lang lang-${i}`, title: l.name });
        bar.style.width = `${(l.bytes / total) * 100}%`;
        return bar;
      }),
    ),
    h(
      'ul',
      { className: 'lang-list' },
      ...languages.map((l, i) =>
        h(
          'li',
          {},
          h('span', { className: `dot lang-${i}`, 'aria-hidden': 'true' }),
          `${l.name} `,
          h('span', { className: 'muted' }, `${pct(l.bytes, total)} · ${plural(l.files, 'file')}`),
        ),
      ),
    ),
  );

  const projects = h(
    'section',
    { 'aria-labelledby': 'h-projects' },
    h('h2', { id: 'h-projects' }, `Projects (${summary.projects.length})`),
    summary.projects.length === 0 ? h('p', { className: 'muted' }, 'No project manifest found.') : null,
    ...summary.projects.map((p) =>
      h(
        'article',
        { className: 'project', testid: 'project' },
        h(
          'h3',
          {},
          p.path === '.' ? (p.name ?? 'Root project') : p.path,
          ' ',
          h('span', { className: 'badge' }, `${p.ecosystem} · ${p.packageManager}`),
        ),
        h(
          'table',
          { className: 'commands' },
          h(
            'tbody',
            {},
            ...COMMAND_KINDS.filter((k) => p.commands[k]).map((k) => {
              const c = p.commands[k]!;
              return h(
                'tr',
                {},
                h('th', { scope: 'row' }, k),
                // The sidebar is narrow: the evidence goes under the command, not beside it.
                h(
                  'td',
                  {},
                  h('code', {}, c.command),
                  h('div', { className: 'muted source' }, c.inferred ? `${c.source} · inferred` : c.source),
                ),
              );
            }),
          ),
        ),
        p.workspaces?.length
          ? h('p', { className: 'muted' }, `Workspaces: ${p.workspaces.join(', ')}`)
          : null,
      ),
    ),
  );

  const ci = h(
    'section',
    { 'aria-labelledby': 'h-ci' },
    h('h2', { id: 'h-ci' }, 'CI'),
    summary.ci.length
      ? h(
          'ul',
          {},
          ...summary.ci.map((c) =>
            h('li', {}, `${CI_SYSTEM_NAMES[c.system]} `, h('span', { className: 'muted' }, c.path)),
          ),
        )
      : h('p', { className: 'muted' }, 'No CI configuration found.'),
  );
  return [overview, projects, ci];
}

/** Risks, next steps and what was skipped: the rest of the report. */
export function renderFindings(report: ScanReport, actions: ReportActions): HTMLElement[] {
  const risks = h(
    'section',
    { 'aria-labelledby': 'h-risks' },
    h('h2', { id: 'h-risks' }, `Risks (${report.risks.length})`),
    report.risks.length === 0 ? h('p', { className: 'ok' }, 'No risks found.') : null,
    h('ul', { className: 'risks' }, ...report.risks.map((r) => renderRisk(r, actions))),
  );
  const next = h(
    'section',
    { 'aria-labelledby': 'h-next' },
    h('h2', { id: 'h-next' }, 'Next steps'),
    h(
      'ol',
      { className: 'next-steps' },
      ...report.nextSteps.map((s) =>
        h(
          'li',
          { testid: 'next-step' },
          s.title,
          ' ',
          h(
            'span',
            { className: s.actor === 'navi' ? 'badge navi' : 'badge' },
            s.actor === 'navi' ? 'NAVI' : 'You',
          ),
          s.action ? h('div', { className: 'muted' }, ...withCode(s.action)) : null,
        ),
      ),
    ),
  );
  const sections = [risks, next];
  if (report.skippedTotal > 0) {
    sections.push(
      h(
        'section',
        { 'aria-labelledby': 'h-skipped' },
        h(
          'details',
          {},
          h('summary', { id: 'h-skipped' }, `Skipped ${plural(report.skippedTotal, 'entry', 'entries')}`),
          h(
            'ul',
            { className: 'muted' },
            ...report.skipped.map((s) => h('li', {}, h('code', {}, s.path), ` — ${s.reason}`)),
          ),
        ),
      ),
    );
  }
  sections.push(
    h('p', { className: 'muted footer' }, `Scanned in ${(report.durationMs / 1000).toFixed(2)} s`),
  );
  return sections;
}

function renderRisk(risk: Risk, actions: ReportActions): HTMLElement {
  const link = (path: string, line?: number) => {
    const a = h(
      'a',
      { href: '#', testid: 'evidence-link', title: `Open ${path}${line ? ` at line ${line}` : ''}` },
      line ? `${path}:${line}` : path,
    );
    a.addEventListener('click', (event) => {
      event.preventDefault();
      actions.openFile(path, line);
    });
    return a;
  };
  const items = risk.evidence.map((e) =>
    h(
      'li',
      {},
      link(e.path, e.line),
      e.detail ? h('span', { className: 'muted detail' }, ` ${e.detail}`) : null,
    ),
  );
  const list = h('ul', { className: 'evidence' }, ...items.slice(0, EVIDENCE_SHOWN));
  const more =
    items.length > EVIDENCE_SHOWN
      ? button(
          `Show ${items.length - EVIDENCE_SHOWN} more`,
          () => {
            for (const item of items.slice(EVIDENCE_SHOWN)) list.appendChild(item);
            more?.remove();
          },
          { className: 'link' },
        )
      : null;
  return h(
    'li',
    { className: `risk sev-${risk.severity}`, testid: 'risk' },
    h(
      'div',
      { className: 'risk-title' },
      h('span', { className: `sev sev-${risk.severity}` }, risk.severity),
      ' ',
      risk.title,
    ),
    list,
    more,
    risk.remedy ? h('p', { className: 'muted remedy' }, ...withCode(risk.remedy)) : null,
  );
}

function pct(part: number, total: number): string {
  const value = (part / total) * 100;
  return value < 1 ? '<1%' : `${Math.round(value)}%`;
}
