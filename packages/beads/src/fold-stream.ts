// Folding the whole log in one pass, for a full cache build: each operation is applied as it is read and then
// dropped, so a large log is never held in memory as operations (at 100,000 beads that was 350,000 objects,
// and the garbage collector's time). A bead whose operations do not arrive as one create followed by later
// stamps (lines a merge interleaved, a line duplicated, an id created on two clones, operations before their
// create) is set aside and refolded afterwards from all its operations, gathered by a second pass that parses
// only the lines naming such beads. The result is the same as foldOperations over every operation of the log.
import { applyOp, compareStamp, foldLogId, type BeadState } from './fold.js';
import { join } from 'node:path';
import { fileSize, forEachLine, parseLineJson, parseOpLine, type CorruptLine } from './log.js';
import { startOpCheck } from './op-check.js';
import type { Op } from './types.js';
import { logFileNames, markOf, opsOfIds, type FileMark } from './log-files.js';

export interface FoldedLog {
  /** Bead states by bead id. */
  states: Map<string, BeadState>;
  /** Log ids created on more than one clone: the log id, then the ids its beads were given. */
  aliases: Record<string, string[]>;
  /** Log ids with operations but no create. */
  orphans: string[];
  corrupt: CorruptLine[];
  /** How far each file of the log was read. */
  marks: FileMark[];
  maxLc: number;
}

/** Folds every file of the store's log in `dir`; `display` names a file in reports. */
export function foldLog(dir: string, display: (name: string) => string = (n) => join(dir, n)): FoldedLog {
  const names = logFileNames(dir);
  const paths = names.map((name) => join(dir, name));
  const check = startOpCheck(paths, paths.reduce((sum, path) => sum + fileSize(path), 0));
  if (!check) return foldFiles(dir, names, display, parseOpLine);
  // Parsed unchecked while the worker checks; anything it finds (or a fold that throws on an unchecked
  // line) and the log is folded again, each line checked in turn.
  let folded: FoldedLog | null = null;
  try {
    folded = foldFiles(dir, names, display, (text) => parseLineJson(text) as Op | string);
  } catch {
    folded = null;
  }
  const valid = check.allValid(folded ? folded.marks.map((m) => m.size) : []);
  return folded && valid ? folded : foldFiles(dir, names, display, parseOpLine);
}

function foldFiles(dir: string, names: string[], display: (name: string) => string, parseOp: (text: string) => Op | string): FoldedLog {
  const logIds = new Set<string>(); // in order of first appearance
  const fast = new Map<string, BeadState>(); // by log id: one create, then only later stamps so far
  const slow = new Set<string>();
  const corrupt: CorruptLine[] = [];
  let maxLc = 0;
  const marks: FileMark[] = [];
  for (const name of names) {
    const displayPath = display(name);
    const { end, lines, mtime } = forEachLine(join(dir, name), 0, (text, line) => {
      const op = parseOp(text);
      if (typeof op === 'string') {
        corrupt.push({ file: displayPath, line, message: op });
        return;
      }
      if (op.lc > maxLc) maxLc = op.lc;
      const logId = op.bead;
      if (slow.has(logId)) return;
      const state = fast.get(logId);
      if (state) {
        if (op.kind !== 'create' && compareStamp(op.lc, op.op_id, state.lc, state.op) > 0) fast.set(logId, applyOp(state, op, logId)!);
        else {
          fast.delete(logId);
          slow.add(logId);
        }
      } else if (op.kind === 'create' && !logIds.has(logId)) {
        logIds.add(logId);
        fast.set(logId, applyOp(undefined, op, logId)!);
      } else {
        logIds.add(logId);
        slow.add(logId);
      }
    });
    marks.push(markOf(dir, name, end, lines, mtime));
  }

  const states = new Map<string, BeadState>();
  for (const [logId, state] of fast) states.set(logId, state);
  if (slow.size) {
    const grouped = opsOfIds(dir, slow, names);
    for (const logId of logIds) {
      if (!slow.has(logId)) continue;
      for (const state of foldLogId(logId, grouped.get(logId) ?? [], (id) => logIds.has(id) || states.has(id))) states.set(state.bead.id, state);
    }
  }
  const aliases: Record<string, string[]> = {};
  const orphans = new Set(logIds);
  for (const state of states.values()) {
    orphans.delete(state.logId);
    if (state.logId !== state.bead.id) (aliases[state.logId] ??= [state.logId]).push(state.bead.id);
  }
  return { states, aliases, orphans: [...orphans].sort(), corrupt, marks, maxLc };
}
