// The two assertions yargs's ESM platform shim imports from node:assert, without loading node:assert (about
// 5 ms at every start of the bundled CLI), and the one signal-exit (under Ink, for gt dashboard) calls. Used
// only by scripts/bundle.mjs.
export function strictEqual(actual, expected, message) {
  if (actual !== expected) throw new Error(message ?? `expected ${String(expected)}, got ${String(actual)}`);
}
export function notStrictEqual(actual, expected, message) {
  if (actual === expected) throw new Error(message ?? `expected a value other than ${String(expected)}`);
}
export function equal(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual != expected) throw new Error(message ?? `expected ${String(expected)}, got ${String(actual)}`);
}
export default { strictEqual, notStrictEqual, equal };
