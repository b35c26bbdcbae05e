// A line-reading program for nudge tests: appends every line it reads on stdin to the file named by argv[2].
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const out = process.argv[2];
for await (const line of createInterface({ input: process.stdin })) appendFileSync(out, line + '\n');
