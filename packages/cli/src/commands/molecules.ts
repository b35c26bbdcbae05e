// bd mol: list, show, validate, pour, status, next.
import type { Argv } from 'yargs';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { BeadsError, assertNoControl, readyBeads } from '@gastown/beads';
import { findTown } from '@gastown/gastown';
import { DEFAULT_WISP_MAX_AGE, burnWisp, expandedStepCount, formatProblem, gcWisps, listMolecules, moleculeProblems, moleculeStatus, pourMolecule, readMoleculeFile, squashWisp, stepCount, type CatalogOptions, type Molecule, type StepStatus } from '@gastown/molecules';
import { limit, oneId, str, values, type Args } from '../args.js';
import { beadList, oneLine } from '../format.js';
import type { Context } from '../context.js';
import type { Run } from '../run.js';

/** The catalog for the store in use (or the current directory when there is none), and its town's. */
function catalog(ctx: Context): CatalogOptions {
  const townRoot = findTown(process.cwd())?.root;
  try {
    return { rigRoot: dirname(ctx.store.dir), ...(townRoot ? { townRoot } : {}) };
  } catch {
    return { rigRoot: process.cwd(), ...(townRoot ? { townRoot } : {}) };
  }
}

function vars(a: Args): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (a.var as string[] | undefined) ?? []) {
    const eq = String(item).indexOf('=');
    if (eq <= 0) throw new BeadsError('invalid_input', `invalid --var ${JSON.stringify(item)}: use name=value`);
    const name = String(item).slice(0, eq);
    const value = String(item).slice(eq + 1);
    // A value may land in a title or a gate's command line as well as in a description: one line, no control
    // characters.
    assertNoControl(name, '--var name', 'line');
    assertNoControl(value, `--var ${name}`, 'line');
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true }); // --var __proto__=x is a variable
  }
  return out;
}

function moleculeText(m: Molecule): string {
  const lines = [`${m.name}: ${m.description.split('\n')[0] ?? ''}`, `  from ${m.file}`];
  if (m.variables.length) lines.push(`  variables: ${m.variables.map((v) => (v.default !== undefined ? `${v.name}=${JSON.stringify(v.default)}` : `${v.name} (required)`)).join(', ')}`);
  for (const s of m.steps) {
    const extras = [s.needs.length ? `needs ${s.needs.join(', ')}` : '', s.molecule ? `expands ${s.molecule}` : '', ...s.gates.map((g) => `gate: ${g}`)].filter(Boolean);
    lines.push(`  - ${s.id}${extras.length ? `  (${extras.join('; ')})` : ''}`);
  }
  return lines.join('\n');
}

function statusText(nodes: StepStatus[], indent = '  '): string[] {
  return nodes.flatMap((n) => {
    const mark = n.status === 'closed' ? 'x' : n.status === 'in_progress' ? '>' : ' ';
    const took = n.took_ms !== undefined ? `  ${(n.took_ms / 1000).toFixed(n.took_ms < 10_000 ? 1 : 0)}s` : '';
    return [`${indent}[${mark}] ${n.step.split('/').pop()}  ${n.id}  ${n.status}${n.assignee ? ` @${oneLine(n.assignee)}` : ''}${took}`, ...statusText(n.children, indent + '    ')];
  });
}

export function registerMoleculeCommands(y: Argv, run: Run): Argv {
  return y.command('mol', 'Molecules: markdown workflows poured into beads', (m) =>
    m
      .command(
        'list',
        'Every molecule and where it comes from (rig molecules/, rig .beads/molecules/, town, shipped)',
        (c) => c,
        run((ctx) => {
          const all = listMolecules(catalog(ctx));
          const lookup = (n: string) => all.find((e) => e.name === n && !e.shadowedBy);
          const entries = all.map((e) => ({ name: e.name, source: e.source, file: e.file, ...(e.shadowedBy ? { shadowed_by: e.shadowedBy } : {}), steps: e.molecule ? expandedStepCount(e.molecule, lookup) : 0, valid: moleculeProblems(e, lookup).length === 0, description: e.molecule?.description.split('\n')[0] ?? '' }));
          ctx.out(entries, (es) => es.map((e) => `${e.name.padEnd(20)} ${e.source.padEnd(9)} ${String(e.steps).padStart(2)} steps${e.valid ? '' : '  INVALID'}${e.shadowed_by ? `  (shadowed by ${e.shadowed_by})` : ''}  ${e.description}`).join('\n') || 'No molecules.');
        }),
      )
      .command(
        'show <name>',
        'The steps, needs, gates and variables of a molecule',
        (c) => c.positional('name', { type: 'string' }),
        run((ctx, a) => {
          const entry = listMolecules(catalog(ctx)).find((e) => e.name === str(a, 'name') && !e.shadowedBy);
          if (!entry?.molecule) throw new BeadsError('not_found', `no molecule "${str(a, 'name')}"; bd mol list shows what there is`);
          ctx.out(entry.molecule, moleculeText);
        }),
      )
      .command(
        'validate <targets..>',
        'Check molecule files or names, and what they expand into; every problem with file:line',
        (c) => c.positional('targets', { type: 'string', array: true, describe: 'Files, or names from bd mol list' }),
        run((ctx, a) => {
          const entries = listMolecules(catalog(ctx));
          const lookup = (n: string) => entries.find((e) => e.name === n && !e.shadowedBy);
          const reports = values(a, 'targets', 'an empty molecule name or file was given').map((t) => {
            const fromFile = existsSync(t) || t.endsWith('.md');
            const parsed = fromFile ? readMoleculeFile(resolve(t)) : lookup(t);
            if (!parsed) return { target: t, valid: false, problems: [`no molecule "${t}"`] };
            const problems = moleculeProblems(parsed, lookup).map(formatProblem);
            return { target: t, valid: problems.length === 0, problems };
          });
          ctx.out(reports, (rs) => rs.map((r) => (r.valid ? `ok: ${r.target}` : r.problems.join('\n'))).join('\n'));
          if (reports.some((r) => !r.valid)) process.exitCode = 4;
        }),
      )
      .command(
        'pour <name>',
        'Create a molecule bead and one bead per step, with their dependencies, in one atomic write',
        (c) =>
          c.positional('name', { type: 'string' }).options({
            var: { type: 'string', array: true, describe: 'A variable, name=value (repeatable)' },
            wisp: { type: 'boolean', describe: 'Pour an ephemeral molecule into .beads/wisps/ (gitignored, never synced)' },
            key: { type: 'string', describe: 'Idempotency key: pouring again with it returns the first instance' },
            parent: { type: 'string', describe: 'Pour under this bead (parent-child)' },
            assignee: { alias: 'a', type: 'string', describe: 'Assign the molecule and its steps' },
          }),
        run((ctx, a) => {
          const wisp = Boolean(a.wisp);
          const target = wisp ? ctx.wisps(true)! : ctx.store;
          if (wisp) gcWisps(target, ctx.store.config.wisp_max_age ?? DEFAULT_WISP_MAX_AGE);
          const result = pourMolecule(target, ctx.actor, str(a, 'name')!, { catalog: catalog(ctx), vars: vars(a), key: str(a, 'key'), parent: str(a, 'parent'), assignee: str(a, 'assignee'), wisp });
          ctx.out(result, (r) => `${r.existing ? 'Already poured' : 'Poured'} ${r.molecule.id}: ${oneLine(r.molecule.title)} (${stepCount(r.steps)} steps)\n${r.steps.map((s) => `  ${s.path.padEnd(24)} ${s.id}`).join('\n')}`);
        }),
      )
      .command(
        'status <id>',
        'The step tree of a poured molecule: status, assignee, time taken, x/y done',
        (c) => c.positional('id', { type: 'string' }),
        run((ctx, a) => ctx.out(moleculeStatus(ctx.storeFor(str(a, 'id')), str(a, 'id')!), (s) => [`${s.id}: ${oneLine(s.title)} [${s.status}]  ${s.done}/${s.total} done`, ...statusText(s.steps)].join('\n'))),
      )
      .command(
        'next <id>',
        'The ready steps of a molecule (bd ready --parent ID)',
        (c) => c.positional('id', { type: 'string' }).option('limit', { alias: 'n', type: 'string', default: '0' }),
        run((ctx, a) => ctx.out(readyBeads(ctx.storeFor(str(a, 'id')), { parent: str(a, 'id'), limit: limit(a) ?? 0 }), (bs) => beadList(bs, 'No ready steps.'))),
      )
      .command(
        'squash <id>',
        'Replace a wisp with one permanent, closed digest bead in the store',
        (c) => c.positional('id', { type: 'string' }).option('summary', { alias: 'm', type: 'string', describe: 'The digest\'s summary (default: steps done, by whom, how long)' }),
        run((ctx, a) => {
          const id = oneId(a);
          const wisps = ctx.storeFor(id);
          if (wisps === ctx.store) throw new BeadsError('invalid_input', `${id} is not a wisp`);
          const r = squashWisp(ctx.store, wisps, ctx.actor, id, str(a, 'summary'));
          ctx.out(r, (x) => `Squashed into ${x.digest.id}: ${oneLine(x.digest.title)} (${x.burned} wisp beads removed)`);
        }),
      )
      .command(
        'burn <id>',
        'Discard a wisp and its steps',
        (c) => c.positional('id', { type: 'string' }),
        run((ctx, a) => {
          const id = oneId(a);
          const wisps = ctx.storeFor(id);
          if (wisps === ctx.store) throw new BeadsError('invalid_input', `${id} is not a wisp`);
          ctx.out(burnWisp(wisps, id), (r) => `Burned ${r.id} (${r.beads} beads)`);
        }),
      )
      .command(
        'gc',
        'Burn wisps untouched for longer than the store\'s wisp_max_age (default 7d)',
        (c) => c.option('older-than', { type: 'string', requiresArg: true, describe: 'Use this age instead (30m, 12h, 7d)' }),
        run((ctx, a) => {
          const wisps = ctx.wisps();
          const burned = wisps ? gcWisps(wisps, str(a, 'older-than') ?? ctx.store.config.wisp_max_age ?? DEFAULT_WISP_MAX_AGE) : [];
          ctx.out({ burned }, (r) => (r.burned.length ? `Burned ${r.burned.join(', ')}` : 'No wisps to collect.'));
        }),
      )
      .demandCommand(1, 'give a mol subcommand: list, show, validate, pour, status, next, squash, burn, gc'),
  );
}
