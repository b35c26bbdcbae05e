// bd list, ready, blocked, search, stats.
import type { Argv } from 'yargs';
import { blockedBeads, listBeads, readyBeads, searchBeads, storeStats } from '@gastown/beads';
import { filter, str } from '../args.js';
import { beadList, blockedList, statsText } from '../format.js';
import type { Run } from '../run.js';

const filterOptions = {
  status: { alias: 's', type: 'string', array: true, describe: 'Only these statuses (comma-separated)' },
  type: { alias: 't', type: 'string', array: true, describe: 'Only these types' },
  assignee: { alias: 'a', type: 'string', describe: 'Only beads assigned to this actor' },
  label: { alias: 'l', type: 'string', array: true, describe: 'Only beads with all these labels' },
  priority: { alias: 'p', type: 'string', array: true, describe: 'Only these priorities' },
  parent: { type: 'string', describe: 'Only beads under this one (at any depth)' },
  limit: { alias: 'n', type: 'string', describe: 'At most N results; 0 for no limit' },
} as const;

export function registerQueryCommands(y: Argv, run: Run): Argv {
  return y
    .command(
      'list',
      'List beads (closed ones only with --all or --status closed; deleted ones never)',
      (c) => c.options({ ...filterOptions, all: { type: 'boolean', describe: 'Include closed beads' } }).option('limit', { ...filterOptions.limit, default: '50' }),
      run((ctx, a) => ctx.out(listBeads(ctx.storeFor(str(a, 'parent')), filter(a)), (bs) => beadList(bs, 'No beads.'))),
    )
    .command(
      'ready',
      'Work that can start now: open, not deferred, nothing open blocking it or an ancestor; by priority, oldest first',
      (c) => c.options(filterOptions).option('limit', { ...filterOptions.limit, default: '10' }),
      run((ctx, a) => ctx.out(readyBeads(ctx.storeFor(str(a, 'parent')), filter(a), { foreign: ctx.foreign() }), (bs) => beadList(bs, 'No ready work.'))),
    )
    .command(
      'blocked',
      'Beads that wait on open work, and what they wait on',
      (c) => c.options(filterOptions).option('limit', { ...filterOptions.limit, default: '0' }),
      run((ctx, a) => ctx.out(blockedBeads(ctx.storeFor(str(a, 'parent')), filter(a), { foreign: ctx.foreign() }), blockedList)),
    )
    .command(
      'search <query>',
      'Find beads whose id, title, description, design, notes or acceptance criteria contain the text',
      (c) => c.positional('query', { type: 'string' }).options(filterOptions).option('limit', { ...filterOptions.limit, default: '50' }),
      run((ctx, a) => ctx.out(searchBeads(ctx.store, str(a, 'query') ?? '', filter(a)), (bs) => beadList(bs, 'No matches.'))),
    )
    .command(
      'stats',
      'Counts by status, type and priority; ready and blocked; median time to close',
      (c) => c,
      run((ctx) => ctx.out(storeStats(ctx.store), statsText)),
    );
}
