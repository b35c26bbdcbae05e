// The Activity pane's events: the town's feed (packages/gastown/src/feed, gt feed). The reader takes a source
// of events, so tests can inject one; the dashboard's own is a FeedCursor over every store the reader reads.
import { FeedCursor, type FeedEvent, type Town } from '@gastown/gastown';

export type { FeedEvent, FeedKind } from '@gastown/gastown';

/** What the Activity pane reads: new events since the last poll (a FeedCursor). */
export interface FeedSource {
  poll(): FeedEvent[];
  /** The stores the last poll could not read (a FeedCursor's: a rig's .beads/ gone), each a Problem row. */
  readonly unread?: readonly { store: string; dir: string; message: string }[];
}

/** No events (a test's reader, or a snapshot that has no Activity pane). */
export const noFeed: FeedSource = { poll: () => [] };

/** The town's feed, of one rig or all: the first poll reads the history, each later one only what the logs gained. */
export function townFeed(town: Town, rig?: string): FeedSource {
  return new FeedCursor(town, rig !== undefined ? { rig } : {});
}
