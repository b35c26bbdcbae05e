// Parsing and checking molecule markdown. The format is the vision's (`## Molecule: name`, a description,
// `## Step: id` sections whose `Needs: a, b` lines name the steps that must close first) with extensions that
// read as plain markdown in a review: `Gate: <command>`, `Molecule: <name>` (a step that expands another
// molecule), `Var: name = default` / `Var: name` (required), `Title: ...`, and `{{name}}` in text.
// Directive lines inside fenced code blocks are text, not directives.
import type { Molecule, Problem, Step, VariableDecl } from './types.js';

const MOLECULE_HEADER = /^##\s+Molecule:\s*(.*?)\s*$/;
const STEP_HEADER = /^##\s+Step:\s*(.*?)\s*$/;
const DIRECTIVE = /^(Needs|Gate|Molecule|Var|Title):\s*(.*?)\s*$/;
const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VAR_USE = /\{\{\s*([^}]*?)\s*\}\}/g;
const FENCE = /^\s*(```|~~~)/;

export interface ParseResult {
  molecule?: Molecule;
  problems: Problem[];
}

/** Decodes UTF-8 strictly; a bad byte is reported on its line. */
function decode(input: string | Uint8Array, file: string, problems: Problem[]): string | null {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= input.length; i++) {
      if (i === input.length || input[i] === 10) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(input.subarray(start, i));
        } catch {
          problems.push({ file, line, message: 'unreadable bytes: the file is not valid UTF-8 text' });
          return null;
        }
        line++;
        start = i + 1;
      }
    }
    problems.push({ file, line: 1, message: 'unreadable bytes: the file is not valid UTF-8 text' });
    return null;
  }
}

interface Draft extends Step {
  text: string[];
  needLines: Map<string, number>;
}

export function parseMolecule(input: string | Uint8Array, file: string): ParseResult {
  const problems: Problem[] = [];
  const text = decode(input, file, problems);
  if (text === null) return { problems };
  const lines = text.replace(/\r\n/g, '\n').split('\n');

  let name: string | undefined;
  let headerLine = 0;
  let title: string | undefined;
  const description: string[] = [];
  const variables: VariableDecl[] = [];
  const steps: Draft[] = [];
  const uses: { name: string; line: number }[] = [];
  let fenced = false;

  lines.forEach((raw, index) => {
    const line = index + 1;
    const step = steps[steps.length - 1];
    if (FENCE.test(raw)) fenced = !fenced;
    for (const m of raw.matchAll(VAR_USE)) uses.push({ name: m[1]!, line });
    if (!fenced) {
      const mol = MOLECULE_HEADER.exec(raw);
      if (mol) {
        if (name !== undefined) problems.push({ file, line, message: `a second "## Molecule:" header (the first is on line ${headerLine}); one molecule a file` });
        else if (!NAME.test(mol[1]!)) problems.push({ file, line, message: `invalid molecule name ${JSON.stringify(mol[1])}: use lower-case letters, digits, - and _` });
        name ??= mol[1]!;
        headerLine ||= line;
        return;
      }
      const head = STEP_HEADER.exec(raw);
      if (head) {
        if (name === undefined) problems.push({ file, line, message: 'a step before the "## Molecule: <name>" header' });
        const id = head[1]!;
        if (!NAME.test(id)) problems.push({ file, line, message: `invalid step id ${JSON.stringify(id)}: use lower-case letters, digits, - and _` });
        else if (steps.some((s) => s.id === id)) problems.push({ file, line, message: `duplicate step "${id}" (first on line ${steps.find((s) => s.id === id)!.line})` });
        steps.push({ id, body: '', needs: [], gates: [], line, text: [], needLines: new Map() });
        return;
      }
      const directive = DIRECTIVE.exec(raw);
      if (directive && name !== undefined) {
        const [, key, value] = directive as unknown as [string, string, string];
        if (key === 'Var' && !step) {
          const decl = /^([^=\s]+)\s*(?:=\s*(.*))?$/.exec(value);
          if (!decl || !VAR_NAME.test(decl[1]!)) problems.push({ file, line, message: `invalid variable declaration ${JSON.stringify(value)}: use "Var: name = default" or "Var: name" (required)` });
          else variables.push({ name: decl[1]!, ...(decl[2] !== undefined ? { default: decl[2] } : {}), line });
          return;
        }
        if (key === 'Title' && !step) {
          title = value;
          return;
        }
        if (step && key === 'Needs') {
          for (const need of value.split(',').map((s) => s.trim()).filter(Boolean)) {
            if (!step.needs.includes(need)) step.needs.push(need);
            step.needLines.set(need, line);
          }
          return;
        }
        if (step && key === 'Gate') {
          if (!value) problems.push({ file, line, message: `step "${step.id}" has an empty Gate:` });
          else step.gates.push(value);
          return;
        }
        if (step && key === 'Molecule') {
          if (!NAME.test(value)) problems.push({ file, line, message: `invalid molecule name ${JSON.stringify(value)} in step "${step.id}"` });
          else step.molecule = value;
          return;
        }
      }
    }
    if (step) step.text.push(raw);
    else if (name !== undefined) description.push(raw);
  });

  if (name === undefined) {
    problems.push({ file, line: 1, message: 'missing "## Molecule: <name>" header' });
    return { problems };
  }
  if (fenced) problems.push({ file, line: lines.length, message: 'a code block is never closed' });
  if (steps.length === 0) problems.push({ file, line: headerLine, message: `molecule "${name}" has no steps ("## Step: <id>")` });

  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) {
    s.body = s.text.join('\n').trim();
    if (!s.body && !s.molecule) problems.push({ file, line: s.line, message: `step "${s.id}" is empty: give it an instruction` });
    for (const need of s.needs) {
      if (need === s.id) problems.push({ file, line: s.needLines.get(need)!, message: `step "${s.id}" needs itself` });
      else if (!ids.has(need)) problems.push({ file, line: s.needLines.get(need)!, message: `step "${s.id}" needs unknown step "${need}"` });
    }
  }
  const cycle = findCycle(steps);
  if (cycle) problems.push({ file, line: steps.find((s) => s.id === cycle[0])!.line, message: `dependency cycle: ${cycle.join(' -> ')} (each step needs the next)` });

  const declared = new Set(variables.map((v) => v.name));
  for (const v of variables) if (variables.find((w) => w.name === v.name) !== v) problems.push({ file, line: v.line, message: `variable "${v.name}" declared twice` });
  for (const use of uses) {
    if (!VAR_NAME.test(use.name)) problems.push({ file, line: use.line, message: `invalid variable {{${use.name}}}` });
    else if (!declared.has(use.name)) problems.push({ file, line: use.line, message: `undeclared variable {{${use.name}}}: declare it with "Var: ${use.name}" under the header` });
  }

  problems.sort((a, b) => a.line - b.line);
  const molecule: Molecule = {
    name,
    description: description.join('\n').trim(),
    ...(title ? { title } : {}),
    variables,
    steps: steps.map(({ id, body, needs, gates, molecule: sub, line }) => ({ id, body, needs, gates, ...(sub ? { molecule: sub } : {}), line })),
    file,
    line: headerLine,
  };
  return { molecule, problems };
}

/** A cycle among steps' needs, spelled out from its first step back to it, or null. */
function findCycle(steps: Step[]): string[] | null {
  const needs = new Map(steps.map((s) => [s.id, s.needs.filter((n) => n !== s.id)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done' || !needs.has(id)) return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const n of needs.get(id)!) {
      const found = visit(n);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const s of steps) {
    const found = visit(s.id);
    if (found) return found;
  }
  return null;
}

/** Replaces `{{name}}` with values; names without a value are left as they are. */
export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(VAR_USE, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));
}
