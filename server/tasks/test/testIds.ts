import type { TestCaseResult } from '../../../protocol/testing';

/**
 * Test ids that tell every test of a run apart. A runner may run several tests with the same file
 * and full title (express has seven in one file; `it()` in a loop, `test.each` with a fixed title,
 * `go test -count=2`): it counts each one, so NAVI keeps each one. The first keeps the plain id
 * (`<file>::<suite> > <name>`); the second gets `::#2`, the third `::#3`, in the order the runner
 * reported them — the order a runner runs one file in, so the ids stay the same from run to run
 * and the Test Explorer's items do not churn. `::#` never ends a title a runner reports (`#` is
 * not part of a Rust path, pytest's parameters end in `]`), unlike a plain `#2` ("fixes #2").
 */

const OCCURRENCE = /::#(\d+)$/;

/**
 * The run's tests with distinct ids: repeated ids get `::#<n>` and `occurrence: n` (n ≥ 2). An id
 * that is already taken by another test (a title that really ends in `::#2`) is skipped over.
 */
export function distinctTestIds(tests: readonly TestCaseResult[]): TestCaseResult[] {
  const taken = new Set(tests.map((t) => t.id));
  const seen = new Map<string, number>();
  return tests.map((test) => {
    const count = (seen.get(test.id) ?? 0) + 1;
    seen.set(test.id, count);
    if (count === 1) return test;
    let occurrence = count;
    while (taken.has(`${test.id}::#${occurrence}`)) occurrence += 1;
    const id = `${test.id}::#${occurrence}`;
    taken.add(id);
    return { ...test, id, occurrence };
  });
}

/**
 * A test id taken apart for a selection: the file (relative to the workspace root, `''` without
 * one) and the full name `<suite> > <name>` without the occurrence. A runner selects tests by
 * name, so selecting one of several tests with the same title runs all of them (each reported
 * under its own id).
 */
export function testIdParts(id: string): { file: string; fullName: string } {
  const at = id.indexOf('::');
  const file = at > 0 ? id.slice(0, at) : '';
  return { file, fullName: (at < 0 ? id : id.slice(at + 2)).replace(OCCURRENCE, '') };
}
