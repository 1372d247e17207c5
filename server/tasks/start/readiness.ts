import * as os from 'node:os';

/**
 * Reading a started app's output for the moment it says it is ready: a local URL
 * (`http://localhost:3000`, Vite's `Local: http://…`, Django's `Starting development server at
 * http://…`, Flask's `Running on http://…`, uvicorn's `Uvicorn running on http://…`) or a
 * "listening" line without one (`listening on port 3000`, `tcp://0.0.0.0:3000`, `Tomcat started on
 * port 8080`). What a line says is only a hint: apps.ts confirms it with a TCP connect before it
 * calls the app ready.
 */

export interface ReadinessHint {
  /** `url`: a local http(s) URL; `listening-line`: a port without a URL. */
  kind: 'url' | 'listening-line';
  port: number;
  /** The host as printed (`localhost`, `127.0.0.1`, `0.0.0.0`, `::`), lower-case, without brackets. */
  host?: string;
  /** For `url`: the URL to show, with a wildcard host (`0.0.0.0`, `::`) shown as `localhost`. */
  url?: string;
}

// CSI (colours, cursor moves: Vite prints the port in bold), OSC (hyperlinks, titles) and the
// single-character escapes.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** The text without terminal escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * Lines whose URL or port is not the app's own page: the Node inspector (`Debugger listening on
 * ws://…`), proxies and upstream servers. (Documentation links name other hosts: not local.)
 */
const NOT_THE_APP = /\b(?:debugger|inspector|devtools|proxy|proxying|proxied|upstream)\b/i;

const URL_RE = /\bhttps?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?(\/[^\s'"<>)\]]*)?/gi;

/** Hosts that mean "this machine". */
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '*']);

let localNames: Set<string> | undefined;
/** localhost, the loopback and wildcard addresses, this machine's name and its interface addresses. */
function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || WILDCARDS.has(h)) return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(h)) return true;
  if (!localNames) {
    localNames = new Set<string>();
    try {
      localNames.add(os.hostname().toLowerCase());
      for (const list of Object.values(os.networkInterfaces()))
        for (const a of list ?? []) localNames.add(a.address.toLowerCase());
    } catch {
      // no interfaces visible: loopback names only
    }
  }
  return localNames.has(h);
}

const validPort = (n: number): boolean => Number.isInteger(n) && n > 0 && n < 65536;

/** The URL a person opens: a wildcard host becomes `localhost`; the rest as printed (without trailing punctuation). */
function displayUrl(scheme: string, host: string, port: number, pathPart: string | undefined): string {
  const h = host.toLowerCase();
  const shown = WILDCARDS.has(h) || h === '[::]' ? 'localhost' : host;
  const trimmed = (pathPart ?? '/').replace(/[.,;:!]+$/, '') || '/';
  return `${scheme}://${shown}:${port}${trimmed}`;
}

const VERB = String.raw`\b(?:listen\w*|serving|running|started|starting|ready|available|bound|accepting|up)\b`;
const HOST = String.raw`\[[0-9a-f:.]+\]|localhost|\d{1,3}(?:\.\d{1,3}){3}|::|\*`;
/**
 * A phrase that says "I am serving" with a port, without a URL: `listening on port 3000`,
 * `Tomcat started on port(s): 8080`, `listening at :3000`, `running on 0.0.0.0:8000`, Puma's
 * `Listening on tcp://0.0.0.0:3000`, `Listening on 3000`. Each gives the port (and the host, if any).
 */
const LISTENING: { re: RegExp; host?: number; port: number }[] = [
  { re: new RegExp(String.raw`${VERB}.{0,40}?\bports?(?:\(s\))?\s*[:=]?\s*(\d{2,5})\b`, 'i'), port: 1 },
  {
    re: new RegExp(String.raw`${VERB}.{0,40}?(?:tcp:\/\/)?(?:(${HOST})|(?<=\s)):(\d{2,5})\b`, 'i'),
    host: 1,
    port: 2,
  },
  { re: /\blisten\w*\s+(?:on\s+|at\s+)?(\d{2,5})(?![\d.:])/i, port: 1 },
];

/**
 * The readiness hint in one output line (ANSI sequences allowed), or undefined. A local URL beats
 * a listening phrase; URLs on other hosts and lines about debuggers, proxies or docs do not count.
 */
export function parseReadinessLine(raw: string): ReadinessHint | undefined {
  const line = stripAnsi(raw).trim();
  if (line === '' || line.length > 2000) return undefined;
  if (NOT_THE_APP.test(line)) return undefined;
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(line); m; m = URL_RE.exec(line)) {
    const scheme = m[0].slice(0, m[0].indexOf(':')).toLowerCase();
    const host = m[1]!;
    if (!isLocalHost(host)) continue;
    const port = m[2] ? Number(m[2]) : scheme === 'https' ? 443 : 80;
    if (!validPort(port)) continue;
    return {
      kind: 'url',
      port,
      host: host.toLowerCase().replace(/^\[|\]$/g, ''),
      url: displayUrl(scheme, host, port, m[3]),
    };
  }
  // No local URL. A line with a (non-local) URL is about something else.
  URL_RE.lastIndex = 0;
  if (URL_RE.test(line)) return undefined;
  for (const { re, host: hostGroup, port: portGroup } of LISTENING) {
    const m = re.exec(line);
    if (!m) continue;
    const port = Number(m[portGroup]);
    if (!validPort(port)) continue;
    const host = hostGroup !== undefined ? m[hostGroup]?.toLowerCase().replace(/^\[|\]$/g, '') : undefined;
    if (host !== undefined && host !== '*' && !isLocalHost(host)) continue;
    return { kind: 'listening-line', port, ...(host !== undefined && host !== '*' ? { host } : {}) };
  }
  return undefined;
}

/** The addresses to try a TCP connect on for a host as printed (a wildcard means loopback). */
export function connectHosts(host: string | undefined): string[] {
  const h = (host ?? '').toLowerCase().replace(/^\[|\]$/g, '');
  if (h === '' || h === 'localhost' || h === '*' || h.endsWith('.localhost')) return ['127.0.0.1', '::1'];
  if (h === '0.0.0.0') return ['127.0.0.1'];
  if (h === '::') return ['::1', '127.0.0.1'];
  return [h];
}

/** `http://localhost:PORT/`: the URL shown for an app that answered HTTP on a port it did not name. */
export function portUrl(port: number): string {
  return `http://localhost:${port}/`;
}
