// @gastown/molecules: markdown workflows that the bead store enforces.
export * from './types.js';
export { parseMolecule, substitute, type ParseResult } from './parse.js';
export { listMolecules, findMolecule, catalogDirs, shippedMoleculesDir, readMoleculeFile, type CatalogEntry, type CatalogOptions, type MoleculeSource } from './catalog.js';
export { checkExpansion } from './expand.js';
