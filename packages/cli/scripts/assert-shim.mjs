// The two assertions yargs's ESM platform shim imports from node:assert, without loading node:assert (about
// 5 ms at every start of the bundled CLI). Used only by scripts/bundle.mjs.
export function strictEqual(actual, expected, message) {
  if (actual !== expected) throw new Error(message ?? `expected ${String(expected)}, got ${String(actual)}`);
}
export function notStrictEqual(actual, expected, message) {
  if (actual === expected) throw new Error(message ?? `expected a value other than ${String(expected)}`);
}
export default { strictEqual, notStrictEqual };
