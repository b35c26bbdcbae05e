// Typed errors of the store. Each carries a stable `code` (part of the --json contract) and the process exit
// code a CLI should use for it, so every caller reports the same failure the same way.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  invalid: 4,
  conflict: 5,
  corrupt: 6,
  locked: 7,
  noStore: 8,
  gateFailed: 9,
  syncFailed: 10,
  missingTool: 11,
} as const;

export type ErrorCode =
  | 'usage'
  | 'invalid_input'
  | 'not_found'
  | 'ambiguous_id'
  | 'already_claimed'
  | 'conflict'
  | 'corrupt_log'
  | 'lock_timeout'
  | 'no_store'
  | 'store_exists'
  | 'io_error'
  | 'gate_failed'
  | 'no_remote'
  | 'sync_failed'
  | 'missing_tool'
  | 'internal';

const exitFor: Record<ErrorCode, number> = {
  usage: EXIT.usage,
  invalid_input: EXIT.invalid,
  not_found: EXIT.notFound,
  ambiguous_id: EXIT.notFound,
  already_claimed: EXIT.conflict,
  conflict: EXIT.conflict,
  corrupt_log: EXIT.corrupt,
  lock_timeout: EXIT.locked,
  no_store: EXIT.noStore,
  store_exists: EXIT.conflict,
  io_error: EXIT.internal,
  gate_failed: EXIT.gateFailed,
  no_remote: EXIT.syncFailed,
  sync_failed: EXIT.syncFailed,
  missing_tool: EXIT.missingTool,
  internal: EXIT.internal,
};

export class BeadsError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'BeadsError';
    this.code = code;
    this.exitCode = exitFor[code];
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** A git command's failure as one clear `sync_failed` error: credentials refused, remote unreachable, or git's own words. */
export function gitFailure(err: unknown, what: string): BeadsError {
  const text = String((err as Error)?.message ?? err).trim();
  if (/authentication|permission denied|could not read username|403|401/i.test(text)) {
    return new BeadsError('sync_failed', `${what}: the remote refused the credentials; check your access to it (${text.split('\n')[0]})`);
  }
  if (/not a git repository|does not appear to be a git repository|repository .* not found|could not read from remote/i.test(text)) {
    return new BeadsError('sync_failed', `${what}: the remote is not a reachable git repository (${text.split('\n')[0]})`);
  }
  return new BeadsError('sync_failed', `${what}: ${text.split('\n').slice(0, 3).join(' ')}`);
}
