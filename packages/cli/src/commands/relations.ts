// bd dep, label, comment, comments, history.
import type { Argv } from 'yargs';
import { addComment, addDependency, addLabels, beadHistory, dependencyCycles, dependencyTree, removeDependency, removeLabels } from '@gastown/beads';
import { labels, str, wholeNumber } from '../args.js';
import { historyText, oneLine, textBlock, treeText } from '../format.js';
import type { Run } from '../run.js';

export function registerRelationCommands(y: Argv, run: Run): Argv {
  return y
    .command('dep', 'Dependencies between beads', (d) =>
      d
        .command(
          'add <id> <depends-on>',
          'Make <id> depend on <depends-on>',
          (c) => c.positional('id', { type: 'string' }).positional('depends-on', { type: 'string' }).option('type', { alias: 't', type: 'string', default: 'blocks', describe: 'blocks, parent-child, related, discovered-from, waits-for' }),
          run((ctx, a) => {
            const bead = addDependency(ctx.storeFor(str(a, 'id')), ctx.actor, str(a, 'id')!, str(a, 'depends-on')!, str(a, 'type'), { foreign: ctx.foreign() });
            ctx.out(bead, (b) => `${b.id} now depends on ${oneLine(str(a, 'depends-on'))} (${oneLine(str(a, 'type'))})`);
          }),
        )
        .command(
          'remove <id> <depends-on>',
          'Remove a dependency of one type (blocks unless -t says otherwise)',
          (c) => c.positional('id', { type: 'string' }).positional('depends-on', { type: 'string' }).option('type', { alias: 't', type: 'string', default: 'blocks', describe: 'The type of the dependency to remove' }),
          run((ctx, a) => {
            const bead = removeDependency(ctx.storeFor(str(a, 'id')), ctx.actor, str(a, 'id')!, str(a, 'depends-on')!, str(a, 'type'));
            ctx.out(bead, (b) => `${b.id} no longer depends on ${oneLine(str(a, 'depends-on'))} (${oneLine(str(a, 'type'))})`);
          }),
        )
        .command(
          'tree <id>',
          'What a bead depends on, recursively (--up: what depends on it)',
          (c) => c.positional('id', { type: 'string' }).options({ up: { type: 'boolean', describe: 'Show dependents instead' }, depth: { type: 'string', requiresArg: true, default: '50', describe: 'Maximum depth' } }),
          run((ctx, a) => ctx.out(dependencyTree(ctx.storeFor(str(a, 'id')), str(a, 'id')!, { direction: a.up ? 'up' : 'down', maxDepth: wholeNumber(a, 'depth')! }), (t) => treeText(t))),
        )
        .command(
          'cycles',
          'Dependency cycles (blocks, waits-for, parent-child)',
          (c) => c,
          run((ctx) => ctx.out(dependencyCycles(ctx.store), (cs) => (cs.length ? cs.map((c) => `cycle: ${c.join(' -> ')} -> ${c[0]}`).join('\n') : 'No cycles.'))),
        )
        .demandCommand(1, 'give a dep subcommand: add, remove, tree, cycles'),
    )
    .command('label', 'Labels on beads', (l) =>
      l
        .command(
          'add <id> <labels..>',
          'Add labels',
          (c) => c.positional('id', { type: 'string' }).positional('labels', { type: 'string', array: true }),
          run((ctx, a) => {
            const bead = addLabels(ctx.storeFor(str(a, 'id')), ctx.actor, str(a, 'id')!, labels(a, 'labels') ?? []);
            ctx.out(bead, (b) => `${b.id}: ${b.labels?.map(oneLine).join(', ') ?? ''}`);
          }),
        )
        .command(
          'remove <id> <labels..>',
          'Remove labels',
          (c) => c.positional('id', { type: 'string' }).positional('labels', { type: 'string', array: true }),
          run((ctx, a) => {
            const bead = removeLabels(ctx.storeFor(str(a, 'id')), ctx.actor, str(a, 'id')!, labels(a, 'labels') ?? []);
            ctx.out(bead, (b) => `${b.id}: ${b.labels?.map(oneLine).join(', ') || '(no labels)'}`);
          }),
        )
        .demandCommand(1, 'give a label subcommand: add, remove'),
    )
    .command(
      'comment <id> <text>',
      'Add a comment to a bead',
      (c) => c.positional('id', { type: 'string' }).positional('text', { type: 'string' }),
      run((ctx, a) => {
        const bead = addComment(ctx.storeFor(str(a, 'id')), ctx.actor, str(a, 'id')!, str(a, 'text') ?? '');
        ctx.out(bead.comments![bead.comments!.length - 1], (c) => `Comment ${c!.id} added to ${bead.id}`);
      }),
    )
    .command(
      'comments <id>',
      'The comments on a bead',
      (c) => c.positional('id', { type: 'string' }),
      run((ctx, a) => {
        const bead = ctx.storeFor(str(a, 'id')).get(str(a, 'id')!);
        ctx.out(bead.comments ?? [], (cs) => (cs.length ? cs.map((c) => `#${c.id} ${oneLine(c.author)} ${oneLine(c.created_at)}\n${textBlock(c.text).split('\n').map((l) => `  ${l}`).join('\n')}`).join('\n\n') : 'No comments.'));
      }),
    )
    .command(
      'history <id>',
      'Every operation on a bead, in order: who did what, when',
      (c) => c.positional('id', { type: 'string' }),
      run((ctx, a) => ctx.out(beadHistory(ctx.storeFor(str(a, 'id')), str(a, 'id')!), historyText)),
    );
}
