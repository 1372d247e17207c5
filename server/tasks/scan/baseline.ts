/**
 * A repository's accepted secret findings, like gitleaks' `.gitleaksignore`: one fingerprint a
 * line in `.navi/secrets-baseline`, never the secret itself.
 *
 *     # test/fixtures/key.pem holds the TLS key of the test server
 *     test/fixtures/key.pem:private-key:1     one finding: path, rule id, line
 *     docs/setup.md:aws-access-key-id         every line of the file, for that rule
 *     test/fixtures/legacy.json:*             every rule in that file
 *
 * The baseline only hides findings from the report (the report says how many); it never changes
 * what the output redactor masks or what command policy allows.
 */

export const BASELINE_FILE = '.navi/secrets-baseline';

export interface Baseline {
  /** Whether `finding` is accepted. */
  accepts(finding: { path: string; rule: string; line: number }): boolean;
}

/** Parses the baseline's text; malformed lines are ignored. */
export function parseBaseline(text: string): Baseline {
  const exact = new Set<string>();
  const whole = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const withLine = /^(.+):([^:\s]+):(\d+)$/.exec(line);
    if (withLine) {
      exact.add(`${withLine[1]}\0${withLine[2]}\0${Number(withLine[3])}`);
      continue;
    }
    const anyLine = /^(.+):([^:\s]+)$/.exec(line);
    if (anyLine) whole.add(`${anyLine[1]}\0${anyLine[2]}`);
  }
  return {
    accepts: ({ path, rule, line }) =>
      exact.has(`${path}\0${rule}\0${line}`) ||
      exact.has(`${path}\0*\0${line}`) ||
      whole.has(`${path}\0${rule}`) ||
      whole.has(`${path}\0*`),
  };
}

/** The fingerprint of a finding, as a baseline line accepts it. */
export function fingerprint(finding: { path: string; rule: string; line: number }): string {
  return `${finding.path}:${finding.rule}:${finding.line}`;
}
