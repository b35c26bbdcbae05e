// @gastown/gastown: the town. Each subsystem is a folder with one index.ts; a folder uses only the folders
// below it (docs/architecture.md): model and git-cli at the bottom, then town, agents, work, refinery, kernel,
// feed and scripted.
export * from './model.js';
export * from './town/index.js';
export * from './agents/index.js';
export * from './work/index.js';
export * from './scripted/index.js';
export * from './refinery/index.js';
export * from './kernel/index.js';
export * from './feed/index.js';
