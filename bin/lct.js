#!/usr/bin/env node
'use strict';
// The package's bin: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
require('../dist/cli/main.js').main(process.argv);
