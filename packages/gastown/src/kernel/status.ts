// gt status: the town on one screen, problems first.
export {};
