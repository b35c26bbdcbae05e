// Pouring a molecule: one molecule bead (issue_type molecule) and one bead per step under it, titled by the
// step's id, with `blocks` dependencies from `Needs:`, in one atomic append. A step that expands another
// molecule becomes a molecule bead of its own whose children are that molecule's steps; its `Needs:` hold
// back the whole sub-workflow (the store's ready rule already keeps children of a blocked parent waiting).
// With a key, pouring again returns the instance already there.
import { createHash } from 'node:crypto';
import { BeadsError, assertValid, type Bead, type BeadStore } from '@gastown/beads';
import { moleculeProblems } from './expand.js';
import { listMolecules, type CatalogEntry, type CatalogOptions } from './catalog.js';
import { substitute } from './parse.js';
import { substituteInstructions, substituteShell } from './shell-text.js';
import { formatProblem, type Molecule } from './types.js';

export interface PourOptions {
  catalog: CatalogOptions;
  vars?: Record<string, string>;
  /** Idempotency key: pouring the same molecule with the same key again returns the first instance. */
  key?: string;
  /** A bead to pour under (parent-child), such as the work bead a polecat has on its hook. */
  parent?: string;
  /** Assignee of the molecule and every step. */
  assignee?: string;
  /** Marks the instance as a wisp (the caller pours it into the wisp store). */
  wisp?: boolean;
}

export interface PourResult {
  molecule: Bead;
  /** The step beads, depth first in file order (sub-molecule steps under theirs). */
  steps: { path: string; id: string }[];
  /** True when the key matched an instance poured before. */
  existing: boolean;
}

/** What the pour metadata of a bead says (kept in its `metadata`). */
export interface StepMetadata {
  molecule: string;
  step?: string;
  gates?: string[];
}

interface PlannedBead {
  path: string;
  title: string;
  description: string;
  type: 'molecule' | 'task';
  parentPath?: string;
  needs: string[];
  metadata: Record<string, unknown>;
}

/** Values for a molecule's variables: given ones, else defaults (which may use earlier values). */
function resolveVariables(molecule: Molecule, given: Record<string, string>, context: string): Record<string, string> {
  const values: Record<string, string> = {};
  // defined, not assigned: a variable named __proto__ is a variable, not the object's prototype
  const put = (name: string, value: string): void => void Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
  for (const v of molecule.variables) {
    if (Object.hasOwn(given, v.name)) put(v.name, given[v.name]!);
    else if (v.default !== undefined) put(v.name, substitute(v.default, values));
    else throw new BeadsError('invalid_input', `molecule "${molecule.name}"${context} needs variable "${v.name}": give --var ${v.name}=...`, { molecule: molecule.name, variable: v.name });
  }
  return values;
}

function plan(molecule: Molecule, values: Record<string, string>, lookup: (name: string) => CatalogEntry | undefined, path: string, parentPath: string | undefined, out: PlannedBead[], meta: Record<string, unknown>): void {
  out.push({
    path,
    title: substitute(molecule.title ?? molecule.name, values),
    description: substituteInstructions(molecule.description, values),
    type: 'molecule',
    ...(parentPath !== undefined ? { parentPath } : {}),
    needs: [],
    metadata: meta,
  });
  const stepPath = (id: string): string => `${path}/${id}`;
  for (const step of molecule.steps) {
    const needs = step.needs.map(stepPath);
    if (step.molecule) {
      const sub = lookup(step.molecule)!.molecule!;
      const subValues = resolveVariables(sub, values, ` (expanded by step "${step.id}" of "${molecule.name}")`);
      const index = out.length;
      plan(sub, subValues, lookup, stepPath(step.id), path, out, { molecule: sub.name, step: step.id, vars: subValues });
      out[index]!.title = step.id;
      out[index]!.needs = needs;
      continue;
    }
    // gates are shell commands: values are quoted into them as literal text
    const gates = step.gates.map((g) => substituteShell(g, values));
    out.push({
      path: stepPath(step.id),
      title: step.id,
      description: substituteInstructions(step.body, values),
      type: 'task',
      parentPath: path,
      needs,
      metadata: { molecule: molecule.name, step: step.id, ...(gates.length ? { gates } : {}) },
    });
  }
}

/** The molecule bead's id for a key: the same name and key always give the same id, so a second pour finds it. */
export function keyedId(prefix: string, name: string, key: string): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const digest = createHash('sha256').update(`${name}\0${key}`).digest();
  let id = '';
  for (let i = 0; i < 10; i++) id += alphabet[digest[i]! & 31];
  return `${prefix}-${id}`;
}

export function pourMolecule(store: BeadStore, actor: string, name: string, options: PourOptions): PourResult {
  const entries = listMolecules(options.catalog);
  const lookup = (n: string): CatalogEntry | undefined => entries.find((e) => e.name === n && !e.shadowedBy);
  const entry = lookup(name);
  if (!entry) throw new BeadsError('not_found', `no molecule "${name}"; bd mol list shows what there is`, { molecule: name });
  const problems = moleculeProblems(entry, lookup);
  if (problems.length || !entry.molecule) {
    throw new BeadsError('invalid_input', `molecule "${name}" is invalid: ${problems.map(formatProblem).join('; ')}`, { problems: problems.map(formatProblem) });
  }
  const molecule = entry.molecule;
  const given = options.vars ?? {};
  const declared = new Set(molecule.variables.map((v) => v.name));
  for (const k of Object.keys(given)) {
    if (!declared.has(k)) throw new BeadsError('invalid_input', `molecule "${name}" has no variable "${k}" (it has: ${[...declared].join(', ') || 'none'})`, { variable: k });
  }
  const values = resolveVariables(molecule, given, '');
  const planned: PlannedBead[] = [];
  plan(molecule, values, lookup, '', undefined, planned, { molecule: name, source: entry.file, vars: values, ...(options.key ? { key: options.key } : {}), ...(options.wisp ? { wisp: true } : {}) });

  // Each bead passes the checks bd create makes (one-line title and assignee, text without terminal escapes),
  // after substitution: a variable's value or a molecule file's default cannot smuggle in what bd create refuses.
  for (const p of planned) {
    assertValid('validateCreateInput', { title: p.title, ...(p.description ? { description: p.description } : {}), ...(options.assignee !== undefined ? { assignee: options.assignee } : {}) }, 'bd mol pour');
  }
  const result = store.transaction<PourResult>(actor, (tx) => {
    const rootId = options.key ? keyedId(store.idPrefix, name, options.key) : undefined;
    if (rootId && tx.view.hasId(rootId)) {
      const existing = tx.view.state(rootId)!.bead;
      const steps = ((existing.metadata as { steps?: { path: string; id: string }[] } | undefined)?.steps ?? []);
      return { molecule: existing, steps, existing: true };
    }
    const idOf = new Map<string, string>();
    for (const p of planned) idOf.set(p.path, p.path === '' && rootId ? rootId : tx.newId());
    const steps = planned.filter((p) => p.path !== '').map((p) => ({ path: p.path.slice(1), id: idOf.get(p.path)! }));
    for (const p of planned) {
      const metadata = p.path === '' ? { ...p.metadata, steps } : p.type === 'molecule' ? { ...p.metadata, steps: steps.filter((s) => s.path.startsWith(`${p.path.slice(1)}/`)) } : p.metadata;
      const parent = p.parentPath !== undefined ? idOf.get(p.parentPath)! : options.parent || undefined;
      tx.create({
        id: idOf.get(p.path)!,
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        issue_type: p.type,
        ...(options.assignee ? { assignee: options.assignee } : {}),
        ...(parent !== undefined ? { parent } : {}),
        deps: p.needs.map((n) => ({ type: 'blocks', id: idOf.get(n)! })),
        metadata,
      });
    }
    return { molecule: { id: idOf.get('')! } as Bead, steps, existing: false };
  });
  return { ...result, molecule: store.get(result.molecule.id) };
}

