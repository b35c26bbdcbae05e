// @gastown/molecules: markdown workflows that the bead store enforces.
export * from './types.js';
export { parseMolecule, substitute, type ParseResult } from './parse.js';
export { listMolecules, findMolecule, catalogDirs, shippedMoleculesDir, readMoleculeFile, type CatalogEntry, type CatalogOptions, type MoleculeSource } from './catalog.js';
export { checkExpansion, expandedStepCount, moleculeProblems } from './expand.js';
export { pourMolecule, keyedId, type PourOptions, type PourResult, type StepMetadata } from './pour.js';
export { closeStep, closeSteps, type CloseOptions, type CloseResult, type CloseTarget } from './close.js';
export { runGate, DEFAULT_GATE_TIMEOUT_MS, type GateRun } from './gate-run.js';
export { moleculeStatus, stepCount, workSteps, type MoleculeStatus, type StatusOptions, type StepStatus } from './status.js';
export { burnWisp, squashWisp, gcWisps, DEFAULT_WISP_MAX_AGE } from './wisp.js';
export { runShell, endProcessGroup, type ShellRun, type ShellRunOptions } from './shell-run.js';
