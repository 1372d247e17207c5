import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, NaviError } from '../../protocol/errors';
import { loadPolicyLayersAsync, type EffectivePolicy, type PolicyLayer, type PolicySource } from './policy';

/**
 * Where the three policy layers come from, and when they are read again.
 *
 * - org: the administrator's file on this machine (`/etc/navi/policy.json`) or the org policy the
 *   control plane serves (`setOrgPolicy`);
 * - workspace: `<root>/.navi/policy.json`, read only in a trusted workspace, never through a
 *   symlink that leaves the workspace;
 * - user: `~/.config/navi/policy.json`.
 *
 * Files are read on every judgement (they are small; a stat would not catch a same-second edit),
 * and the merged policy is cached by the content hashes, so the examples run once per version.
 * A layer that changed since the last load is reported through `onChange` (the audit log's
 * `policy.changed`) before the new policy is used. An invalid file throws NaviError 41005: NAVI
 * refuses to judge with a policy it cannot read rather than run without it.
 */
export interface PolicyLoader {
  load(workspaceRoot: string, trusted: boolean): Promise<EffectivePolicy>;
}

export interface PolicyChange {
  layer: PolicyLayer;
  /** File path (or URL of the control plane's org policy). */
  path: string;
  /** SHA-256 of the new content; null when the file is gone. */
  sha256: string | null;
  ruleIds: string[];
}

export interface FilePolicyLoaderOptions {
  /** The org layer on this machine; absent or missing: no org file. */
  orgFile?: string;
  /** The user's own policy file. */
  userFile?: string;
  /** Called (and awaited) for every layer whose content differs from the last load. */
  onChange?: (change: PolicyChange) => Promise<void>;
}

/** Policy files larger than this are refused: a policy is a list of rules, not a data set. */
export const MAX_POLICY_BYTES = 1024 * 1024;

interface LayerText {
  layer: PolicyLayer;
  path: string;
  text: string | null;
  sha256: string | null;
}

export class FilePolicyLoader implements PolicyLoader {
  private org: { source: string; text: string } | undefined;
  private readonly cache = new Map<string, EffectivePolicy>();
  private readonly seen = new Map<string, string | null>();

  constructor(private readonly options: FilePolicyLoaderOptions) {}

  /** The org policy from the control plane (replaces the machine file while set). */
  setOrgPolicy(policy: { source: string; text: string } | undefined): void {
    this.org = policy;
  }

  async load(workspaceRoot: string, trusted: boolean): Promise<EffectivePolicy> {
    const layers: LayerText[] = [];
    if (this.org) layers.push(withHash('org', this.org.source, this.org.text));
    else if (this.options.orgFile) layers.push(readLayer('org', this.options.orgFile));
    const workspaceFile = path.join(workspaceRoot, '.navi', 'policy.json');
    if (trusted) layers.push(readLayer('workspace', workspaceFile, workspaceRoot));
    if (this.options.userFile) layers.push(readLayer('user', this.options.userFile));

    // In Restricted Mode the workspace file is not read, but whether it exists changes the notes.
    const ignoredWorkspaceFile = !trusted && fileExists(workspaceFile);
    const key = JSON.stringify([
      trusted,
      ignoredWorkspaceFile,
      layers.map((l) => [l.layer, l.path, l.sha256]),
    ]);
    let policy = this.cache.get(key);
    if (!policy) {
      const input: { org?: PolicySource; workspace?: PolicySource; user?: PolicySource; trusted: boolean } = {
        trusted,
      };
      for (const l of layers) if (l.text !== null) input[l.layer] = { path: l.path, text: l.text };
      policy = await loadPolicyLayersAsync(input);
      if (ignoredWorkspaceFile)
        policy = {
          ...policy,
          notes: [...policy.notes, 'The workspace policy (.navi/policy.json) is ignored in Restricted Mode.'],
        };
      if (this.cache.size > 32) this.cache.clear();
      this.cache.set(key, policy);
    }
    for (const l of layers) {
      const id = `${l.layer}:${l.path}`;
      const before = this.seen.get(id);
      if (before === l.sha256 || (before === undefined && l.sha256 === null)) continue;
      this.seen.set(id, l.sha256);
      try {
        await this.options.onChange?.({
          layer: l.layer,
          path: l.path,
          sha256: l.sha256,
          ruleIds: policy.rules.filter((r) => r.layer === l.layer).map((r) => r.id),
        });
      } catch (error) {
        // Not recorded: report the change again on the next load instead of using it unannounced.
        if (this.seen.get(id) === l.sha256) {
          if (before === undefined) this.seen.delete(id);
          else this.seen.set(id, before);
        }
        throw error;
      }
    }
    return policy;
  }
}

function withHash(layer: PolicyLayer, source: string, text: string): LayerText {
  return { layer, path: source, text, sha256: createHash('sha256').update(text).digest('hex') };
}

function fileExists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Reads one layer's file; missing is fine (no layer), anything else unusable is an error. */
function readLayer(layer: PolicyLayer, file: string, mustStayIn?: string): LayerText {
  const invalid = (detail: string) =>
    new NaviError(ErrorCodes.InvalidPolicy, `Invalid policy file ${file}: ${detail}`, {
      path: file,
      hint: 'Fix or remove the file; until then NAVI refuses to judge commands with it.',
    });
  let text: string;
  try {
    if (mustStayIn) {
      // A workspace policy that is a symlink out of the workspace is not the workspace's policy.
      const real = fs.realpathSync(file);
      const root = fs.realpathSync(mustStayIn);
      const rel = path.relative(root, real);
      if (rel.startsWith('..') || path.isAbsolute(rel))
        throw invalid('it is a link to a file outside the workspace');
    }
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw invalid('it is not a regular file');
    if (stat.size > MAX_POLICY_BYTES)
      throw invalid(`it is ${stat.size} bytes; the limit is ${MAX_POLICY_BYTES}`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof NaviError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { layer, path: file, text: null, sha256: null };
    throw invalid(`it cannot be read (${code ?? (error as Error).message})`);
  }
  return withHash(layer, file, text);
}
