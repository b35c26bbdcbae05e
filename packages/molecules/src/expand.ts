// Checking a molecule with everything it expands into: every `Molecule:` step must name a molecule that
// exists and is valid, and no molecule may contain itself, however deep. `moleculeProblems` is the one validity
// check: bd mol list, bd mol validate and pouring all ask it, so they never disagree.
import type { CatalogEntry } from './catalog.js';
import type { Molecule, Problem } from './types.js';

/** Problems of a molecule and of everything it expands into, including cycles across templates. */
export function checkExpansion(root: Molecule, lookup: (name: string) => CatalogEntry | undefined): Problem[] {
  const problems: Problem[] = [];
  const seenFiles = new Set<string>();
  const walk = (molecule: Molecule, chain: string[]): void => {
    for (const step of molecule.steps) {
      if (!step.molecule) continue;
      if (chain.includes(step.molecule)) {
        problems.push({ file: molecule.file, line: step.line, message: `molecule cycle: ${[...chain, step.molecule].join(' -> ')} (step "${step.id}" expands "${step.molecule}")` });
        continue;
      }
      const entry = lookup(step.molecule);
      if (!entry) {
        problems.push({ file: molecule.file, line: step.line, message: `step "${step.id}" expands unknown molecule "${step.molecule}"` });
        continue;
      }
      if (!entry.molecule || entry.problems.length) {
        if (!seenFiles.has(entry.file)) problems.push(...entry.problems);
        seenFiles.add(entry.file);
        if (!entry.molecule) continue;
      }
      walk(entry.molecule, [...chain, step.molecule]);
    }
  };
  walk(root, [root.name]);
  return problems;
}

/** Every problem of a parsed file (its own, then what it expands into): none means it may be poured. */
export function moleculeProblems(parsed: { molecule?: Molecule; problems: Problem[] }, lookup: (name: string) => CatalogEntry | undefined): Problem[] {
  return [...parsed.problems, ...(parsed.molecule ? checkExpansion(parsed.molecule, lookup) : [])];
}

/** How many steps pouring it makes that are work (as stepCount counts them): expanded steps count their molecule's. */
export function expandedStepCount(root: Molecule, lookup: (name: string) => CatalogEntry | undefined): number {
  const count = (molecule: Molecule, chain: string[]): number =>
    molecule.steps.reduce((n, step) => {
      const sub = step.molecule && !chain.includes(step.molecule) ? lookup(step.molecule)?.molecule : undefined;
      return n + (sub ? count(sub, [...chain, sub.name]) : 1);
    }, 0);
  return count(root, [root.name]);
}
