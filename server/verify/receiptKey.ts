import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The installation's receipt signing key (docs/receipts.md, "Where the key lives") and the file
 * helpers receipts share: an Ed25519 key in NAVI's state folder, never inside a workspace.
 */

export const RECEIPT_KEY_FILE = 'receipt-key.pem';
export const RECEIPT_PUBLIC_KEY_FILE = 'receipt-key.pub.pem';

const MAX_KEY_FILE_BYTES = 64 * 1024;

export class ReceiptError extends Error {
  override name = 'ReceiptError';
}

/** The installation's receipt key. `keyid` is the lower-case hex SHA-256 of the public key's SPKI DER. */
export interface SigningKey {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  keyid: string;
  /** The public key as PEM (SPKI), as in `receipt-key.pub.pem`. */
  publicKeyPem: string;
  /** The state folder the key lives in (never inside a workspace). */
  stateDir: string;
}

export function keyIdOf(publicKey: crypto.KeyObject): string {
  return crypto
    .createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** True when `child` is `parent` or inside it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** realpath of `p`, or of its nearest existing ancestor with the rest appended (for folders not made yet). */
export function realpathLoose(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return abs;
      rest.push(path.basename(cur));
      cur = up;
    }
  }
}

/** Refuses a state folder that is (or is inside) one of the workspace roots. */
export function assertStateDirOutside(stateDir: string, workspaceRoots: readonly string[]): void {
  const state = realpathLoose(stateDir);
  for (const root of workspaceRoots) {
    if (isInside(realpathLoose(root), state)) {
      throw new ReceiptError(
        `The receipt state folder ${state} is inside the workspace ${root}: receipts and their key must live outside every workspace.`,
      );
    }
  }
}

/** Refuses a symlink, a file owned by someone else, or (on POSIX) any permission beyond `maxMode`. */
function checkPrivate(p: string, st: fs.Stats, maxMode: number, what: string): void {
  if (st.isSymbolicLink()) throw new ReceiptError(`${what} ${p} is a symbolic link; refusing to use it.`);
  if (process.platform === 'win32') return;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new ReceiptError(`${what} ${p} belongs to uid ${st.uid}.`);
  const [has, max] = [st.mode & 0o777, maxMode].map((m) => m.toString(8).padStart(4, '0'));
  if (st.mode & 0o777 & ~maxMode) {
    throw new ReceiptError(`${what} ${p} has permissions ${has}; it must not be accessible beyond ${max}.`);
  }
}

export function writeAtomic(file: string, data: string, mode: number, replace: boolean): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (replace) return fs.renameSync(tmp, file);
  try {
    fs.linkSync(tmp, file); // never replaces: a concurrent creator's key wins, EEXIST for us
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A file system without hard links: rename, unless the file appeared meanwhile.
    if (code === 'EEXIST' || !['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes(code ?? '')) throw e;
    if (fs.existsSync(file)) throw Object.assign(new Error(`${file} exists`), { code: 'EEXIST' });
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * The installation's receipt key, created on first use: `<stateDir>/receipt-key.pem` (PKCS#8
 * PEM, 0600, written to a temp file, fsynced and linked into place so it is never half-written or
 * replaced) and `<stateDir>/receipt-key.pub.pem` (SPKI PEM, rewritten from the private key when
 * missing or different). The folder is created 0700; an existing group/world-writable folder, a
 * key file readable by others, a symlink or another user's file is refused. `workspaceRoots`: the
 * state folder must be outside each of them.
 */
export function loadOrCreateSigningKey(
  stateDir: string,
  opts: { workspaceRoots?: readonly string[] } = {},
): SigningKey {
  assertStateDirOutside(stateDir, opts.workspaceRoots ?? []);
  const dir = path.resolve(stateDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivate(dir, fs.statSync(dir), 0o755, 'The state folder'); // may be reached through a symlink
  const file = path.join(dir, RECEIPT_KEY_FILE);
  if (!fs.existsSync(file)) {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      writeAtomic(file, pem, 0o600, false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const lst = fs.lstatSync(file);
  checkPrivate(file, lst, 0o600, 'The receipt key file');
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  let privateKey: crypto.KeyObject | undefined;
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() && st.ino === lst.ino && st.size <= MAX_KEY_FILE_BYTES) {
      privateKey = crypto.createPrivateKey({ key: fs.readFileSync(fd, 'utf8'), format: 'pem' });
    }
  } catch {
    // not a PEM key: refused below
  } finally {
    fs.closeSync(fd);
  }
  if (privateKey?.asymmetricKeyType !== 'ed25519') throw new ReceiptError(`${file} is not an Ed25519 key.`);
  const publicKey = crypto.createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const pubFile = path.join(dir, RECEIPT_PUBLIC_KEY_FILE);
  if (readOrUndefined(pubFile) !== publicKeyPem) writeAtomic(pubFile, publicKeyPem, 0o644, true);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey), publicKeyPem, stateDir: dir };
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
