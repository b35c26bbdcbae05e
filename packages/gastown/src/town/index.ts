// Town and rigs: the town's directory, its config and registry, and the rigs' clones and stores.
export * from './town.js';
export { addRig, listRigs, removeRig, rigPaths, type AddRigOptions } from './rigs.js';
export * from './settings.js';
export { rigStoreAt, townStores, townReady, TownRouter, type TownReadyRow } from './stores.js';
