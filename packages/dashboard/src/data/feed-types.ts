// The feed's event, as packages/gastown/src/feed/ defines it (declared here until both land; then this file
// becomes a re-export of that module). The dashboard takes a source of events injected, so it needs no more.
export type FeedKind = 'created' | 'claimed' | 'step_closed' | 'gate_failed' | 'mr_filed' | 'merged' | 'rework' | 'restarted' | 'released' | 'mail' | 'closed';

export interface FeedEvent {
  at: string;
  kind: FeedKind;
  store: string;
  rig?: string;
  bead: string;
  actor: string;
  text: string;
  op_id: string;
}

/** What the Activity pane reads: new events since the last poll (a FeedCursor). */
export interface FeedSource {
  poll(): FeedEvent[];
}

/** The default until the feed lands: no events. */
export const noFeed: FeedSource = { poll: () => [] };
