import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import {
  DsseEnvelope,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  MAX_RECEIPT_PAYLOAD_BYTES,
  MAX_RECEIPT_SUBJECTS,
  NAVI_VERIFICATION_PREDICATE_TYPE,
  ReceiptRecord,
  Statement,
  VerificationPredicate,
  type ReceiptStatus,
} from '../../protocol/receipts';
import {
  ReceiptError,
  assertStateDirOutside,
  isInside,
  keyIdOf,
  realpathLoose,
  writeAtomic,
  type SigningKey,
} from './receiptKey';

export {
  RECEIPT_KEY_FILE,
  RECEIPT_PUBLIC_KEY_FILE,
  ReceiptError,
  assertStateDirOutside,
  keyIdOf,
  loadOrCreateSigningKey,
  type SigningKey,
} from './receiptKey';

/**
 * Verification receipts (docs/receipts.md): issuing a receipt (in-toto Statement v1 in a DSSE
 * envelope, signed with the key from ./receiptKey.ts), storing receipts and verifying one. Only the
 * agent's own runner issues receipts; verification trusts nothing in the envelope but a signature
 * made by a key the caller trusts.
 */

const RECEIPTS_DIR = 'receipts';
/** A stored record holds the base64 payload (4/3 of at most 4 MiB) and a little more. */
const MAX_RECORD_BYTES = 8 << 20;
const MAX_PAYLOAD_BASE64 = Math.ceil(MAX_RECEIPT_PAYLOAD_BYTES / 3) * 4 + 4;
const TOO_LARGE = 'The payload is larger than 4 MiB.';
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** DSSE v1 Pre-Authentication Encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`. */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${body.length} `, 'ascii'),
    body,
  ]);
}

/**
 * Resolves a workspace-relative path to a regular file inside the (real) workspace root, following
 * symlinks only while they stay inside. Returns the normalised `/`-separated name and the real path.
 */
function confine(realRoot: string, rel: string): { name: string; real: string } {
  const refuse = (why: string) => new ReceiptError(`Refusing ${JSON.stringify(rel)}: ${why}.`);
  if (
    typeof rel !== 'string' ||
    !rel ||
    rel.includes('\0') ||
    path.isAbsolute(rel) ||
    /^[A-Za-z]:/.test(rel)
  ) {
    throw refuse('a receipt subject must be a workspace-relative path');
  }
  const joined = path.resolve(realRoot, rel);
  if (!isInside(realRoot, joined) || joined === realRoot) throw refuse('it is outside the workspace');
  const real = fs.realpathSync(joined);
  if (!isInside(realRoot, real) || real === realRoot)
    throw refuse(`it resolves to ${real}, outside the workspace`);
  return { name: path.relative(realRoot, joined).split(path.sep).join('/'), real };
}

/** Hex SHA-256 of a regular file's bytes, opened without following a final symlink. */
async function sha256File(real: string): Promise<string> {
  const fh = await fs.promises.open(real, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  try {
    if (!(await fh.stat()).isFile()) throw new ReceiptError(`${real} is not a regular file.`);
    const hash = crypto.createHash('sha256');
    for await (const chunk of fh.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}

export interface IssuedReceipt {
  /** UUIDv7: names the stored file and orders receipts by time; not covered by the signature. */
  id: string;
  envelope: DsseEnvelope;
  statement: Statement;
}

/**
 * Hashes the changed files (workspace-relative; each must resolve inside the workspace, to a
 * regular file), builds the statement and signs it. Throws `ReceiptError` on a refused path, an
 * invalid predicate, a key inside the workspace or a statement beyond 4 MiB.
 */
export async function issueReceipt(args: {
  workspaceRoot: string;
  files: readonly string[];
  predicate: VerificationPredicate;
  key: SigningKey;
}): Promise<IssuedReceipt> {
  const realRoot = fs.realpathSync(args.workspaceRoot);
  assertStateDirOutside(args.key.stateDir, [realRoot]);
  const predicate = VerificationPredicate.safeParse(args.predicate);
  if (!predicate.success) throw new ReceiptError(`Invalid predicate: ${issues(predicate.error)}`);
  const n = args.files.length;
  if (n === 0 || n > MAX_RECEIPT_SUBJECTS)
    throw new ReceiptError(`A receipt needs at least one changed file, at most ${MAX_RECEIPT_SUBJECTS}.`);
  const byName = new Map<string, string>();
  for (const f of args.files) {
    const { name, real } = confine(realRoot, f);
    if (!byName.has(name)) byName.set(name, await sha256File(real));
  }
  const statement: Statement = {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [...byName.keys()].sort().map((name) => ({ name, digest: { sha256: byName.get(name)! } })),
    predicateType: NAVI_VERIFICATION_PREDICATE_TYPE,
    predicate: predicate.data,
  };
  const checked = Statement.safeParse(statement); // subject names must satisfy what verifiers apply
  if (!checked.success) throw new ReceiptError(`The receipt statement is invalid: ${issues(checked.error)}`);
  const body = Buffer.from(JSON.stringify(statement), 'utf8');
  if (body.length > MAX_RECEIPT_PAYLOAD_BYTES) throw new ReceiptError('The statement is larger than 4 MiB.');
  const sig = crypto.sign(null, pae(IN_TOTO_PAYLOAD_TYPE, body), args.key.privateKey);
  const envelope: DsseEnvelope = {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: body.toString('base64'),
    signatures: [{ keyid: args.key.keyid, sig: sig.toString('base64') }],
  };
  return { id: uuidv7(), envelope, statement };
}

/** Receipts kept in `<stateDir>/receipts/<id>.json` (0600, written atomically). */
export class ReceiptStore {
  readonly dir: string;
  constructor(readonly stateDir: string) {
    this.dir = path.join(path.resolve(stateDir), RECEIPTS_DIR);
  }

  /** Stores an issued receipt for `workspaceRoot`; returns the record. */
  async save(receipt: IssuedReceipt, workspaceRoot: string, now = new Date()): Promise<ReceiptRecord> {
    const realRoot = fs.realpathSync(workspaceRoot);
    assertStateDirOutside(this.stateDir, [realRoot]);
    const record = ReceiptRecord.parse({
      version: 1,
      id: receipt.id,
      workspaceRoot: realRoot,
      issuedAt: now.toISOString(),
      envelope: receipt.envelope,
    });
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
    writeAtomic(path.join(this.dir, `${record.id}.json`), `${JSON.stringify(record)}\n`, 0o600, true);
    return record;
  }

  /** The stored receipt with this id; `undefined` when there is none or it is damaged. */
  async get(id: string): Promise<ReceiptRecord | undefined> {
    if (!UUID7.test(id)) return undefined; // also keeps the id from naming another path
    return this.read(path.join(this.dir, `${id}.json`));
  }

  /** The receipts stored for this workspace, newest first. Damaged files are skipped. */
  async list(workspaceRoot: string): Promise<ReceiptRecord[]> {
    const root = realpathLoose(workspaceRoot);
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return [];
    }
    const out: ReceiptRecord[] = [];
    for (const n of names) {
      if (!n.endsWith('.json') || !UUID7.test(n.slice(0, -5))) continue;
      const r = await this.read(path.join(this.dir, n));
      if (r && r.workspaceRoot === root) out.push(r);
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  private async read(file: string): Promise<ReceiptRecord | undefined> {
    try {
      const st = await fs.promises.lstat(file);
      if (!st.isFile() || st.size > MAX_RECORD_BYTES) return undefined;
      const r = ReceiptRecord.safeParse(JSON.parse(await fs.promises.readFile(file, 'utf8')));
      return r.success && path.basename(file) === `${r.data.id}.json` ? r.data : undefined;
    } catch {
      return undefined;
    }
  }
}

export interface SubjectCheck {
  path: string;
  expected: string;
  /** The file's current SHA-256; `null` when it is missing, unreadable, outside the workspace or not checked. */
  actual: string | null;
}
export interface ReceiptVerification {
  status: ReceiptStatus;
  reasons: string[];
  subjects: SubjectCheck[];
  /** Whether the subject files were compared (a `workspaceRoot` was given and the signature was good). */
  filesChecked: boolean;
  /** The key that verified the signature, and the statement it covers, when the signature is good. */
  keyid?: string;
  statement?: Statement;
}

/** The first few schema issues, in at most about 1000 characters. */
function issues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const list = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  const more = error.issues.length > 5 ? ` (+${error.issues.length - 5} more)` : '';
  return list.join('; ').slice(0, 1000) + more;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
function decodeBase64(s: string): Buffer | undefined {
  if (!BASE64.test(s) || s.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function toPublicKeys(
  keys: readonly (crypto.KeyObject | string)[],
): { key: crypto.KeyObject; keyid: string }[] {
  const out: { key: crypto.KeyObject; keyid: string }[] = [];
  for (const k of keys) {
    try {
      const key = typeof k !== 'string' && k.type === 'public' ? k : crypto.createPublicKey(k);
      if (key.asymmetricKeyType === 'ed25519') out.push({ key, keyid: keyIdOf(key) });
    } catch {
      // an unusable trusted key verifies nothing
    }
  }
  return out;
}

/**
 * Checks a receipt: `envelope` is the parsed envelope or its JSON text, possibly hostile. Never
 * throws on it; see `ReceiptStatus`. With `workspaceRoot`, each subject's current content is
 * compared (a missing file, or one that now resolves outside the workspace, is stale).
 */
export async function verifyReceipt(
  envelope: unknown,
  opts: { publicKeys: readonly (crypto.KeyObject | string)[]; workspaceRoot?: string },
): Promise<ReceiptVerification> {
  const invalid = (reason: string): ReceiptVerification => ({
    status: 'invalid',
    reasons: [reason],
    subjects: [],
    filesChecked: false,
  });
  try {
    let raw = envelope;
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      if (raw.length > MAX_RECORD_BYTES) return invalid('The envelope is larger than 8 MiB.');
      try {
        raw = JSON.parse(raw.toString());
      } catch {
        return invalid('The envelope is not JSON.');
      }
    }
    const payload = (raw as { payload?: unknown } | null)?.payload;
    if (typeof payload === 'string' && payload.length > MAX_PAYLOAD_BASE64) return invalid(TOO_LARGE);
    const env = DsseEnvelope.safeParse(raw);
    if (!env.success) return invalid(`The envelope is malformed: ${issues(env.error)}`);
    if (env.data.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      return invalid(
        `The payload type is ${JSON.stringify(env.data.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}.`,
      );
    }
    const body = decodeBase64(env.data.payload);
    if (!body) return invalid('The payload is not valid base64.');
    if (body.length > MAX_RECEIPT_PAYLOAD_BYTES) return invalid(TOO_LARGE);

    const trusted = toPublicKeys(opts.publicKeys);
    if (trusted.length === 0) return invalid('No trusted Ed25519 public key was given.');
    const message = pae(env.data.payloadType, body);
    let keyid: string | undefined;
    for (const s of env.data.signatures) {
      const sig = decodeBase64(s.sig);
      if (!sig || sig.length !== 64) continue;
      // The keyid is only a hint: with one, try the matching key; without one, every key.
      const candidates = s.keyid ? trusted.filter((t) => sameHex(t.keyid, s.keyid!)) : trusted;
      const ok = candidates.find((t) => crypto.verify(null, message, t.key, sig));
      if (ok) {
        keyid = ok.keyid;
        break;
      }
    }
    if (!keyid) return invalid('No signature verifies with a trusted key.');

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      return invalid('The signed payload is not UTF-8 JSON.');
    }
    const st = Statement.safeParse(json);
    if (!st.success) return invalid(`The signed statement does not match its schema: ${issues(st.error)}`);
    const statement = st.data;
    const subjects = statement.subject.map((s) => ({
      path: s.name,
      expected: s.digest.sha256,
      actual: null,
    }));
    const found = { filesChecked: opts.workspaceRoot !== undefined, keyid, statement };
    if (opts.workspaceRoot === undefined) {
      const reasons = ['The files were not compared: no workspace was given.'];
      return { status: statement.predicate.result, reasons, subjects, ...found };
    }
    const checked = await compareSubjects(realpathLoose(opts.workspaceRoot), subjects);
    if (checked.reasons.length) return { status: 'stale', ...checked, ...found };
    const reasons =
      statement.predicate.result === 'failed' ? [statement.predicate.reason ?? 'The checks failed.'] : [];
    return { status: statement.predicate.result, reasons, subjects: checked.subjects, ...found };
  } catch (e) {
    return invalid(
      `The receipt could not be checked: ${e instanceof Error ? e.message : String(e)}`.slice(0, 999),
    );
  }
}

/** Hashes each subject's current content; a missing, unreadable or escaping file gives a reason. */
async function compareSubjects(
  realRoot: string,
  subjects: SubjectCheck[],
): Promise<{ subjects: SubjectCheck[]; reasons: string[] }> {
  const reasons: string[] = [];
  const out: SubjectCheck[] = [];
  for (const s of subjects) {
    let actual: string | null = null;
    try {
      actual = await sha256File(confine(realRoot, s.path).real);
      if (!sameHex(actual, s.expected)) reasons.push(`${s.path} changed since the receipt was issued.`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = e instanceof ReceiptError ? e.message : (code ?? 'unreadable');
      reasons.push(code === 'ENOENT' ? `${s.path} is missing.` : `${s.path} cannot be checked: ${why}`);
    }
    out.push({ ...s, actual });
  }
  return { subjects: out, reasons };
}
