// The daemon: one per town, detached, ticking: services, each rig's witness patrol, dispatch, sweeps.
export {};
