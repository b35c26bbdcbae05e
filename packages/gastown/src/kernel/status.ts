// gt status: the town on one screen, problems first: its rigs (queue depth, ready work, dispatch), its
// services, its agents (working, idle, stalled, dead), and the daemon's last tick.
import { BeadStore } from '@gastown/beads';
import type { Town } from '../model.js';
import { rigPaths, rigSettings } from '../town/index.js';
import { RELEASED_LABEL, agentRows } from '../work/index.js';
import { rigMergeRequests } from '../refinery/index.js';
import { daemonStatus, type DaemonStatus } from './daemon.js';
import { dispatchCandidates } from './dispatch.js';
import { serviceRows, type ServiceRow } from './services.js';

export type AgentHealth = 'working' | 'idle' | 'stalled' | 'dead';

export interface StatusAgent {
  address: string;
  role: string;
  rig: string | null;
  health: AgentHealth;
  hooked: string | null;
  step: string | null;
  progress: string | null;
  idle_s: number | null;
}

export interface TownStatus {
  town: string;
  root: string;
  problems: { kind: string; subject: string; detail: string }[];
  daemon: Pick<DaemonStatus, 'running' | 'pid' | 'last_tick' | 'stale_pidfile'>;
  rigs: { name: string; dispatch: string; max_polecats: number; queue_depth: number; ready: number; polecats: number }[];
  services: Pick<ServiceRow, 'name' | 'state' | 'restarts'>[];
  agents: StatusAgent[];
  counts: Record<AgentHealth, number>;
}

export function townStatus(town: Town, now = Date.now()): TownStatus {
  const problems: TownStatus['problems'] = [];
  const d = daemonStatus(town);
  const rows = agentRows(town);
  const rigs = town.rigs.map((r) => {
    const store = BeadStore.open(rigPaths(town, r.name).store);
    let settings: ReturnType<typeof rigSettings> | null = null;
    try {
      settings = rigSettings(town, r.name);
    } catch (err) {
      problems.push({ kind: 'settings', subject: r.name, detail: (err as Error).message });
    }
    const mrs = rigMergeRequests(store);
    for (const m of mrs.filter((x) => x.mq.state === 'rework')) problems.push({ kind: 'rework', subject: m.bead.id, detail: m.mq.reason ?? 'sent back to its polecat' });
    // ready work as dispatch sees it: what it would sling now; a released bead waits for a person, who is told why
    const candidates = dispatchCandidates(store, now, r.name);
    const ready = candidates.beads.length;
    for (const s of candidates.skipped) if (store.get(s.bead).labels?.includes(RELEASED_LABEL)) problems.push({ kind: 'released', subject: s.bead, detail: s.reason });
    return { name: r.name, dispatch: settings?.dispatch ?? '?', max_polecats: settings?.max_polecats ?? 0, queue_depth: mrs.filter((m) => ['queued', 'testing', 'landing', 'pr'].includes(m.mq.state)).length, ready, polecats: rows.filter((a) => a.rig === r.name && a.role === 'polecat').length, stall: settings?.stall_after_ms ?? 15 * 60_000 };
  });
  const agents = rows.map((a): StatusAgent => {
    const standing = a.role !== 'polecat';
    const down = a.state !== 'running';
    const stallMs = rigs.find((r) => r.name === a.rig)?.stall ?? 15 * 60_000;
    let health: AgentHealth;
    if (down && (standing || a.hooked)) health = 'dead';
    else if (!down && a.hooked && a.idle_s !== null && a.idle_s * 1000 >= stallMs) health = 'stalled';
    else if (!down && a.hooked) health = 'working';
    else health = 'idle';
    if (health === 'dead' || health === 'stalled') problems.push({ kind: health, subject: a.address, detail: a.hooked ? `hooked ${a.hooked}${a.step ? ` at ${a.step}` : ''}` : `session ${a.state}` });
    return { address: a.address, role: a.role, rig: a.rig, health, hooked: a.hooked, step: a.step, progress: a.progress, idle_s: a.idle_s };
  });
  const services = serviceRows(town, now);
  for (const s of services.filter((x) => x.state === 'crash_loop')) problems.push({ kind: 'crash_loop', subject: s.name, detail: `restarted ${s.restarts} times; gt service reset ${s.name} tries again` });
  const sessionsUp = rows.some((a) => a.state === 'running');
  if (!d.running && sessionsUp) problems.unshift({ kind: 'daemon', subject: 'daemon', detail: 'agents are running but the daemon is not: gt daemon start (or gt up)' });
  const counts: Record<AgentHealth, number> = { working: 0, idle: 0, stalled: 0, dead: 0 };
  for (const a of agents) counts[a.health]++;
  return {
    town: town.config.name,
    root: town.root,
    problems,
    daemon: { running: d.running, pid: d.pid, last_tick: d.last_tick, stale_pidfile: d.stale_pidfile },
    rigs: rigs.map(({ stall: _s, ...r }) => r),
    services: services.map((s) => ({ name: s.name, state: s.state, restarts: s.restarts })),
    agents,
    counts,
  };
}
