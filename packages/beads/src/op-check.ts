// Validating a full build's operations on the machine's other core. Checking every line against the op schema
// was a fifth of a full cache build at 100,000 beads (0.3 s of 3.3); a worker thread checks the same files
// while the main thread parses and folds them unchecked. The fold's result stands only when the worker read
// every file exactly as far as the fold did and found no line at fault; otherwise (a corrupt line, a file that
// grew or shrank between the two reads, a worker that failed) the caller folds again with every line checked
// in turn, as before, so the result is always that of a fold of validated operations.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { FAILED, NOT_STARTED, STARTED } from './op-check-flag.js';

/** Logs smaller than this are checked in line: a thread's start would cost more than it saves. */
export const opCheckLimits = { minBytes: 16 << 20 };

export interface OpCheck {
  /** Whether every line up to `ends` (per file, in order) was a valid operation; waits for the worker. */
  allValid(ends: number[]): boolean;
}

/** The worker's file beside this module: in the CLI's bundle, or as tsc writes it (null when neither is there). */
function workerFile(): string | null {
  for (const name of ['./validate-worker.mjs', './validate-worker.js']) {
    const file = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(file)) return file;
  }
  return null;
}

/** Starts checking `paths` in a worker; null when the log is small or no worker can run (check in line). */
export function startOpCheck(paths: string[], bytes: number): OpCheck | null {
  if (bytes < opCheckLimits.minBytes || availableParallelism() < 2) return null; // one core: the worker would only add its parse
  const file = workerFile();
  if (!file) return null;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    // No flags of this process: one such as --input-type stops a worker from loading at all.
    worker = new Worker(file, { workerData: { paths, port: port2, flag }, transferList: [port2], execArgv: [] });
  } catch {
    return null;
  }
  worker.unref();
  worker.on('error', () => {
    Atomics.store(flag, 0, FAILED); // seen only if the waiter has not begun waiting: it folds again
    Atomics.notify(flag, 0);
  });
  return { allValid: (ends) => answerOf(flag, port1, worker, ends) };
}

function answerOf(flag: Int32Array, port: MessagePort, worker: Worker, ends: number[]): boolean {
  // A worker's 'error' and 'exit' events need the event loop, which a waiting thread never returns to. A
  // worker that has not started by the time the fold is done (~1 s; starting takes ~50 ms) is given 2 s
  // more, and one that started, a minute; past that the log is folded again, checked.
  let ok = false;
  if (Atomics.load(flag, 0) === NOT_STARTED) Atomics.wait(flag, 0, NOT_STARTED, 2000);
  for (let waited = 0; Atomics.load(flag, 0) === STARTED && waited < 600; waited++) Atomics.wait(flag, 0, STARTED, 100);
  const message = receiveMessageOnPort(port)?.message as { ends?: number[]; bad?: number } | undefined;
  if (message?.ends && message.bad === 0) ok = message.ends.length === ends.length && message.ends.every((e, i) => e === ends[i]);
  port.close();
  void worker.terminate();
  return ok;
}
