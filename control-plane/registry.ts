import type { OrgConfig } from './config';
import type { OrgRecord, Store } from './store/types';

/** An OrgConfig (file or CLI input, defaults applied) as the registry record. */
export function orgRecord(o: OrgConfig): OrgRecord {
  return {
    id: o.id,
    name: o.name ?? o.id,
    issuers: o.issuers,
    audience: o.audience,
    clientIds: o.clientIds,
    rolesClaim: o.rolesClaim,
    acceptIdTokens: o.acceptIdTokens,
  };
}

/**
 * The org registry: orgs of the config file plus the ones stored with `org add`, looked up by
 * issuer. An issuer belongs to exactly one org; the config file wins over the store when both
 * register an org id. Cached for `registryCacheSeconds` so a token check costs no query.
 */
export class OrgRegistry {
  private byIssuer = new Map<string, OrgRecord>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly fileOrgs: OrgRecord[],
    private readonly cacheMs: number,
  ) {}

  /** The org that registered this issuer, or undefined (no network involved). */
  async findByIssuer(issuer: string): Promise<OrgRecord | undefined> {
    if (Date.now() - this.loadedAt > this.cacheMs) await this.reload();
    return this.byIssuer.get(issuer);
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const stored = await this.store.listOrgs();
        const fileIds = new Set(this.fileOrgs.map((o) => o.id));
        const map = new Map<string, OrgRecord>();
        for (const org of [...this.fileOrgs, ...stored.filter((o) => !fileIds.has(o.id))])
          for (const issuer of org.issuers) if (!map.has(issuer)) map.set(issuer, org);
        this.byIssuer = map;
        this.loadedAt = Date.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}

/** Refuses a config whose orgs share an issuer or an id (checked on start). */
export function checkFileOrgs(orgs: OrgRecord[]): void {
  const ids = new Set<string>();
  const issuers = new Map<string, string>();
  for (const org of orgs) {
    if (ids.has(org.id)) throw new Error(`org ${org.id} is listed twice in the config file`);
    ids.add(org.id);
    for (const issuer of org.issuers) {
      const owner = issuers.get(issuer);
      if (owner) throw new Error(`issuer ${issuer} is registered for both ${owner} and ${org.id}`);
      issuers.set(issuer, org.id);
    }
  }
}
