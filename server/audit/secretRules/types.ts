/**
 * The shape of a secret rule. Rules are data: a regex, the literal keywords that must be present
 * for it to match (the scan's prefilter), and optional false-positive filters. Everything is
 * plain and serializable (regex source + flags), because the scan runs the regexes on worker
 * threads from a copied configuration and the command runner runs them synchronously on output.
 */

export type SecretKind = 'secret' | 'private-key' | 'credentials-in-url';

export interface SecretRule {
  /** Stable id of the format (`aws-access-key-id`, `github-token`…); shown with each finding. */
  id: string;
  /** What a user reads ("AWS access key id"). */
  title: string;
  kind: SecretKind;
  /**
   * Case-sensitive literals; a text that contains none of them cannot match `regex`. The scan
   * uses them as a cheap prefilter, and so does the output redactor.
   */
  keywords: readonly string[];
  /**
   * Global regex, without look-arounds or back-references (the scan benchmark runs the same
   * sources under ripgrep). When it has a first capture group, only that group is sensitive (the
   * rest, such as `aws_secret_access_key =`, is kept in redacted text); otherwise the whole match is.
   */
  regex: RegExp;
  /**
   * Where the format is documented: the provider's page (URL) or the name of the documented
   * format. Every rule has one; a test checks it.
   */
  source: string;
  /**
   * For patterns whose keyword is too common to be a useful prefilter (`://`): a fast regex that
   * marks where `regex` may match instead. Its match lies on the line of the full match.
   */
  probe?: RegExp;
  /** The match may span lines (searched in a window that crosses line ends). */
  multiline?: boolean;
  /**
   * Minimum Shannon entropy (bits per character) of the sensitive part for the scan to report
   * it. Set on generic rules (a secret word followed by a value), whose values are often code.
   */
  minEntropy?: number;
  /**
   * The match needs a `:` or `=` within this many characters after the start of its keyword (an
   * assignment). Set on rules whose keywords are common words (`token`, `password`): the scan
   * then skips the regex where the word is prose.
   */
  assignmentWithin?: number;
}

/** The older name, kept for the callers that read patterns rather than rules. */
export type SecretPattern = SecretRule;

/** A provider token rule: a `secret` found by its keywords. Keeps the tables one line per fact. */
export function tokenRule(
  id: string,
  title: string,
  keywords: readonly string[],
  regex: RegExp,
  source: string,
  extra: Partial<Pick<SecretRule, 'kind' | 'probe' | 'multiline' | 'minEntropy' | 'assignmentWithin'>> = {},
): SecretRule {
  return { id, title, kind: 'secret', keywords, regex, source, ...extra };
}
