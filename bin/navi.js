#!/usr/bin/env node
// The `navi` command. The real code is the esbuild bundle dist/cli.js (built by `npm ci`'s
// prepare step or `npm run build`), started through dist/launch.js, which keeps V8's compiled
// code between runs (cli/launch.ts).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const dist = path.join(__dirname, '..', 'dist');
const cli = path.join(dist, 'cli.js');
const launcher = path.join(dist, 'launch.js');
if (!fs.existsSync(cli) || !fs.existsSync(launcher)) {
  process.stderr.write(
    'navi: NAVI is not built yet. Run "npm run build" in ' + path.join(__dirname, '..') + '\n',
  );
  process.exit(1);
}
require(launcher).launch(cli);
