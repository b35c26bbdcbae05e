// gt down RIG, in the order that keeps anything from bringing back what it stops: hold the rig (the daemon's
// services step and every witness patrol and dispatch round leave a held rig alone), stop its witness, wait out
// a patrol of the rig already under way (it read the rig before the hold), then stop its refinery, its
// polecats and its command services while no patrol can run.
import { stopAgents, townAgents } from '../agents/index.js';
import type { Town } from '../model.js';
import { commandAgent, holdServices, serviceRows } from './services.js';
import { underPatrolLock } from './witness.js';

export interface DownRigResult {
  rig: string;
  /** The sessions stopped, the witness's first. */
  stopped: string[];
  /** The services newly held. */
  held: string[];
}

export function downRig(town: Town, actor: string, rig: string): DownRigResult {
  const agents = townAgents(town, rig); // checks the rig
  const held = holdServices(town, actor, true, rig);
  const stopped = stopAgents(town, agents.filter((a) => a.role === 'witness'));
  const rest = [...agents.filter((a) => a.role !== 'witness'), ...serviceRows(town).filter((s) => s.kind === 'command' && s.rig === rig).map((s) => commandAgent(town, s))];
  // a patrol that outlasts the wait (it is stuck) must not keep the rig up: then they are stopped all the same
  const rested = underPatrolLock(town, rig, () => stopAgents(town, rest), 60_000) ?? stopAgents(town, rest);
  return { rig, stopped: [...stopped, ...rested], held };
}
