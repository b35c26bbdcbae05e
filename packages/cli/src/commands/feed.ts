// gt feed: the town's event stream (docs/feed.md), one line per event (with --json, one JSON object per line),
// and with --follow the events as they happen, read incrementally from the stores' logs.
import type { Argv } from 'yargs';
import { BeadsError, EXIT } from '@gastown/beads';
import { FeedCursor, TOWN_PREFIX, sinceTime, type FeedEvent, type Town } from '@gastown/gastown';
import { rigOption, str } from '../args.js';
import { oneLine } from '../format.js';
import { currentTown } from '../here.js';
import type { Run } from '../run.js';
import { repeatUntilSignal } from '../repeat.js';

const KIND_WIDTH = 'step_closed'.length;

/** `HH:MM:SS  <store>  <kind>  <text>`, the store column as wide as the town's longest store name. */
export function feedLine(e: FeedEvent, storeWidth: number): string {
  const d = new Date(e.at);
  const time = Number.isNaN(d.getTime()) ? e.at.slice(11, 19).padEnd(8) : [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${time}  ${oneLine(e.store).padEnd(storeWidth)}  ${e.kind.padEnd(KIND_WIDTH)}  ${oneLine(e.text)}`;
}

const storeWidth = (town: Town): number => Math.max(2, ...town.rigs.map((r) => r.name.length));

/** How often --follow polls: GT_FEED_POLL_MS, from 10 ms to an hour (beyond a timer's reach it would spin). */
export const POLL_MS = { default: 500, min: 10, max: 3_600_000 } as const;

/** GT_FEED_POLL_MS (unset or empty: 500 ms); any other value outside 10 ms .. 1 hour is refused, naming the variable. */
export function feedPollMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GT_FEED_POLL_MS;
  if (raw === undefined || raw.trim() === '') return POLL_MS.default;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < POLL_MS.min || ms > POLL_MS.max) {
    throw new BeadsError('invalid_input', `invalid GT_FEED_POLL_MS ${JSON.stringify(raw)}: use a number of milliseconds from ${POLL_MS.min} to ${POLL_MS.max} (an hour), or unset it for ${POLL_MS.default}`, { variable: 'GT_FEED_POLL_MS', value: raw });
  }
  return ms;
}

/**
 * After each poll, says on stderr each store the cursor could not read (one line, once while it lasts: a store
 * gone is read again on each poll). Returns how many it could not read.
 */
function unreadReporter(cursor: FeedCursor): () => number {
  let said = new Set<string>();
  return () => {
    for (const u of cursor.unread) {
      const whose = u.store === TOWN_PREFIX ? `the town store (${TOWN_PREFIX})` : `rig ${u.store}'s store`;
      if (!said.has(u.store)) process.stderr.write(`gt feed: ${whose} could not be read, its events are not shown: ${u.message}\n`);
    }
    said = new Set(cursor.unread.map((u) => u.store));
    return said.size;
  };
}

/** Polls every `pollMs` until SIGINT or SIGTERM, printing each poll's events. */
async function follow(cursor: FeedCursor, pollMs: number, print: (events: FeedEvent[]) => void, reportUnread: () => number): Promise<void> {
  let lastError = '';
  await repeatUntilSignal(
    pollMs,
    () => {
      try {
        print(cursor.poll());
        reportUnread();
        lastError = '';
      } catch (err) {
        // a store caught mid-change (a checkout, a sync) is read again on the next poll; said once while it lasts
        const message = (err as Error).message;
        if (message !== lastError) process.stderr.write(`gt feed: ${message}\n`);
        lastError = message;
      }
    },
    { waitFirst: true },
  );
}

export function registerFeedCommands(y: Argv, run: Run): Argv {
  return y.command(
    'feed',
    "The town's event stream from every store's log: created, poured, claimed, step closed, gate failed, MR filed, merged, rework, rejected, restarted, released, mail, closed. One line per event (HH:MM:SS store kind text); with --json one JSON object per line",
    (c) =>
      c
        .option('follow', { alias: 'f', type: 'boolean', describe: 'After the history, print new events as they happen (reading only what the logs gained), until interrupted' })
        .option('rig', { type: 'string', describe: "Only this rig's events: its store's, and the town store's that name its agents" })
        .option('since', { type: 'string', describe: 'Only events in this last stretch of time (30m, 1h, 2d)' }),
    run(async (ctx, a) => {
      const pollMs = a.follow ? feedPollMs() : 0; // refused before anything is printed
      const town = currentTown();
      const since = str(a, 'since');
      const rig = rigOption(a);
      const cursor = new FeedCursor(town, { ...(rig !== undefined ? { rig } : {}), ...(since !== undefined ? { since: sinceTime(since) } : {}) });
      const width = storeWidth(town);
      const print = (events: FeedEvent[]): void => {
        if (!events.length) return;
        process.stdout.write(events.map((e) => (ctx.json ? JSON.stringify(e) : feedLine(e, width))).join('\n') + '\n');
      };
      const reportUnread = unreadReporter(cursor);
      const history = cursor.poll();
      print(history);
      const unread = reportUnread();
      if (a.follow) await follow(cursor, pollMs, print, reportUnread);
      else {
        if (!history.length && !ctx.json) process.stdout.write(`no events${since ? ` in the last ${since}` : ''}${rig ? ` in rig ${rig}` : ''}\n`);
        // the others' events are shown, but not all the town's: as gt sync exits 10 when one rig could not sync
        if (unread) process.exitCode = EXIT.noStore;
      }
    }),
  );
}
