import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * NAVI's own folder under the OS temporary folder, `<tmp>/navi-<uid>`: test reports and the
 * compile cache live there. It is created mode 0700; one that exists but is not a folder of this
 * user with no access for others is refused (another user could have made it to plant files), so
 * callers say why and do without.
 */
export function privateTempDir(): string {
  const uid = process.getuid?.();
  const base = path.join(os.tmpdir(), `navi-${uid ?? 'user'}`);
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(base);
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0)
    throw new Error(`${base} is not a private folder of this user`);
  return base;
}
