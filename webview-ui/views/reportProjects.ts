import { COMMAND_KINDS, type Project } from '../../protocol/scanReport';
import {
  type ProjectGroup,
  foldWorkspaces,
  outlineProjects,
  projectLabel,
} from '../../protocol/projectOutline';
import { plural } from '../../protocol/display';
import { h } from '../dom';

/**
 * The projects of a scan in the panel. A short list is shown in full; a big monorepo's is an
 * outline (protocol/projectOutline.ts, the same as the CLI's): the root projects in full, then one
 * disclosure per folder ("113 packages under packages/*\/test/"), whose projects are drawn only
 * when it is opened, so 300 projects cost 10 elements until someone looks.
 */
export function renderProjects(projects: readonly Project[]): HTMLElement {
  const outline = outlineProjects(projects);
  return h(
    'section',
    { 'aria-labelledby': 'h-projects' },
    h('h2', { id: 'h-projects' }, `Projects (${projects.length})`),
    projects.length === 0 ? h('p', { className: 'muted' }, 'No project manifest found.') : null,
    ...outline.shown.map(renderProject),
    ...outline.groups.map(renderGroup),
  );
}

function renderGroup(group: ProjectGroup): HTMLElement {
  const n = group.projects.length;
  const list = h('div', { className: 'project-group-list' });
  const summary = h(
    'summary',
    {},
    group.side ? `${plural(n, 'package')} under ${group.folder} ` : `${group.folder} `,
    h(
      'span',
      { className: 'muted' },
      group.side ? `(${group.kind}, folded)` : `${plural(n, 'package')}: ${names(group.projects)}`,
    ),
  );
  const details = h(
    'details',
    { className: 'project-group', testid: 'project-group', 'data-side': group.side ? 'true' : 'false' },
    summary,
    list,
  );
  details.addEventListener('toggle', () => {
    if (details.open && !list.hasChildNodes())
      for (const p of group.projects) list.appendChild(renderProject(p));
  });
  return details;
}

function names(projects: readonly Project[], max = 4): string {
  const shown = projects.slice(0, max).map(projectLabel).join(', ');
  return projects.length > max ? `${shown}, …` : shown;
}

function renderProject(p: Project): HTMLElement {
  return h(
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
    p.workspaces?.length ? renderWorkspaces(p.workspaces) : null,
  );
}

/** The workspace list folded by parent folder, the whole list one click away. */
function renderWorkspaces(workspaces: readonly string[]): HTMLElement {
  const folded = foldWorkspaces(workspaces);
  const whole = workspaces.join(', ');
  if (folded === whole) return h('p', { className: 'muted' }, `Workspaces: ${whole}`);
  return h(
    'details',
    { className: 'muted workspaces', testid: 'workspaces' },
    h('summary', {}, `Workspaces: ${folded}`),
    h('p', {}, whole),
  );
}
