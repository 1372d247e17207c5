import { h } from '../dom';

/** The unified diff, one line per element, marked added / removed by class and by its own +/−. */
export function renderDiff(diff: string): HTMLElement {
  const pre = h('pre', { className: 'diff', testid: 'fix-diff', tabindex: 0, 'aria-label': 'Unified diff' });
  // Block spans make the lines: no "\n" inside them, or each line would be followed by an empty one.
  for (const line of diff.replace(/\n$/, '').split('\n'))
    pre.append(h('span', { className: diffLineClass(line) }, line === '' ? ' ' : line));
  return pre;
}

/** The class of one line of a unified diff: file header, hunk header, added, removed, note or context. */
export function diffLineClass(line: string): string {
  if (/^(\+\+\+|---|===|diff |index |Index: )/.test(line)) return 'diff-file';
  if (line.startsWith('@@')) return 'diff-hunk';
  if (line.startsWith('+')) return 'diff-add';
  if (line.startsWith('-')) return 'diff-del';
  if (line.startsWith('\\')) return 'diff-note';
  return 'diff-context';
}
