// @gastown/molecules: markdown workflows that the bead store enforces.
export * from './types.js';
export { parseMolecule, substitute, type ParseResult } from './parse.js';
