// The dashboard on screen (ink-testing-library): every pane, the filter, detail views and back, the help,
// confirmations and actions, --readonly, a small terminal, NO_COLOR.
import { afterEach, describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { App } from './app.js';
import { initialState } from './state.js';
import { FakeSource, FIXTURE_NOW, fixtureSnapshot } from './testing/fixture.js';
import { ThemeContext, themeFromEnv, tint } from './theme.js';

const ESC = '\u001b';
const ENTER = '\r';
const TAB = '\t';
const DOWN = '\u001b[B';

let unmount: (() => void) | null = null;
afterEach(() => {
  unmount?.();
  unmount = null;
});

function show(options: { readonly?: boolean; size?: { columns: number; rows: number }; colors?: boolean; scale?: number; problems?: boolean } = {}) {
  const source = new FakeSource();
  let attached: string | null = null;
  const snap = fixtureSnapshot({ ...(options.scale ? { scale: options.scale } : {}), ...(options.problems === false ? { problems: false } : {}) });
  const app = render(
    <ThemeContext.Provider value={{ colors: options.colors ?? false }}>
      <App source={source} initial={initialState(snap, { readonly: Boolean(options.readonly) })} size={options.size ?? { columns: 100, rows: 30 }} now={() => FIXTURE_NOW} onAttach={(a) => (attached = a)} />
    </ThemeContext.Provider>,
  );
  unmount = app.unmount;
  const frame = (): string => app.lastFrame() ?? '';
  /** Types keys one at a time, waiting for each to be taken. */
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      app.stdin.write(k);
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  const until = async (test: (f: string) => boolean, what: string): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (!test(frame())) {
      if (Date.now() > deadline) throw new Error(`never saw ${what}; the screen:\n${frame()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return frame();
  };
  return { app, source, frame, press, until, attached: () => attached };
}

const selectedLine = (frame: string): string => frame.split('\n').find((l) => l.startsWith('›')) ?? '';

describe('gt dashboard on screen', () => {
  it('shows the header and every pane, problems first, in 80x24', async () => {
    const d = show({ size: { columns: 80, rows: 24 } });
    const f = d.frame();
    const lines = f.split('\n');
    expect(lines[0]).toContain('Gas Town gastown · rigs alpha, beta · daemon running (pid 4242)');
    expect(lines[1]).toContain('1 working · 1 stalled · 1 dead · 2 ready · 2 queued MRs · 1 unread mail');
    expect(lines[2]).toMatch(/^▶1 Problems {2}3/);
    expect(f).toContain('! stalled    alpha/polecats/nux');
    for (const title of ['2 Agents', '3 Work', '4 Merge queue', '5 Mail', '6 Activity']) expect(f).toContain(title);
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(lines.every((l) => [...l].length <= 80)).toBe(true);
  });

  it('lists each pane when it has the focus: agents with state, hook, progress and idle; work; the queue; mail; activity', async () => {
    const d = show();
    await d.press('2');
    let f = await d.until((x) => x.includes('▶2 Agents'), 'the agents pane focused');
    expect(f).toMatch(/● alpha\/polecats\/furiosa +working +al-aaa1 +\[■□□□\] 1\/4 +implement \(al-aaa1\.2\) +idle 5s/);
    expect(f).toMatch(/◐ alpha\/polecats\/nux +stalled/);
    expect(f).toMatch(/✗ beta\/refinery +dead/);
    await d.press('3');
    f = await d.until((x) => x.includes('▶3 Work'), 'work');
    expect(f).toMatch(/◆ al-aaa1 +alpha +P1 in progress +Add the login page/);
    expect(f).toMatch(/■ be-eee5 +beta +P2 blocked +Ship it +blocked by be-ddd4/);
    await d.press('4');
    f = await d.until((x) => x.includes('▶4 Merge queue'), 'the queue');
    expect(f).toMatch(/⟳ \* +testing +al-mr01 +al-zzz9/);
    expect(f).toMatch(/↺ - +rework +be-mr03 +be-xxx7 +1h +test failed \(1\)/);
    await d.press('5');
    f = await d.until((x) => x.includes('▶5 Mail'), 'mail');
    expect(f).toMatch(/✉ hq-m1 +alpha\/refinery +10m +REJECTED/);
    await d.press('6');
    f = await d.until((x) => x.includes('▶6 Activity'), 'activity');
    // newest first
    expect(f.indexOf('al-www6 merged in 1a2b3c4')).toBeLessThan(f.indexOf("al-aaa1 'Add the login page' claimed"));
  });

  it('filters, keeps the filter across a refresh, and clears it', async () => {
    const d = show();
    await d.press('3', '/', ...'rig:beta', ENTER);
    let f = await d.until((x) => x.includes('filter: rig:beta'), 'the filter in the header');
    expect(f).toContain('be-ddd4');
    expect(f).not.toContain('al-ccc3');
    d.source.push(fixtureSnapshot());
    await d.press('j');
    f = d.frame();
    expect(f).not.toContain('al-ccc3');
    expect(selectedLine(f)).toContain('be-eee5');
    await d.press(ESC);
    f = await d.until((x) => !x.includes('filter:'), 'the filter cleared');
    expect(f).toContain('al-ccc3');
  });

  it('opens a detail view, and esc comes back to the same row', async () => {
    const d = show();
    await d.press('3', 'j', 'j', ENTER);
    let f = await d.until((x) => x.includes('detail of be-ddd4'), 'the detail');
    expect(f).toContain('Work: be-ddd4');
    expect(d.source.details).toContainEqual({ pane: 'work', id: 'be-ddd4' });
    await d.press(ESC);
    f = await d.until((x) => x.includes('▶3 Work'), 'the list again');
    expect(selectedLine(f)).toContain('be-ddd4');
  });

  it('shows the help from the keymap, and closes it', async () => {
    const d = show();
    await d.press('?');
    let f = await d.until((x) => x.includes('Keys'), 'the help');
    expect(f).toContain('sling the selected ready bead');
    expect(f).toContain('/           filter: words, rig:NAME, status:S');
    await d.press('?');
    f = await d.until((x) => x.includes('▶1 Problems'), 'the panes again');
  });

  it('asks before slinging, does it on y, and says what happened', async () => {
    const d = show();
    await d.press('3', DOWN, 's');
    let f = await d.until((x) => x.includes('[y/n]'), 'the question');
    expect(f).toContain('Sling al-ccc3 (Fix the flaky test) to a new polecat in alpha? [y/n]');
    await d.press('n');
    f = await d.until((x) => x.includes('cancelled'), 'cancelled');
    expect(d.source.acts).toEqual([]);
    await d.press('s', 'y');
    f = await d.until((x) => x.includes('did sling al-ccc3'), 'the result');
    expect(d.source.acts).toEqual([{ kind: 'sling', id: 'al-ccc3', rig: 'alpha' }]);
    expect(d.source.refreshes).toBe(1);
  });

  it('nudges with the text typed, after a question', async () => {
    const d = show();
    await d.press('2', 'j', 'j', 'n', ...'carry on', ENTER);
    await d.until((x) => x.includes('Nudge alpha/polecats/furiosa with "carry on"? [y/n]'), 'the question');
    await d.press('y');
    await d.until((x) => x.includes('did nudge alpha/polecats/furiosa'), 'the result');
    expect(d.source.acts).toEqual([{ kind: 'nudge', id: 'alpha/polecats/furiosa', text: 'carry on' }]);
  });

  it('attach leaves the app for the caller to attach', async () => {
    const d = show();
    await d.press('2', 'j', 'a');
    const deadline = Date.now() + 5000;
    while (d.attached() === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(d.attached()).toBe('alpha/witness');
  });

  it('--readonly: no action keys in the footer or the help, and pressing them does nothing', async () => {
    const d = show({ readonly: true });
    expect(d.frame()).toContain('read-only');
    await d.press('3', 'j', 's', '4', 'r', '2', 'n');
    expect(d.frame()).not.toContain('[y/n]');
    expect(d.source.acts).toEqual([]);
    await d.press('?');
    const f = await d.until((x) => x.includes('Keys (read-only'), 'the help');
    expect(f).not.toContain('sling the selected');
  });

  it('renders only the rows that fit, a page at a time', async () => {
    const d = show({ scale: 100_000, problems: false });
    await d.press('3');
    let f = await d.until((x) => x.includes('▶3 Work'), 'work');
    expect(f).toMatch(/\[1-\d+ of 100004\]/);
    expect(f).not.toContain('al-s000050');
    await d.press('G');
    f = await d.until((x) => x.includes('al-s099999'), 'the last row');
    expect(selectedLine(f)).toContain('al-s099999');
  });

  it('a terminal smaller than 80x24 gets a notice, not a garbled screen', () => {
    const d = show({ size: { columns: 70, rows: 20 } });
    expect(d.frame()).toContain('needs a terminal of at least 80x24; this one is 70x20');
  });

  it('NO_COLOR: no colour at all; the glyphs carry the state', () => {
    expect(themeFromEnv({ NO_COLOR: '1' })).toEqual({ colors: false });
    expect(themeFromEnv({})).toEqual({ colors: true });
    expect(tint({ colors: false }, 'red')).toBeUndefined();
    expect(tint({ colors: true }, 'red')).toBe('red');
    const f = show({ colors: false }).frame();
    expect(f).not.toMatch(/\u001b\[3\dm/);
    for (const glyph of ['◐ ', '✗ ', '! ']) expect(f).toContain(glyph);
  });
});
