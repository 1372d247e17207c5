import * as z from 'zod';

/**
 * Command and edit policy: the file format shared by the org, workspace (`.navi/policy.json`) and
 * user layers, and the verdict NAVI's judge returns for every command text or edit path. The
 * format and the detectors are documented in docs/policy.md.
 */

/** What happens to a command or edit: runs without asking, needs a person's approval, refused. */
export const Effect = z.enum(['allow', 'ask', 'deny']);
export type Effect = z.infer<typeof Effect>;

/** Where a rule came from. `builtin` is NAVI's own classifier (the detectors below). */
export const Layer = z.enum(['builtin', 'org', 'workspace', 'user']);
export type Layer = z.infer<typeof Layer>;

export const Risk = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof Risk>;

/**
 * Every named finding of the built-in classifier, with its usual effect and what it means. Policy
 * rules can match a detector by name (`match.detector`), e.g. to deny all `network` commands or to
 * ask before every `package-install`. The list is closed so a typo in a policy file is an error.
 * `hard`: an ask no allow rule or "always allow" entry lifts (NAVI cannot tell what will run, the
 * agent wrote it, or nothing confines it).
 */
export const DETECTORS = {
  syntax: {
    hard: true,
    effect: 'ask',
    risk: 'medium',
    summary: 'The text does not parse as a shell command.',
  },
  'control-characters': {
    effect: 'deny',
    risk: 'high',
    summary: 'Control characters (other than tab and newline) or Unicode direction overrides in the text.',
  },
  oversized: { effect: 'deny', risk: 'high', summary: 'Too long or too many commands to review.' },
  nesting: { hard: true, effect: 'ask', risk: 'medium', summary: 'Shells nested deeper than NAVI follows.' },
  'dynamic-command': {
    hard: true,
    effect: 'ask',
    risk: 'medium',
    summary: 'The program name is only known when the command runs.',
  },
  'dynamic-argument': {
    effect: 'ask',
    risk: 'medium',
    summary: 'Arguments come from command output, variables or wildcards NAVI cannot check in advance.',
  },
  'dynamic-code': {
    hard: true,
    effect: 'ask',
    risk: 'high',
    summary:
      'A shell or eval runs code that is only known when it runs (deny when it comes from another command).',
  },
  'remote-code': {
    effect: 'deny',
    risk: 'high',
    summary: 'Code downloaded from the network is executed (curl | sh and its variants).',
  },
  network: { effect: 'ask', risk: 'high', summary: 'The command talks to the network.' },
  exfiltration: {
    effect: 'deny',
    risk: 'high',
    summary:
      'Data leaves the machine: secret uploads, command output in URLs or DNS names, pushes to unknown URLs.',
  },
  'reverse-shell': { effect: 'deny', risk: 'high', summary: 'A shell is connected to a network socket.' },
  'network-tampering': {
    effect: 'deny',
    risk: 'high',
    summary:
      'Changes how commands reach the network: proxy variables or options, a host sent to another address, a URL whose host is disguised.',
  },
  'interpreter-inline': {
    effect: 'ask',
    risk: 'high',
    summary: 'An interpreter runs code given on the command line or stdin (node -e, python -c…).',
  },
  interpreter: { effect: 'ask', risk: 'medium', summary: 'An interpreter runs a script or module.' },
  'workspace-executable': {
    effect: 'ask',
    risk: 'medium',
    summary: 'The program is a file from the workspace (./x, bin/x, node_modules/.bin/x), not a system tool.',
  },
  'unknown-command': { effect: 'ask', risk: 'medium', summary: 'NAVI does not know what this program does.' },
  'package-install': {
    effect: 'ask',
    risk: 'high',
    summary: 'Installs packages: downloads code and may run its install scripts.',
  },
  'package-script': {
    effect: 'ask',
    risk: 'medium',
    summary: 'A package.json script that cannot be resolved and judged.',
  },
  'tainted-script': {
    hard: true,
    effect: 'ask',
    risk: 'high',
    summary: 'A package.json script the agent edited in this task.',
  },
  privilege: { effect: 'deny', risk: 'high', summary: 'Runs with other privileges (sudo, su, doas…).' },
  container: { effect: 'ask', risk: 'medium', summary: 'Starts or builds a container.' },
  'container-escape': {
    effect: 'deny',
    risk: 'high',
    summary:
      'A container gets the host: root or system mounts, --privileged, host namespaces, the Docker socket.',
  },
  'exec-env': {
    effect: 'deny',
    risk: 'high',
    summary:
      'An environment variable makes a program load or run other code (LD_PRELOAD, BASH_ENV, GIT_SSH_COMMAND…).',
  },
  'env-override': {
    effect: 'ask',
    risk: 'medium',
    summary: 'An environment variable changes where programs or settings are found (PATH, HOME, proxies…).',
  },
  'exec-option': {
    effect: 'ask',
    risk: 'high',
    summary: 'An option makes a tool run another program (find -exec, rg --pre, sed e, tar --to-command…).',
  },
  'git-config-exec': {
    effect: 'deny',
    risk: 'high',
    summary: 'A git setting that runs a program (core.pager, core.sshCommand, core.hooksPath, alias.*…).',
  },
  'repo-config-exec': {
    effect: 'ask',
    risk: 'high',
    summary:
      "The repository's own settings make the command run a program: .git/config keys (core.fsmonitor, diff.external, filters, aliases…), hooks, .npmrc script-shell, .yarnrc.yml yarnPath….",
  },
  'git-pager': { effect: 'ask', risk: 'medium', summary: 'git is told to start a pager.' },
  'git-outside-workspace': {
    effect: 'deny',
    risk: 'high',
    summary: 'git is pointed at a repository or work tree outside the workspace.',
  },
  'git-state': {
    effect: 'ask',
    risk: 'medium',
    summary: 'A git command that changes the repository (commit, checkout, reset, config…).',
  },
  'write-outside-workspace': {
    effect: 'deny',
    risk: 'high',
    summary: 'Writes a file outside the workspace (directly or through a symlink).',
  },
  'write-protected': {
    effect: 'deny',
    risk: 'high',
    summary:
      'Writes a protected path: .navi/**, node_modules/**, a policy protectedPaths entry, or a file something runs by itself (.git/**, shell start-up files, hooks, .vscode/**, CI workflows…).',
  },
  'write-sensitive': {
    effect: 'ask',
    risk: 'medium',
    summary:
      'Writes a file that configures tools or holds secrets (.env*, keys, .gitattributes, .gitmodules…).',
  },
  destructive: { effect: 'ask', risk: 'medium', summary: 'Deletes or overwrites files or history.' },
  'secret-read': {
    effect: 'deny',
    risk: 'high',
    summary: 'Reads credentials outside the workspace (~/.ssh, ~/.aws, ~/.npmrc…).',
  },
  'sensitive-read': {
    effect: 'ask',
    risk: 'medium',
    summary: 'Reads a secret-looking file in the workspace (.env, keys) or a dotfile in the home folder.',
  },
  'hidden-path': { effect: 'deny', risk: 'high', summary: 'Touches a path the policy hides (hiddenPaths).' },
  persistence: {
    effect: 'deny',
    risk: 'high',
    summary: 'Schedules code to run later (crontab, at, systemd/launchd units).',
  },
  system: {
    effect: 'ask',
    risk: 'high',
    summary: 'Changes the machine: processes, services, disks, shutdown (deny for the destructive ones).',
  },
  background: { effect: 'ask', risk: 'medium', summary: 'Leaves a process running in the background (&).' },
  'no-sandbox': {
    hard: true,
    effect: 'ask',
    risk: 'medium',
    summary: 'The OS sandbox is not available: only read-only commands run without asking.',
  },
  'restricted-mode': {
    hard: true,
    effect: 'deny',
    risk: 'high',
    summary: 'The workspace is not trusted (VS Code Restricted Mode): nothing runs and nothing is edited.',
  },
} as const satisfies Record<string, { effect: Effect; risk: Risk; summary: string; hard?: true }>;

export type DetectorId = keyof typeof DETECTORS;

/** Whether a detector's ask is hard: no allow rule or "always allow" entry lifts it. */
export function isHardDetector(id: DetectorId): boolean {
  return 'hard' in DETECTORS[id];
}
export const DetectorId = z.enum(Object.keys(DETECTORS) as [DetectorId, ...DetectorId[]]);

/** Rule ids: short, stable, readable in audit logs and verdicts. */
const RuleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/, 'use letters, digits, ".", "_", ":" or "-" (at most 80)');

const ArgvPattern = z.array(z.string().min(1).max(1000)).min(1).max(64);

export const RuleMatch = z
  .object({
    /** The command's argv, exactly (after wrappers such as `timeout` or `env` are removed). */
    argv: ArgvPattern.optional(),
    /** The first words of the command's argv; any further arguments match. */
    prefix: ArgvPattern.optional(),
    /** A built-in detector that fired for the command (see DETECTORS). */
    detector: DetectorId.optional(),
  })
  .strict()
  .refine((m) => m.argv !== undefined || m.prefix !== undefined || m.detector !== undefined, {
    message: 'match needs argv, prefix or detector',
  })
  .refine((m) => !(m.argv !== undefined && m.prefix !== undefined), {
    message: 'use either argv (exact) or prefix, not both',
  });
export type RuleMatch = z.infer<typeof RuleMatch>;

export const PolicyRule = z
  .object({
    id: RuleId,
    /** Why the rule exists, in a sentence; shown with every verdict the rule decides. */
    justification: z.string().trim().min(1).max(500),
    effect: Effect,
    match: RuleMatch,
    /**
     * Command texts the rule must match and must not match. They are checked against the real
     * parser and matcher when the file loads; one failing example rejects the whole file.
     */
    examples: z
      .object({
        match: z.array(z.string().min(1).max(2000)).min(1).max(50),
        notMatch: z.array(z.string().min(1).max(2000)).max(50),
      })
      .strict(),
  })
  .strict();
export type PolicyRule = z.infer<typeof PolicyRule>;

/** Glob patterns: relative to the workspace root, `~/…` for the home folder, or absolute. */
const PathPattern = z.string().min(1).max(500);

export const PolicyFile = z
  .object({
    version: z.literal(1),
    rules: z.array(PolicyRule).max(500),
    /** `deny` turns every network finding into a refusal. `allow` is honoured from the org layer only. */
    network: z.enum(['allow', 'deny']).optional(),
    /** Extra paths nothing may write (edits, redirects, file arguments). */
    protectedPaths: z.array(PathPattern).max(200).optional(),
    /** Paths nothing may read or write (commands that name them are denied). */
    hiddenPaths: z.array(PathPattern).max(200).optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((rule, i) => {
      if (seen.has(rule.id))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${rule.id}"` });
      seen.add(rule.id);
    });
  });
export type PolicyFile = z.infer<typeof PolicyFile>;

export const VerdictRule = z.object({
  /**
   * Policy rule id, or `builtin:<detector>` for the classifier's own findings —
   * `builtin:<detector>:<rule>` when a finer rule of the detector decided
   * (`builtin:write-protected:shell-startup`); the detector is always the second part.
   */
  id: z.string(),
  layer: Layer,
  effect: Effect,
  justification: z.string(),
});
export type VerdictRule = z.infer<typeof VerdictRule>;

export const CommandVerdict = z.object({
  /** The command as it runs (wrappers removed); words NAVI cannot know in advance keep their source text. */
  argv: z.array(z.string()),
  verdict: Effect,
  reasons: z.array(z.string()),
});
export type CommandVerdict = z.infer<typeof CommandVerdict>;

/** A git setting NAVI gives the command (GIT_CONFIG_COUNT/KEY/VALUE) so that a program the repository configures does not run. */
export const ConfigOverride = z.object({
  /** The setting, as git reads it (`core.fsmonitor`). */
  key: z.string(),
  /** The value NAVI gives it (`false`). */
  value: z.string(),
  /** "NAVI turns off core.fsmonitor (set in .git/config) for this command". */
  reason: z.string(),
});
export type ConfigOverride = z.infer<typeof ConfigOverride>;

/** One pattern NAVI expanded and the names it stood for when the command was judged. */
export const GlobExpansion = z.object({
  /** The word as written (`src/*.ts`). */
  pattern: z.string(),
  /** The words bash would pass in its place, in order: the names it matched, or the pattern itself when none did (bash's default). */
  names: z.array(z.string()),
});
export type GlobExpansion = z.infer<typeof GlobExpansion>;

/** What the judge says about one command text or edit path. Deny beats ask beats allow. */
export const Verdict = z.object({
  verdict: Effect,
  /** Plain-language findings, one per finding ("find -exec runs another program"). */
  reasons: z.array(z.string()),
  /** The rules (built-in detectors and policy rules) that decided or contributed. */
  rules: z.array(VerdictRule),
  /** Every command node that would run: list members, pipeline stages, substitutions, script bodies. */
  commands: z.array(CommandVerdict),
  risk: Risk,
  /**
   * Some command talks to the network. When the command runs (allowed, or approved by a person
   * who saw the network finding), the sandbox gives it the network unless a policy layer says
   * `"network": "deny"`.
   */
  network: z.boolean(),
  /**
   * Wildcards NAVI expanded before judging (pathname expansion with bash's rules, in the folder the
   * command runs in, at judgement time): each pattern as written and the names it judged in its
   * place, in order. Absent or empty: the text has no pattern NAVI expanded.
   */
  expansions: z.array(GlobExpansion).optional(),
  /**
   * The exact text NAVI runs when it differs from the text judged: every expanded pattern replaced
   * by its names, quoted, so nothing expands again when it runs. Absent: the text runs as given.
   */
  runs: z.string().optional(),
  /**
   * Git settings NAVI gives the command when it runs (in git's environment, GIT_CONFIG_COUNT…): the
   * repository configures a program that NAVI can turn off without changing what the command does
   * (core.fsmonitor, pagers). Each reason is also in `reasons`. Absent: none.
   */
  configOverrides: z.array(ConfigOverride).optional(),
});
export type Verdict = z.infer<typeof Verdict>;
