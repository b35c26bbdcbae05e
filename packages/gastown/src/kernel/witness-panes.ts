// What the witness saw on each polecat's screen: a hash of the pane's content, and since when it has not
// changed, per session instance (a respawned pane starts afresh). Machine-local (.gt/witness/<rig>.json),
// written atomically; losing it only delays the next stall by stall_after.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Town } from '../model.js';

export interface PaneObservation {
  instance: string;
  hash: string;
  /** Unix ms since which the pane has shown this content. */
  since: number;
}

export type PaneObservations = Record<string, PaneObservation>;

export const paneFile = (town: Town, rig: string): string => join(town.root, '.gt', 'witness', `${rig}.json`);

export function readPanes(town: Town, rig: string): PaneObservations {
  const file = paneFile(town, rig);
  if (!existsSync(file)) return {};
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as PaneObservations) : {};
  } catch {
    return {}; // a torn or hand-edited file: start observing afresh
  }
}

export function writePanes(town: Town, rig: string, panes: PaneObservations): void {
  const file = paneFile(town, rig);
  mkdirSync(join(town.root, '.gt', 'witness'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(panes, null, 2) + '\n');
  renameSync(tmp, file);
}

/** The observation after seeing `content` now: kept when the same instance shows the same content. */
export function observePane(previous: PaneObservation | undefined, instance: string, content: string, now: number): PaneObservation {
  const hash = createHash('sha1').update(content).digest('hex');
  if (previous && previous.instance === instance && previous.hash === hash && previous.since <= now) return previous;
  return { instance, hash, since: now };
}
