#!/usr/bin/env node
// The `gt` command. It lives outside dist/ so that npm can link it before the prepare step has built the
// bundle it loads.
import '../dist/gt.mjs';
