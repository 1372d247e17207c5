#!/usr/bin/env node
// The `navi` command. The real code is the esbuild bundle dist/cli.js (built by `npm ci`'s
// prepare step or `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(
    'navi: NAVI is not built yet. Run "npm run build" in ' + path.join(__dirname, '..') + '\n',
  );
  process.exit(1);
}
require(cli);
