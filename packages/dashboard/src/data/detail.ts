// The lines of a detail view, read from the town when one is opened: a bead with its molecule's checklist and
// its history; an agent with the last lines of its pane; a merge request with its attempts and gate runs; a
// message with its body.
import { BeadStore, listBeads, type Bead, type Op } from '@gastown/beads';
import { moleculeStatus, type StepStatus } from '@gastown/molecules';
import { capturePane, findMergeRequest, parseAgent, rigPaths, townSessions, townSocket, townStore, type Town } from '@gastown/gastown';
import type { Snapshot } from './types.js';

function beadStoreFor(town: Town, snap: Snapshot, id: string): BeadStore {
  const rig = snap.work.find((w) => w.id === id)?.rig ?? town.rigs.find((r) => id.startsWith(`${r.prefix}-`))?.name;
  return BeadStore.open(rig ? rigPaths(town, rig).store : townStore(town).dir);
}

function checklist(steps: StepStatus[], depth = 0): string[] {
  return steps.flatMap((s) => [`${'  '.repeat(depth + 1)}${s.status === 'closed' ? '[x]' : s.status === 'in_progress' ? '[>]' : '[ ]'} ${s.step}  ${s.title} (${s.id})`, ...checklist(s.children, depth + 1)]);
}

function opLine(op: Op): string {
  const fields = op.fields ? Object.entries(op.fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`) : [];
  const extra = [op.label, op.depends_on_id && `${op.dep_type ?? 'blocks'} ${op.depends_on_id}`, op.text].filter(Boolean) as string[];
  return `  ${op.ts.slice(0, 19).replace('T', ' ')}  ${op.actor}  ${op.kind} ${[...extra, ...fields].join(' ')}`.slice(0, 300);
}

export function beadDetail(store: BeadStore, id: string): string[] {
  const b: Bead = store.get(id);
  const lines = [`${b.id}  ${b.title}`, `status ${b.status}  P${b.priority}  ${b.issue_type}${b.assignee ? `  assignee ${b.assignee}` : ''}`];
  if (b.description) lines.push('', ...b.description.split('\n'));
  const deps = (b.dependencies ?? []).filter((d) => d.type !== 'parent-child');
  if (deps.length) lines.push('', 'Depends on', ...deps.map((d) => `  ${d.type} ${d.depends_on_id}`));
  const mol = listBeads(store, { parent: b.id, issue_type: ['molecule'], all: true, limit: 0 }).at(-1);
  if (mol) {
    const m = moleculeStatus(store, mol.id, { timings: false });
    lines.push('', `Molecule ${m.molecule} (${m.id}): ${m.done}/${m.total} steps closed`, ...checklist(m.steps));
  }
  lines.push('', 'History', ...store.history(b.id).map(opLine));
  return lines;
}

export function agentDetail(town: Town, snap: Snapshot, address: string): string[] {
  const a = snap.agents.find((x) => x.id === address);
  const agent = parseAgent(town, address);
  const lines = [`${address}  ${a?.health ?? ''}  session ${agent.session}`];
  if (a?.hooked) lines.push(`hooked ${a.hooked}${a.done !== null ? `  ${a.done}/${a.total} steps` : ''}${a.step ? `  at ${a.step}` : ''}`);
  const info = townSessions(town).get(agent.session);
  if (!info) return [...lines, '', 'no session'];
  lines.push('', `Last lines of its pane${info.dead ? ' (dead)' : ''}`);
  return [...lines, ...capturePane(townSocket(town), agent.session, 40).split('\n')];
}

export function mrDetail(town: Town, id: string): string[] {
  const { rig, mr } = findMergeRequest(town, id);
  const lines = [`${mr.bead.id}  ${mr.bead.title}`, `rig ${rig}  state ${mr.mq.state}  branch ${mr.meta.branch}  bead ${mr.meta.source_bead}  by ${mr.meta.worker}`, `retries ${mr.mq.retries}  reworks ${mr.mq.reworks}${mr.mq.reason ? `  ${mr.mq.reason}` : ''}`];
  if (!mr.mq.attempts.length) lines.push('', 'No attempts yet.');
  for (const a of mr.mq.attempts) {
    lines.push('', `Attempt ${a.n} at ${a.started_at}: ${a.outcome ?? 'running'}${a.detail ? ` (${a.detail})` : ''}${a.files?.length ? ` files ${a.files.join(', ')}` : ''}`);
    for (const r of a.runs) {
      lines.push(`  ${r.passed ? 'pass' : 'FAIL'} ${r.gate}: ${r.command}  exit ${r.exit_code ?? 'timeout'}  ${Math.round(r.duration_ms / 100) / 10}s${r.flaky ? '  flaky' : ''}`);
      if (!r.passed && r.output) lines.push(...r.output.split('\n').slice(-10).map((l) => `      ${l}`));
    }
  }
  return lines;
}

export function mailDetail(town: Town, id: string): string[] {
  const b = townStore(town).get(id);
  const meta = (b.metadata as { mail?: { from?: string; to?: string } } | undefined)?.mail;
  return [`${b.id}  ${b.title}`, `from ${meta?.from ?? b.created_by ?? '?'} to ${meta?.to ?? b.assignee ?? '?'}  at ${b.created_at}${(b.labels ?? []).includes('read') ? '  read' : '  unread'}`, '', ...(b.description ?? '').split('\n')];
}

/** A detail view's lines for a row of a pane. */
export function detailLines(town: Town, snap: Snapshot, pane: string, id: string): string[] {
  switch (pane) {
    case 'agents':
      return agentDetail(town, snap, id);
    case 'work':
      return beadDetail(beadStoreFor(town, snap, id), id);
    case 'queue':
      return mrDetail(town, id);
    case 'mail':
      return mailDetail(town, id);
    case 'problems': {
      const p = snap.problems.find((x) => x.id === id);
      if (!p) return ['gone'];
      const head = [`${p.kind}  ${p.subject}`, p.detail, ''];
      if (snap.agents.some((a) => a.id === p.subject)) return [...head, ...agentDetail(town, snap, p.subject)];
      if (snap.queue.some((m) => m.id === p.subject)) return [...head, ...mrDetail(town, p.subject)];
      if (snap.mail.some((m) => m.id === p.subject)) return [...head, ...mailDetail(town, p.subject)];
      return head;
    }
    case 'activity': {
      const e = snap.activity.find((x) => `${x.op_id}:${x.kind}` === id); // the row's id (rows.ts): an op may be two events
      if (!e) return ['gone'];
      const head = [`${e.at}  ${e.kind}  ${e.bead}  by ${e.actor}`, e.text, ''];
      try {
        return [...head, ...beadDetail(beadStoreFor(town, snap, e.bead), e.bead)];
      } catch {
        return head;
      }
    }
    default:
      return [];
  }
}
