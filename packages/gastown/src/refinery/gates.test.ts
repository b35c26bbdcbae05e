import { describe, expect, it } from '@jest/globals';
import { gateProgram } from './gates.js';

describe('gateProgram: the file of the repository a gate runs, judged from the tree when it is not found', () => {
  it.each([
    ['./test.sh', './test.sh'],
    ['scripts/ci.sh --fast', 'scripts/ci.sh'],
    ['CI=1 FORCE_COLOR=0 ./test.sh -v', './test.sh'],
    ['  ./bin/check  ', './bin/check'],
  ])('%j runs %j', (command, program) => expect(gateProgram(command)).toBe(program));

  it.each(['npm test', 'make check', '/usr/bin/env true', '"./my tests.sh"', '$ROOT/test.sh', 'CI=1 npm test', ''])('%j runs nothing of the repository: it is run on the target to see', (command) => {
    expect(gateProgram(command)).toBeNull();
  });
});
