// The feed: the town's event stream, derived from the operations of every store (docs/feed.md). readFeed for
// the history, FeedCursor to follow it (a poll reads only what the logs gained).
export { FEED_KINDS, type FeedEvent, type FeedKind } from './events.js';
export { FeedCursor, readFeed, sinceTime, type FeedOptions, type UnreadStore } from './feed.js';
export { stampTime } from './stamp.js';
