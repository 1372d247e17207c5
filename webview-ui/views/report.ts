import { type Risk, type ScanReport, type ScanSummary } from '../../protocol/scanReport';
import { CI_SYSTEM_NAMES, formatBytes, plural } from '../../protocol/display';
import { button, h, withCode } from '../dom';
import { renderProjects } from './reportProjects';
import type { NextStepView } from './guideModel';

export interface ReportActions {
  openFile(path: string, line?: number): void;
  /** The next steps as actions with their tasks' live state, and how to draw one's action. */
  nextSteps?: { views: NextStepView[]; renderAction(step: NextStepView): HTMLElement | null };
}

const EVIDENCE_SHOWN = 5;

/** Inventory, languages, projects with their commands, CI: available before risks are checked. */
export function renderSummary(summary: ScanSummary): HTMLElement[] {
  const { inventory } = summary;
  // Source languages as GitHub counts them (data, prose, binary and vendored files apart), when sent.
  const source = inventory.sourceLanguages?.length ? inventory.sourceLanguages : inventory.languages;
  const languages = source.slice(0, 8);
  const total = source.reduce((sum, l) => sum + l.bytes, 0) || 1;
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

  const projects = renderProjects(summary.projects);

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
    report.hidden
      ? h(
          'p',
          { className: 'muted', testid: 'hidden-findings' },
          `${plural(report.hidden.count, 'finding')} hidden by `,
          h('code', {}, report.hidden.file),
          ' (accepted by the repository)',
        )
      : null,
  );
  // Next steps: an action (Run tests, Fix, Start…) with the live state of its task where NAVI can
  // do it (views/guideModel.ts), else what to do by hand; never an internal id.
  const steps: NextStepView[] =
    actions.nextSteps?.views ??
    report.nextSteps.map((s) => ({
      id: s.id,
      title: s.title,
      actor: s.actor,
      ...(s.actor === 'user' && s.action ? { detail: s.action } : {}),
      live: { status: 'none', text: '' },
    }));
  const next = h(
    'section',
    { 'aria-labelledby': 'h-next' },
    h('h2', { id: 'h-next' }, 'Next steps'),
    h(
      'ol',
      { className: 'next-steps' },
      ...steps.map((s) =>
        h(
          'li',
          {
            testid: 'next-step',
            'data-step': s.id,
            'data-live': s.live.status,
          },
          s.title,
          ' ',
          h(
            'span',
            { className: s.actor === 'navi' ? 'badge navi' : 'badge' },
            s.actor === 'navi' ? 'NAVI' : 'You',
          ),
          s.detail ? h('div', { className: 'muted' }, ...withCode(s.detail)) : null,
          actions.nextSteps?.renderAction(s) ?? null,
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
      e.rule || e.reason
        ? h(
            'span',
            { className: 'muted why', testid: 'evidence-why' },
            ` (${[e.rule && `rule ${e.rule}`, e.reason].filter(Boolean).join(', ')})`,
          )
        : null,
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
    risk.reason
      ? h(
          'p',
          { className: 'muted reason', testid: 'risk-reason' },
          `Why ${risk.severity}: `,
          ...withCode(risk.reason),
        )
      : null,
    risk.remedy ? h('p', { className: 'muted remedy' }, ...withCode(risk.remedy)) : null,
  );
}

function pct(part: number, total: number): string {
  const value = (part / total) * 100;
  return value < 1 ? '<1%' : `${Math.round(value)}%`;
}
