import type { Project } from './scanReport';

/**
 * How a long project list reads for people, in the CLI and in the panel alike: the root projects
 * in full, the repository's own packages one line per folder, and everything under playgrounds,
 * examples, templates, fixtures, tests and benchmarks folded into one line per folder
 * ("212 packages under playground/"). The report itself keeps every project.
 */

/** Up to this many projects are shown in full, as before: folding a short list hides nothing. */
export const OUTLINE_FULL_MAX = 10;

/** Folders whose packages are side material rather than the product. */
const SIDE_FOLDER =
  /^(?:(?:playgrounds?|examples?|samples?|demos?|templates?)(?:[-_.][\w.-]+)?|fixtures?|__fixtures__|tests?|__tests__|e2e|specs?|benchmarks?|bench|sandbox(?:es)?|docs?|website)$/i;

export interface ProjectGroup {
  /** The folder the group stands for, `/`-terminated; `*` for folders that differ (`packages/*\/test/`). */
  folder: string;
  /** True for playgrounds, examples, templates, fixtures, tests, benchmarks (folded by default). */
  side: boolean;
  /** What a side group holds, in a word (`tests`, `playgrounds`, `templates`…); `packages` otherwise. */
  kind: string;
  projects: Project[];
}

export interface ProjectOutline {
  /** Projects shown in full: every project of a short list, else the root and monorepo roots. */
  shown: Project[];
  /** The rest, by folder: the repository's own packages first, then side material, larger first. */
  groups: ProjectGroup[];
}

/** What a side folder holds, in a word, by the start of its name. */
const SIDE_KINDS: readonly [RegExp, string][] = [
  [/^playground/i, 'playgrounds'],
  [/^(?:example|sample|demo|sandbox)/i, 'examples'],
  [/^template/i, 'templates'],
  [/^(?:fixture|__fixture)/i, 'fixtures'],
  [/^bench/i, 'benchmarks'],
  [/^(?:docs?|website)$/i, 'docs'],
  [/./, 'tests'],
];

/** The group key of a project path: its top folder, or up to its first side folder. */
function groupOf(path: string): { folder: string; side: boolean; kind: string } {
  const parts = path.split('/');
  const side = parts.findIndex((p) => SIDE_FOLDER.test(p));
  if (side < 0) {
    return { folder: parts.length === 1 ? `${path}/` : `${parts[0]}/`, side: false, kind: 'packages' };
  }
  const kind = SIDE_KINDS.find(([pattern]) => pattern.test(parts[side]!))![1];
  // `template-react`, `template-vue`…: one group, `template-*`.
  parts[side] = parts[side]!.replace(/^([A-Za-z]+)[-_.].*$/, '$1-*');
  // `packages/*/test/`: one line for the test packages of every member, not one per member.
  const folder =
    side <= 1
      ? `${parts.slice(0, side + 1).join('/')}/`
      : `${parts[0]}/${'*/'.repeat(side - 1)}${parts[side]}/`;
  return { folder, side: true, kind };
}

export function outlineProjects(projects: readonly Project[]): ProjectOutline {
  if (projects.length <= OUTLINE_FULL_MAX) return { shown: [...projects], groups: [] };
  const shown: Project[] = [];
  const groups = new Map<string, ProjectGroup>();
  for (const project of projects) {
    // The root, and a monorepo's root wherever it is (`pkg1/` with its workspaces), in full.
    if (project.path === '.' || project.workspaces?.length) {
      shown.push(project);
      continue;
    }
    const { folder, side, kind } = groupOf(project.path);
    let group = groups.get(folder);
    if (!group) groups.set(folder, (group = { folder, side, kind, projects: [] }));
    group.projects.push(project);
  }
  const list = [...groups.values()].sort(
    (a, b) =>
      Number(a.side) - Number(b.side) ||
      b.projects.length - a.projects.length ||
      a.folder.localeCompare(b.folder),
  );
  return { shown, groups: list };
}

/** A project's short name in a list: its manifest name, else its folder's last segment. */
export function projectLabel(project: Project): string {
  return project.name ?? project.path.slice(project.path.lastIndexOf('/') + 1);
}

/**
 * A workspace list folded by parent folder: `packages/* (155), eslint/* (6), benchmark`.
 * Short lists come back as they are.
 */
export function foldWorkspaces(paths: readonly string[], max = 8): string {
  if (paths.length <= max) return paths.join(', ');
  const byParent = new Map<string, string[]>();
  for (const p of paths) {
    const slash = p.lastIndexOf('/');
    const key = slash < 0 ? p : `${p.slice(0, slash)}/*`;
    byParent.set(key, [...(byParent.get(key) ?? []), p]);
  }
  const parts = [...byParent]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([key, members]) => (members.length === 1 ? members[0]! : `${key} (${members.length})`));
  const shown = parts.slice(0, max);
  return `${paths.length} folders: ${shown.join(', ')}${parts.length > max ? `, … ${parts.length - max} more` : ''}`;
}
