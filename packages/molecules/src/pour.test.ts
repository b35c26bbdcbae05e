import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, beadHistory, claimBead, initStore, readyBeads } from '@gastown/beads';
import { pourMolecule } from './pour.js';
import { closeStep } from './close.js';
import { moleculeStatus } from './status.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A git repository with a store and the given molecules in its molecules/ folder. */
function rig(molecules: Record<string, string> = {}): { root: string; store: BeadStore; catalog: { rigRoot: string } } {
  const root = mkdtempSync(join(tmpdir(), 'molecules-'));
  roots.push(root);
  execFileSync('git', ['init', '-q', root]);
  const { dir } = initStore(root, 'gt');
  mkdirSync(join(root, 'molecules'));
  for (const [name, text] of Object.entries(molecules)) writeFileSync(join(root, 'molecules', `${name}.md`), text);
  return { root, store: BeadStore.open(dir), catalog: { rigRoot: root } };
}

const READY = (store: BeadStore, parent: string) => readyBeads(store, { parent }).map((b) => b.title);

describe('pourMolecule', () => {
  it('refuses what bd create refuses (a control character in the assignee or a title made from a variable, a deleted parent), writing nothing', () => {
    const { store, catalog } = rig();
    const parent = store.write('t', () => ({ ops: [{ bead: 'gt-gone1', kind: 'create', fields: { title: 'gone' } }, { bead: 'gt-gone1', kind: 'delete' }] }));
    expect(parent.ops).toHaveLength(2);
    const log = (): string => readFileSync(store.logPath, 'utf8');
    const before = log();
    expect(() => pourMolecule(store, 'alice', 'engineer-in-box', { catalog, assignee: 'a\nb' })).toThrow(/invalid assignee "a\\nb": control characters/);
    expect(() => pourMolecule(store, 'alice', 'engineer-in-box', { catalog, parent: 'gt-gone1' })).toThrow(/gt-gone1 was deleted/);
    // bug-fix's title is "Fix {{bug}}": a value that would put a newline or a terminal escape in it
    expect(() => pourMolecule(store, 'alice', 'bug-fix', { catalog, vars: { bug: 'x\nrm' } })).toThrow(/invalid title/);
    expect(() => pourMolecule(store, 'alice', 'bug-fix', { catalog, vars: { bug: '\u001b[2J' } })).toThrow(/control characters/);
    expect(log()).toBe(before);
  });

  it('pours the vision example as a chain and walks it to a closed molecule', () => {
    const { store, catalog } = rig();
    const poured = pourMolecule(store, 'alice', 'engineer-in-box', { catalog });
    expect(poured.molecule).toMatchObject({ issue_type: 'molecule', title: 'engineer-in-box', description: 'Full workflow from design to merge.' });
    expect(poured.steps.map((s) => s.path)).toEqual(['design', 'implement', 'test', 'submit']);
    const id = poured.molecule.id;
    expect(READY(store, id)).toEqual(['design']);
    for (const [i, step] of poured.steps.entries()) {
      expect(READY(store, id)).toEqual([step.path]);
      const result = closeStep(store, 'alice', step.id);
      expect(result.alsoClosed).toEqual(i === poured.steps.length - 1 ? [id] : []);
    }
    expect(store.get(id)).toMatchObject({ status: 'closed', close_reason: 'all 4 steps closed' });
    expect(moleculeStatus(store, id)).toMatchObject({ done: 4, total: 4, status: 'closed' });
  });

  it('substitutes variables, refuses a missing required one by name, and is idempotent with a key', () => {
    const { store, catalog } = rig({ greet: '## Molecule: greet\nSay hi.\nVar: who\nVar: greeting = hello {{who}}\nTitle: Greet {{who}}\n\n## Step: say\n{{greeting}}!\nGate: test "{{who}}" = bob\n' });
    expect(() => pourMolecule(store, 'a', 'greet', { catalog })).toThrow('molecule "greet" needs variable "who": give --var who=...');
    expect(() => pourMolecule(store, 'a', 'greet', { catalog, vars: { who: 'x', whom: 'y' } })).toThrow('molecule "greet" has no variable "whom"');
    const first = pourMolecule(store, 'a', 'greet', { catalog, vars: { who: 'bob' }, key: 'k' });
    expect(first.molecule.title).toBe('Greet bob');
    expect(store.get(first.steps[0]!.id)).toMatchObject({ title: 'say', description: 'hello bob!', metadata: { gates: ['test "bob" = bob'] } });
    const log = readFileSync(store.logPath);
    const again = pourMolecule(store, 'a', 'greet', { catalog, vars: { who: 'bob' }, key: 'k' });
    expect(again).toMatchObject({ existing: true, molecule: { id: first.molecule.id }, steps: first.steps });
    expect(readFileSync(store.logPath).equals(log)).toBe(true);
  });

  it('takes a variable named like an Object property (__proto__, constructor) as a variable', () => {
    const { store, catalog } = rig({ odd: '## Molecule: odd\nOdd names.\nVar: __proto__\nVar: constructor = c-{{__proto__}}\nTitle: Odd {{__proto__}} {{constructor}}\n\n## Step: one\n{{constructor}}\n' });
    const vars = JSON.parse('{"__proto__": "p"}') as Record<string, string>; // an own key, as --var __proto__=p gives
    const r = pourMolecule(store, 'a', 'odd', { catalog, vars });
    expect(r.molecule.title).toBe('Odd p c-p');
    expect(store.get(r.steps[0]!.id).description).toBe('c-p');
  });

  it('expands molecules three deep, holding back a sub-workflow until its step is ready', () => {
    const { store, catalog } = rig({
      outer: '## Molecule: outer\nTop.\n\n## Step: start\nBegin.\n\n## Step: middle\nMolecule: mid\nNeeds: start\n\n## Step: finish\nEnd.\nNeeds: middle\n',
      mid: '## Molecule: mid\nMiddle.\n\n## Step: inner\nMolecule: leaf\n\n## Step: after\nAfter inner.\nNeeds: inner\n',
      leaf: '## Molecule: leaf\nLeaf.\n\n## Step: one\nDo one.\n\n## Step: two\nDo two.\n',
    });
    const poured = pourMolecule(store, 'a', 'outer', { catalog });
    expect(poured.steps.map((s) => s.path)).toEqual(['start', 'middle', 'middle/inner', 'middle/inner/one', 'middle/inner/two', 'middle/after', 'finish']);
    const id = poured.molecule.id;
    const byPath = new Map(poured.steps.map((s) => [s.path, s.id]));
    expect(READY(store, id)).toEqual(['start']);
    closeStep(store, 'a', byPath.get('start')!);
    expect(READY(store, id).sort()).toEqual(['one', 'two']);
    closeStep(store, 'a', byPath.get('middle/inner/one')!);
    const last = closeStep(store, 'a', byPath.get('middle/inner/two')!);
    expect(last.alsoClosed).toEqual([byPath.get('middle/inner')]);
    expect(READY(store, id)).toEqual(['after']);
    expect(closeStep(store, 'a', byPath.get('middle/after')!).alsoClosed).toEqual([byPath.get('middle')]);
    expect(closeStep(store, 'a', byPath.get('finish')!).alsoClosed).toEqual([id]);
    const status = moleculeStatus(store, id);
    expect(status).toMatchObject({ done: 5, total: 5 });
    // one count of steps everywhere: the steps that are work, not the molecules that hold them
    expect(store.get(id).close_reason).toBe('all 5 steps closed');
    expect(store.get(byPath.get('middle')!).close_reason).toBe('all 3 steps closed');
    expect(status.steps[1]!.children[0]!.children.map((c) => c.title)).toEqual(['one', 'two']);
  });

  it('refuses to pour an invalid molecule or a cycle across templates, writing nothing', () => {
    const { store, catalog } = rig({
      a: '## Molecule: a\nA.\n\n## Step: x\nMolecule: b\n',
      b: '## Molecule: b\nB.\n\n## Step: y\nMolecule: a\n',
      broken: '## Molecule: broken\nB.\n\n## Step: y\nDo y.\nNeeds: z\n',
    });
    const logText = (): string => store.logFiles().map((n) => readFileSync(join(store.dir, n), 'utf8')).join('');
    const log = logText();
    expect(() => pourMolecule(store, 'a', 'a', { catalog })).toThrow(/molecule cycle: a -> b -> a/);
    expect(() => pourMolecule(store, 'a', 'broken', { catalog })).toThrow(/broken\.md:6: step "y" needs unknown step "z"/);
    expect(() => pourMolecule(store, 'a', 'nothing', { catalog })).toThrow('no molecule "nothing"');
    expect(logText()).toBe(log);
  });
});

describe('closeStep gates', () => {
  it('closes on a passing gate, refuses on a failing one with its output, and records a forced close', () => {
    const { root, store, catalog } = rig({ gated: '## Molecule: gated\nG.\n\n## Step: pass\nPasses.\nGate: echo fine && true\n\n## Step: fail\nFails.\nGate: echo "something broke"; exit 3\n' });
    const poured = pourMolecule(store, 'a', 'gated', { catalog });
    const [pass, fail] = poured.steps.map((s) => s.id);
    expect(closeStep(store, 'a', pass!, { cwd: root }).gates).toMatchObject([{ command: 'echo fine && true', exit_code: 0, passed: true, output: 'fine' }]);
    expect(store.get(pass!).status).toBe('closed');
    let error: Error | undefined;
    try {
      closeStep(store, 'a', fail!, { cwd: root });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(/^gate failed, gt-\w+ stays open: echo "something broke"; exit 3 \(exit 3\)\nsomething broke$/);
    expect(store.get(fail!).status).toBe('open');
    expect(() => closeStep(store, 'a', fail!, { force: true })).toThrow('--force needs --reason');
    closeStep(store, 'a', fail!, { force: true, reason: 'flaky on this machine' });
    expect(store.get(fail!).status).toBe('closed');
    expect(store.get(poured.molecule.id).status).toBe('closed');
    const history = beadHistory(store, fail!).map((o) => [o.kind, o.passed, o.forced ?? false, o.exit_code ?? null]);
    expect(history).toEqual([
      ['create', undefined, false, null],
      ['gate', false, false, 3],
      ['gate', false, true, null],
      ['close', undefined, false, null],
    ]);
  });

  it('pastes variables into gates and shell code blocks as literal text, whatever quoting they sit in', () => {
    const gates = ['echo {{v}}', 'echo "double: {{v}}"', "echo 'single: {{v}}'", 'echo "sub: $(echo {{v}})"', 'echo "`echo {{v}}`"'];
    const { root, store, catalog } = rig({ hostile: `## Molecule: hostile\nH.\nVar: v\n\n## Step: check\nRun:\n\n\`\`\`sh\nprintf '%s' {{v}} > block.txt\n\`\`\`\nSay {{v}}.\n${gates.map((g) => `Gate: ${g}`).join('\n')}\n` });
    const hostile = ['$(touch pwned1)', '`touch pwned2`', 'x; touch pwned3', 'it\'s "quoted"', 'two\nlines && touch pwned4', '$HOME ${HOME} \\$HOME', "'; touch pwned5; '", '"; touch pwned6; "', '$(echo ) touch pwned7', '', '  spaced  *  '];
    for (const v of hostile) {
      const poured = pourMolecule(store, 'a', 'hostile', { catalog, vars: { v } });
      const step = store.get(poured.steps[0]!.id);
      expect(step.description).toContain(`Say ${v}.`); // instructions as written
      const runs = closeStep(store, 'a', step.id, { cwd: root }).gates;
      expect(runs.map((r) => r.output)).toEqual([v, `double: ${v}`, `single: ${v}`, `sub: ${v}`, v].map((o) => o.trimEnd()));
      const block = /```sh\n([\s\S]*?)```/.exec(step.description ?? '')![1]!;
      execFileSync('sh', ['-c', block], { cwd: root });
      expect(readFileSync(join(root, 'block.txt'), 'utf8')).toBe(v);
    }
    expect(readdirSync(root).filter((f) => f.startsWith('pwned'))).toEqual([]);
  });

  it('leaves the molecule open while another step is open, and counts claimed steps as open', () => {
    const { store, catalog } = rig();
    const poured = pourMolecule(store, 'a', 'engineer-in-box', { catalog });
    claimBead(store, 'bob', poured.steps[0]!.id);
    expect(closeStep(store, 'bob', poured.steps[0]!.id).alsoClosed).toEqual([]);
    expect(store.get(poured.molecule.id).status).toBe('open');
  });
});
