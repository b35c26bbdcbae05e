// The dashboard's UI state and its one reducer: which pane, the selection in each pane (by id, so it stays on
// the same bead across refreshes), the filter, and the mode (normal, filter, help, detail, confirm, prompt).
// Pure: no I/O, no React. Actions that change the town are not done here: a confirmed one is queued in
// `pending` for the app to run (and --readonly never queues one).
import type { Snapshot } from './data/types.js';
import { dispatchKey, type KeyInfo } from './keymap.js';
import { PANES, paneRows, type PaneId, type Row } from './rows.js';

export type Mode = 'normal' | 'filter' | 'help' | 'detail' | 'confirm' | 'prompt';
export type ActionKind = 'attach' | 'nudge' | 'sling' | 'retry' | 'mail';

/** Something for the app to do outside the reducer, once confirmed. */
export type Effect =
  | { kind: 'attach'; id: string }
  | { kind: 'nudge'; id: string; text: string }
  | { kind: 'sling'; id: string; rig: string }
  | { kind: 'retry'; id: string }
  | { kind: 'read'; id: string }
  | { kind: 'ack'; id: string };

export interface UiState {
  snap: Snapshot;
  pane: PaneId;
  selected: Record<PaneId, string | null>;
  /** The index each selection was last at: where it falls back to when its row is gone. */
  index: Record<PaneId, number>;
  filter: string;
  /** The filter being typed (shown live); `filter` again on esc. */
  draft: string;
  mode: Mode;
  detail: { pane: PaneId; id: string; scroll: number } | null;
  confirm: { effect: Effect; question: string; back: Mode } | null;
  prompt: { label: string; text: string; id: string } | null;
  message: string | null;
  /** Whether the message says a refresh failed: the next snapshot that comes clears it. */
  messageFromRefresh: boolean;
  readonly: boolean;
  pending: Effect[];
  quit: boolean;
  /** How far the help is scrolled. */
  helpScroll: number;
  /** The mode `?` was pressed in: closing the help goes back to it. */
  helpBack: Mode;
  /** How far the help or the detail view shown can scroll (its lines less a screen), as the app measured it. */
  scrollMax: number;
  /** Rows a page key moves: the focused pane's height. */
  page: number;
}

export type Msg =
  /** A key; `tooSmall` when the screen shows the too-small notice (only quitting keys are taken: nothing must happen unseen). */
  | { type: 'key'; input: string; key: KeyInfo; tooSmall?: boolean }
  | { type: 'page'; rows: number }
  | { type: 'snapshot'; snap: Snapshot }
  | { type: 'pane.next' }
  | { type: 'pane.prev' }
  | { type: 'pane.goto'; pane: PaneId }
  | { type: 'row.move'; by: number }
  | { type: 'row.first' }
  | { type: 'row.last' }
  | { type: 'open' }
  | { type: 'back' }
  | { type: 'detail.scroll'; by: number }
  | { type: 'filter.start' }
  | { type: 'filter.type'; text: string }
  | { type: 'filter.erase' }
  | { type: 'filter.apply' }
  | { type: 'filter.cancel' }
  | { type: 'filter.clear' }
  | { type: 'help' }
  | { type: 'help.scroll'; by: number }
  | { type: 'action'; kind: ActionKind }
  | { type: 'prompt.type'; text: string }
  | { type: 'prompt.erase' }
  | { type: 'prompt.submit' }
  | { type: 'prompt.cancel' }
  | { type: 'confirm.yes' }
  | { type: 'confirm.no' }
  | { type: 'effects.taken' }
  | { type: 'message'; text: string | null; fromRefresh?: boolean }
  | { type: 'scroll.max'; max: number }
  | { type: 'quit' };

const byPane = <T>(value: T): Record<PaneId, T> => Object.fromEntries(PANES.map((p) => [p, value])) as Record<PaneId, T>;

export function initialState(snap: Snapshot, options: { readonly?: boolean; filter?: string } = {}): UiState {
  const s: UiState = {
    snap,
    pane: snap.problems.length ? 'problems' : 'agents',
    selected: byPane<string | null>(null),
    index: byPane(0),
    filter: options.filter ?? '',
    draft: options.filter ?? '',
    mode: 'normal',
    detail: null,
    confirm: null,
    prompt: null,
    message: null,
    messageFromRefresh: false,
    readonly: Boolean(options.readonly),
    pending: [],
    quit: false,
    page: 10,
    helpScroll: 0,
    helpBack: 'normal',
    scrollMax: Number.MAX_SAFE_INTEGER,
  };
  return settle(s);
}

/** The filter the rows are shown with: the draft while it is typed. */
export const activeFilter = (s: UiState): string => (s.mode === 'filter' ? s.draft : s.filter);

export const rowsOf = (s: UiState, pane: PaneId = s.pane): Row[] => paneRows(s.snap, pane, activeFilter(s));

/** The selected row's index in a pane (its id's row, else where the selection last was, clamped). */
export function selectedIndex(s: UiState, pane: PaneId = s.pane): number {
  const rows = rowsOf(s, pane);
  if (!rows.length) return -1;
  const id = s.selected[pane];
  if (id !== null) {
    const last = s.index[pane];
    if (rows[last]?.id === id) return last; // the common case, without a scan
    const at = rows.findIndex((r) => r.id === id);
    if (at >= 0) return at;
  }
  return Math.min(Math.max(0, s.index[pane]), rows.length - 1);
}

export const selectedRow = (s: UiState, pane: PaneId = s.pane): Row | undefined => rowsOf(s, pane)[selectedIndex(s, pane)];

/**
 * Pins every pane's selection to an existing row (by id when it is still there). Activity is newest first and
 * follows the newest: a selection on its first row stays on the first row as events arrive (as tail -f does),
 * one moved down stays on its event.
 */
function settle(s: UiState, previous?: UiState): UiState {
  const selected = { ...s.selected };
  const index = { ...s.index };
  for (const p of PANES) {
    const i = p === 'activity' && previous && selectedIndex(previous, p) <= 0 ? (rowsOf(s, p).length ? 0 : -1) : selectedIndex(s, p);
    const rows = rowsOf(s, p);
    selected[p] = i >= 0 ? rows[i]!.id : s.selected[p];
    index[p] = Math.max(0, i);
  }
  return { ...s, selected, index };
}

function select(s: UiState, i: number): UiState {
  const rows = rowsOf(s);
  if (!rows.length) return s;
  const at = Math.min(Math.max(0, i), rows.length - 1);
  return { ...s, selected: { ...s.selected, [s.pane]: rows[at]!.id }, index: { ...s.index, [s.pane]: at }, message: null };
}

function movePane(s: UiState, by: number): UiState {
  const i = PANES.indexOf(s.pane);
  return { ...s, pane: PANES[(i + by + PANES.length) % PANES.length]!, message: null };
}

/** What an action key does on the selected row: a prompt, a question, an effect at once, or why not. */
function request(s: UiState, kind: ActionKind): UiState {
  if (s.readonly) return { ...s, message: 'read-only: actions are off (--readonly)' };
  const row = s.mode === 'detail' && s.detail ? rowsOf(s, s.detail.pane).find((r) => r.id === s.detail!.id) : selectedRow(s);
  const back: Mode = s.mode === 'detail' ? 'detail' : 'normal';
  const refuse = (text: string): UiState => ({ ...s, message: text });
  switch (kind) {
    case 'attach':
      if (row?.pane !== 'agents') return refuse('a attaches to an agent: select one in Agents');
      return { ...s, pending: [...s.pending, { kind: 'attach', id: row.id }] };
    case 'nudge':
      if (row?.pane !== 'agents') return refuse('n nudges an agent: select one in Agents');
      return { ...s, mode: 'prompt', prompt: { label: `Nudge ${row.id}:`, text: '', id: row.id }, message: null };
    case 'sling':
      if (row?.pane !== 'work' || row.item.status !== 'ready') return refuse('s slings a ready bead: select one in Work');
      return { ...s, mode: 'confirm', confirm: { effect: { kind: 'sling', id: row.id, rig: row.item.rig }, question: `Sling ${row.id} (${row.item.title}) to a new polecat in ${row.item.rig}?`, back }, message: null };
    case 'retry':
      if (row?.pane !== 'queue') return refuse('r retries a merge request: select one in Merge queue');
      return { ...s, mode: 'confirm', confirm: { effect: { kind: 'retry', id: row.id }, question: `Retry ${row.id} (${row.item.state}): back to the queue?`, back }, message: null };
    case 'mail':
      if (row?.pane !== 'mail') return refuse('m reads or acknowledges mail: select a message in Mail');
      // unread: read it (marked read, shown); read: acknowledge it, which takes it out of the inbox
      if (!row.item.read) return { ...s, mode: 'detail', detail: { pane: 'mail', id: row.id, scroll: 0 }, pending: [...s.pending, { kind: 'read', id: row.id }], message: null };
      return { ...s, mode: 'confirm', confirm: { effect: { kind: 'ack', id: row.id }, question: `Acknowledge ${row.id} (${row.item.subject})? It leaves the inbox.`, back }, message: null };
  }
}

export function reduce(s: UiState, m: Msg): UiState {
  switch (m.type) {
    case 'key': {
      // behind the too-small notice nothing must happen unseen: only q and ^c, which quit
      // (the notice says a key was ignored, so a person knows it did nothing)
      if (m.tooSmall) return (m.input === 'q' && !m.key.ctrl) || (m.input === 'c' && m.key.ctrl) ? { ...s, quit: true } : { ...s, message: 'keys are ignored until the terminal is larger (q quits)' };
      // several keys in one read (typed fast, over a slow link, or pasted) come as one string: each is taken in
      // turn, and once a filter or a prompt is open the rest is its text
      // a line break that ends such a read is Enter, typed after the rest ('--help' and Enter in one read sends
      // it); one inside it is pasted text (a space in a filter or a prompt, never a key of its own)
      const ended = m.input.length > 1 && !m.key.ctrl && !m.key.meta ? /^([^\r\n][\s\S]*?)[\r\n]+$/.exec(m.input) : null;
      if (ended) return reduce(reduce(s, { type: 'key', input: ended[1]!, key: m.key }), { type: 'key', input: '\r', key: { return: true } });
      const plain = !m.key.ctrl && !m.key.meta && !/[\u0000-\u001f\u007f]/.test(m.input);
      if (m.input.length > 1 && plain && s.mode !== 'filter' && s.mode !== 'prompt') {
        const chars = [...m.input];
        let t = s;
        for (let i = 0; i < chars.length; i++) {
          if (t.mode === 'filter' || t.mode === 'prompt') return reduce(t, { type: 'key', input: chars.slice(i).join(''), key: m.key });
          t = reduce(t, { type: 'key', input: chars[i]!, key: { ...m.key, shift: /[A-Z]/.test(chars[i]!) } });
        }
        return t;
      }
      // the one input dispatcher: the keymap says what the key means in the current mode
      const msg = dispatchKey(s.mode, m.input, m.key, { readonly: s.readonly, page: s.page });
      return msg ? reduce(s, msg) : s;
    }
    case 'page':
      return s.page === m.rows ? s : { ...s, page: Math.max(1, m.rows) };
    case 'snapshot':
      return settle({ ...s, snap: m.snap, ...(s.messageFromRefresh ? { message: null, messageFromRefresh: false } : {}) }, s);
    case 'pane.next':
      return movePane(s, 1);
    case 'pane.prev':
      return movePane(s, -1);
    case 'pane.goto':
      return { ...s, pane: m.pane, message: null };
    case 'row.move':
      return select(s, selectedIndex(s) + m.by);
    case 'row.first':
      return select(s, 0);
    case 'row.last':
      return select(s, rowsOf(s).length - 1);
    case 'open': {
      const row = selectedRow(s);
      return row ? { ...s, mode: 'detail', detail: { pane: s.pane, id: row.id, scroll: 0 }, message: null } : s;
    }
    case 'back':
      // back to the pane, on the same row (the selection was never moved)
      return { ...s, mode: 'normal', detail: null, message: null };
    case 'detail.scroll':
      return s.detail ? { ...s, detail: { ...s.detail, scroll: Math.max(0, Math.min(s.scrollMax, s.detail.scroll + m.by)) } } : s;
    case 'filter.start':
      return { ...s, mode: 'filter', draft: s.filter, message: null };
    case 'filter.type':
      return { ...s, draft: s.draft + m.text };
    case 'filter.erase':
      return { ...s, draft: [...s.draft].slice(0, -1).join('') };
    case 'filter.apply':
      return settle({ ...s, mode: 'normal', filter: s.draft.trim() });
    case 'filter.cancel':
      return settle({ ...s, mode: 'normal', draft: s.filter });
    case 'filter.clear':
      return settle({ ...s, filter: '', draft: '', message: null });
    case 'help':
      // closed, back to where it was opened (a detail view, or the panes)
      return s.mode === 'help' ? { ...s, mode: s.detail && s.helpBack === 'detail' ? 'detail' : 'normal', helpScroll: 0 } : { ...s, mode: 'help', helpBack: s.mode, helpScroll: 0 };
    case 'help.scroll':
      return { ...s, helpScroll: Math.max(0, Math.min(s.scrollMax, s.helpScroll + m.by)) };
    case 'scroll.max': {
      const max = Math.max(0, m.max);
      return s.scrollMax === max && s.helpScroll <= max && (s.detail?.scroll ?? 0) <= max
        ? s
        : { ...s, scrollMax: max, helpScroll: Math.min(s.helpScroll, max), ...(s.detail ? { detail: { ...s.detail, scroll: Math.min(s.detail.scroll, max) } } : {}) };
    }
    case 'action':
      return request(s, m.kind);
    case 'prompt.type':
      return s.prompt ? { ...s, prompt: { ...s.prompt, text: s.prompt.text + m.text } } : s;
    case 'prompt.erase':
      return s.prompt ? { ...s, prompt: { ...s.prompt, text: [...s.prompt.text].slice(0, -1).join('') } } : s;
    case 'prompt.submit': {
      if (!s.prompt) return s;
      const text = s.prompt.text.trim();
      if (!text) return { ...s, mode: 'normal', prompt: null, message: 'nothing to send' };
      return { ...s, mode: 'confirm', prompt: null, confirm: { effect: { kind: 'nudge', id: s.prompt.id, text }, question: `Nudge ${s.prompt.id} with "${text}"?`, back: 'normal' } };
    }
    case 'prompt.cancel':
      return { ...s, mode: 'normal', prompt: null };
    case 'confirm.yes':
      if (!s.confirm) return s;
      return { ...s, mode: s.confirm.back, confirm: null, pending: [...s.pending, s.confirm.effect] };
    case 'confirm.no':
      return s.confirm ? { ...s, mode: s.confirm.back, confirm: null, message: 'cancelled' } : s;
    case 'effects.taken':
      return { ...s, pending: [] };
    case 'message':
      return { ...s, message: m.text, messageFromRefresh: Boolean(m.fromRefresh) };
    case 'quit':
      return { ...s, quit: true };
  }
}
