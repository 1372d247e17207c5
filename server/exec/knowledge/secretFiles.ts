/**
 * Which files hold secrets: the one predicate behind "a secret never leaves the machine"
 * (knowledge/upload.ts) and "a program run on every file of a folder that holds credentials"
 * (classify.ts). It is built from the path knowledge NAVI already has — the secret-looking
 * workspace names and the credential stores of the home folder and the system
 * (sensitivePaths.ts), and the scan's environment-file rule (ENV_FILE, shared with
 * server/tasks/scan/risks.ts) — so the judge, the sandbox and the scan agree on what a secret is.
 */

import * as path from 'node:path';
import { checkRead, compileGlob, relInside, resolveReal, statSafe, type PathEnv } from '../paths';
import { NOT_SECRET, SECRET_HOME, SECRET_SYSTEM, SENSITIVE_READ_WORKSPACE } from './sensitivePaths';

const posix = path.posix;

/** `.env`, `.env.local`, `.env.production`…: the scan reports these as environment files. */
export const ENV_FILE = /^\.env(?:\.[\w.-]+)?$/;
/** Environment-file templates, which carry names but no values (`.env.example`, `.env.sample`…). */
export const ENV_TEMPLATE = /\.(?:example|sample|template|tpl|dist|defaults?|schema)$/i;

/**
 * Names of files that hold credentials wherever they are, beyond the workspace's secret-looking
 * names (SENSITIVE_READ_WORKSPACE): token files, password databases, key formats, state files
 * that store credentials in plain text.
 */
const MORE_SECRET_NAMES: readonly string[] = [
  'credentials',
  '.pgpass',
  '.my.cnf',
  '.vault-token',
  '.dockercfg',
  '.htpasswd',
  'token.json',
  '*.token',
  '*.ppk',
  '*.kdbx',
  '*.keychain',
  '*.keychain-db',
  '*.tfstate',
  '*.tfstate.backup',
];

/** Public halves of key pairs are meant to be shared (`gh ssh-key add ~/.ssh/id_ed25519.pub`). */
const PUBLIC = /\.pub$/;

const NAME_RE = [...SENSITIVE_READ_WORKSPACE, ...MORE_SECRET_NAMES]
  .filter((p) => !p.includes('/'))
  .map(compileGlob);
const NOT_SECRET_RE = NOT_SECRET.map(compileGlob);
// The home folder's credential stores, wherever they are (a copy of `.aws/` in a project or /tmp).
const STORE_RE = SECRET_HOME.map((p) => compileGlob(`**/${p}`));
const SYSTEM_RE = SECRET_SYSTEM.map(compileGlob);

/** Whether a file name (the last part of a path) says it holds secrets. */
export function isSecretName(name: string): boolean {
  if (PUBLIC.test(name) || NOT_SECRET_RE.some((r) => r.test(name))) return false;
  if (ENV_FILE.test(name)) return !ENV_TEMPLATE.test(name);
  return NAME_RE.some((r) => r.test(name));
}

/** Whether an absolute path names a secret by its name or by the credential store it is in. */
export function isSecretPath(abs: string): boolean {
  const p = posix.normalize(abs);
  const name = posix.basename(p);
  if (PUBLIC.test(name)) return false;
  if (isSecretName(name)) return true;
  const rel = p.slice(1);
  return STORE_RE.some((r) => r.test(rel)) || SYSTEM_RE.some((r) => r.test(rel));
}

/**
 * Whether the file at `abs` (lexical, possibly through symlinks) holds secrets: its name or its
 * real path says so, or the read check finds a credential store or a hidden path there.
 */
export function isSecretFile(abs: string, env: PathEnv): boolean {
  const read = checkRead(abs, env);
  if (read.kind === 'secret' || read.kind === 'hidden') return true;
  const real = resolveReal(abs, env.cache);
  return isSecretPath(abs) || (real !== null && isSecretPath(real));
}

/** The folders the credential stores live in: `~/.ssh`, `~/.config/gh`, `/etc`, `/root`… (literal prefixes). */
function storeFolders(env: PathEnv): string[] {
  const literal = (pattern: string) => {
    const parts = pattern.split('/');
    const end = parts.findIndex((s) => /[*?[]/.test(s));
    return (end < 0 ? parts : parts.slice(0, end)).join('/');
  };
  // Patterns without a literal folder (`.*_history`) would name the home folder itself.
  const home = SECRET_HOME.map(literal)
    .filter((p) => p !== '')
    .flatMap((p) => [env.home, env.homeGiven].map((h) => `${h}/${p}`));
  const system = SECRET_SYSTEM.map((p) => literal(p) || '/');
  return [...new Set([...home, ...system])];
}

/**
 * A credential store inside the folder `abs` (the folder itself not being one), as a reason
 * shows it (`~/.ssh`), or null: `find ~ -exec cat {} +` runs cat on the files of ~/.ssh too.
 */
export function secretStoreInside(abs: string, env: PathEnv): string | null {
  const real = resolveReal(abs, env.cache);
  if (real === null || !statSafe(real)?.isDirectory()) return null;
  for (const store of storeFolders(env)) {
    const rel = relInside(real, store);
    // The folder itself being a store is a secret read already (checkRead).
    if (rel === null || rel === '' || !statSafe(store)) continue;
    const homeRel = relInside(env.home, store) ?? relInside(env.homeGiven, store);
    return homeRel === null ? store : `~/${homeRel}`;
  }
  return null;
}

/** Programs that list the files under a folder (what `… | xargs PROGRAM` then gets as names). */
export const LISTS_FILES: ReadonlySet<string> = new Set([
  'find',
  'fd',
  'fdfind',
  'ls',
  'rg',
  'grep',
  'tree',
  'du',
]);
