// The thread that checks a full build's log against the op schema while the main thread folds it (see
// op-check.ts): it reads the same files, validates every line as parseOpLine does, and answers how far it
// read each file and how many lines failed. The shared flag says when it has started and when it has
// answered (on the port given), so that the main thread can wait for it without returning to its event loop.
import { workerData, type MessagePort } from 'node:worker_threads';
import { forEachLine, parseOpLine } from './log.js';
import { ANSWERED, STARTED } from './op-check-flag.js';

interface Job {
  paths: string[];
  port: MessagePort;
  flag: Int32Array;
}

const { paths, port, flag } = workerData as Job;
Atomics.store(flag, 0, STARTED); // its modules loaded: from here on it answers, whatever it finds
Atomics.notify(flag, 0);
let answer: { ends: number[]; bad: number } | { error: string };
try {
  const ends: number[] = [];
  let bad = 0;
  for (const path of paths) {
    ends.push(
      forEachLine(path, 0, (text) => {
        if (typeof parseOpLine(text) === 'string') bad++;
      }).end,
    );
  }
  answer = { ends, bad };
} catch (err) {
  answer = { error: String(err) };
}
port.postMessage(answer);
Atomics.store(flag, 0, ANSWERED);
Atomics.notify(flag, 0);
