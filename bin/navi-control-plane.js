#!/usr/bin/env node
// The `navi-control-plane` command. The real code is the esbuild bundle dist/control-plane.js
// (built by `npm ci`'s prepare step or `npm run build`); better-sqlite3 and pg stay external and
// load from node_modules.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'control-plane.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(
    'navi-control-plane: the control plane is not built yet. Run "npm run build" in ' +
      path.join(__dirname, '..') +
      '\n',
  );
  process.exit(1);
}
require(bundle)
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write('navi-control-plane: ' + String((err && err.stack) || err) + '\n');
      process.exit(1);
    },
  );
