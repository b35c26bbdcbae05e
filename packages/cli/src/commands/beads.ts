// bd create, show, update, close, reopen, delete.
import type { Argv } from 'yargs';
import { BeadsError, createBead, deleteBeads, heartbeatBeads, parseDuration, reopenBeads, updateBead, type Bead, type BeadStore, type ManyOptions } from '@gastown/beads';
import { closeSteps } from '@gastown/molecules';
import { deps, ids, labels, priority, str, when, type Args } from '../args.js';
import { beadDetail, oneLine } from '../format.js';
import type { Run } from '../run.js';

const fieldOptions = {
  description: { alias: 'd', type: 'string', describe: 'Description' },
  design: { type: 'string', describe: 'Design notes' },
  acceptance: { type: 'string', describe: 'Acceptance criteria' },
  notes: { type: 'string', describe: 'Notes' },
  priority: { alias: 'p', type: 'string', describe: 'Priority 0-4 (0 most urgent; P0-P4 also accepted)' },
  type: { alias: 't', type: 'string', describe: 'Type: task, bug, feature, epic, chore (or a system type)' },
  assignee: { alias: 'a', type: 'string', describe: 'Assignee' },
  defer: { type: 'string', requiresArg: true, describe: 'Not ready until this time (ISO 8601 date/time, or 2h, 3d, 1w from now; -3d is 3 days ago)' },
  due: { type: 'string', requiresArg: true, describe: 'Due date (ISO 8601 date/time, or 2h, 3d, 1w from now; -3d is 3 days ago)' },
  'external-ref': { type: 'string', describe: 'A reference elsewhere (gh-123, a URL)' },
} as const;

function commonFields(a: Args): Record<string, unknown> {
  return {
    description: str(a, 'description'),
    design: str(a, 'design'),
    acceptance_criteria: str(a, 'acceptance'),
    notes: str(a, 'notes'),
    priority: priority(str(a, 'priority')),
    issue_type: str(a, 'type'),
    assignee: str(a, 'assignee'),
    defer_until: when(str(a, 'defer'), '--defer'),
    due_at: when(str(a, 'due'), '--due'),
    external_ref: str(a, 'external-ref'),
  };
}

export function registerBeadCommands(y: Argv, run: Run): Argv {
  return y
    .command(
      'create [title]',
      'Create a bead',
      (c) =>
        c
          .positional('title', { type: 'string', describe: 'Title (or --title)' })
          .options({
            title: { type: 'string', describe: 'Title' },
            ...fieldOptions,
            labels: { alias: 'l', type: 'string', array: true, describe: 'Labels (comma-separated or repeated)' },
            parent: { type: 'string', describe: 'Parent bead: adds a parent-child dependency' },
            deps: { type: 'string', array: true, describe: 'Dependencies as type:id,... (types: blocks, parent-child, related, discovered-from, waits-for)' },
            id: { type: 'string', describe: 'Use this id instead of a generated one' },
          })
          .example('$0 create "Fix login" -t bug -p 1', 'a P1 bug')
          .example('$0 create "Write docs" --deps blocks:gt-abc12 -l docs', 'blocked by gt-abc12'),
      run((ctx, a) => {
        const title = str(a, 'title');
        if (title === undefined) throw new BeadsError('invalid_input', 'title is required: bd create "what to do"');
        const bead = createBead(ctx.store, ctx.actor, {
          title,
          ...commonFields(a),
          labels: labels(a, 'labels'),
          parent: str(a, 'parent'),
          deps: deps(a),
          id: str(a, 'id'),
        } as Parameters<typeof createBead>[2], { foreign: ctx.foreign() });
        ctx.out(bead, (b) => `Created ${b.id}: ${oneLine(b.title)}`);
      }),
    )
    .command(
      'show <ids..>',
      'Show beads in full (--json: an array)',
      (c) => c.positional('ids', { type: 'string', array: true, describe: 'Ids or unique prefixes' }),
      run((ctx, a) => {
        const beads = ids(a).map((id) => ctx.storeFor(id).get(id));
        ctx.out(beads, (bs) => bs.map(beadDetail).join('\n\n'));
      }),
    )
    .command(
      'update <id>',
      'Change fields of a bead, or claim it',
      (c) =>
        c
          .positional('id', { type: 'string', describe: 'Id or unique prefix' })
          .options({
            title: { type: 'string', describe: 'Title' },
            ...fieldOptions,
            status: { alias: 's', type: 'string', describe: 'Status: open, in_progress, blocked, deferred, hooked, pinned (use close to close)' },
            claim: { type: 'boolean', describe: 'Atomically take the bead: assignee = you, status in_progress; fails if someone holds it' },
            lease: { type: 'string', requiresArg: true, describe: 'With --claim: the claim lapses after this long (30s, 10m, 2h) unless renewed by bd heartbeat' },
          })
          .example('$0 update gt-abc12 --claim', 'take the work')
          .example('$0 update gt-abc -p 0 -s blocked', 'by unique prefix'),
      run((ctx, a) => {
        const fields = { title: str(a, 'title'), ...commonFields(a), status: str(a, 'status') };
        const lease = str(a, 'lease');
        if (lease !== undefined && !a.claim) throw new BeadsError('invalid_input', '--lease goes with --claim');
        const bead = updateBead(ctx.storeFor(str(a, 'id')), ctx.actor, str(a, 'id')!, fields, { claim: Boolean(a.claim), ...(lease !== undefined ? { leaseMs: parseDuration(lease, '--lease') } : {}) });
        ctx.out(bead, (b) => `Updated ${b.id}: ${b.status}${b.assignee ? ` (${oneLine(b.assignee)})` : ''}`);
      }),
    )
    .command(
      'close <ids..>',
      'Close beads. A step with gates closes only when they pass; the last step of a molecule closes it too',
      (c) =>
        c.positional('ids', { type: 'string', array: true }).options({
          reason: { alias: 'r', type: 'string', describe: 'Why it is closed' },
          force: { type: 'boolean', describe: 'Close despite failing gates (needs --reason; recorded)' },
          'gate-timeout': { type: 'string', requiresArg: true, default: '10m', describe: 'How long a gate may run (30s, 10m, 1h)' },
        }),
      run((ctx, a) => {
        const timeout = parseDuration(str(a, 'gate-timeout')!, '--gate-timeout');
        // all or nothing: every step's gates run before any bead closes (closeSteps)
        const targets = ids(a).map((id) => ({ store: ctx.storeFor(id), id }));
        const beads = closeSteps(ctx.actor, targets, { reason: str(a, 'reason'), force: Boolean(a.force), gateTimeoutMs: timeout }).map((r) => r.bead);
        ctx.out(beads, (bs) => bs.map((b) => `Closed ${b.id}: ${oneLine(b.title)}`).join('\n'));
      }),
    )
    .command(
      'heartbeat <ids..>',
      'Renew your lease on beads you hold, so nobody takes them over',
      (c) => c.positional('ids', { type: 'string', array: true }).option('lease', { type: 'string', requiresArg: true, default: '10m', describe: 'How long the renewed lease lasts' }),
      run((ctx, a) => {
        const ms = parseDuration(str(a, 'lease')!, '--lease');
        manyIds(ctx, a, (store, group, check) => heartbeatBeads(store, ctx.actor, group, ms, check), 'Renewed');
      }),
    )
    .command(
      'reopen <ids..>',
      'Reopen closed beads',
      (c) => c.positional('ids', { type: 'string', array: true }).option('reason', { alias: 'r', type: 'string' }),
      run((ctx, a) => manyIds(ctx, a, (store, group, check) => reopenBeads(store, ctx.actor, group, str(a, 'reason'), check), 'Reopened')),
    )
    .command(
      'delete <ids..>',
      'Delete beads (a tombstone: history is kept, they are never listed)',
      (c) => c.positional('ids', { type: 'string', array: true }).option('reason', { alias: 'r', type: 'string' }),
      run((ctx, a) => manyIds(ctx, a, (store, group, check) => deleteBeads(store, ctx.actor, group, str(a, 'reason'), check), 'Deleted')),
    );
}

type Ctx = Parameters<Parameters<Run>[0]>[0];

/** The ids grouped by the store that holds each (this one, the wisps, another rig's), in order of first mention. */
function byStore(ctx: Ctx, given: string[]): { store: BeadStore; ids: string[] }[] {
  const groups = new Map<string, { store: BeadStore; ids: string[] }>();
  for (const id of given) {
    const store = ctx.storeFor(id);
    const group = groups.get(store.dir) ?? { store, ids: [] };
    group.ids.push(id);
    groups.set(store.dir, group);
  }
  return [...groups.values()];
}

/**
 * A command on several beads, all or nothing: one locked write per store. Ids in several stores (wisps, other
 * rigs) are first checked in every store, so one that fails anywhere writes nothing.
 */
function manyIds(ctx: Ctx, a: Args, act: (store: BeadStore, ids: string[], options: ManyOptions) => Bead[], verb: string): void {
  const groups = byStore(ctx, ids(a));
  if (groups.length > 1) for (const g of groups) act(g.store, g.ids, { dryRun: true });
  const beads = groups.flatMap((g) => act(g.store, g.ids, {}));
  ctx.out(beads, (bs) => bs.map((b) => `${verb} ${b.id}: ${oneLine(b.title)}`).join('\n'));
}
