/**
 * The CLI's sign-in state: where the settings come from, where the session is kept, and the
 * bearer token for whatever needs one.
 *
 * - Settings: flags (`--issuer`, `--client-id`, `--audience`, `--scopes`) over the config file
 *   `$XDG_CONFIG_HOME/navi/config.json` (default `~/.config/navi/config.json`):
 *     { "auth": { "issuer": "https://login.example.com", "clientId": "navi",
 *                 "audience": "urn:navi:control-plane", "scopes": "openid email profile offline_access" } }
 * - Session: the OS keyring through keytar (an optional dependency, loaded only if installed and
 *   only if the keyring answers), else the file `$XDG_CONFIG_HOME/navi/session.json` (mode 0600)
 *   when the user opted in with `navi login --store-file`. Never a plain file otherwise.
 * - `NAVI_TOKEN`: a bearer token from the environment (CI) wins over any stored session.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SCOPES, refreshSession, type OidcSettings } from '../extension/auth/oidc';
import { MemoryKV, SessionStore, type SecretKV } from '../extension/auth/refresh';
import { UsageError } from './common';

export const SESSION_KEY = 'navi.cli.session';
export const KEYRING_SERVICE = 'navi';
export const CONFIG_HINT = 'Check --issuer / --client-id or "auth" in ~/.config/navi/config.json.';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'navi');
}
export const configFile = (env?: NodeJS.ProcessEnv) => path.join(configDir(env), 'config.json');
export const sessionFile = (env?: NodeJS.ProcessEnv) => path.join(configDir(env), 'session.json');

export interface AuthFlags {
  issuer?: string | undefined;
  'client-id'?: string | undefined;
  audience?: string | undefined;
  scopes?: string | undefined;
}

/** Settings from the flags over the config file; a UsageError names what is missing. */
export function resolveSettings(flags: AuthFlags, env: NodeJS.ProcessEnv = process.env): OidcSettings {
  const file = configFile(env);
  let fromFile: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { auth?: unknown };
      if (parsed.auth && typeof parsed.auth === 'object') fromFile = parsed.auth as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`${file} is not valid JSON (${(error as Error).message}).`);
    }
  }
  const pick = (flag: string | undefined, key: string): string | undefined => {
    const value = flag ?? fromFile[key];
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const issuer = pick(flags.issuer, 'issuer')?.replace(/\/+$/, '');
  if (!issuer) throw new UsageError(`no issuer: pass --issuer URL or set "auth": {"issuer": …} in ${file}.`);
  const audience = pick(flags.audience, 'audience');
  const scopes = pick(flags.scopes, 'scopes')?.split(/\s+/) ?? DEFAULT_SCOPES;
  return {
    issuer,
    clientId: pick(flags['client-id'], 'clientId') ?? 'navi',
    ...(audience ? { audience } : {}),
    scopes,
  };
}

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/** Where a session can be kept, and why the keyring is not available when it is not. */
export interface SessionBackend {
  kind: 'keyring' | 'file' | 'memory';
  /** For messages: "the OS keyring", "~/.config/navi/session.json (mode 0600)". */
  where: string;
  kv: SecretKV;
}

/**
 * keytar, if it is installed and the keyring answers. A runtime require keeps it out of the
 * bundle (a native module); `NAVI_NO_KEYRING=1` skips it (tests, or to force the file).
 */
export async function openKeyring(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ backend?: SessionBackend; problem?: string }> {
  if (env.NAVI_NO_KEYRING === '1') return { problem: 'NAVI_NO_KEYRING=1 is set' };
  let keytar: Keytar;
  try {
    keytar = createRequire(__filename)('keytar') as Keytar;
  } catch {
    return { problem: "keytar, NAVI's optional OS keyring module, is not installed" };
  }
  try {
    await keytar.getPassword(KEYRING_SERVICE, SESSION_KEY);
  } catch (error) {
    return { problem: `the OS keyring did not answer (${(error as Error).message})` };
  }
  return {
    backend: {
      kind: 'keyring',
      where: 'the OS keyring',
      kv: {
        get: async (key) => (await keytar.getPassword(KEYRING_SERVICE, key)) ?? undefined,
        store: (key, value) => keytar.setPassword(KEYRING_SERVICE, key, value),
        delete: async (key) => {
          await keytar.deletePassword(KEYRING_SERVICE, key);
        },
      },
    },
  };
}

/** The opt-in file: one JSON object of key → value, written atomically with mode 0600. */
export function fileBackend(env: NodeJS.ProcessEnv = process.env): SessionBackend {
  const file = sessionFile(env);
  const readAll = (): Record<string, string> => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  const writeAll = (values: Record<string, string>) => {
    if (Object.keys(values).length === 0) {
      fs.rmSync(file, { force: true });
      return;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(values), { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  };
  return {
    kind: 'file',
    where: `${file} (mode 0600)`,
    kv: {
      get: async (key) => readAll()[key],
      store: async (key, value) => writeAll({ ...readAll(), [key]: value }),
      delete: async (key) => {
        const values = readAll();
        delete values[key];
        writeAll(values);
      },
    },
  };
}

export function memoryBackend(): SessionBackend {
  return { kind: 'memory', where: 'memory (this process only)', kv: new MemoryKV() };
}

/** Every place a session may be stored now, keyring first. */
export async function storedBackends(env: NodeJS.ProcessEnv = process.env): Promise<SessionBackend[]> {
  const { backend } = await openKeyring(env);
  const backends = backend ? [backend] : [];
  if (fs.existsSync(sessionFile(env))) backends.push(fileBackend(env));
  return backends;
}

export function sessionStore(backend: SessionBackend): SessionStore {
  return new SessionStore(backend.kv, {
    key: SESSION_KEY,
    refresh: (session) => refreshSession(session, CONFIG_HINT),
  });
}

/**
 * The bearer token for the control plane: `NAVI_TOKEN` when set, else the stored session's
 * access token (renewed first when it is about to expire). Undefined when signed out.
 */
export async function bearerToken(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.NAVI_TOKEN) return env.NAVI_TOKEN.trim();
  for (const backend of await storedBackends(env)) {
    const session = await sessionStore(backend).fresh();
    if (session) return session.accessToken;
  }
  return undefined;
}
