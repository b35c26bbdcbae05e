// Who the agents of a town are: their roles, addresses, tmux session names, working directories and stores.
// An address is how people and mail name an agent: `mayor`, `<rig>/witness`, `<rig>/refinery`,
// `<rig>/polecats/<name>` (and `overseer`, the human, who has no session).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BeadsError } from '@gastown/beads';
import { rigPaths, townStoreDir } from '../town/index.js';
import type { Agent, Role, Town } from '../model.js';

/** The town's tmux server: one socket per town, named after it and its path. */
export function townSocket(town: Town): string {
  return `gt-${town.config.name}-${createHash('sha1').update(town.root).digest('hex').slice(0, 8)}`;
}

const sessionPart = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

export function agentFor(town: Town, role: Role, rig?: string, name?: string): Agent {
  const t = sessionPart(town.config.name);
  if (role === 'mayor') return { role, address: 'mayor', session: `gt-${t}-mayor`, cwd: join(town.root, 'mayor'), store: townStoreDir(town) };
  if (!rig) throw new BeadsError('invalid_input', `a ${role} belongs to a rig`);
  const paths = rigPaths(town, rig);
  const store = paths.store;
  if (role === 'polecat') {
    if (!name) throw new BeadsError('invalid_input', 'a polecat has a name');
    return { role, rig, name, address: `${rig}/polecats/${name}`, session: `gt-${t}-${sessionPart(rig)}-polecat-${sessionPart(name)}`, cwd: join(paths.polecats, name), store };
  }
  return { role, rig, address: `${rig}/${role}`, session: `gt-${t}-${sessionPart(rig)}-${role}`, cwd: role === 'refinery' ? paths.refinery : join(paths.dir, 'witness'), store };
}

/** The polecats a rig has (a worktree each under polecats/). */
export function rigPolecats(town: Town, rig: string): Agent[] {
  const dir = rigPaths(town, rig).polecats;
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => agentFor(town, 'polecat', rig, d.name))
    .sort((a, b) => a.address.localeCompare(b.address));
}

/** The rig named (checked), or every rig of the town. */
export function rigNames(town: Town, rig?: string): string[] {
  return rig ? [requireRig(town, rig)] : town.rigs.map((r) => r.name);
}

/** Every agent of the town: the mayor, each rig's witness and refinery, and its polecats. */
export function townAgents(town: Town, rig?: string): Agent[] {
  const out: Agent[] = rig ? [] : [agentFor(town, 'mayor')];
  for (const r of rigNames(town, rig)) out.push(agentFor(town, 'witness', r), agentFor(town, 'refinery', r), ...rigPolecats(town, r));
  return out;
}

export function requireRig(town: Town, rig: string): string {
  if (!town.rigs.some((r) => r.name === rig)) {
    throw new BeadsError('not_found', `no rig ${rig} in town ${town.config.name} (rigs: ${town.rigs.map((r) => r.name).join(', ') || 'none'})`, { rig });
  }
  return rig;
}

const ADDRESS_HELP = 'agents are mayor, <rig>/witness, <rig>/refinery and <rig>/polecats/<name>';

/** The agent an address names. A polecat may also be named `<rig>/<name>`; it must exist (have a worktree). */
export function parseAgent(town: Town, input: string): Agent {
  const parts = input.trim().replace(/\/+$/, '').split('/');
  if (parts.length === 1 && parts[0] === 'mayor') return agentFor(town, 'mayor');
  if (parts.length < 2 || parts.length > 3) throw new BeadsError('not_found', `unknown agent ${JSON.stringify(input)}: ${ADDRESS_HELP}`, { agent: input });
  const rig = requireRig(town, parts[0]!);
  if (parts.length === 2 && (parts[1] === 'witness' || parts[1] === 'refinery')) return agentFor(town, parts[1], rig);
  const name = parts.length === 3 ? (parts[1] === 'polecats' ? parts[2] : undefined) : parts[1];
  if (!name) throw new BeadsError('not_found', `unknown agent ${JSON.stringify(input)}: ${ADDRESS_HELP}`, { agent: input });
  const agent = agentFor(town, 'polecat', rig, name);
  if (!existsSync(agent.cwd)) {
    const known = rigPolecats(town, rig).map((p) => p.name);
    throw new BeadsError('not_found', `no polecat ${name} in rig ${rig} (polecats: ${known.join(', ') || 'none'})`, { agent: input });
  }
  return agent;
}

/** Addresses mail may go to: any agent's, and `overseer` (the human). */
export function parseAddress(town: Town, input: string): string {
  if (input.trim() === 'overseer') return 'overseer';
  return parseAgent(town, input).address;
}
