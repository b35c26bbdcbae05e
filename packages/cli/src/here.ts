// Where this gt runs: its installation (so agents' sessions run the same gt and bd), its town, and the agent
// whose session it is in.
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BeadsError } from '@gastown/beads';
import { parseAgent, requireTown, type Agent, type Tools, type Town } from '@gastown/gastown';

export function cliTools(): Tools {
  const gt = realpathSync(process.argv[1]!);
  return { node: process.execPath, gt, bd: join(dirname(gt), 'bd.mjs') };
}

/** The town GT_TOWN names (inside an agent's session), else the one around the current directory. */
export function currentTown(): Town {
  return requireTown(process.env.GT_TOWN || process.cwd());
}

/** The agent this command runs as: GT_AGENT, which gt sets in every agent's session. */
export function selfAgent(town: Town, what: string): Agent {
  const address = process.env.GT_AGENT;
  if (!address) throw new BeadsError('usage', `${what} runs inside an agent's session (GT_AGENT is not set); outside one, name the agent where the command takes one`);
  return parseAgent(town, address);
}

/** Who is sending: the agent of this session, else the human (overseer). */
export const sender = (): string => process.env.GT_AGENT || 'overseer';

export const AGENT_ARG = 'mayor, <rig>/witness, <rig>/refinery, <rig>/polecats/<name>';
