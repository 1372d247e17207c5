/**
 * Policy: classifier findings + policy rules (org ⊓ workspace ⊓ user) → verdict.
 *
 * How a command node's effect is decided (deny beats ask beats allow, across every node):
 * - A classifier `deny` is final. Nothing lifts it.
 * - A rule that denies or asks (any layer) applies; no allow rule in any layer lifts it, so a
 *   lower layer can add restrictions but never allow what the org layer asks or denies.
 * - A classifier `ask` is lifted by an org or user allow rule that matches the node, by an
 *   unexpired "always allow" entry for the node's exact argv, and (for a task's step of an
 *   unchanged confirmed profile command) by the confirmation, rule `profile:confirmed`. A
 *   workspace allow rule (the repository's own file) and a rule that matches an ancestor (an allowed `npm test` and its
 *   script body) lift only medium- and low-risk asks: inline code, network use, installs and
 *   exec-capable options still ask. Workspace and user allow rules must name an argv or an argv prefix; only
 *   the org layer may allow by detector. Hard asks (unparseable code, dynamic code, tainted
 *   scripts…) are never lifted.
 * - Without the OS sandbox only read-only nodes can be allowed; in an untrusted workspace
 *   nothing runs ("Workspace is in Restricted Mode").
 */

import { ErrorCodes, NaviError } from '../../protocol/errors';
import {
  DETECTORS,
  PolicyFile,
  type ConfigOverride,
  type DetectorId,
  type Effect,
  type PolicyRule,
  type Risk,
  type Verdict,
  type VerdictRule,
} from '../../protocol/policy';
import { classifyText, finding, flatten, judgedCommand, type Finding, type JudgedCommand } from './classify';
import { initParser, isParserReady, type Word } from './parse';
import { checkWrite, editTarget, hasPathControlCharacters, makePathEnv, PathPatterns } from './paths';

export type PolicyLayer = 'org' | 'workspace' | 'user';

/** A policy file as text (with its path, for messages) or an already-parsed object. */
export type PolicySource = { path: string; text: string } | object;

export interface LoadedRule extends PolicyRule {
  layer: PolicyLayer;
  /** Where the rule came from (file path or "org policy"). */
  source: string;
}

export interface EffectivePolicy {
  rules: readonly LoadedRule[];
  /** `deny` when any layer denies the network; `allow` only when the org layer allows it. */
  network?: 'allow' | 'deny';
  /** Glob patterns nothing may write (workspace-relative, `~/…` or absolute). */
  protectedPaths: string[];
  /** Glob patterns nothing may read or write. */
  hiddenPaths: string[];
  /** Things the user should know about the layers (ignored settings, skipped files). */
  notes: readonly string[];
}

export interface JudgeContext {
  cwd: string;
  workspaceRoot: string;
  home: string;
  policy: EffectivePolicy;
  trusted: boolean;
  sandbox: boolean;
  /** Scripts the agent edited in this task: `build`, `package.json`, or `dir/package.json#build`. */
  taintedScripts?: ReadonlySet<string>;
  /** "Always allow" entries of this workspace: exact argv, expiry in ms since the epoch. */
  alwaysAllow?: readonly { argv: string[]; expiresAt: number }[];
  /**
   * Set by the pipeline only for a NAVI task's step of a confirmed profile command whose text and
   * script bodies have not changed since (server/tasks/profileApproval.ts): its top-level nodes
   * are vouched for like an "always allow" entry (rule `profile:confirmed`).
   */
  profileConfirmed?: { confirmedAt: string };
  /** For tests: the current time in ms (defaults to Date.now()). */
  now?: number;
}

export const EMPTY_POLICY: EffectivePolicy = { rules: [], protectedPaths: [], hiddenPaths: [], notes: [] };

/** Compiled path lists, cached per array so a policy is compiled once. */
const compiled = new WeakMap<readonly string[], PathPatterns>();
function patterns(list: readonly string[]): PathPatterns {
  let p = compiled.get(list);
  if (!p) {
    p = new PathPatterns(list);
    compiled.set(list, p);
  }
  return p;
}

export const RESTRICTED_MODE_REASON = 'Workspace is in Restricted Mode';

// ------------------------------------------------------------------------------------------
// Loading

export { initParser };

/**
 * Validates and merges the policy layers. Every rule's examples are run through the real parser
 * and matcher; one failing example rejects the whole file. The parser must be loaded
 * (`await initParser()`, which judgeCommand also does); see loadPolicyLayersAsync.
 */
export function loadPolicyLayers(input: {
  org?: PolicySource;
  workspace?: PolicySource;
  user?: PolicySource;
  trusted: boolean;
}): EffectivePolicy {
  if (!isParserReady())
    throw new Error(
      'loadPolicyLayers needs the shell parser: await initParser() (or use loadPolicyLayersAsync) first.',
    );
  const rules: LoadedRule[] = [];
  const notes: string[] = [];
  const protectedPaths: string[] = [];
  const hiddenPaths: string[] = [];
  let network: 'allow' | 'deny' | undefined;
  for (const layer of ['org', 'workspace', 'user'] as const) {
    const source = input[layer];
    if (source === undefined) continue;
    if (layer === 'workspace' && !input.trusted) {
      notes.push('The workspace policy (.navi/policy.json) is ignored in Restricted Mode.');
      continue;
    }
    const label = sourceLabel(source, layer);
    const file = parseSource(source, label);
    for (const rule of file.rules) {
      if (layer !== 'org' && rule.effect === 'allow' && !rule.match.argv && !rule.match.prefix)
        throw invalid(
          label,
          `rule "${rule.id}": a ${layer} policy can allow only an exact argv or an argv prefix, not a whole detector`,
        );
      checkExamples(rule, label);
      rules.push({ ...rule, layer, source: label });
    }
    if (file.network === 'deny') network = 'deny';
    else if (file.network === 'allow') {
      if (layer === 'org') network ??= 'allow';
      else notes.push(`${label}: "network": "allow" is honoured only in the org policy; it is ignored here.`);
    }
    protectedPaths.push(...(file.protectedPaths ?? []));
    hiddenPaths.push(...(file.hiddenPaths ?? []));
  }
  return {
    rules,
    network,
    protectedPaths,
    hiddenPaths,
    notes,
  };
}

/** loadPolicyLayers after loading the parser. */
export async function loadPolicyLayersAsync(
  input: Parameters<typeof loadPolicyLayers>[0],
): Promise<EffectivePolicy> {
  await initParser();
  return loadPolicyLayers(input);
}

function isTextSource(source: PolicySource): source is { path: string; text: string } {
  const s = source as { path?: unknown; text?: unknown; version?: unknown };
  return typeof s.text === 'string' && typeof s.path === 'string' && s.version === undefined;
}

function sourceLabel(source: PolicySource, layer: PolicyLayer): string {
  return isTextSource(source) ? source.path : `${layer} policy`;
}

function invalid(label: string, detail: string, issues?: { path: string; message: string }[]): NaviError {
  return new NaviError(ErrorCodes.InvalidPolicy, `Invalid policy file ${label}: ${detail}`, {
    path: label,
    hint: 'Fix the file and reload; until then NAVI refuses to use it.',
    ...(issues ? { issues } : {}),
  });
}

function parseSource(source: PolicySource, label: string): PolicyFile {
  let value: unknown = source;
  if (isTextSource(source)) {
    try {
      value = JSON.parse(source.text);
    } catch (e) {
      throw invalid(label, `not valid JSON (${(e as Error).message})`);
    }
  }
  const parsed = PolicyFile.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.'),
      message: i.message,
    }));
    const first = issues[0]!;
    throw invalid(
      label,
      `${ruleOf(value, parsed.error.issues[0]!.path)}${first.path || '(top level)'}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
      issues,
    );
  }
  return parsed.data;
}

/** `rule "id" ` when a schema issue is inside a rule that has a readable id, so the message names it. */
function ruleOf(value: unknown, issuePath: readonly PropertyKey[]): string {
  if (issuePath[0] !== 'rules' || typeof issuePath[1] !== 'number' || !value || typeof value !== 'object')
    return '';
  const rules = (value as { rules?: unknown }).rules;
  const id = Array.isArray(rules) ? (rules[issuePath[1]] as { id?: unknown } | undefined)?.id : undefined;
  return typeof id === 'string' && id.length <= 80 ? `rule ${JSON.stringify(id)}: ` : '';
}

/** Examples are judged in a workspace that does not exist, so only the command text matters. */
const EXAMPLE_CONTEXT = {
  cwd: '/navi-policy-example/workspace',
  workspaceRoot: '/navi-policy-example/workspace',
  home: '/navi-policy-example/home',
  protectedPaths: new PathPatterns([]),
  hiddenPaths: new PathPatterns([]),
};

function checkExamples(rule: PolicyRule, label: string): void {
  const matches = (example: string) =>
    flatten(classifyText(example, EXAMPLE_CONTEXT).commands).some((j) => ruleMatches(rule, j));
  for (const example of rule.examples.match)
    if (!matches(example))
      throw invalid(label, `rule "${rule.id}": the example "${example}" should match the rule but does not`);
  for (const example of rule.examples.notMatch)
    if (matches(example))
      throw invalid(label, `rule "${rule.id}": the example "${example}" should not match the rule but does`);
}

// ------------------------------------------------------------------------------------------
// Matching

/**
 * Whether a rule matches a judged command. Words NAVI cannot know ($X, $(…)) never match an
 * allow rule; for ask/deny rules they match anything (the strict reading).
 */
export function ruleMatches(rule: PolicyRule, j: JudgedCommand): boolean {
  const m = rule.match;
  const strict = rule.effect !== 'allow';
  if (m.argv) {
    if (j.words.length !== m.argv.length || !m.argv.every((t, i) => wordMatches(j, i, t, strict)))
      return false;
  }
  if (m.prefix) {
    if (j.words.length < m.prefix.length || !m.prefix.every((t, i) => wordMatches(j, i, t, strict)))
      return false;
  }
  if (m.detector && !j.findings.some((f) => f.detector === m.detector)) return false;
  return true;
}

function wordMatches(j: JudgedCommand, i: number, token: string, strict: boolean): boolean {
  const w: Word | undefined = j.words[i];
  if (!w) return false;
  if (w.value === null) return strict;
  if (w.value === token) return true;
  // `/usr/bin/git` is `git`.
  return i === 0 && j.program !== null && j.program === token;
}

// ------------------------------------------------------------------------------------------
// Deciding

const ORDER: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };
const max = (a: Effect, b: Effect): Effect => (ORDER[b] > ORDER[a] ? b : a);
const RISK: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

interface Decided {
  j: JudgedCommand;
  effect: Effect;
  reasons: string[];
  rules: VerdictRule[];
  risk: Risk;
}

/**
 * `builtin:<detector>`, or `builtin:<detector>:<rule>` for a finding of a finer rule of the
 * detector (`builtin:write-protected:shell-startup`): the detector is always the second part, so
 * policy rules that match the detector and readers of older ids keep working (docs/policy.md).
 */
function builtinRule(f: Finding): VerdictRule {
  return {
    id: f.subRule ? `builtin:${f.detector}:${f.subRule.id}` : `builtin:${f.detector}`,
    layer: 'builtin',
    effect: f.effect,
    justification: f.subRule?.justification ?? DETECTORS[f.detector].summary,
  };
}

function policyRule(r: LoadedRule): VerdictRule {
  return { id: r.id, layer: r.layer, effect: r.effect, justification: r.justification };
}

function layerName(layer: PolicyLayer): string {
  return layer === 'org' ? 'Organisation' : layer === 'workspace' ? 'Workspace' : 'User';
}

function decide(j: JudgedCommand, inherited: boolean, ctx: JudgeContext, out: Decided[]): void {
  const policy = ctx.policy;
  const d: Decided = { j, effect: 'allow', reasons: [], rules: [], risk: 'low' };
  out.push(d);
  const matching = policy.rules.filter((r) => ruleMatches(r, j));
  const restrictive = matching.filter((r) => r.effect !== 'allow');
  const allows = matching.filter(
    (r) => r.effect === 'allow' && (r.layer === 'org' || r.match.argv || r.match.prefix),
  );
  const wholeAllows = allows.filter((r) => !r.match.detector);
  const detectorAllows = new Set<DetectorId>(
    allows.flatMap((r) => (r.match.detector ? [r.match.detector] : [])),
  );
  if (policy.network === 'allow') detectorAllows.add('network');
  const always = alwaysAllowed(j, ctx);
  // A confirmed profile approves the commands its steps run, as an "always allow" entry would.
  const confirmed = !inherited && ctx.profileConfirmed !== undefined;
  // The org's and the user's own rules, and the user's "always allow" choices, vouch for all of
  // a command. The repository's own rules (workspace layer) and a rule that names a parent
  // (`npm test` → its script body) vouch for the project's own tools, not for high-risk steps
  // (inline code, network, installs): those still ask, so repository content never loosens them.
  const strong = always || confirmed || wholeAllows.some((r) => r.layer !== 'workspace');
  const weak = inherited || wholeAllows.length > 0;
  const lifts = (f: Finding) =>
    strong || detectorAllows.has(f.detector) || (weak && DETECTORS[f.detector].risk !== 'high');
  let lifted = false;

  // What denies comes first, in reasons and rules alike: it is why the command is refused.
  let denies = 0;
  let denyRules = 0;
  const apply = (effect: Effect, reason: string, rule: VerdictRule) => {
    d.effect = max(d.effect, effect);
    if (effect === 'deny') d.reasons.splice(denies++, 0, reason);
    else d.reasons.push(reason);
    if (d.rules.some((r) => r.id === rule.id && r.effect === rule.effect)) return;
    if (rule.effect === 'deny') d.rules.splice(denyRules++, 0, rule);
    else d.rules.push(rule);
  };
  for (const f of j.findings) {
    if (RISK[DETECTORS[f.detector].risk] > RISK[d.risk]) d.risk = DETECTORS[f.detector].risk;
    if (f.effect === 'deny' || f.hard) apply(f.effect, f.reason, builtinRule(f));
    else if (lifts(f)) lifted = true;
    else apply('ask', f.reason, builtinRule(f));
  }
  for (const r of restrictive)
    apply(
      r.effect,
      `${layerName(r.layer)} rule ${r.id} ${r.effect === 'deny' ? 'denies' : 'asks before'} this: ${r.justification}`,
      policyRule(r),
    );
  if (
    policy.network === 'deny' &&
    (j.network || j.findings.some((f) => f.detector === 'network' || f.detector === 'exfiltration'))
  )
    apply('deny', 'The policy blocks network access', {
      id: 'policy:network',
      layer: 'org',
      effect: 'deny',
      justification: 'network: deny',
    });
  if (!ctx.sandbox && !j.readOnly) {
    const f = finding(
      'no-sandbox',
      'ask',
      `The OS sandbox is not available, so only read-only commands run without asking`,
    );
    apply('ask', f.reason, builtinRule(f));
  }
  if (lifted && d.effect === 'allow') {
    for (const r of wholeAllows.length ? wholeAllows : allows) {
      d.rules.push(policyRule(r));
      d.reasons.push(`Allowed by ${layerName(r.layer).toLowerCase()} rule ${r.id}: ${r.justification}`);
    }
    if (always && !inherited && allows.length === 0)
      d.reasons.push('Allowed by your "always allow" choice for this exact command');
    else if (confirmed && !always && !wholeAllows.some((r) => r.layer !== 'workspace')) {
      const on = ctx.profileConfirmed!.confirmedAt.slice(0, 10);
      d.rules.push({
        id: 'profile:confirmed',
        layer: 'user',
        effect: 'allow',
        justification: `You confirmed this command with the project profile on ${on}`,
      });
      d.reasons.push(`Allowed because you confirmed it with the project profile on ${on}`);
    }
  }
  if (d.effect === 'deny') d.risk = 'high';
  for (const c of j.children) decide(c, weak || strong, ctx, out);
}

function alwaysAllowed(j: JudgedCommand, ctx: JudgeContext): boolean {
  const entries = ctx.alwaysAllow;
  if (!entries || entries.length === 0 || j.words.length === 0) return false;
  if (j.words.some((w) => w.value === null || w.glob)) return false;
  const now = ctx.now ?? Date.now();
  return entries.some(
    (e) =>
      e.expiresAt > now &&
      e.argv.length === j.words.length &&
      e.argv.every((a, i) => a === j.words[i]!.value),
  );
}

function restricted(commands: JudgedCommand[]): Verdict {
  const rule: VerdictRule = {
    id: 'builtin:restricted-mode',
    layer: 'builtin',
    effect: 'deny',
    justification: DETECTORS['restricted-mode'].summary,
  };
  return {
    verdict: 'deny',
    reasons: [RESTRICTED_MODE_REASON],
    rules: [rule],
    commands: flatten(commands).map((c) => ({
      argv: c.argv,
      verdict: 'deny',
      reasons: [RESTRICTED_MODE_REASON],
    })),
    risk: 'high',
    network: false,
  };
}

/** Judges a command text: parse → classify every node → policy → verdict. */
export async function judgeCommand(text: string, ctx: JudgeContext): Promise<Verdict> {
  await initParser();
  let classification: ReturnType<typeof classifyText>;
  try {
    classification = classifyText(text, {
      cwd: ctx.cwd,
      workspaceRoot: ctx.workspaceRoot,
      home: ctx.home,
      protectedPaths: patterns(ctx.policy.protectedPaths),
      hiddenPaths: patterns(ctx.policy.hiddenPaths),
      taintedScripts: ctx.taintedScripts,
    });
  } catch (e) {
    // Fail closed: a command NAVI could not analyse is never allowed.
    if (!ctx.trusted) return restricted([]);
    return {
      verdict: 'ask',
      reasons: [`NAVI could not analyse this command (${(e as Error).message}); check it yourself`],
      rules: [
        { id: 'builtin:syntax', layer: 'builtin', effect: 'ask', justification: DETECTORS.syntax.summary },
      ],
      commands: [],
      risk: 'high',
      network: false,
    };
  }
  if (!ctx.trusted) return restricted(classification.commands);
  const decided: Decided[] = [];
  for (const c of classification.commands) decide(c, false, ctx, decided);
  let verdict: Effect = 'allow';
  let risk: Risk = 'low';
  const reasons: string[] = [];
  const rules: VerdictRule[] = [];
  const addRule = (r: VerdictRule) => {
    if (!rules.some((x) => x.id === r.id && x.effect === r.effect && x.layer === r.layer)) rules.push(r);
  };
  for (const p of classification.problems) {
    verdict = max(verdict, p.effect);
    reasons.push(p.reason);
    addRule(builtinRule(p));
    if (RISK[DETECTORS[p.detector].risk] > RISK[risk]) risk = DETECTORS[p.detector].risk;
  }
  for (const d of decided) verdict = max(verdict, d.effect);
  // Reasons of the commands that decided the verdict first (deny before ask), then the rest.
  const ordered = [...decided].sort((a, b) => ORDER[b.effect] - ORDER[a.effect]);
  for (const d of ordered) {
    if (d.effect === 'allow' && verdict !== 'allow') continue;
    for (const r of d.reasons) if (!reasons.includes(r)) reasons.push(r);
    for (const r of d.rules) addRule(r);
  }
  for (const d of decided) if (RISK[d.risk] > RISK[risk]) risk = d.risk;
  if (verdict === 'deny') risk = 'high';
  const overrides = configOverrides(decided, verdict);
  for (const o of overrides) if (!reasons.includes(o.reason)) reasons.push(o.reason);
  return {
    verdict,
    reasons,
    rules,
    commands: decided.map((d) => ({ argv: d.j.argv, verdict: d.effect, reasons: d.reasons })),
    network: decided.some((d) => d.j.network),
    risk,
    ...(classification.expansions.length > 0
      ? {
          expansions: classification.expansions.map((e) => ({
            pattern: e.pattern,
            names: e.words.map((w) => w.value!),
          })),
        }
      : {}),
    ...(classification.runs !== null ? { runs: classification.runs } : {}),
    ...(overrides.length > 0 ? { configOverrides: overrides } : {}),
  };
}

/**
 * The git settings NAVI gives the command when it runs (classify.ts JudgedCommand.configOverrides):
 * one per key, from every node (script bodies included: the environment reaches them too). None
 * for a command that does not run.
 */
function configOverrides(decided: readonly Decided[], verdict: Effect): ConfigOverride[] {
  if (verdict === 'deny') return [];
  const out: ConfigOverride[] = [];
  for (const d of decided)
    for (const o of d.j.configOverrides)
      if (!out.some((x) => x.key.toLowerCase() === o.key.toLowerCase() && x.value === o.value))
        out.push({ key: o.key, value: o.value, reason: o.reason });
  return out;
}

/**
 * Judges a path the agent wants to write: outside the workspace (also through symlinks), into
 * .navi/**, node_modules/**, policy-protected paths or a file something runs by itself (.git/**,
 * shell start-up files, hooks, .vscode/**, CI workflows…: knowledge/autoRunFiles.ts), or a path
 * with control characters → deny; files that configure tools or hold secrets (.env*, keys,
 * .gitattributes) → ask; anything else → allow. Every client's edits come here: navi/check with
 * editPath, the fix task (fixApply.ts) and `navi check --edit`.
 */
export function judgeEdit(target: string, ctx: JudgeContext): Verdict {
  if (!ctx.trusted) return restricted([]);
  const env = makePathEnv(
    ctx.workspaceRoot,
    ctx.home,
    patterns(ctx.policy.protectedPaths),
    patterns(ctx.policy.hiddenPaths),
  );
  const findings: Finding[] = [];

  // A NUL, C0/C1 control, DEL or invisible mark: refused before the path touches the file system.
  const control = hasPathControlCharacters(target);
  if (control)
    findings.push(
      finding('control-characters', 'deny', 'The path contains control characters or direction marks'),
    );
  // Relative to the working directory, as navi/check documents (the judge context's cwd).
  const resolved = control ? undefined : editTarget(target, ctx.cwd, ctx.home);
  if (resolved && 'error' in resolved)
    findings.push(finding('write-outside-workspace', 'deny', resolved.error));
  else if (resolved) {
    const c = checkWrite(resolved.abs, env);
    switch (c.kind) {
      case 'special':
      case 'network':
        findings.push(
          finding('write-outside-workspace', 'deny', `${target} is a device, not a file in the workspace`),
        );
        break;
      case 'unresolvable':
        findings.push(finding('write-outside-workspace', 'deny', `${c.display} goes through a symlink loop`));
        break;
      case 'outside':
        findings.push(
          finding(
            'write-outside-workspace',
            'deny',
            c.via === 'symlink'
              ? `${c.display} leads outside the workspace through a symlink`
              : `${c.display} is outside the workspace`,
          ),
        );
        if (c.autoRun)
          findings.push(
            finding('write-protected', 'deny', `${c.display} is protected: ${c.autoRun.why}`, c.autoRun),
          );
        break;
      case 'root':
        findings.push(finding('write-protected', 'deny', 'The path is the workspace folder itself'));
        break;
      case 'protected':
        findings.push(finding('write-protected', 'deny', `${c.display} is protected: ${c.why}`, c.autoRun));
        break;
      case 'hidden':
        findings.push(finding('hidden-path', 'deny', `${c.display} is hidden by the policy`));
        break;
      case 'sensitive':
        findings.push(finding('write-sensitive', 'ask', `${c.display} needs approval: ${c.why}`));
        break;
      case 'ok':
        break;
    }
  }
  // Detector rules apply to edits too (an org may deny every write-sensitive edit).
  const pseudo = judgedCommand(
    {
      kind: 'redirect',
      argv: [],
      wrappers: [],
      assignments: [],
      redirects: [],
      inSubstitution: false,
      background: false,
      cd: [],
      depth: 0,
      children: [],
      notes: [],
      text: target,
    },
    [],
    findings,
  );
  let verdict: Effect = 'allow';
  const reasons: string[] = [];
  const rules: VerdictRule[] = [];
  let risk: Risk = 'low';
  for (const f of findings) {
    verdict = max(verdict, f.effect);
    reasons.push(f.reason);
    rules.push(builtinRule(f));
    if (RISK[DETECTORS[f.detector].risk] > RISK[risk]) risk = DETECTORS[f.detector].risk;
  }
  for (const r of ctx.policy.rules) {
    if (
      r.effect === 'allow' ||
      !r.match.detector ||
      r.match.argv ||
      r.match.prefix ||
      !ruleMatches(r, pseudo)
    )
      continue;
    verdict = max(verdict, r.effect);
    reasons.push(
      `${layerName(r.layer)} rule ${r.id} ${r.effect === 'deny' ? 'denies' : 'asks before'} this: ${r.justification}`,
    );
    rules.push(policyRule(r));
  }
  if (verdict === 'deny') risk = 'high';
  return { verdict, reasons, rules, commands: [], risk, network: false };
}
