/**
 * What the panel's view modules need to load under mocha (imported first by the webview tests):
 * their CSS imports are nothing (esbuild bundles them into dist/webview.css), the one-second
 * tickers they start at load find no element to update and do not keep mocha's process alive.
 * The view logic under test never touches the DOM; this is only enough for its modules to load.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require('node:module') as {
  _extensions: Record<string, (module: { exports: unknown }) => void>;
};
Module._extensions['.css'] = (module) => {
  module.exports = {};
};

const g = globalThis as { document?: unknown };
g.document ??= { querySelectorAll: () => [], querySelector: () => null };

const setIntervalOriginal = globalThis.setInterval;
globalThis.setInterval = ((handler: () => void, ms?: number) =>
  setIntervalOriginal(handler, ms).unref()) as unknown as typeof setInterval;
