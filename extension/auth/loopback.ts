/**
 * The loopback redirect of a native app's sign-in (RFC 8252 section 7.3): an HTTP server on
 * 127.0.0.1 with a free port, alive for one sign-in, that receives `/callback?code=…&state=…`
 * from the browser and shows a page saying to go back to the editor.
 *
 * vscode-free (Node http only).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackRedirect {
  /** `http://127.0.0.1:PORT/callback`: the redirect_uri to send. */
  redirectUri: string;
  /** The full callback URL once the browser arrives; rejects on abort or timeout. */
  callback: Promise<URL>;
  close(): void;
}

export async function startLoopbackRedirect(
  options: { timeoutMs?: number; signal?: AbortSignal; appName?: string } = {},
): Promise<LoopbackRedirect> {
  const appName = options.appName ?? 'VS Code';
  let resolveCallback!: (url: URL) => void;
  let rejectCallback!: (error: Error) => void;
  const callback = new Promise<URL>((resolve, reject) => {
    resolveCallback = resolve;
    rejectCallback = reject;
  });
  callback.catch(() => undefined);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const error = url.searchParams.get('error');
    const ok = !error && url.searchParams.has('code');
    res
      .writeHead(ok ? 200 : 400, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      })
      .end(
        resultPage(
          ok ? 'Signed in to NAVI' : 'NAVI sign-in did not complete',
          ok
            ? `You can close this tab and return to ${appName}.`
            : `The identity provider answered: ${error ?? 'no authorization code'}. Return to ${appName} and try again.`,
        ),
      );
    resolveCallback(new URL(req.url ?? '/', redirectBase));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const redirectBase = `http://127.0.0.1:${port}`;

  const close = () => {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  };
  const timer = setTimeout(
    () => rejectCallback(new Error('timed out waiting for the browser to finish the sign-in')),
    options.timeoutMs ?? 5 * 60_000,
  );
  options.signal?.addEventListener('abort', () => rejectCallback(new Error('cancelled')), { once: true });
  callback.then(
    () => setTimeout(close, 1000).unref(),
    () => close(),
  );
  return { redirectUri: `${redirectBase}/callback`, callback, close };
}

function resultPage(title: string, text: string): string {
  const escape = (s: string) =>
    s.replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
    );
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;line-height:1.5}</style></head>
<body><h1 id="navi-signin-result">${escape(title)}</h1><p>${escape(text)}</p></body></html>`;
}
