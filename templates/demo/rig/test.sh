#!/bin/sh
# calc's test command: every tests/*.test.mjs, with Node's test runner.
set -e
cd "$(dirname "$0")"
exec node --test tests/*.test.mjs
