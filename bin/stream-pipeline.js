#!/usr/bin/env node
'use strict';
// The CLI is TypeScript, run through tsx. Resolving tsx from this file (not from the working
// directory, as `node --import tsx` would) lets the command run from any folder.
require('tsx/cjs');
require('./cli.ts')
  .main()
  .catch((error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  });
