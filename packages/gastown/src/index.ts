// @gastown/gastown: the town and its rigs (agents, the merge queue and the dashboard's data come later).
export * from './town.js';
export { addRig, listRigs, removeRig, rigPaths, type AddRigOptions } from './rigs.js';
