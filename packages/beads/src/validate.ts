// Checks operations and command inputs against the JSON Schemas in ../schemas (compiled ahead of time by
// scripts/gen-validators.mjs) and turns the first failure into one sentence that names the field.
import * as generated from './generated/validators.js';
import { BeadsError } from './errors.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type Validator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

const validators = generated as unknown as Record<string, Validator>;

// Control characters: one-line fields (titles, labels, names) take none; text (descriptions, comments,
// reasons) keeps newline, tab and carriage return. The schemas in ../schemas/inputs.schema.json spell the same.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** A value as JSON shows it, with the control characters JSON leaves raw (DEL, C1) escaped too. */
function shownValue(value: unknown): string {
  const text = typeof value === 'string' && value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return (JSON.stringify(text) ?? String(text)).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const NOT_IN_LINE = 'control characters are not allowed';
const NOT_IN_TEXT = 'control characters other than newline and tab are not allowed';

/** What is wrong with a value that failed a pattern, when control characters are why (`inText`: the text pattern). */
function controlProblem(value: unknown, inText: boolean): string | null {
  if (typeof value !== 'string' || !CONTROL.test(value)) return null;
  return inText ? NOT_IN_TEXT : NOT_IN_LINE;
}

/**
 * Refuses control characters in a value the schemas do not cover (an actor, a reason, a comment, a variable):
 * none in one line, only newline, tab and carriage return in text. `what` names the value in the error.
 */
export function assertNoControl(value: string, what: string, kind: 'line' | 'text'): void {
  if (!(kind === 'line' ? CONTROL : CONTROL_IN_TEXT).test(value)) return;
  throw new BeadsError('invalid_input', `invalid ${what} ${shownValue(value)}: ${kind === 'line' ? NOT_IN_LINE : NOT_IN_TEXT}`, { what });
}

function describe(err: AjvError, value: unknown): string {
  const path = err.instancePath.replace(/^\//, '').replace(/^fields\//, '').replace(/\//g, '.');
  const missing = err.params.missingProperty as string | undefined;
  const field = missing ? (path ? `${path}.${missing}` : missing) : path || 'input';
  const shown = shownValue(value);
  switch (err.keyword) {
    case 'required':
      return `${field} is required`;
    case 'minimum':
    case 'maximum':
      return `invalid ${field} ${shown}: must be ${err.keyword === 'minimum' ? '>=' : '<='} ${err.params.limit}`;
    case 'minLength':
      return err.params.limit === 1 ? `${field} must not be empty` : `${field} is too short (at least ${err.params.limit} characters)`;
    case 'maxLength':
      return `${field} is too long (${typeof value === 'string' ? value.length : '?'} characters; at most ${err.params.limit})`;
    case 'enum':
      return `invalid ${field} ${shown}: must be one of ${(err.params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern': {
      const control = controlProblem(value, String(err.params.pattern).includes('u000b'));
      if (control) return `invalid ${field} ${shown}: ${control}`;
      return field === 'title' ? 'title must not be blank' : `invalid ${field} ${shown}`;
    }
    case 'type':
      return `invalid ${field} ${shown}: must be ${err.params.type}`;
    case 'additionalProperties':
      return `unknown field ${String(err.params.additionalProperty)}`;
    default:
      return `invalid ${field}: ${err.message ?? err.keyword}`;
  }
}

function valueAt(data: unknown, instancePath: string): unknown {
  let cur: unknown = data;
  for (const part of instancePath.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** Returns the first problem as a sentence, or null when the data is valid. */
export function schemaProblem(name: keyof typeof generated, data: unknown): string | null {
  const v = validators[name];
  if (!v) throw new Error(`no validator ${String(name)}`);
  if (v(data)) return null;
  const err = v.errors?.[0];
  if (!err) return 'invalid input';
  // The op schema's allOf/if branches report the failing keyword deep inside; the sentence names the field.
  return describe(err, valueAt(data, err.instancePath + (err.params.missingProperty ? '' : '')));
}

export function assertValid(name: keyof typeof generated, data: unknown, what = 'input'): void {
  const problem = schemaProblem(name, data);
  if (problem) throw new BeadsError('invalid_input', problem, { what });
}
