// The shapes of a molecule: a workflow template parsed from markdown.

export interface Step {
  /** The step's id, from `## Step: <id>`; also the title of its bead. */
  id: string;
  /** The instruction: the section's text without its directive lines. */
  body: string;
  /** Steps that must close first (`Needs: a, b`). */
  needs: string[];
  /** Commands that must exit 0 before the step may close (`Gate: <command>`). */
  gates: string[];
  /** Another molecule this step expands into (`Molecule: <name>`): the step becomes a parent of its steps. */
  molecule?: string;
  /** 1-based line of the `## Step:` header. */
  line: number;
}

export interface VariableDecl {
  name: string;
  /** Absent when the variable is required. */
  default?: string;
  line: number;
}

export interface Molecule {
  name: string;
  description: string;
  /** Title of a poured instance (`Title: ...`), else the name. */
  title?: string;
  variables: VariableDecl[];
  steps: Step[];
  /** Where it was read from. */
  file: string;
  line: number;
}

/** One problem in a molecule file, reported as `file:line: message`. */
export interface Problem {
  file: string;
  line: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}
