// Crash-loop backoff for services, as data and pure functions: what a service's restart history says about
// when it may be restarted next, and whether it is in a crash loop. No clock of its own: `now` is given.

/** A service's restart history (metadata.service_state of its bead), written only when something happens. */
export interface ServiceState {
  /** When it was restarted (ISO times): the current chain of restarts, each within the window of the one before. */
  restarts: string[];
  /** When the next restart may happen (informational: it is derived from `restarts`). */
  next_try_at?: string;
  /** Five restarts within the window: no more restarts until gt service reset. */
  crash_loop?: { since: string; mailed: boolean; mail?: string };
  /** Stopped by gt down RIG: left alone until gt up starts it again. */
  held?: { since: string; by: string };
}

export interface BackoffPolicy {
  /** The wait before the second restart; it doubles with each restart after (default 30 s). */
  baseMs: number;
  /** The longest wait (default 10 min). */
  maxMs: number;
  /** Restarts counted within this window (default 15 min) ... */
  windowMs: number;
  /** ... of which this many make a crash loop (default 5). */
  limit: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 30_000, maxMs: 600_000, windowMs: 900_000, limit: 5 };

/**
 * The policy in force: the defaults, or, with GT_SERVICE_BACKOFF_MS set (for tests and demos), every duration
 * scaled to that base (max 20x, window 30x, as 30 s : 10 min : 15 min).
 */
export function backoffPolicy(env: NodeJS.ProcessEnv = process.env): BackoffPolicy {
  const base = Number(env.GT_SERVICE_BACKOFF_MS);
  if (!(base > 0)) return DEFAULT_BACKOFF;
  return { ...DEFAULT_BACKOFF, baseMs: base, maxMs: base * 20, windowMs: base * 30 };
}

/** The restarts within the window before `now`. */
export function recentRestarts(state: ServiceState | undefined, now: number, policy: BackoffPolicy): string[] {
  return (state?.restarts ?? []).filter((t) => now - Date.parse(t) < policy.windowMs);
}

export type RestartDecision =
  | { kind: 'restart' }
  | { kind: 'wait'; until: number }
  | { kind: 'crash_loop' };

/**
 * Whether a service that is not running may be restarted now: at once the first time; then not before 30 s,
 * 60 s, 120 s ... (capped at 10 min) after the previous restart, doubling with each restart of the chain (a
 * restart more than the window after the one before starts a new chain: the service had been up). `limit`
 * restarts within the window, found down again within the window of the last, is a crash loop: no more
 * restarts. (Counted back from the last restart, not from now: with the waits doubling, the next try may come
 * after the first restart has left a window counted from now.)
 */
export function restartDecision(state: ServiceState | undefined, now: number, policy: BackoffPolicy): RestartDecision {
  if (state?.crash_loop) return { kind: 'crash_loop' };
  const times = (state?.restarts ?? []).map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  if (!times.length) return { kind: 'restart' };
  const last = Math.max(...times);
  if (now - last >= policy.windowMs) return { kind: 'restart' };
  if (times.filter((t) => last - t < policy.windowMs).length >= policy.limit) return { kind: 'crash_loop' };
  const until = last + Math.min(policy.baseMs * 2 ** Math.min(times.length - 1, 30), policy.maxMs);
  return now >= until ? { kind: 'restart' } : { kind: 'wait', until };
}

/** The state after a restart at `now`: the restart added to the chain (a new chain when the last is old). */
export function withRestart(state: ServiceState | undefined, now: number, policy: BackoffPolicy): ServiceState {
  const times = (state?.restarts ?? []).filter((t) => Number.isFinite(Date.parse(t)));
  const last = times.length ? Math.max(...times.map((t) => Date.parse(t))) : -Infinity;
  // the chain kept short: what decides the wait is its length, capped long before 20
  const chain = now - last >= policy.windowMs ? [] : times.slice(-20);
  const restarts = [...chain, new Date(now).toISOString()];
  const next = restartDecision({ restarts }, now, policy);
  const { held: _held, next_try_at: _next, ...rest } = state ?? { restarts: [] };
  return { ...rest, restarts, ...(next.kind === 'wait' ? { next_try_at: new Date(next.until).toISOString() } : {}) };
}
