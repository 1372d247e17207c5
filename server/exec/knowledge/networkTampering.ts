/**
 * Network-policy tampering: changing how commands reach the network, so that an organisation's
 * proxy, a domain check or a policy rule about a URL no longer sees where the traffic goes. All of
 * it is refused (`network-tampering`):
 *
 * - the proxy environment, set or removed, in any case (`HTTP_PROXY`, `no_proxy`,
 *   `npm_config_https_proxy`, `PIP_PROXY`…): as `VAR=x cmd`, `export`, `declare -x`, `unset`,
 *   `export -n`, `env -u`; and `env -i` in front of a network command, which drops it all;
 * - the proxy and routing options of network tools (PROXY_OPTIONS: `curl -x`, `--noproxy`,
 *   `--connect-to`, `wget -e use_proxy=off`, `ssh -J`, `npm --proxy`, `pip --proxy`…) and git's
 *   proxy settings (`git -c http.proxy=…`, gitProxyKey);
 * - URLs whose host is written to be read as another one (urlTrick): a user name that looks like a
 *   host (`https://github.com@evil.example/`), percent-encoded or backslashed hosts, control or
 *   invisible characters, IPv4 addresses in hexadecimal, octal or as one number, and look-alike
 *   letters from other scripts. Hosts are parsed by the WHATWG URL parser (node:url), as Node,
 *   browsers and most tools do.
 */

import { domainToUnicode } from 'node:url';
import type { CommandNode } from '../parse';
import { operands, options, type Arg, type ToolCall } from './types';

/** Proxy variables by name: HTTP_PROXY, https_proxy, NO_PROXY, npm_config_noproxy, YARN_HTTP_PROXY… */
const PROXY_VARIABLE = /(?:^|_)(?:no_?)?proxy(?:_|$)/i;
/** Go's module proxy is a package registry, not a network proxy: it asks like npm's registry. */
const NOT_PROXY: ReadonlySet<string> = new Set(['GOPROXY', 'GONOPROXY']);

/** Whether an environment variable tells programs which proxy to use (or not to use one). */
export function isProxyVariable(name: string): boolean {
  return PROXY_VARIABLE.test(name) && !NOT_PROXY.has(name.toUpperCase());
}

/** The options of one tool that choose, bypass or re-route its connections. */
interface RoutingOptions {
  /** Options that are tampering by themselves. */
  options: readonly string[];
  /** Options that take a setting (`wget -e KEY=VALUE`, `ssh -o KEY=VALUE`) and the keys that are. */
  settings?: { options: readonly string[]; key: RegExp };
  /** Keys of `TOOL config set KEY …` (and `npm set`) that are. */
  configKeys?: RegExp;
}

const NPM_FAMILY: RoutingOptions = {
  options: ['--proxy', '--https-proxy', '--http-proxy', '--noproxy', '--no-proxy'],
  configKeys: /^(?:https?-?proxy|proxy|no-?proxy)$/i,
};
const HTTPIE: RoutingOptions = { options: ['--proxy'] };

const WGET: RoutingOptions = {
  options: ['--no-proxy', '-Y', '--proxy'],
  settings: {
    options: ['-e', '--execute'],
    key: /^\s*(?:use_?proxy|https?_?proxy|ftps?_?proxy|no_?proxy|proxy_?(?:user|password))\s*=/i,
  },
};
const SSH: RoutingOptions = {
  options: ['-J'],
  settings: { options: ['-o'], key: /^\s*(?:ProxyJump|ProxyUseFdpass)\s*[= ]/i },
};
const PIP: RoutingOptions = { options: ['--proxy'], configKeys: /(?:^|\.)proxy$/i };

/** Tool → its proxy and routing options. */
export const PROXY_OPTIONS: Readonly<Record<string, RoutingOptions>> = {
  curl: {
    options: [
      '-x',
      '--proxy',
      '--noproxy',
      '--preproxy',
      '--socks4',
      '--socks4a',
      '--socks5',
      '--socks5-hostname',
      // A named host sent to another address or resolver: a rule or check about the URL's host
      // no longer describes where the request goes.
      '--connect-to',
      '--resolve',
      '--doh-url',
      '--dns-servers',
    ],
  },
  wget: WGET,
  wget2: WGET,
  ssh: SSH,
  scp: SSH,
  sftp: SSH,
  npm: NPM_FAMILY,
  pnpm: NPM_FAMILY,
  yarn: NPM_FAMILY,
  bun: NPM_FAMILY,
  pip: PIP,
  pip3: PIP,
  http: HTTPIE,
  https: HTTPIE,
  xh: HTTPIE,
  xhs: HTTPIE,
  aria2c: { options: ['--all-proxy', '--http-proxy', '--https-proxy', '--ftp-proxy', '--no-proxy'] },
};

/** `TOOL config set|delete KEY …` / `npm set KEY=…`: the keys it changes. */
function configKeys(args: readonly Arg[]): string[] {
  const ops = operands(args).map((o) => o.value);
  const verbs = ['set', 'delete', 'rm', 'unset'];
  const at =
    ops[0] === 'set' ? 1 : (ops[0] === 'config' || ops[0] === 'c') && verbs.includes(ops[1] ?? '') ? 2 : -1;
  if (at < 0) return [];
  const keys = ops.slice(at).filter((v): v is string => v !== null);
  // `npm config set proxy http://x` has one key; `npm config set proxy=http://x https-proxy=…` several.
  return keys.some((k) => k.includes('=')) ? keys.map((k) => k.split('=')[0]!) : keys.slice(0, 1);
}

/** Refuses a tool's proxy and routing options (the tool's judge passes its own reading of its arguments). */
export function judgeProxyOptions(t: ToolCall, args: readonly Arg[]): void {
  const spec = PROXY_OPTIONS[t.name];
  if (!spec) return;
  for (const a of options(args)) {
    if (spec.options.includes(a.name))
      t.deny(
        'network-tampering',
        `${t.name} ${a.name} changes which proxy or address its connections go through`,
      );
    else if (spec.settings?.options.includes(a.name) && a.value !== null && spec.settings.key.test(a.value))
      t.deny(
        'network-tampering',
        `${t.name} ${a.name} ${a.value.split(/[= ]/)[0]!.trim()} changes which proxy its connections go through`,
      );
  }
  if (spec.configKeys)
    for (const key of configKeys(args))
      if (spec.configKeys.test(key))
        t.deny('network-tampering', `${t.name} config changes the ${key} setting, the proxy it uses`);
}

/** git settings that choose a proxy or re-route a host: `http.proxy`, `http.<url>.proxy`, `remote.<name>.proxy`… */
export function gitProxyKey(key: string): boolean {
  return /^(?:https?\.(?:.+\.)?(?:proxy\w*|curloptresolve)|remote\..+\.proxy\w*)$/i.test(key);
}

// ------------------------------------------------------------------------------------------
// The proxy environment

/**
 * Proxy variables a command removes: `unset`, `export -n`, `declare +x`, `local` (which hides
 * the exported value in a function), `env -u`/`--unset`. (Setting one is an assignment, judged
 * with the other variables: knowledge/environment.ts.)
 */
export function proxyVariablesRemoved(node: CommandNode): string[] {
  const found: string[] = [];
  const names = (words: readonly (string | null)[]) =>
    words.filter((v): v is string => v !== null && !v.startsWith('-') && !v.startsWith('+'));
  if (node.kind === 'declaration') {
    // The grammar gives a bare variable name (`unset NAME`) no value: its text is the name.
    const words = node.argv.map((w) => w.value ?? (/^[A-Za-z_]\w*$/.test(w.raw) ? w.raw : null));
    const keyword = words[0];
    const flags = words.slice(1).filter((v) => v !== null && /^[-+]/.test(v));
    const removes =
      (keyword === 'unset' && !flags.some((f) => /^-[a-z]*f/.test(f!))) ||
      (keyword === 'export' && flags.some((f) => /^-[a-z]*n/.test(f!))) ||
      ((keyword === 'declare' || keyword === 'typeset') && flags.some((f) => /^\+[a-z]*x/.test(f!))) ||
      keyword === 'local';
    const how = [keyword, ...flags].join(' ');
    if (removes) for (const n of names(words.slice(1))) if (isProxyVariable(n)) found.push(`${how} ${n}`);
  }
  for (const w of node.wrappers) {
    if (w.name !== 'env') continue;
    const v = w.argv.slice(1).map((a) => a.value);
    for (let i = 0; i < v.length; i++) {
      const a = v[i];
      if (a === null || a === undefined) continue;
      let name: string | null | undefined = null;
      if (a === '-u' || a === '--unset') name = v[++i];
      else if (a.startsWith('--unset=')) name = a.slice('--unset='.length);
      else if (/^-u./.test(a)) name = a.slice(2);
      if (name && isProxyVariable(name)) found.push(`env ${a.startsWith('--unset=') ? a : `-u ${name}`}`);
    }
  }
  return found.map((how) => `${how} removes a proxy setting, so connections bypass the proxy`);
}

/** `env -i` (or `env -`) in front of the command: it runs without the proxy environment. */
function clearsEnvironment(node: CommandNode): boolean {
  return node.wrappers.some(
    (w) =>
      w.name === 'env' &&
      w.argv
        .slice(1)
        .some((a) => a.value === '-' || a.value === '--ignore-environment' || /^-[^-]*i/.test(a.value ?? '')),
  );
}

// ------------------------------------------------------------------------------------------
// URLs

/** Sub-commands that store a URL for later network use (`git remote add`, `npm config set`). */
const STORES_URLS: Readonly<Record<string, readonly string[]>> = {
  git: ['remote', 'submodule', 'config'],
  npm: ['config', 'set'],
  pnpm: ['config'],
  yarn: ['config'],
  pip: ['config'],
  pip3: ['config'],
};

const URL_START = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Network tampering in a command that uses the network (or stores a URL for later): URLs whose
 * host is disguised, in its arguments, option values and assignments, and `env -i`.
 */
export function networkTampering(node: CommandNode, network: boolean, program: string | null): string[] {
  const args = node.argv.slice(1).map((w) => w.value);
  const stores = program !== null && args.some((v) => v !== null && STORES_URLS[program]?.includes(v));
  if (!network && !stores) return [];
  const found: string[] = [];
  if (network && clearsEnvironment(node))
    found.push(
      `env -i runs ${program ?? 'the command'} without the proxy environment, so its connections bypass the proxy`,
    );
  const values = [...args, ...node.assignments.map((a) => a.value?.value ?? null)];
  for (const v of values) {
    if (v === null) continue;
    const url = URL_START.test(v) ? v : /^-[^=]*=(.+)$/.exec(v)?.[1];
    const trick = url && URL_START.test(url) ? urlTrick(url) : null;
    if (trick && !found.includes(trick)) found.push(trick);
  }
  return found;
}

/** A label made only of letters that look like ASCII ones: what it imitates (Cyrillic, Greek, Armenian, Latin look-alikes). */
const LOOKALIKE: Readonly<Record<string, string>> = {
  а: 'a',
  е: 'e',
  һ: 'h',
  і: 'i',
  ј: 'j',
  к: 'k',
  ӏ: 'l',
  о: 'o',
  р: 'p',
  с: 'c',
  ԁ: 'd',
  ѕ: 's',
  у: 'y',
  х: 'x',
  ԛ: 'q',
  ԝ: 'w',
  ү: 'y',
  ь: 'b',
  α: 'a',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  γ: 'y',
  օ: 'o',
  ս: 'u',
  հ: 'h',
  ց: 'g',
  զ: 'q',
  ո: 'n',
  ı: 'i',
  ȷ: 'j',
  ɡ: 'g',
  ɑ: 'a',
  ɩ: 'i',
  ǀ: 'l',
};

const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Cherokee',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Thai',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Bopomofo',
].map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')] as const);
/** Scripts that mix with Latin in real names (Japanese, Chinese and Korean domains do). */
const MIXES_WITH_LATIN: ReadonlySet<string> = new Set(['Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo']);

/** The scripts of a label's letters, the ones that never mix with Latin in a real name. */
function mixedScripts(label: string): string[] {
  const scripts = new Set<string>();
  for (const ch of label) {
    if (!/\p{L}/u.test(ch)) continue;
    scripts.add(SCRIPTS.find(([, re]) => re.test(ch))?.[0] ?? 'another');
  }
  const strict = [...scripts].filter((s) => !MIXES_WITH_LATIN.has(s));
  return strict.length > 1 ? strict : [];
}

/** The ASCII name a label imitates when each of its other letters is a look-alike, else null. */
function imitates(label: string): string | null {
  let out = '';
  for (const ch of label) {
    if (ch.charCodeAt(0) < 0x80) out += ch;
    else if (LOOKALIKE[ch]) out += LOOKALIKE[ch];
    else return null;
  }
  return out;
}

/** Top-level domains a user name ends with only to pass for a host (`github.com@…`); any two letters are a country's. */
const COMMON_TLD =
  /^(?:[a-z]{2}|com|org|net|edu|gov|mil|int|info|biz|io|dev|app|ai|xyz|site|online|cloud|tech|page|example|local|internal)$/i;

/**
 * Whether the user name of a URL would be read as its host: it starts with a domain name
 * (`github.com`, `www.example.co.uk`) or an IPv4 address, or holds a slash. A dotted login such
 * as `john.doe` (Bitbucket, LDAP) and an e-mail address (`me@corp.com`, written `me%40corp.com`)
 * are not.
 */
function looksLikeHost(user: string): boolean {
  if (/[/\\]/.test(user)) return true;
  const first = user.split('@')[0]!;
  if (/^\d+(?:\.\d+){3}$/.test(first)) return true;
  const labels = first.replace(/\.$/, '').split('.');
  return (
    labels.length >= 2 &&
    labels.every((l) => /^[\p{L}\p{N}_-]+$/u.test(l)) &&
    (COMMON_TLD.test(labels[labels.length - 1]!) || labels.length >= 3)
  );
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Why a URL's host is not what it seems, or null. `url` starts with `scheme://`. The authority is
 * split as the WHATWG parser splits it (the last `@` ends the user name, a `:` after the host
 * starts the port); the host itself is parsed by the WHATWG URL parser.
 */
export function urlTrick(url: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  if (scheme === 'file' || scheme === 'fileb' || authority === '') return null;
  const shown = JSON.stringify(url.length > 120 ? `${url.slice(0, 117)}...` : url);
  if (authority.includes('\\'))
    return `${shown} has a backslash in its host part: URL parsers disagree about which host that is`;
  if (/[\p{Cc}\p{Cf}\p{Z}]/u.test(authority) || /[\p{Cc}\p{Cf}\p{Z}]/u.test(decode(authority)))
    return `${shown} has control, invisible or space characters in its host part`;
  const at = authority.lastIndexOf('@');
  const hostPort = authority.slice(at + 1);
  if (at >= 0) {
    const user = decode(authority.slice(0, at).split(':')[0]!);
    if (looksLikeHost(user))
      return `${shown} goes to ${hostPort}: "${user}" before the @ is only a user name that looks like a host`;
  }
  const host = hostPort.startsWith('[')
    ? hostPort.slice(0, hostPort.indexOf(']') + 1)
    : hostPort.replace(/:[^:]*$/, '');
  if (host.includes('%')) return `${shown} has percent-encoded characters in its host`;
  let parsed: string;
  try {
    parsed = new URL(`http://${host}/`).hostname;
  } catch {
    return `${shown} has a host that is not a valid host name`;
  }
  if (host.startsWith('[')) return null; // IPv6: many spellings of one address, none disguises a name
  const written = host.toLowerCase();
  if (parsed !== written) {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(parsed))
      return `${shown} writes the address ${parsed} as ${host}, a form that fools address checks`;
    if (domainToUnicode(parsed) !== written.normalize('NFC'))
      return `${shown} has a host written as ${host} that parsers read as ${parsed}`;
  }
  const unicode = domainToUnicode(parsed);
  if (unicode === '') return `${shown} has a host that is not a valid internationalised name`;
  for (const label of unicode.split('.')) {
    if (/^[\x00-\x7f]*$/.test(label)) continue;
    const scripts = mixedScripts(label);
    if (scripts.length > 0)
      return `${shown} mixes ${scripts.join(' and ')} letters in the name "${label}", a look-alike of another name`;
    const imitated = imitates(label);
    if (imitated !== null)
      return `${shown} spells "${imitated}" with look-alike letters ("${label}", ${parsed})`;
  }
  return null;
}
