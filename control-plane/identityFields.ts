/**
 * Request fields that try to name an org or a user. The control plane takes both only from the
 * verified token, so a request carrying any of these — as a query parameter, a header other than
 * Authorization, or a top-level field of the body or of an uploaded event — is refused with 400
 * before anything is read or stored, instead of being silently ignored (a client that sends them
 * believes they mean something).
 *
 * Names are compared after lower-casing and removing `-`, `_` and a leading `x-` of headers, so
 * `X-Org-Id`, `org_id`, `orgId` and `ORGID` are one name.
 */
const NAMES = new Set([
  'org',
  'orgid',
  'orgname',
  'organization',
  'organizationid',
  'organisation',
  'organisationid',
  'tenant',
  'tenantid',
  'user',
  'userid',
  'username',
  'useremail',
  'email',
  'sub',
  'subject',
  'uid',
  'principal',
  'impersonate',
  'impersonateuser',
  'actas',
  'onbehalfof',
  'forwardeduser',
  'forwardedemail',
  'forwardedpreferredusername',
  'remoteuser',
  'authuser',
  'authrequestuser',
  'authrequestemail',
  'naviorg',
  'naviorgid',
  'naviuser',
  'naviuserid',
  'devuserid',
]);

export function normalizeName(name: string, isHeader = false): string {
  const lower = name.toLowerCase();
  return (isHeader ? lower.replace(/^x-/, '') : lower).replace(/[-_]/g, '');
}

export function namesIdentity(name: string, isHeader = false): boolean {
  return NAMES.has(normalizeName(name, isHeader));
}

/** The first identity-naming field of a request, as `where name`, or undefined. */
export function findIdentityField(req: {
  headers: Record<string, unknown>;
  query: unknown;
  body: unknown;
}): string | undefined {
  for (const name of Object.keys(req.headers))
    if (name !== 'authorization' && namesIdentity(name, true)) return `header ${name}`;
  if (isObject(req.query))
    for (const name of Object.keys(req.query)) if (namesIdentity(name)) return `query ${name}`;
  if (isObject(req.body)) {
    for (const name of Object.keys(req.body)) if (namesIdentity(name)) return `body field ${name}`;
    const events = (req.body as { events?: unknown }).events;
    if (Array.isArray(events))
      for (const [i, e] of events.entries())
        if (isObject(e))
          for (const name of Object.keys(e))
            if (namesIdentity(name)) return `body field events[${i}].${name}`;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
