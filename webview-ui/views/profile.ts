import type { CommandKind } from '../../protocol/scanReport';
import type { ProjectProfile, WorkspaceProfile } from '../../protocol/testing';
import { button, h } from '../dom';

/** The profile as the panel holds it, with the person's unsaved edits. */
export interface ProfileState {
  value: WorkspaceProfile | null;
  loading: boolean;
  error?: string;
  /** The card is open for editing (a proposed profile always is). */
  editing: boolean;
  /** Unsaved edits: `<project path>\u0000<kind>` → text. Kept across re-renders. */
  drafts: Map<string, string>;
}

/** The commands the card offers per project, in the order people think of them. */
const KINDS: readonly CommandKind[] = ['install', 'build', 'lint', 'typecheck', 'test', 'start'];

const LABELS: Record<CommandKind, string> = {
  install: 'Install',
  build: 'Build',
  lint: 'Lint',
  typecheck: 'Typecheck',
  format: 'Format',
  test: 'Test',
  start: 'Start',
};

export interface ProfileActions {
  save: (projects: ProjectProfile[]) => void;
  load: () => void;
  /** Re-render (opening or closing the editor). */
  changed: () => void;
}

/**
 * The project profile card: the commands per project with Confirm and Edit… while proposed, a
 * compact summary with Edit once confirmed, and the editor (one field per command and project,
 * Confirm, Cancel).
 */
export function renderProfile(state: ProfileState, actions: ProfileActions): HTMLElement | null {
  const profile = state.value;
  if (!profile) {
    if (state.loading)
      return h(
        'p',
        { className: 'muted', testid: 'profile-loading', role: 'status' },
        'Loading the project profile…',
      );
    return h(
      'div',
      { className: 'profile-empty' },
      state.error
        ? h('div', { className: 'banner error', role: 'alert', testid: 'profile-error' }, state.error)
        : null,
      button('Review the project profile…', actions.load, { className: 'link', testid: 'profile-load' }),
    );
  }
  return state.editing ? editor(profile, state, actions) : summary(profile, state, actions);
}

function summary(profile: WorkspaceProfile, state: ProfileState, actions: ProfileActions): HTMLElement {
  const proposed = profile.status === 'proposed';
  const edit = () => {
    state.editing = true;
    actions.changed();
  };
  return h(
    'div',
    { className: 'profile card', testid: 'profile', 'data-status': profile.status },
    h(
      'div',
      { className: 'card-head' },
      h('strong', {}, 'Project profile'),
      h('span', { className: `badge ${proposed ? 'badge-warn' : 'badge-ok'}` }, profile.status),
      h('span', { className: 'spacer' }),
      proposed ? null : button('Edit', edit, { className: 'link', testid: 'profile-edit' }),
    ),
    proposed
      ? h(
          'p',
          { className: 'muted' },
          'Proposed from the scan. Confirm it once (or edit it): test runs, app starts and fix verification use it.',
        )
      : null,
    state.error ? h('div', { className: 'banner error', role: 'alert' }, state.error) : null,
    ...profile.projects.map((p) =>
      h(
        'div',
        { className: 'profile-project' },
        profile.projects.length > 1 ? h('div', { className: 'muted' }, projectTitle(p)) : null,
        h(
          'dl',
          { className: 'profile-list' },
          ...KINDS.filter((k) => p.commands[k]).flatMap((k) => [
            h('dt', {}, LABELS[k]),
            h('dd', {}, h('code', {}, p.commands[k]!.command)),
          ]),
        ),
      ),
    ),
    proposed
      ? h(
          'div',
          { className: 'actions' },
          button('Confirm', () => actions.save(profile.projects), {
            className: 'primary',
            testid: 'profile-confirm',
            disabled: profile.projects.length === 0,
          }),
          button('Edit…', edit, { className: 'secondary', testid: 'profile-edit' }),
        )
      : null,
  );
}

function editor(profile: WorkspaceProfile, state: ProfileState, actions: ProfileActions): HTMLElement {
  const proposed = profile.status === 'proposed';
  return h(
    'div',
    {
      role: 'form',
      className: 'profile card editing',
      testid: 'profile',
      'data-status': profile.status,
      'aria-label': 'Project profile',
    },
    h(
      'div',
      { className: 'card-head' },
      h('strong', {}, 'Project profile'),
      h('span', { className: `badge ${proposed ? 'badge-warn' : 'badge-ok'}` }, profile.status),
    ),
    h(
      'p',
      { className: 'muted' },
      proposed
        ? 'NAVI proposes these commands from the scan. Check them once: every test run, app start and fix verification uses them. Leave a field empty for “none”.'
        : 'Edit the commands NAVI uses for this workspace. Leave a field empty for “none”.',
    ),
    state.error
      ? h('div', { className: 'banner error', role: 'alert', testid: 'profile-error' }, state.error)
      : null,
    profile.projects.length === 0
      ? h('p', { className: 'muted' }, 'The scan found no project with commands in this folder.')
      : null,
    ...profile.projects.map((p) => projectFields(p, state)),
    h(
      'div',
      { className: 'actions' },
      button('Confirm', () => actions.save(edited(profile, state)), {
        className: 'primary',
        testid: 'profile-confirm',
        disabled: profile.projects.length === 0,
      }),
      button(
        'Cancel',
        () => {
          state.editing = false;
          state.drafts.clear();
          actions.changed();
        },
        { className: 'secondary', testid: 'profile-cancel' },
      ),
    ),
  );
}

function projectFields(p: ProjectProfile, state: ProfileState): HTMLElement {
  const kinds = [...KINDS, ...(p.commands.format ? (['format'] as const) : [])];
  return h(
    'fieldset',
    { className: 'profile-project' },
    h('legend', {}, projectTitle(p), ' ', h('span', { className: 'badge' }, p.ecosystem)),
    ...kinds.map((kind) => {
      const key = draftKey(p.path, kind);
      const id = `profile-${cssId(p.path)}-${kind}`;
      const original = p.commands[kind];
      const input = h('input', {
        type: 'text',
        id,
        className: 'profile-input',
        testid: `profile-${kind}`,
        'data-focus-key': key,
        'data-project': p.path,
        spellcheck: 'false',
        autocomplete: 'off',
        placeholder: 'none',
        'aria-describedby': original ? `${id}-source` : undefined,
      });
      input.value = state.drafts.get(key) ?? original?.command ?? '';
      input.addEventListener('input', () => state.drafts.set(key, input.value));
      return h(
        'div',
        { className: 'field' },
        h('label', { for: id }, LABELS[kind]),
        input,
        original
          ? h(
              'div',
              { className: 'muted source', id: `${id}-source` },
              'from ',
              h('code', {}, original.source),
            )
          : null,
      );
    }),
  );
}

/** The projects with the person's edits applied: empty means none, a changed command is the user's. */
export function edited(profile: WorkspaceProfile, state: Pick<ProfileState, 'drafts'>): ProjectProfile[] {
  return profile.projects.map((p) => {
    const commands: ProjectProfile['commands'] = {};
    for (const kind of [...KINDS, 'format'] as const) {
      const original = p.commands[kind];
      const draft = state.drafts.get(draftKey(p.path, kind));
      const text = (draft ?? original?.command ?? '').trim();
      if (!text) continue;
      commands[kind] = text === original?.command ? original : { command: text, source: 'user' };
    }
    return { ...p, commands };
  });
}

function draftKey(project: string, kind: CommandKind): string {
  return `${project}\u0000${kind}`;
}

function projectTitle(p: ProjectProfile): string {
  return p.name ? `${p.name} (${p.path})` : p.path === '.' ? 'Workspace root' : p.path;
}

function cssId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * Runs `replace` (which rebuilds the panel's DOM) and puts the keyboard focus and the caret back
 * into the field that had them, found by its `data-focus-key`, so a message from the host while
 * someone types in the profile does not take the field away from them.
 */
export function keepFocus(replace: () => void): void {
  const active = document.activeElement as HTMLInputElement | null;
  const key = active?.dataset?.focusKey;
  const selection =
    key && typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;
  replace();
  if (!key) return;
  const again = [...document.querySelectorAll<HTMLInputElement>('[data-focus-key]')].find(
    (el) => el.dataset.focusKey === key,
  );
  if (!again) return;
  again.focus();
  if (selection) again.setSelectionRange(selection[0]!, selection[1]!);
}
