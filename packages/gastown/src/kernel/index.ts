// The kernel: what keeps a town running by itself. Each part is a function that does one round and returns
// what it did (the daemon's loop around them is thin), and each is also a command a person or an agent can
// run: gt services ensure, gt witness patrol, gt dispatch. The store holds every decision's inputs.
export * from './services.js';
export * from './witness.js';
export * from './dispatch.js';
export * from './daemon.js';
export * from './supervise.js';
export * from './down-rig.js';
export * from './status.js';
