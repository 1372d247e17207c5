import * as fsp from 'node:fs/promises';
import type {
  OrgSessionParams,
  OrgTokenParams,
  OrgTokenResult,
  OrgUploadStatus,
} from '../../protocol/requests';
import type { OrgGate } from '../exec/pipeline';
import type { PolicyLoader } from '../exec/policyLayers';
import type { Logger } from '../taskContext';
import { OrgPolicySync, type OrgPolicyTarget } from './orgPolicy';
import { describeError, OrgSessionHolder } from './session';
import { AuditUploader, type UploaderOptions } from './uploader';

/**
 * Everything the agent does for the org it is signed in to, behind one object for server/main.ts:
 * the session (./session.ts), the audit upload (./uploader.ts), the org policy layer
 * (./orgPolicy.ts) and the `requireAuditRecord` gate of the command pipeline.
 *
 * `requireAuditRecord` (docs/org.md): when the org's policy sets it, a command runs only after
 * the control plane has acknowledged its record — everything in the local log up to and including
 * the command's `command.proposed` and `command.verdict` (and `command.approved`, when it was
 * asked). The upload waits at most `gateTimeoutMs` (default 5 s); a control plane that cannot be
 * reached, a refused token or no session refuse the command, which is recorded locally as
 * `command.denied` (by `policy`) and uploaded later. `command.executed` cannot precede the run; it
 * is uploaded right after.
 */
export interface OrgServiceOptions {
  stateDir: () => string;
  auditFile: () => string;
  loader: OrgPolicyTarget;
  requestToken: (params: OrgTokenParams) => Promise<OrgTokenResult>;
  log: Logger;
  fetch?: typeof fetch;
  gateTimeoutMs?: number;
  uploader?: Partial<Pick<UploaderOptions, 'maxBatchEvents' | 'maxBatchBytes' | 'backoff' | 'pollMs'>>;
}

export class OrgService {
  readonly session: OrgSessionHolder;
  readonly uploader: AuditUploader;
  readonly policy: OrgPolicySync;

  constructor(private readonly options: OrgServiceOptions) {
    this.session = new OrgSessionHolder({ requestToken: options.requestToken, log: options.log });
    const common = {
      session: () => this.session.current(),
      token: (reason?: 'rejected') => this.session.token(reason),
      log: options.log,
      stateDir: options.stateDir,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    this.uploader = new AuditUploader({ ...common, file: options.auditFile, ...options.uploader });
    this.policy = new OrgPolicySync({ ...common, loader: options.loader });
    this.session.onChange((current, previous) => {
      // A refreshed token for the same target keeps the policy; anything else re-reads it.
      const sameTarget =
        current &&
        previous &&
        current.controlPlaneUrl === previous.controlPlaneUrl &&
        current.org === previous.org;
      if (!sameTarget) this.policy.sessionChanged();
      this.uploader.sessionChanged();
    });
  }

  /** `navi/orgSession`. */
  setSession(params: OrgSessionParams): void {
    this.session.set(params);
  }

  /** After every local append: upload soon. */
  appended(): void {
    if (this.session.current()) this.uploader.nudge();
  }

  /** The org layer waits for the first fetch of the org policy (bounded). */
  policyLoader(loader: PolicyLoader): PolicyLoader {
    return this.policy.wrap(loader);
  }

  /** The pipeline's hook (server/exec/pipeline.ts `PipelinePorts.org`). */
  readonly gate: OrgGate = {
    beforeRun: async ({ recorded, signal }) => {
      if (!this.policy.requireAuditRecord()) return undefined;
      const session = this.session.current();
      // The local record first: what the control plane must hold is on disk.
      await recorded;
      const through = await fsp.stat(this.options.auditFile()).then(
        (s) => s.size,
        () => 0,
      );
      try {
        await this.uploader.flush({ through, timeoutMs: this.options.gateTimeoutMs ?? 5_000, signal });
        return undefined;
      } catch (error) {
        if (signal.aborted) throw error;
        const where = session
          ? `${session.org}'s control plane (${session.controlPlaneUrl})`
          : 'the control plane';
        this.options.log.warn(
          `A command was refused: its audit record could not be uploaded (${describeError(error)}).`,
        );
        return (
          `your org requires every command to be recorded at its control plane before it runs, and ` +
          `${where} did not acknowledge the record (${describeError(error)}). Check the connection or sign in again.`
        );
      }
    },
  };

  /** `navi/auditUpload`: uploads what is pending (at most `timeoutMs`) and reports. */
  async flush(timeoutMs: number): Promise<OrgUploadStatus> {
    if (this.session.current()) {
      try {
        await this.uploader.flush({ timeoutMs });
      } catch (error) {
        this.uploader.stats.lastError = describeError(error);
      }
    }
    return this.status();
  }

  async status(): Promise<OrgUploadStatus> {
    const session = this.session.current();
    const { inserted, duplicates, skipped, lastUploadAt, lastError } = this.uploader.stats;
    const version = this.policy.version();
    return {
      signedIn: session !== undefined,
      ...(session ? { controlPlaneUrl: session.controlPlaneUrl, org: session.org } : {}),
      pending: await this.uploader.pending().catch(() => 0),
      inserted,
      duplicates,
      skipped,
      ...(lastUploadAt ? { lastUploadAt } : {}),
      ...(lastError ? { lastError } : {}),
      ...(version !== undefined ? { policyVersion: version } : {}),
      requireAuditRecord: this.policy.requireAuditRecord(),
    };
  }

  dispose(): void {
    this.uploader.stop();
    this.policy.stop();
  }
}
