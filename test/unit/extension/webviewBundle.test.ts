import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

// The panel's script is loaded every time the NAVI view opens; issue 12 keeps it under 300 KB.
// Built here the way `npm run package` builds it (minified IIFE), so a dependency that pulls in
// more than it should (zod's locales came in with `import { z } from 'zod'`) fails the suite.
const LIMIT = 300 * 1024;

describe('the webview bundle', () => {
  it('stays under 300 KB minified, without the translations of zod', async function () {
    this.timeout(60_000);
    const root = path.resolve(__dirname, '../../..');
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: ['webview-ui/main.ts'],
      bundle: true,
      minify: true,
      platform: 'browser',
      target: 'es2022',
      format: 'iife',
      loader: { '.css': 'css' },
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
    assert.ok(js, 'esbuild wrote no script');
    const foreignLocales = Object.values(result.metafile.outputs)
      .flatMap((o) => Object.entries(o.inputs))
      .filter(([input, { bytesInOutput }]) => bytesInOutput > 0 && /zod\/v4\/locales\/(?!en\.)/.test(input))
      .map(([input]) => input);
    assert.deepEqual(foreignLocales, [], "zod's translations are in the panel's script");
    assert.ok(
      js.contents.byteLength < LIMIT,
      `dist/webview.js is ${(js.contents.byteLength / 1024).toFixed(0)} KB minified (limit 300 KB)`,
    );
  });
});
