// A Snapshot made by hand, for the tests (and a benchmark's shape): two rigs, agents in every state, work in
// every status, a queue, mail and feed events; `scale` adds that many more ready beads.
import type { FeedEvent } from '../data/feed-types.js';
import type { PaneId } from '../rows.js';
import type { DashboardSource } from '../source.js';
import type { Effect } from '../state.js';
import { countsOf, type AgentItem, type MailRow, type MrItem, type Snapshot, type WorkItem } from '../data/types.js';

const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const iso = (minutesAgo: number): string => new Date(T0 - minutesAgo * 60_000).toISOString();

export function fixtureSnapshot(options: { scale?: number; problems?: boolean; mail?: MailRow[] } = {}): Snapshot {
  const agents: AgentItem[] = [
    { id: 'mayor', role: 'mayor', rig: null, health: 'idle', hooked: null, step: null, done: null, total: null, idle_s: 300 },
    { id: 'alpha/witness', role: 'witness', rig: 'alpha', health: 'idle', hooked: null, step: null, done: null, total: null, idle_s: 20 },
    { id: 'alpha/polecats/furiosa', role: 'polecat', rig: 'alpha', health: 'working', hooked: 'al-aaa1', step: 'implement (al-aaa1.2)', done: 1, total: 4, idle_s: 5 },
    { id: 'alpha/polecats/nux', role: 'polecat', rig: 'alpha', health: 'stalled', hooked: 'al-bbb2', step: 'test (al-bbb2.3)', done: 2, total: 4, idle_s: 1200 },
    { id: 'beta/refinery', role: 'refinery', rig: 'beta', health: 'dead', hooked: null, step: null, done: null, total: null, idle_s: null },
  ];
  const work: WorkItem[] = [
    { id: 'al-aaa1', rig: 'alpha', title: 'Add the login page', status: 'in_progress', priority: 1, type: 'feature', assignee: 'alpha/polecats/furiosa', blocked_by: [] },
    { id: 'al-ccc3', rig: 'alpha', title: 'Fix the flaky test', status: 'ready', priority: 0, type: 'bug', assignee: null, blocked_by: [] },
    { id: 'be-ddd4', rig: 'beta', title: 'Write the release notes', status: 'ready', priority: 2, type: 'task', assignee: null, blocked_by: [] },
    { id: 'be-eee5', rig: 'beta', title: 'Ship it', status: 'blocked', priority: 2, type: 'task', assignee: null, blocked_by: ['be-ddd4'] },
  ];
  for (let i = 0; i < (options.scale ?? 0); i++) work.push({ id: `al-s${String(i).padStart(6, '0')}`, rig: 'alpha', title: `scaled bead ${i}`, status: 'ready', priority: 3, type: 'task', assignee: null, blocked_by: [] });
  const queue: MrItem[] = [
    { id: 'al-mr01', rig: 'alpha', position: 0, state: 'testing', title: 'Merge al-zzz9', source_bead: 'al-zzz9', worker: 'alpha/polecats/max', priority: 1, age_ms: 120_000, last_gate: null },
    { id: 'al-mr02', rig: 'alpha', position: 1, state: 'queued', title: 'Merge al-yyy8', source_bead: 'al-yyy8', worker: 'alpha/polecats/toast', priority: 2, age_ms: 60_000, last_gate: null },
    { id: 'be-mr03', rig: 'beta', position: null, state: 'rework', title: 'Merge be-xxx7', source_bead: 'be-xxx7', worker: 'beta/polecats/ace', priority: 2, age_ms: 3_600_000, last_gate: { gate: 'test', passed: false, exit_code: 1 }, waiting: 'rework by beta/polecats/ace: gate test failed' },
  ];
  const mail: MailRow[] = options.mail ?? [
    { id: 'hq-m1', from: 'alpha/refinery', subject: 'REJECTED al-mr00: polecat/rictus', read: false, sent_at: iso(10) },
    { id: 'hq-m2', from: 'mayor', subject: 'Status of the week', read: true, sent_at: iso(100) },
  ];
  const activity: FeedEvent[] = [
    { at: iso(3), kind: 'claimed', store: 'alpha', rig: 'alpha', bead: 'al-aaa1', actor: 'alpha/polecats/furiosa', text: "al-aaa1 'Add the login page' claimed", op_id: 'op-1' },
    { at: iso(2), kind: 'gate_failed', store: 'beta', rig: 'beta', bead: 'be-mr03', actor: 'beta/refinery', text: 'be-mr03: gate test failed (exit 1)', op_id: 'op-2' },
    { at: iso(1), kind: 'merged', store: 'alpha', rig: 'alpha', bead: 'al-www6', actor: 'alpha/refinery', text: 'al-www6 merged in 1a2b3c4', op_id: 'op-3' },
  ];
  const problems =
    options.problems === false
      ? []
      : [
          { id: 'stalled:alpha/polecats/nux', kind: 'stalled', subject: 'alpha/polecats/nux', detail: 'hooked al-bbb2 at test (al-bbb2.3)', rig: 'alpha' },
          { id: 'dead:beta/refinery', kind: 'dead', subject: 'beta/refinery', detail: 'session dead', rig: 'beta' },
          { id: 'rework:be-mr03', kind: 'rework', subject: 'be-mr03', detail: 'gate test failed', rig: 'beta' },
        ];
  const s = { agents, work, queue, mail };
  return { town: 'gastown', root: '/town', rigs: ['alpha', 'beta'], daemon: { running: true, pid: 4242, last_tick: iso(0) }, taken_at: new Date(T0).toISOString(), problems, ...s, activity, counts: countsOf(s) };
}

export const FIXTURE_NOW = T0;

/** A source that hands over the snapshots a test pushes, and records the actions asked of it. */
export class FakeSource implements DashboardSource {
  acts: Effect[] = [];
  details: { pane: PaneId; id: string }[] = [];
  private listener: ((s: Snapshot) => void) | null = null;
  refreshes = 0;

  push(s: Snapshot): void {
    this.listener?.(s);
  }

  watch(onSnapshot: (s: Snapshot) => void): () => void {
    this.listener = onSnapshot;
    return () => {
      this.listener = null;
    };
  }

  refresh(): void {
    this.refreshes++;
  }

  async detail(pane: PaneId, id: string): Promise<string[]> {
    this.details.push({ pane, id });
    return [`detail of ${id}`, `in pane ${pane}`];
  }

  async act(effect: Exclude<Effect, { kind: 'attach' }>): Promise<string> {
    this.acts.push(effect);
    return `did ${effect.kind} ${effect.id}`;
  }
}
