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

function describe(err: AjvError, value: unknown): string {
  const path = err.instancePath.replace(/^\//, '').replace(/^fields\//, '').replace(/\//g, '.');
  const missing = err.params.missingProperty as string | undefined;
  const field = missing ? (path ? `${path}.${missing}` : missing) : path || 'input';
  const shown = typeof value === 'string' && value.length > 60 ? `${value.slice(0, 57)}...` : JSON.stringify(value);
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
    case 'pattern':
      return field === 'title' ? 'title must not be blank' : `invalid ${field} ${shown}`;
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
