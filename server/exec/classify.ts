/**
 * Classify: every parsed command node → findings (named detectors with an effect and a plain
 * reason). The classifier knows tools (knowledge/), checks every path a command writes or reads
 * against the real workspace root, resolves package.json scripts to their bodies, and then runs
 * checks across commands that no single node shows: network output piped into a shell, command
 * output sent over the network, secrets read upstream of an upload, a download that is run.
 *
 * It never decides the final verdict: policy.ts combines findings with policy rules.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { shellQuote } from '../../protocol/display';
import { DETECTORS, isHardDetector, type DetectorId } from '../../protocol/policy';
import { judgeEnvVar } from './knowledge/environment';
import { lookupTool } from './knowledge/index';
import { networkTampering, proxyVariablesRemoved } from './knowledge/networkTampering';
import { isSecretFile, LISTS_FILES, secretStoreInside } from './knowledge/secretFiles';
import { inputStore } from './knowledge/upload';
import { BUILD_OUTPUT, overwrittenBy, TRUNCATING_REDIRECTS } from './knowledge/overwrite';
import { POSIX_SHELLS, PRIVILEGE_WRAPPERS, programOf } from './knowledge/programs';
import { loadRepository, readSmallFile, type GitRepository } from './gitConfig';
import type {
  GitRepositories,
  GitWhere,
  NeutralisedSetting,
  OptionArg,
  ProjectFiles,
  ToolCall,
  ToolSpec,
} from './knowledge/types';
import {
  allNodes,
  commandFromWords,
  MAX_NESTING,
  parseCommandLine,
  wordText,
  textAsJudged,
  type CdStep,
  type CommandNode,
  type Expansion,
  type Problem,
  type Word,
  literalWord,
} from './parse';
import {
  checkRead,
  checkWrite,
  compileGlob,
  displayPath,
  holdsGitRepository,
  makePathEnv,
  projectEntries,
  relInside,
  resolveReal,
  statSafe,
  type PathEnv,
  type PathPatterns,
} from './paths';

const posix = path.posix;

export interface Finding {
  detector: DetectorId;
  effect: 'ask' | 'deny';
  reason: string;
  /**
   * Policy allow rules and "always allow" entries cannot lift a hard finding (deny is always
   * hard; some asks are too: NAVI could not read the command, so an argv rule cannot vouch for it).
   */
  hard: boolean;
  /** A finer rule of the detector: the verdict names it `builtin:<detector>:<id>` (policy.ts). */
  subRule?: SubRule;
}

/** A finer rule of a detector (`shell-startup` of `write-protected`) and what it protects. */
export interface SubRule {
  id: string;
  justification: string;
}

export interface JudgedCommand {
  node: CommandNode;
  /** argv as it will run (words NAVI cannot know keep their source text). */
  argv: string[];
  /** The argv words (for rule matching: a dynamic word never matches an allow rule). */
  words: Word[];
  program: string | null;
  findings: Finding[];
  /** Only reads and prints: the one kind of command that runs without a sandbox. */
  readOnly: boolean;
  /** Commands it runs: script bodies, -exec commands, shell code in options. */
  children: JudgedCommand[];
  network: boolean;
  codeFromStdin: boolean;
  readsSecrets: boolean;
  executes: string[];
  downloads: string[];
  /** Git settings NAVI gives this command so that what the repository configures does not run. */
  configOverrides: NeutralisedSetting[];
}

export interface ClassifyOptions {
  cwd: string;
  workspaceRoot: string;
  home: string;
  protectedPaths: PathPatterns;
  hiddenPaths: PathPatterns;
  /**
   * Scripts the agent edited in this task: `build` (any manifest), `package.json` (every
   * script of that manifest), or `packages/a/package.json#build`.
   */
  taintedScripts?: ReadonlySet<string>;
  /**
   * Called with every package.json script body the text runs, as it is resolved (the manifest's
   * real path, the script's name): a confirmed profile hashes them (server/tasks/profileApproval.ts).
   */
  onScript?: (manifest: string, name: string, body: string) => void;
}

export interface Classification {
  /** Findings about the whole text: unparseable, control characters, oversized. */
  problems: Finding[];
  commands: JudgedCommand[];
  /** Patterns NAVI expanded in the text, and the words it judged in their place. */
  expansions: Expansion[];
  /** The text to run when it differs from the text given: see textAsJudged. */
  runs: string | null;
}

/**
 * Parses and classifies a command text. The parser must be loaded (initParser). Patterns are
 * expanded in the real folders as bash would (parse.ts, glob.ts), so the classifier judges the
 * names a command will get, and `runs` passes exactly those names.
 */
export function classifyText(text: string, options: ClassifyOptions): Classification {
  const parsed = parseCommandLine(text, { home: options.home, globs: { mode: 'expand', cwd: options.cwd } });
  const classifier = new Classifier(options);
  const problems = parsed.problems.map(problemFinding);
  const commands = parsed.commands.map((n) => classifier.classify(n, classifier.rootScope()));
  classifier.crossChecks(commands);
  return { problems, commands, expansions: parsed.expansions, runs: textAsJudged(text, parsed.expansions) };
}

/** A judged command with no findings yet: read-only until something says otherwise. */
export function judgedCommand(node: CommandNode, argv: string[], findings: Finding[] = []): JudgedCommand {
  return {
    node,
    argv,
    words: node.argv,
    program: null,
    findings,
    readOnly: true,
    children: [],
    network: false,
    codeFromStdin: false,
    readsSecrets: false,
    executes: [],
    downloads: [],
    configOverrides: [],
  };
}

export function finding(
  detector: DetectorId,
  effect: 'ask' | 'deny',
  reason: string,
  subRule?: SubRule,
): Finding {
  const hard = effect === 'deny' || isHardDetector(detector);
  return subRule
    ? { detector, effect, reason, hard, subRule: { id: subRule.id, justification: subRule.justification } }
    : { detector, effect, reason, hard };
}

function problemFinding(p: Problem): Finding {
  if (p.kind === 'syntax') return finding('syntax', 'ask', p.message);
  if (p.kind === 'control-characters') return finding('control-characters', 'deny', p.message);
  if (p.kind === 'code-expansion') return finding('dynamic-code', p.effect ?? 'ask', p.message);
  return finding('oversized', 'deny', p.message);
}

/** Every judged command, children after their parent. */
export function flatten(commands: readonly JudgedCommand[]): JudgedCommand[] {
  const out: JudgedCommand[] = [];
  const walk = (list: readonly JudgedCommand[]) => {
    for (const c of list) {
      out.push(c);
      walk(c.children);
    }
  };
  walk(commands);
  return out;
}

interface Scope {
  /** Working directory before the node's own `cd` steps (absolute, not normalised). */
  cwd: string;
  /** Inside a package.json script: the package folder (node_modules/.bin is on PATH). */
  scriptDir?: string;
  /** manifest#script keys being resolved (cycle guard). */
  scripts: readonly string[];
}

const WRITE_OPS = new Set(['>', '>>', '>|', '&>', '&>>', '>&', '<>']);
const READ_OPS = new Set(['<', '<&']);
const MAX_SCRIPT_DEPTH = 6;

class Classifier {
  readonly env: PathEnv;
  private remotes?: { names: Set<string>; urls: Set<string> };
  private readonly byNode = new Map<CommandNode, JudgedCommand>();
  private readonly manifests = new Map<string, { scripts: Record<string, unknown> } | null>();
  private readonly repositories = new Map<string, GitRepository | null>();
  /** Per command: the workspace folder's names it deletes recursively (for `rm -rf *`). */
  private readonly rootDeletes = new WeakMap<JudgedCommand, { names: string[]; deleted: Set<string> }>();

  constructor(private readonly options: ClassifyOptions) {
    this.env = makePathEnv(options.workspaceRoot, options.home, options.protectedPaths, options.hiddenPaths);
  }

  rootScope(): Scope {
    return { cwd: posix.resolve(this.options.cwd), scripts: [] };
  }

  // ----------------------------------------------------------------------------------------
  // One node

  classify(node: CommandNode, scope: Scope): JudgedCommand {
    const j = judgedCommand(node, displayArgv(node));
    this.byNode.set(node, j);
    const add = (detector: DetectorId, effect: 'ask' | 'deny', reason: string) =>
      j.findings.push(finding(detector, effect, reason));
    const dirs = this.cwdCandidates(scope.cwd, node.cd);

    for (const note of node.notes) {
      switch (note.kind) {
        case 'dynamic-command':
          add('dynamic-command', 'ask', `The program name ${note.word.raw} is only known when it runs`);
          j.readOnly = false;
          break;
        case 'dynamic-code':
          j.readOnly = false;
          if (note.word?.substitution)
            add(
              'dynamic-code',
              'deny',
              `${codeVia(note.via, node)} runs code produced by another command (${note.word.raw})`,
            );
          else
            add(
              'dynamic-code',
              'ask',
              `${codeVia(note.via, node)} runs code that is only known when it runs`,
            );
          break;
        case 'nesting':
          add(
            'nesting',
            'ask',
            `Shells are nested more than ${MAX_NESTING} deep; NAVI does not follow them further`,
          );
          j.readOnly = false;
          break;
        case 'shell-stdin':
          j.codeFromStdin = true;
          j.readOnly = false;
          break;
        case 'interactive-shell':
          add(
            'dynamic-code',
            'ask',
            `${wordText(node.argv[0]!)} starts a shell that reads commands from its input`,
          );
          j.readOnly = false;
          break;
        case 'syntax':
          add('syntax', 'ask', `Shell code inside this command does not parse: ${note.message}`);
          break;
        case 'control-characters':
          add('control-characters', 'deny', 'Shell code inside this command contains control characters');
          break;
        case 'missing-command':
          add('syntax', 'ask', `The command is incomplete: ${note.message}`);
          break;
        case 'code-expansion':
          add('dynamic-code', note.effect, note.message);
          j.readOnly = false;
          break;
      }
    }

    // Shell code the node runs (`sh -c CODE`, `eval CODE`, a heredoc fed to a shell): the parser
    // attached its commands as children; their `cd` steps already start with this node's.
    for (const child of node.children) j.children.push(this.classify(child, scope));

    for (const a of node.assignments) {
      const env = judgeEnvVar(a.name);
      if (env) add(env.detector, env.effect, env.reason);
    }
    for (const reason of proxyVariablesRemoved(node)) add('network-tampering', 'deny', reason);
    for (const w of declaredWords(node)) {
      // A bare name (`export BASH_ENV`) exports a value set some other way (`read`, `printf -v`,
      // `for`): only the variables that run code are refused for that.
      const bare = /^[A-Za-z_]\w*$/.test(w.raw) ? judgeEnvVar(w.raw) : null;
      const name = w.value === null ? null : /^([A-Za-z_]\w*)(?:\[[^\]]*\])?\+?=/.exec(w.value)?.[1];
      const env = name ? judgeEnvVar(name) : bare?.effect === 'deny' ? bare : null;
      if (env) add(env.detector, env.effect, env.reason);
      else if (w.value === null && !/^[A-Za-z_]\w*$/.test(w.raw))
        add('dynamic-argument', 'ask', `${j.argv[0]} ${w.raw} may set any variable, BASH_ENV or PATH too`);
    }

    for (const w of node.wrappers) {
      if (PRIVILEGE_WRAPPERS.has(w.name))
        add('privilege', 'deny', `${w.name} runs the command with other privileges; NAVI never does that`);
    }

    for (const r of node.redirects) {
      if (r.dup || !r.target || r.op === '<<<' || r.target.processSubstitution) continue;
      const writes = WRITE_OPS.has(r.op);
      if (!writes && !READ_OPS.has(r.op)) continue;
      if (r.target.value === null) {
        add(
          'dynamic-argument',
          'ask',
          r.target.unknownGlob
            ? `NAVI cannot tell which file ${r.op} ${r.target.raw} ${writes ? 'writes to' : 'reads from'}: ${r.target.unknownGlob}`
            : `${r.op} ${r.target.raw} ${writes ? 'writes to' : 'reads from'} a file named only when it runs`,
        );
        if (writes) j.readOnly = false;
        continue;
      }
      if (writes) this.write(j, dirs, r.target, {});
      else this.read(j, dirs, r.target);
      if (TRUNCATING_REDIRECTS.has(r.op))
        this.overwrite(j, dirs, r.target, r.target.value, {
          label: `${r.fd ?? ''}${r.op}`,
          verb: 'overwrites',
        });
    }

    if (node.kind !== 'command' || node.argv.length === 0) return j;
    if (node.background)
      add('background', 'ask', `${j.argv[0] ?? 'The command'} keeps running in the background (&)`);
    const first = node.argv[0]!;
    if (first.value === null || first.glob) return j;
    const program = programOf(first.value);
    const args = node.argv.slice(1);

    if (program.kind === 'path') {
      j.readOnly = false;
      const targets = this.resolveAll(dirs, first.value);
      for (const abs of targets.paths) j.executes.push(posix.normalize(abs));
      const inside = targets.paths.length > 0 && targets.paths.every((p) => this.inWorkspace(p));
      if (inside || targets.unknown)
        add(
          'workspace-executable',
          'ask',
          `${first.value} is a program file from the workspace, not a system tool`,
        );
      else add('unknown-command', 'ask', `${first.value} is not a system program NAVI knows`);
      this.genericArgs(j, dirs, args, {}, new Set());
      return j;
    }

    const name = program.name;
    j.program = name;
    if (scope.scriptDir) {
      const bin = this.nodeModulesBin(scope.scriptDir, name);
      if (bin) {
        j.readOnly = false;
        j.executes.push(bin);
        add('workspace-executable', 'ask', `${name} runs ${displayRel(this.env, bin)} from the workspace`);
        this.genericArgs(j, dirs, args, {}, new Set());
        return j;
      }
    }
    const spec = lookupTool(name);
    if (!spec) {
      j.readOnly = false;
      add('unknown-command', 'ask', `NAVI does not know what ${name} does`);
      this.genericArgs(j, dirs, args, {}, new Set());
      return j;
    }
    const call = new Call(this, j, scope, dirs, name, args);
    // Words already judged as code (sh -c "$(…)", eval $(…)) are not reported again as arguments.
    const code = new Set<number>();
    for (const note of node.notes)
      if (note.kind === 'dynamic-code' && note.word)
        args.forEach((w, i) => (w === note.word || (name === 'eval' && w.value === null)) && code.add(i));
    spec.judge?.(call);
    this.offMachine(j, dirs);
    const values = args.map((w) => w.value);
    for (const o of overwrittenBy(name, values))
      this.overwrite(j, dirs, o.index === null ? null : args[o.index]!, o.path, o, o.into);
    if (!spec.readOnly || call.changed) j.readOnly = false;
    this.genericArgs(j, dirs, args, spec, call.skip, code);
    if (node.wrappers.some((w) => w.spec.appendsArgs) && spec.riskyOptions)
      add(
        'dynamic-argument',
        'ask',
        `xargs adds arguments to ${name} that NAVI cannot see (they could be options)`,
      );
    return j;
  }

  /** Dynamic arguments, leading wildcards and secret paths in any argument. */
  private genericArgs(
    j: JudgedCommand,
    dirs: CwdCandidates,
    args: readonly Word[],
    spec: ToolSpec,
    skip: ReadonlySet<number>,
    code: ReadonlySet<number> = new Set(),
  ): void {
    const name = j.program ?? j.argv[0] ?? 'the command';
    args.forEach((w, i) => {
      if (code.has(i)) return;
      if (w.substitution && !w.processSubstitution)
        j.findings.push(
          finding(
            'dynamic-argument',
            'ask',
            `The argument ${w.raw} of ${name} comes from another command's output`,
          ),
        );
      else if (w.value === null && w.unknownGlob)
        j.findings.push(
          finding(
            'dynamic-argument',
            'ask',
            `NAVI cannot tell what ${w.raw} passes to ${name}: ${w.unknownGlob}`,
          ),
        );
      else if (w.value === null && !spec.inertArgs)
        j.findings.push(
          finding('dynamic-argument', 'ask', `The argument ${w.raw} of ${name} is only known when it runs`),
        );
      if (w.value === null || spec.inertArgs || spec.noPaths || skip.has(i) || w.processSubstitution) return;
      let value = w.value;
      if (value.startsWith('-')) {
        const eq = value.indexOf('=');
        if (eq < 0) return;
        value = value.slice(eq + 1);
      }
      if (value === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^\d+$/.test(value)) return;
      this.read(j, dirs, { ...w, value });
    });
  }

  // ----------------------------------------------------------------------------------------
  // Paths

  cwdCandidates(base: string, steps: readonly CdStep[]): CwdCandidates {
    const dirs = [base];
    let cur = base;
    for (const step of steps) {
      if (step === 'dynamic') return { dirs, unknown: true };
      if (step === 'home') cur = this.env.homeGiven;
      else if (step.value === null || step.glob) return { dirs, unknown: true };
      else cur = step.value.startsWith('/') ? step.value : `${cur}/${step.value}`;
      dirs.push(cur);
    }
    return { dirs, unknown: false };
  }

  /** Absolute (unnormalised) candidates for a path word; `unknown` when the cwd is unknown. */
  resolveAll(dirs: CwdCandidates, value: string): { paths: string[]; unknown: boolean } {
    if (value.startsWith('/')) return { paths: [value], unknown: false };
    return { paths: [...new Set(dirs.dirs.map((d) => `${d}/${value}`))], unknown: dirs.unknown };
  }

  inWorkspace(abs: string): boolean {
    const real = resolveReal(abs, this.env.cache);
    return real !== null && relInside(this.env.root, real) !== null;
  }

  write(
    j: JudgedCommand,
    dirs: CwdCandidates,
    target: Word | string,
    opts: { recursive?: boolean; deletes?: boolean },
  ): void {
    j.readOnly = false;
    const word = typeof target === 'string' ? null : target;
    const value = typeof target === 'string' ? target : target.value;
    if (value === null) {
      j.findings.push(
        finding('dynamic-argument', 'ask', `${word!.raw} is a file named only when the command runs`),
      );
      // A pattern with too many names: they all lie in one folder, judged as a file in it
      // (`cd /tmp && rm -rf *` is outside the workspace however many names /tmp holds).
      if (word?.globDir)
        this.write(
          j,
          { dirs: [word.globDir], unknown: false },
          `${word.globDir}/${word.raw.split('/').pop()}`,
          opts,
        );
      return;
    }
    // Wildcards reach here already expanded by the parser (parse.ts, glob.ts): one path per word.
    const { paths, unknown } = this.resolveAll(dirs, value);
    if (unknown)
      j.findings.push(
        finding(
          'dynamic-argument',
          'ask',
          `The working directory is only known when it runs, so NAVI cannot check ${value}`,
        ),
      );
    const verb = opts.deletes ? 'deletes' : 'writes';
    for (const abs of paths) {
      const c = checkWrite(abs, this.env, opts);
      if (opts.deletes && opts.recursive && (c.kind === 'ok' || c.kind === 'sensitive'))
        this.deletesProject(j, abs, verb);
      switch (c.kind) {
        case 'special':
          break;
        case 'network':
          j.findings.push(finding('reverse-shell', 'deny', `${verb} ${c.display}, a network socket`));
          break;
        case 'unresolvable':
          j.findings.push(
            finding('write-outside-workspace', 'deny', `${c.display} goes through a symlink loop`),
          );
          break;
        case 'outside':
          j.findings.push(
            finding(
              'write-outside-workspace',
              'deny',
              c.via === 'symlink'
                ? `${verb} ${c.display}, which a symlink points outside the workspace`
                : `${verb} ${c.display}, outside the workspace`,
            ),
          );
          if (c.autoRun)
            j.findings.push(
              finding('write-protected', 'deny', `${verb} ${c.display}: ${c.autoRun.why}`, c.autoRun),
            );
          break;
        case 'root':
          if (opts.deletes || opts.recursive)
            j.findings.push(
              finding('write-protected', 'deny', `${verb} the whole workspace folder, including .git`),
            );
          break;
        case 'protected':
          j.findings.push(finding('write-protected', 'deny', `${verb} ${c.display}: ${c.why}`, c.autoRun));
          break;
        case 'hidden':
          j.findings.push(finding('hidden-path', 'deny', `${verb} ${c.display}, which the policy hides`));
          break;
        case 'sensitive':
          j.findings.push(finding('write-sensitive', 'ask', `${verb} ${c.display}: ${c.why}`));
          break;
        case 'ok':
          if (opts.deletes && opts.recursive && holdsGitRepository(c.real))
            j.findings.push(
              finding('write-protected', 'deny', `${verb} ${c.display}, which holds a git repository`),
            );
          break;
      }
    }
  }

  /**
   * A recursive delete of `abs`, a name in the workspace folder: once one command has deleted
   * every name `*` matches there (`rm -rf *`, `rm -rf ./*`), it has deleted the project's own
   * files with its build outputs — refused like deleting the workspace folder itself.
   */
  private deletesProject(j: JudgedCommand, abs: string, verb: string): void {
    const real = resolveReal(abs, this.env.cache);
    if (real === null || posix.dirname(real) !== this.env.root) return;
    let seen = this.rootDeletes.get(j);
    if (!seen) this.rootDeletes.set(j, (seen = { names: projectEntries(this.env.root), deleted: new Set() }));
    seen.deleted.add(posix.basename(real));
    const reason = `${verb} every file and folder of the workspace folder`;
    if (
      seen.names.length > 0 &&
      seen.names.every((n) => seen.deleted.has(n)) &&
      !j.findings.some((f) => f.reason === reason)
    )
      j.findings.push(finding('write-protected', 'deny', reason));
  }

  /**
   * A write that destroys what the file held (a truncating redirect, `cp` onto it…): onto an
   * existing regular file in the workspace, outside the build-output folders, it asks like
   * `truncate` (knowledge/overwrite.ts). `into`: `file` may be a folder that receives these names.
   * Everything else about the write (outside the workspace, protected…) is write()'s job.
   */
  overwrite(
    j: JudgedCommand,
    dirs: CwdCandidates,
    word: Word | null,
    file: string | null,
    how: { label: string; verb: string },
    into?: { names: readonly string[]; folder: boolean },
  ): void {
    if (file === null || word?.value === null || word?.processSubstitution) return;
    const check = (abs: string) => {
      const c = checkWrite(abs, this.env);
      if (c.kind !== 'ok' && c.kind !== 'sensitive') return;
      const real = c.kind === 'ok' ? c.real : resolveReal(abs, this.env.cache);
      if (real === null || !isRegularFile(real)) return;
      const rel = relInside(this.env.root, real);
      if (rel === null || BUILD_OUTPUT_RE.some((r) => r.test(rel))) return;
      const reason = `${how.label} ${how.verb} ${showName(c.display)}, an existing file`;
      if (!j.findings.some((f) => f.reason === reason))
        j.findings.push(finding('destructive', 'ask', reason));
    };
    for (const abs of this.resolveAll(dirs, file).paths) {
      if (!into) check(abs);
      else if (isDirectory(abs)) for (const name of into.names) check(`${abs}/${name}`);
      else if (!into.folder) check(abs);
    }
  }

  read(j: JudgedCommand, dirs: CwdCandidates, target: Word | string): void {
    const value = typeof target === 'string' ? target : target.value;
    if (value === null) return;
    for (const abs of this.resolveAll(dirs, value).paths) {
      const c = checkRead(abs, this.env);
      switch (c.kind) {
        case 'ok':
          break;
        case 'network':
          j.network = true;
          j.findings.push(finding('reverse-shell', 'deny', `reads from ${c.display}, a network socket`));
          break;
        case 'secret':
          j.readsSecrets = true;
          j.findings.push(finding('secret-read', 'deny', `reads ${c.display}, which holds credentials`));
          break;
        case 'hidden':
          j.findings.push(finding('hidden-path', 'deny', `reads ${c.display}, which the policy hides`));
          break;
        case 'sensitive':
          j.readsSecrets = true;
          j.findings.push(
            finding(
              'sensitive-read',
              'ask',
              `reads ${c.display}: ${c.why} (the output goes into the agent's context)`,
            ),
          );
          break;
      }
    }
  }

  /**
   * A file whose content leaves the machine (ToolCall.sends): a secret is refused, any other file
   * asks. `input`: the file is the standard input of a network command, already path-checked as
   * a read; only a secret is reported.
   */
  sends(
    j: JudgedCommand,
    dirs: CwdCandidates,
    target: Word | string,
    how: string,
    opts: { store?: string | undefined; input?: boolean } = {},
  ): void {
    if (!opts.input) this.read(j, dirs, target);
    const value = typeof target === 'string' ? target : target.value;
    if (value === null) return;
    for (const abs of this.resolveAll(dirs, value).paths) {
      const shown = displayPath(posix.normalize(abs), this.env);
      if (!isSecretFile(abs, this.env)) {
        if (!opts.input) j.findings.push(finding('exfiltration', 'ask', `${how} uploads ${shown}`));
      } else if (opts.store)
        j.findings.push(
          finding('exfiltration', 'ask', `${how} puts ${shown}, which holds secrets, into ${opts.store}`),
        );
      else
        j.findings.push(
          finding('exfiltration', 'deny', `${how} sends ${shown}, which holds secrets, off the machine`),
        );
    }
  }

  /**
   * After a tool's judge: a secret on the standard input of a network command, network tampering
   * (knowledge/networkTampering.ts), and a program run on every file of a folder that holds
   * credential stores (`find ~ -exec cat {} +`, `rg --pre cat x /`).
   */
  private offMachine(j: JudgedCommand, dirs: CwdCandidates): void {
    const node = j.node;
    const name = j.program ?? 'the command';
    if (j.network) {
      const args = node.argv.slice(1).map((w) => w.value);
      const store = inputStore(name, args);
      for (const r of node.redirects)
        if (READ_OPS.has(r.op) && !r.dup && r.target?.value && !r.target.processSubstitution)
          this.sends(j, dirs, r.target, `${name} ${r.op} ${r.target.raw}`, { input: true, store });
    }
    for (const reason of networkTampering(node, j.network, j.program))
      j.findings.push(finding('network-tampering', 'deny', reason));
    if (!j.findings.some((f) => f.detector === 'exec-option')) return;
    for (const w of node.argv.slice(1)) {
      if (w.value === null) continue;
      for (const abs of this.resolveAll(dirs, w.value).paths) {
        const store = secretStoreInside(abs, this.env);
        const reason = `${name} runs a program on the files under ${displayPath(posix.normalize(abs), this.env)}, which holds ${store}`;
        if (store && !j.findings.some((f) => f.reason === reason))
          j.findings.push(finding('secret-read', 'deny', reason));
      }
    }
  }

  /** Expands a write pattern whose wildcards are in the last name only (like bash would). */
  nodeModulesBin(dir: string, name: string): string | null {
    let cur = posix.normalize(dir);
    for (let i = 0; i < 32; i++) {
      const candidate = `${cur}/node_modules/.bin/${name}`;
      try {
        fs.lstatSync(candidate);
        return candidate;
      } catch {
        /* not here */
      }
      if (relInside(this.env.root, resolveReal(cur, this.env.cache) ?? cur) === '' || cur === '/') break;
      cur = posix.dirname(cur);
    }
    return null;
  }

  // ----------------------------------------------------------------------------------------
  // Git remotes

  /** The repositories a git command would use from each folder it may run in (gitConfig.ts). */
  gitRepositories(dirs: CwdCandidates, where: GitWhere): GitRepositories {
    if (dirs.unknown)
      return {
        unknown:
          "git runs in a folder only known when it runs, so NAVI cannot read that repository's settings",
      };
    const repos = new Map<string, GitRepository>();
    for (const dir of new Set(dirs.dirs)) {
      let start = posix.resolve(dir);
      for (const c of where.chdir) start = posix.resolve(start, c);
      const key = JSON.stringify([start, where.gitDir, where.workTree, where.bare]);
      let repo = this.repositories.get(key);
      if (repo === undefined) {
        repo = loadRepository(
          {
            start,
            ...(where.gitDir !== undefined ? { gitDir: posix.resolve(start, where.gitDir) } : {}),
            ...(where.workTree !== undefined ? { workTree: posix.resolve(start, where.workTree) } : {}),
            ...(where.bare ? { bare: true } : {}),
          },
          { home: this.env.home, workspaceRoot: this.env.root },
        );
        this.repositories.set(key, repo);
      }
      if (repo) repos.set(repo.gitDir, repo);
    }
    return {
      repos: [...repos.values()],
      show: (abs) => displayRel(this.env, abs),
      hidden: (abs) => checkRead(abs, this.env).kind === 'hidden',
    };
  }

  /** Files with these names from each possible working folder up to the workspace root, nearest first. */
  projectFiles(dirs: CwdCandidates, names: readonly string[]): ProjectFiles {
    if (dirs.unknown) return { unknown: true };
    const files: { abs: string; name: string; show: string; text: string }[] = [];
    const seen = new Set<string>();
    for (const dir of [...new Set(dirs.dirs)].reverse()) {
      let cur = resolveReal(posix.resolve(dir), this.env.cache) ?? posix.resolve(dir);
      if (relInside(this.env.root, cur) === null) continue;
      for (let i = 0; i < 64; i++) {
        for (const name of names) {
          const abs = `${cur}/${name}`;
          if (seen.has(abs)) continue;
          seen.add(abs);
          const text = readSmallFile(abs);
          if (text !== null) files.push({ abs, name, show: displayRel(this.env, abs), text });
        }
        if (cur === this.env.root || cur === '/') break;
        cur = posix.dirname(cur);
      }
    }
    return { files };
  }

  /** The remotes of the workspace's repository, from the settings git reads (gitConfig.ts). */
  gitRemotes(): { names: ReadonlySet<string>; urls: ReadonlySet<string> } {
    if (this.remotes) return this.remotes;
    const remotes = { names: new Set<string>(), urls: new Set<string>() };
    this.remotes = remotes;
    const repo = loadRepository(
      { start: this.env.root },
      { home: this.env.home, workspaceRoot: this.env.root },
    );
    for (const e of repo?.entries ?? []) {
      const m = /^remote\.(.+)\.([^.]+)$/.exec(e.key);
      if (!m) continue;
      remotes.names.add(m[1]!);
      if ((m[2] === 'url' || m[2] === 'pushurl') && e.value !== null) remotes.urls.add(e.value);
    }
    return remotes;
  }

  // ----------------------------------------------------------------------------------------
  // Commands that run other commands

  runWords(j: JudgedCommand, scope: Scope, words: readonly Word[]): void {
    const child = commandFromWords([...words], j.node, this.options.home);
    j.children.push(this.classify(child, scope));
  }

  runShell(j: JudgedCommand, scope: Scope, code: Word, why: string): void {
    j.readOnly = false;
    if (code.value === null) {
      j.findings.push(
        code.substitution
          ? finding('dynamic-code', 'deny', `${why} runs code produced by another command`)
          : finding('dynamic-code', 'ask', `${why} runs code that is only known when it runs`),
      );
      return;
    }
    this.runText(j, scope, code.value, why, true);
  }

  /** Parses shell code the command runs; `inheritCd`: it runs where the command runs. */
  private runText(j: JudgedCommand, scope: Scope, text: string, why: string, inheritCd: boolean): void {
    if (j.node.depth + 1 > MAX_NESTING) {
      j.findings.push(finding('nesting', 'ask', `${why} nests shells more than ${MAX_NESTING} deep`));
      return;
    }
    const parsed = parseCommandLine(text, {
      home: this.options.home,
      depth: j.node.depth + 1,
      globs: { mode: 'opaque' },
    });
    for (const p of parsed.problems) {
      const f = problemFinding(p);
      j.findings.push({ ...f, reason: `${why}: ${f.reason}` });
    }
    if (inheritCd) for (const c of allNodes(parsed.commands)) c.cd = [...j.node.cd, ...c.cd];
    j.children.push(...parsed.commands.map((c) => this.classify(c, scope)));
  }

  runScript(
    j: JudgedCommand,
    scope: Scope,
    dirs: CwdCandidates,
    script: string,
    extra: readonly Word[],
    manager: string,
  ): void {
    j.readOnly = false;
    const label = `${manager} ${script === 'test' || script === 'start' ? script : `run ${script}`}`;
    if (scope.scripts.length >= MAX_SCRIPT_DEPTH) {
      j.findings.push(
        finding('nesting', 'ask', `${label}: scripts call scripts more than ${MAX_SCRIPT_DEPTH} deep`),
      );
      return;
    }
    if (dirs.unknown) {
      j.findings.push(
        finding(
          'package-script',
          'ask',
          `${label}: the folder is only known when it runs, so NAVI cannot find package.json`,
        ),
      );
      return;
    }
    const cwd = dirs.dirs[dirs.dirs.length - 1]!;
    const manifest = this.findManifest(cwd);
    if (!manifest) {
      j.findings.push(
        finding(
          'package-script',
          'ask',
          `${label}: no package.json in the workspace at or above ${displayRel(this.env, cwd)}`,
        ),
      );
      return;
    }
    const pkg = this.readManifest(manifest);
    if (!pkg) {
      j.findings.push(
        finding('package-script', 'ask', `${label}: ${displayRel(this.env, manifest)} cannot be read`),
      );
      return;
    }
    const dir = posix.dirname(manifest);
    let names = [`pre${script}`, script, `post${script}`].filter((n) => Object.hasOwn(pkg.scripts, n));
    let bodies = new Map<string, unknown>(names.map((n) => [n, pkg.scripts[n]]));
    if (!Object.hasOwn(pkg.scripts, script)) {
      if (manager === 'npm' && script === 'start' && fs.existsSync(`${dir}/server.js`)) {
        bodies = new Map([...bodies, ['start', 'node server.js']]);
        names = [...names, 'start'];
      } else {
        j.findings.push(
          finding(
            'package-script',
            'ask',
            `${label}: ${displayRel(this.env, manifest)} has no "${script}" script`,
          ),
        );
        return;
      }
    }
    for (const name of names) {
      const key = `${manifest}#${name}`;
      if (scope.scripts.includes(key)) {
        j.findings.push(finding('package-script', 'ask', `the "${name}" script calls itself`));
        continue;
      }
      if (this.isTainted(manifest, name))
        j.findings.push(
          finding(
            'tainted-script',
            'ask',
            `The agent changed the "${name}" script in ${displayRel(this.env, manifest)} in this task`,
          ),
        );
      const body = bodies.get(name);
      if (typeof body !== 'string') {
        j.findings.push(finding('package-script', 'ask', `the "${name}" script is not text`));
        continue;
      }
      this.options.onScript?.(manifest, name, body);
      let text = body;
      if (name === script && extra.length > 0) {
        if (extra.some((w) => w.value === null))
          j.findings.push(
            finding('dynamic-argument', 'ask', `${label} gets arguments only known when it runs`),
          );
        text = `${body} ${extra.map((w) => shellQuote(w.value ?? w.raw)).join(' ')}`;
      }
      // Script bodies start in the package folder (not where npm was typed), with its
      // node_modules/.bin first on PATH.
      const childScope: Scope = { cwd: dir, scriptDir: dir, scripts: [...scope.scripts, key] };
      this.runText(j, childScope, text, `the "${name}" script`, false);
    }
  }

  private findManifest(cwd: string): string | null {
    let cur = resolveReal(cwd, this.env.cache) ?? posix.normalize(cwd);
    if (relInside(this.env.root, cur) === null) return null;
    for (let i = 0; i < 64; i++) {
      const candidate = `${cur}/package.json`;
      if (fs.existsSync(candidate)) return candidate;
      if (cur === this.env.root || cur === '/') return null;
      cur = posix.dirname(cur);
    }
    return null;
  }

  private readManifest(file: string): { scripts: Record<string, unknown> } | null {
    if (this.manifests.has(file)) return this.manifests.get(file)!;
    let result: { scripts: Record<string, unknown> } | null = null;
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      if (json && typeof json === 'object') {
        const scripts = (json as { scripts?: unknown }).scripts;
        result = {
          scripts: scripts && typeof scripts === 'object' ? (scripts as Record<string, unknown>) : {},
        };
      }
    } catch {
      result = null;
    }
    this.manifests.set(file, result);
    return result;
  }

  private isTainted(manifest: string, script: string): boolean {
    const tainted = this.options.taintedScripts;
    if (!tainted || tainted.size === 0) return false;
    for (const entry of tainted) {
      let file: string | null = null;
      let name: string | null = null;
      const hash = entry.indexOf('#');
      if (hash >= 0) {
        file = entry.slice(0, hash);
        name = entry.slice(hash + 1);
      } else if (/(^|\/)package\.json$/.test(entry)) file = entry;
      else name = entry;
      if (name !== null) name = name.replace(/^scripts\./, '');
      const fileMatches =
        file === null ||
        [this.env.root, this.env.rootGiven].some((base) => {
          const abs = posix.resolve(base, file!);
          return abs === manifest || (resolveReal(abs, this.env.cache) ?? abs) === manifest;
        });
      if (fileMatches && (name === null || name === script)) return true;
    }
    return false;
  }

  // ----------------------------------------------------------------------------------------
  // Checks across commands

  crossChecks(commands: readonly JudgedCommand[]): void {
    const all = flatten(commands);
    // NAVI turns repository settings off through git's environment; a text that changes that
    // environment itself (unset, env -i, env -u…) could undo it, so those settings ask instead.
    const changesEnv = all.map((c) => changesGitEnvironment(c.node)).find((x) => x !== null);
    if (changesEnv)
      for (const c of all) {
        for (const o of c.configOverrides)
          c.findings.push(
            finding('repo-config-exec', 'ask', `${o.ask} (NAVI cannot turn it off: ${changesEnv})`),
          );
        c.configOverrides = [];
      }
    // What a network command writes with `>` is a download too (curl … > i.sh; sh i.sh).
    for (const c of all) {
      if (!c.network) continue;
      const dirs = this.cwdCandidates(this.options.cwd, c.node.cd);
      for (const r of c.node.redirects)
        if (WRITE_OPS.has(r.op) && !r.dup && r.target?.value)
          for (const p of this.resolveAll(dirs, r.target.value).paths) c.downloads.push(posix.normalize(p));
    }
    // Variables assigned from network output (X=$(curl …)) carry remote code into eval "$X".
    const tainted = new Set<string>();
    for (const c of all)
      for (const a of c.node.assignments)
        if (a.value?.commands?.some((n) => this.byNode.get(n)?.network)) tainted.add(a.name);
    const groups = new Map<number, JudgedCommand[]>();
    for (const c of all) {
      const g = c.node.pipeline?.group;
      if (g === undefined) continue;
      const list = groups.get(g) ?? [];
      list.push(c);
      groups.set(g, list);
    }
    const upstream = (c: JudgedCommand) => {
      const p = c.node.pipeline;
      if (!p || p.stage === 0) return [];
      return (groups.get(p.group) ?? []).filter((o) => o !== c && o.node.pipeline!.stage < p.stage);
    };
    const nameOf = (c: JudgedCommand) => c.program ?? c.argv[0] ?? 'a command';
    const producers = (w: Word | null | undefined) =>
      (w?.commands ?? []).map((n) => this.byNode.get(n)).filter((x): x is JudgedCommand => x !== undefined);

    const downloads = new Set(all.flatMap((c) => c.downloads.map((d) => posix.normalize(d))));

    for (const c of all) {
      const node = c.node;
      // 1. Code read from a pipe: network upstream → remote code; otherwise unknown code.
      if (c.codeFromStdin) {
        const up = upstream(c);
        const net = up.find((u) => u.network);
        const script = node.redirects.find((r) => r.op === '<' && r.target?.value);
        if (net)
          c.findings.push(
            finding(
              'remote-code',
              'deny',
              `${nameOf(c)} runs code downloaded by ${nameOf(net)} (a pipe into a shell or interpreter)`,
            ),
          );
        else if (node.processSubstitution === 'out' && !script && !node.stdin)
          c.findings.push(
            finding('dynamic-code', 'deny', `${nameOf(c)} runs the code another command writes into >( )`),
          );
        else if (up.length > 0)
          c.findings.push(finding('dynamic-code', 'ask', `${nameOf(c)} runs commands read from a pipe`));
        else if (script) {
          c.executes.push(
            posix.normalize(
              this.resolveAll(this.cwdCandidates(this.options.cwd, node.cd), script.target!.value!)
                .paths[0] ?? '',
            ),
          );
          if (!POSIX_SHELLS.has(nameOf(c)))
            c.findings.push(finding('interpreter', 'ask', `${nameOf(c)} runs ${script.target!.value}`));
        } else if (node.stdin) {
          if (!POSIX_SHELLS.has(nameOf(c)))
            c.findings.push(
              finding('interpreter-inline', 'ask', `${nameOf(c)} runs code given in a ${node.stdin.kind}`),
            );
        } else
          c.findings.push(finding('interpreter-inline', 'ask', `${nameOf(c)} reads code from its input`));
      }
      // 2. Code from another command's output (sh -c "$(curl …)", eval "$(…)", bash <(curl …)).
      for (const note of node.notes) {
        const word =
          note.kind === 'dynamic-code' ? note.word : note.kind === 'dynamic-command' ? note.word : null;
        const net = producers(word).find((p) => p.network || flatten([p]).some((x) => x.network));
        if (net)
          c.findings.push(
            finding('remote-code', 'deny', `${nameOf(c)} runs code downloaded by ${nameOf(net)}`),
          );
        const variable = word && [...tainted].find((v) => new RegExp(`\\$\\{?${v}\\b`).test(word.raw));
        if (variable)
          c.findings.push(
            finding('remote-code', 'deny', `${nameOf(c)} runs $${variable}, which holds downloaded content`),
          );
      }
      // A process substitution run as code: `bash <(…)`, `source <(…)`, `sh < <(…)`.
      const fed = node.redirects.flatMap((r) =>
        r.op === '<' && r.target?.processSubstitution ? [r.target] : [],
      );
      for (const w of [...node.argv.slice(1), ...fed]) {
        if (!w.processSubstitution || (!c.executes.length && !c.codeFromStdin)) continue;
        const runs = c.executes.includes(w.raw) || (c.codeFromStdin && fed.includes(w));
        const net = producers(w).find((p) => p.network);
        if (net)
          c.findings.push(
            finding('remote-code', 'deny', `${nameOf(c)} runs code downloaded by ${nameOf(net)}`),
          );
        else if (runs && producers(w).length > 0)
          c.findings.push(
            finding('dynamic-code', 'deny', `${nameOf(c)} runs ${w.raw}: code produced by another command`),
          );
        else if (producers(w).length > 0 && c.executes.length)
          c.findings.push(
            finding('dynamic-code', 'ask', `${nameOf(c)} runs code produced by another command`),
          );
      }
      // 3. Network commands: command output in their arguments, secrets read upstream.
      if (c.network) {
        const words = [
          ...node.argv.slice(1),
          ...node.assignments.map((a) => a.value).filter((v): v is Word => v !== null),
        ];
        for (const w of words) {
          const from = producers(w);
          if (from.length > 0 && !w.processSubstitution)
            c.findings.push(
              finding(
                'exfiltration',
                'deny',
                `${nameOf(c)} sends the output of ${from.map(nameOf).join(' | ')} over the network (${w.raw})`,
              ),
            );
        }
        const secret = upstream(c).find((u) => u.readsSecrets);
        // Into a place made to keep secrets (`cat key.pem | gh secret set KEY`) it asks.
        const args = node.argv.slice(1).map((w) => w.value);
        const store = inputStore(nameOf(c), args);
        if (secret)
          c.findings.push(
            store
              ? finding('exfiltration', 'ask', `${nameOf(c)} puts what ${nameOf(secret)} read into ${store}`)
              : finding(
                  'exfiltration',
                  'deny',
                  `${nameOf(c)} sends what ${nameOf(secret)} read from a secret file over the network`,
                ),
          );
        if (node.stdin?.word.commands?.some((n) => this.byNode.get(n)?.readsSecrets))
          c.findings.push(
            finding('exfiltration', 'deny', `${nameOf(c)} sends secret file contents over the network`),
          );
      }
      // 4. A file downloaded earlier in the same text is run.
      for (const e of c.executes) {
        if (downloads.has(posix.normalize(e)) && !c.downloads.includes(e))
          c.findings.push(
            finding(
              'remote-code',
              'deny',
              `${nameOf(c)} runs ${displayRel(this.env, e)}, which was just downloaded`,
            ),
          );
      }
      // 5. xargs runs a program on the names listed under a folder that holds credentials.
      if (node.wrappers.some((w) => w.spec.appendsArgs)) this.runsOnListedSecrets(c, upstream(c));
    }
  }

  /** `find ~ -name '*.pem' | xargs cat`: what xargs runs gets names listed under ~, so ~/.ssh's files too. */
  private runsOnListedSecrets(c: JudgedCommand, upstream: readonly JudgedCommand[]): void {
    if (c.program === null || lookupTool(c.program)?.inertArgs) return;
    for (const u of upstream) {
      if (u.program === null || !LISTS_FILES.has(u.program)) continue;
      const dirs = this.cwdCandidates(this.options.cwd, u.node.cd);
      for (const w of u.node.argv.slice(1))
        for (const abs of w.value === null ? [] : this.resolveAll(dirs, w.value).paths) {
          const store = secretStoreInside(abs, this.env);
          const reason = `xargs runs ${c.program} on the files ${u.program} lists under ${displayPath(posix.normalize(abs), this.env)}, which holds ${store}`;
          if (store && !c.findings.some((f) => f.reason === reason))
            c.findings.push(finding('secret-read', 'deny', reason));
        }
    }
  }
}

interface CwdCandidates {
  /** The working directory before each `cd` and after it (any of them may be the real one). */
  dirs: string[];
  /** A `cd` to a folder NAVI cannot know came before. */
  unknown: boolean;
}

/** The ToolCall a knowledge judge sees for one command. */
class Call implements ToolCall {
  changed = false;
  readonly skip = new Set<number>();
  /** Words optionWord made for attached option values, and the argument each came from. */
  private readonly parts = new Map<Word, number>();
  readonly values: readonly (string | null)[];

  constructor(
    private readonly c: Classifier,
    private readonly j: JudgedCommand,
    private readonly scope: Scope,
    private readonly dirs: CwdCandidates,
    readonly name: string,
    readonly args: readonly Word[],
  ) {
    this.values = args.map((w) => w.value);
  }

  get node(): CommandNode {
    return this.j.node;
  }

  ask(detector: DetectorId, reason: string): void {
    this.j.findings.push(finding(detector, 'ask', reason));
    // Installing packages downloads them: once approved, the command gets the network.
    if (detector === 'package-install') this.j.network = true;
  }

  deny(detector: DetectorId, reason: string): void {
    this.j.findings.push(finding(detector, 'deny', reason));
  }

  changes(): void {
    this.changed = true;
  }

  write(target: Word | string, options: { recursive?: boolean; deletes?: boolean } = {}): void {
    this.changed = true;
    this.markNotPath(target);
    this.c.write(this.j, this.dirs, target, options);
  }

  read(target: Word | string): void {
    this.markNotPath(target);
    this.c.read(this.j, this.dirs, target);
  }

  sends(target: Word | string, how: string, options: { store?: string } = {}): void {
    this.markNotPath(target);
    this.c.sends(this.j, this.dirs, target, how, options);
  }

  optionWord(option: OptionArg): Word {
    const word = option.valueIndex === null ? undefined : this.args[option.valueIndex];
    if (!word) return literalWord(option.value ?? '');
    if (option.valueIndex !== option.index) return word;
    // `--output=FILE`, `-oFILE`: a word of its own for the value part, remembered so that
    // write/read still know which argument they consumed.
    const part: Word = {
      ...word,
      raw: option.value ?? word.raw,
      value: word.value === null ? null : option.value,
    };
    this.parts.set(part, option.index);
    return part;
  }

  private markNotPath(target: Word | string): void {
    if (typeof target === 'string') return;
    const i = this.parts.get(target) ?? this.args.indexOf(target);
    if (i >= 0) this.skip.add(i);
  }

  network(reason: string, options: { quiet?: boolean } = {}): void {
    this.j.network = true;
    this.changed = true;
    if (!options.quiet) this.ask('network', reason);
  }

  run(words: readonly Word[], why: string): void {
    this.changed = true;
    void why;
    this.c.runWords(this.j, this.scope, words);
  }

  runShell(code: Word, why: string): void {
    this.changed = true;
    this.c.runShell(this.j, this.scope, code, why);
  }

  runScript(script: string, extraArgs: readonly Word[], manager: string): void {
    this.changed = true;
    this.c.runScript(this.j, this.scope, this.dirs, script, extraArgs, manager);
  }

  codeFromStdin(): void {
    this.changed = true;
    this.j.codeFromStdin = true;
  }

  executes(target: Word | string): void {
    this.changed = true;
    const value = typeof target === 'string' ? target : target.value;
    if (value === null || (typeof target !== 'string' && target.processSubstitution)) {
      // A process substitution is named by its source text, so crossChecks knows which one runs.
      if (typeof target !== 'string')
        this.j.executes.push(target.processSubstitution ? target.raw : `/dev/fd/${this.j.executes.length}`);
      return;
    }
    for (const p of this.c.resolveAll(this.dirs, value).paths) this.j.executes.push(posix.normalize(p));
  }

  downloads(target: string): void {
    for (const p of this.c.resolveAll(this.dirs, target).paths) this.j.downloads.push(posix.normalize(p));
  }

  notPaths(...indexes: number[]): void {
    for (const i of indexes) this.skip.add(i);
  }

  gitRemotes() {
    return this.c.gitRemotes();
  }

  resolve(target: string): string | null {
    const { paths, unknown } = this.c.resolveAll(this.dirs, target);
    if (unknown && !target.startsWith('/')) return null;
    return paths.find((p) => !this.c.inWorkspace(p)) ?? paths[0] ?? null;
  }

  inWorkspace(abs: string): boolean {
    return this.c.inWorkspace(abs);
  }

  gitRepositories(where: GitWhere): GitRepositories {
    return this.c.gitRepositories(this.dirs, where);
  }

  projectFiles(names: readonly string[]): ProjectFiles {
    return this.c.projectFiles(this.dirs, names);
  }

  neutralise(setting: NeutralisedSetting): void {
    const list = this.j.configOverrides;
    if (!list.some((o) => o.key.toLowerCase() === setting.key.toLowerCase() && o.reason === setting.reason))
      list.push(setting);
  }
}

/** How a command changes the environment git gets (null: it does not), in a reason's words. */
function changesGitEnvironment(node: CommandNode): string | null {
  const gitVar = (name: string | null) => name === null || /^GIT_/i.test(name);
  for (const a of node.assignments) if (gitVar(a.name)) return `it sets ${a.name}`;
  for (const w of node.wrappers) {
    if (w.name === 'exec' && w.argv.slice(1).some((a) => a.value === null || /^-[^-]*c/.test(a.value)))
      return 'exec -c clears it';
    if (w.name !== 'env') continue;
    for (const a of w.argv.slice(1)) {
      const v = a.value;
      if (v === null) return 'env gets arguments only known when it runs';
      if (v === '-' || v === '--ignore-environment' || /^-[^-]*i/.test(v)) return 'env -i clears it';
      if (v.startsWith('--unset') || /^-[^-]*u/.test(v)) return 'env -u removes variables';
    }
  }
  const program = node.argv[0]?.value;
  if (node.kind === 'declaration' || program === 'unset' || program === 'export') {
    if (node.argv.slice(1).some((a) => gitVar(a.value) || (a.value ?? '').includes('GIT_')))
      return `${program} changes git variables`;
  }
  return null;
}

/** Builtins whose `NAME=value` arguments set variables (`export "X=1"` sets X like `export X=1`). */
const DECLARATION_BUILTINS: ReadonlySet<string> = new Set([
  'export',
  'declare',
  'typeset',
  'readonly',
  'local',
]);

/**
 * The arguments of a declaration builtin that may set a variable the grammar did not read as an
 * assignment: a quoted one (`export "BASH_ENV=x"`), one of a quoted or wrapped builtin
 * (`'export' X=…`, `command export X=…`, `builtin declare -x X=…`), one only known at run time.
 */
function declaredWords(node: CommandNode): Word[] {
  if (node.kind !== 'command' && node.kind !== 'declaration') return [];
  if (!DECLARATION_BUILTINS.has(node.argv[0]?.value ?? '')) return [];
  return node.argv.slice(1).filter((w) => w.value === null || !w.value.startsWith('-'));
}

function codeVia(via: 'shell' | 'eval' | 'stdin' | 'wrapper', node: CommandNode): string {
  const name = node.argv[0] ? wordText(node.argv[0]) : 'The command';
  if (via === 'eval') return 'eval';
  if (via === 'stdin') return `${name} (reading a heredoc)`;
  return `${name} -c`;
}

function displayArgv(node: CommandNode): string[] {
  if (node.kind === 'assignment') return node.assignments.map((a) => a.raw);
  if (node.kind === 'declaration') return [...node.argv.map(wordText), ...node.assignments.map((a) => a.raw)];
  if (node.kind === 'redirect')
    return node.redirects.map((r) => `${r.op}${r.target ? wordText(r.target) : ''}`);
  return node.argv.map(wordText);
}

const BUILD_OUTPUT_RE = BUILD_OUTPUT.map(compileGlob);

const isRegularFile = (abs: string) => statSafe(abs)?.isFile() ?? false;
const isDirectory = (abs: string) => statSafe(abs)?.isDirectory() ?? false;

/** A path in a reason: as it is when plain, else quoted (JSON escapes, so a newline cannot start a line). */
function showName(display: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(display) ? display : JSON.stringify(display);
}

function displayRel(env: PathEnv, abs: string): string {
  const real = resolveReal(abs, env.cache) ?? abs;
  const rel = relInside(env.root, real) ?? relInside(env.rootGiven, posix.normalize(abs));
  return rel === null ? abs : rel === '' ? '.' : rel;
}

/** The effect a detector has by default (for docs and tests). */
export function defaultEffect(detector: DetectorId): 'ask' | 'deny' {
  return DETECTORS[detector].effect === 'deny' ? 'deny' : 'ask';
}
