#!/usr/bin/env node
// The `bd` command. It lives outside dist/ so that npm can link it before the prepare step has built the
// bundle it loads.
import '../dist/bd.mjs';
