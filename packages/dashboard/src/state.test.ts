import { describe, expect, it } from '@jest/globals';
import { fixtureSnapshot } from './testing/fixture.js';
import { initialState, reduce, rowsOf, selectedRow, type Msg, type UiState } from './state.js';

const run = (s: UiState, ...msgs: Msg[]): UiState => msgs.reduce(reduce, s);
const key = (input: string, k: Record<string, boolean> = {}): Msg => ({ type: 'key', input, key: k });

describe('the UI state', () => {
  it('starts on Problems when there are any, else on Agents', () => {
    expect(initialState(fixtureSnapshot()).pane).toBe('problems');
    expect(initialState(fixtureSnapshot({ problems: false })).pane).toBe('agents');
  });

  it('moves between panes with tab, shift-tab and 1-6, and between rows with j/k', () => {
    let s = initialState(fixtureSnapshot());
    s = run(s, key('', { tab: true }));
    expect(s.pane).toBe('agents');
    s = run(s, key('', { tab: true, shift: true }), key('', { tab: true, shift: true }));
    expect(s.pane).toBe('activity');
    s = run(s, key('3'), key('j'), key('j'));
    expect(s.pane).toBe('work');
    expect(selectedRow(s)?.id).toBe('be-ddd4');
    s = run(s, key('k'), key('', { downArrow: true }), key('', { downArrow: true }), key('', { downArrow: true }));
    expect(selectedRow(s)?.id).toBe('be-eee5'); // stops at the last row
    s = run(s, key('g'));
    expect(selectedRow(s)?.id).toBe('al-aaa1');
  });

  it('behind the too-small notice takes only q and ^c, which quit', () => {
    const s = run(initialState(fixtureSnapshot()), key('3'));
    for (const k of ['j', 's', 'm', '3sy', '/x\r']) expect(reduce(s, { type: 'key', input: k, key: {}, tooSmall: true })).toEqual({ ...s, message: 'keys are ignored until the terminal is larger (q quits)' });
    expect(reduce(s, { type: 'key', input: 'q', key: {}, tooSmall: true }).quit).toBe(true);
    expect(reduce(s, { type: 'key', input: 'c', key: { ctrl: true }, tooSmall: true }).quit).toBe(true);
  });

  it('takes several keys read at once one by one, and once a filter opens the rest is its text', () => {
    const one = run(initialState(fixtureSnapshot()), key('3'), key('j'), key('j'), key('G'), key('k'));
    const many = run(initialState(fixtureSnapshot()), key('3jjGk'));
    expect({ pane: many.pane, row: selectedRow(many)?.id }).toEqual({ pane: one.pane, row: selectedRow(one)?.id });
    expect(many.pane).toBe('work');
    const typed = run(initialState(fixtureSnapshot()), key('3/rig:be'));
    expect({ mode: typed.mode, pane: typed.pane, draft: typed.draft }).toEqual({ mode: 'filter', pane: 'work', draft: 'rig:be' });
    // a line break ending a read is Enter after the rest; inside it, pasted text (a space)
    const applied = run(initialState(fixtureSnapshot()), key('3/rig:beta\r'));
    expect({ mode: applied.mode, filter: applied.filter }).toEqual({ mode: 'normal', filter: 'rig:beta' });
    const pasted = run(initialState(fixtureSnapshot()), key('/'), key('two\nwords'));
    expect({ mode: pasted.mode, draft: pasted.draft }).toEqual({ mode: 'filter', draft: 'two words' });
    // a sling asked and answered in one read
    const slung = run(initialState(fixtureSnapshot()), key('3jjsy'));
    expect(slung.pending).toEqual([expect.objectContaining({ kind: 'sling' })]);
    expect(slung.pending).toEqual(run(initialState(fixtureSnapshot()), key('3'), key('j'), key('j'), key('s'), key('y')).pending);
  });

  it('keeps the selection on the same bead across refreshes, and near where it was when that bead is gone', () => {
    let s = run(initialState(fixtureSnapshot()), key('3'), key('j'), key('j'));
    expect(selectedRow(s)?.id).toBe('be-ddd4');
    const next = fixtureSnapshot();
    // a new bead sorts in front: the selection stays on be-ddd4
    next.work.unshift({ id: 'al-new0', rig: 'alpha', title: 'New', status: 'in_progress', priority: 0, type: 'task', assignee: null, blocked_by: [] });
    s = reduce(s, { type: 'snapshot', snap: next });
    expect(selectedRow(s)?.id).toBe('be-ddd4');
    const gone = fixtureSnapshot();
    gone.work = gone.work.filter((w) => w.id !== 'be-ddd4');
    s = reduce(s, { type: 'snapshot', snap: gone });
    expect(selectedRow(s)?.id).toBe('be-eee5');
  });

  it('filters by words, rig: and status:, keeps the filter across refreshes, and clears it', () => {
    let s = run(initialState(fixtureSnapshot()), key('3'), key('/'));
    expect(s.mode).toBe('filter');
    for (const ch of 'rig:beta') s = reduce(s, key(ch));
    expect(rowsOf(s).map((r) => r.id)).toEqual(['be-ddd4', 'be-eee5']); // live while typing
    s = run(s, key('', { return: true }));
    expect(s).toMatchObject({ mode: 'normal', filter: 'rig:beta' });
    s = reduce(s, { type: 'snapshot', snap: fixtureSnapshot() });
    expect(rowsOf(s).map((r) => r.id)).toEqual(['be-ddd4', 'be-eee5']);
    expect(rowsOf(s, 'problems').map((r) => r.id)).toEqual(['dead:beta/refinery', 'rework:be-mr03']); // a merge request's rig too
    s = run(s, key('/'), key(' '), ...[...'status:blocked'].map((c) => key(c)), key('', { return: true }));
    expect(rowsOf(s).map((r) => r.id)).toEqual(['be-eee5']);
    expect(rowsOf(s, 'agents').map((r) => r.id)).toEqual([]); // no agent is blocked
    s = run(s, key('/'), key('x'), key('', { escape: true }));
    expect(s.filter).toBe('rig:beta status:blocked'); // esc while typing leaves it as it was
    s = run(s, key('', { escape: true }));
    expect(s.filter).toBe('');
    expect(rowsOf(s)).toHaveLength(4);
    s = run(s, key('/'), ...[...'login'].map((c) => key(c)), key('', { backspace: true }), key('', { return: true }));
    expect(s.filter).toBe('logi');
    expect(rowsOf(s).map((r) => r.id)).toEqual(['al-aaa1']);
  });

  it('opens a detail view and comes back to the same row', () => {
    let s = run(initialState(fixtureSnapshot()), key('4'), key('j'), key('j'));
    s = run(s, key('', { return: true }));
    expect(s).toMatchObject({ mode: 'detail', detail: { pane: 'queue', id: 'be-mr03' } });
    s = run(s, key('j'), key('j'), key('k'));
    expect(s.detail?.scroll).toBe(1);
    s = run(s, key('', { escape: true }));
    expect(s.mode).toBe('normal');
    expect(selectedRow(s)?.id).toBe('be-mr03');
  });

  it('asks before an action, and queues it only on yes', () => {
    let s = run(initialState(fixtureSnapshot()), key('3'), key('j'), key('s'));
    expect(s.mode).toBe('confirm');
    expect(s.confirm?.question).toMatch(/Sling al-ccc3/);
    s = run(s, key('n'));
    expect(s).toMatchObject({ mode: 'normal', pending: [], message: 'cancelled' });
    s = run(s, key('s'), key('y'));
    expect(s.pending).toEqual([{ kind: 'sling', id: 'al-ccc3', rig: 'alpha' }]);
    s = reduce(s, { type: 'effects.taken' });
    // a bead that is not ready is not slung
    s = run(s, key('k'), key('s'));
    expect(s).toMatchObject({ mode: 'normal', pending: [] });
    expect(s.message).toMatch(/ready bead/);
  });

  it('prompts for a nudge, then confirms it', () => {
    let s = run(initialState(fixtureSnapshot()), key('2'), key('j'), key('j'), key('n'));
    expect(s.mode).toBe('prompt');
    for (const ch of 'go on') s = reduce(s, key(ch));
    s = run(s, key('', { return: true }));
    expect(s.confirm?.question).toBe('Nudge alpha/polecats/furiosa with "go on"?');
    s = run(s, key('y'));
    expect(s.pending).toEqual([{ kind: 'nudge', id: 'alpha/polecats/furiosa', text: 'go on' }]);
  });

  it('reads unread mail at once, and asks before acknowledging read mail', () => {
    let s = run(initialState(fixtureSnapshot()), key('5'), key('m'));
    expect(s).toMatchObject({ mode: 'detail', pending: [{ kind: 'read', id: 'hq-m1' }] });
    s = run(s, { type: 'effects.taken' }, key('', { escape: true }), key('j'), key('m'));
    expect(s.confirm?.effect).toEqual({ kind: 'ack', id: 'hq-m2' });
  });

  it('queues an attach to the selected agent without a question, and retries an MR after one', () => {
    let s = run(initialState(fixtureSnapshot()), key('2'), key('a'));
    expect(s.pending).toEqual([{ kind: 'attach', id: 'mayor' }]);
    s = run(s, { type: 'effects.taken' }, key('4'), key('r'), key('y'));
    expect(s.pending).toEqual([{ kind: 'retry', id: 'al-mr01' }]);
  });

  it('read-only: the action keys do nothing', () => {
    let s = initialState(fixtureSnapshot(), { readonly: true });
    for (const k of ['a', 'n', 's', 'r', 'm']) s = run(s, key('2'), key(k), key('3'), key('j'), key(k), key('5'), key(k));
    expect(s).toMatchObject({ mode: 'normal', pending: [], confirm: null, prompt: null });
    // and the message path refuses too, should a caller send the action directly
    s = reduce(s, { type: 'action', kind: 'sling' });
    expect(s.message).toMatch(/read-only/);
  });

  it('toggles the help, and quits', () => {
    let s = run(initialState(fixtureSnapshot()), key('?'));
    expect(s.mode).toBe('help');
    s = run(s, key('q'));
    expect(s).toMatchObject({ mode: 'normal', quit: false });
    s = run(s, key('q'));
    expect(s.quit).toBe(true);
    expect(run(initialState(fixtureSnapshot()), key('/'), key('c', { ctrl: true })).quit).toBe(true);
  });

  it('moves a page at a time by the focused pane height', () => {
    let s = run(initialState(fixtureSnapshot({ scale: 100 })), key('3'), { type: 'page', rows: 7 }, key('', { pageDown: true }));
    expect(rowsOf(s).findIndex((r) => r.id === selectedRow(s)?.id)).toBe(7);
    s = run(s, key('G'));
    expect(selectedRow(s)?.id).toBe('al-s000099');
  });
});
