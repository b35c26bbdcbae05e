// What the app reads the town through and acts on it with. The live source (live.ts) watches a real town;
// tests give one that hands over snapshots they built.
import type { Snapshot } from './data/types.js';
import type { PaneId } from './rows.js';
import type { Effect } from './state.js';

export interface DashboardSource {
  /** Delivers snapshots as the town changes (the first soon after); returns how to stop. */
  watch(onSnapshot: (s: Snapshot) => void, onError: (err: Error) => void): () => void;
  /** Asks for a snapshot now (after an action). */
  refresh(): void;
  /** The lines of a detail view. */
  detail(pane: PaneId, id: string): Promise<string[]>;
  /** Does a confirmed action; resolves to what to tell the user. */
  act(effect: Exclude<Effect, { kind: 'attach' }>): Promise<string>;
}
