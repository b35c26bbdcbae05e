// The one keymap: every key the dashboard answers, in which modes, and what it does. The `?` overlay is
// rendered from it, the app's single input handler dispatches through it, and docs/dashboard.md's key table
// is generated from it (keymap.test.ts checks the doc matches).
import { PANES } from './rows.js';
import type { Mode, Msg } from './state.js';

export interface Binding {
  /** Key names as keyName gives them: a character, or tab, shift-tab, up, down, enter, escape, backspace, ... */
  keys: string[];
  /** How the help and the docs show the keys. */
  label: string;
  description: string;
  modes: Mode[];
  /** An action on the town: hidden with --readonly. */
  action?: boolean;
  msg: (ctx: { page: number; key: string }) => Msg;
}

const VIEW: Mode[] = ['normal', 'detail'];

export const KEYMAP: Binding[] = [
  { keys: ['tab'], label: 'tab', description: 'next pane', modes: ['normal'], msg: () => ({ type: 'pane.next' }) },
  { keys: ['shift-tab'], label: 'shift-tab', description: 'previous pane', modes: ['normal'], msg: () => ({ type: 'pane.prev' }) },
  { keys: PANES.map((_, i) => String(i + 1)), label: '1–6', description: 'pane: 1 problems, 2 agents, 3 work, 4 merge queue, 5 mail, 6 activity', modes: ['normal'], msg: ({ key }) => ({ type: 'pane.goto', pane: PANES[Number(key) - 1]! }) },
  { keys: ['j', 'down'], label: 'j ↓', description: 'next row', modes: ['normal'], msg: () => ({ type: 'row.move', by: 1 }) },
  { keys: ['k', 'up'], label: 'k ↑', description: 'previous row', modes: ['normal'], msg: () => ({ type: 'row.move', by: -1 }) },
  { keys: ['pagedown', 'ctrl-d'], label: 'pgdn ^d', description: 'a page down', modes: ['normal'], msg: ({ page }) => ({ type: 'row.move', by: page }) },
  { keys: ['pageup', 'ctrl-u'], label: 'pgup ^u', description: 'a page up', modes: ['normal'], msg: ({ page }) => ({ type: 'row.move', by: -page }) },
  { keys: ['g', 'home'], label: 'g home', description: 'first row', modes: ['normal'], msg: () => ({ type: 'row.first' }) },
  { keys: ['G', 'end'], label: 'G end', description: 'last row', modes: ['normal'], msg: () => ({ type: 'row.last' }) },
  { keys: ['enter'], label: 'enter', description: 'open the selected row: a bead with its molecule and history, an agent with its pane, a merge request with its gate runs, a message', modes: ['normal'], msg: () => ({ type: 'open' }) },
  { keys: ['j', 'down'], label: 'j ↓', description: 'scroll down', modes: ['detail'], msg: () => ({ type: 'detail.scroll', by: 1 }) },
  { keys: ['k', 'up'], label: 'k ↑', description: 'scroll up', modes: ['detail'], msg: () => ({ type: 'detail.scroll', by: -1 }) },
  { keys: ['escape'], label: 'esc', description: 'back to the list, on the same row', modes: ['detail'], msg: () => ({ type: 'back' }) },
  { keys: ['/'], label: '/', description: 'filter: words, rig:NAME, status:S (kept across refreshes)', modes: ['normal'], msg: () => ({ type: 'filter.start' }) },
  { keys: ['escape'], label: 'esc', description: 'clear the filter', modes: ['normal'], msg: () => ({ type: 'filter.clear' }) },
  { keys: ['enter'], label: 'enter', description: 'keep the filter', modes: ['filter'], msg: () => ({ type: 'filter.apply' }) },
  { keys: ['escape'], label: 'esc', description: 'leave the filter as it was', modes: ['filter'], msg: () => ({ type: 'filter.cancel' }) },
  { keys: ['backspace'], label: 'backspace', description: 'erase a character', modes: ['filter'], msg: () => ({ type: 'filter.erase' }) },
  { keys: ['a'], label: 'a', description: "attach to the selected agent's session (detach with C-b d to come back; inside your own tmux, C-b C-b d)", modes: VIEW, action: true, msg: () => ({ type: 'action', kind: 'attach' }) },
  { keys: ['n'], label: 'n', description: 'nudge the selected agent (asks for the text)', modes: VIEW, action: true, msg: () => ({ type: 'action', kind: 'nudge' }) },
  { keys: ['s'], label: 's', description: 'sling the selected ready bead to a new polecat', modes: VIEW, action: true, msg: () => ({ type: 'action', kind: 'sling' }) },
  { keys: ['r'], label: 'r', description: 'retry the selected merge request', modes: VIEW, action: true, msg: () => ({ type: 'action', kind: 'retry' }) },
  { keys: ['m'], label: 'm', description: 'read the selected message (unread), or acknowledge it (read)', modes: VIEW, action: true, msg: () => ({ type: 'action', kind: 'mail' }) },
  { keys: ['enter'], label: 'enter', description: 'send', modes: ['prompt'], msg: () => ({ type: 'prompt.submit' }) },
  { keys: ['escape'], label: 'esc', description: 'cancel', modes: ['prompt'], msg: () => ({ type: 'prompt.cancel' }) },
  { keys: ['backspace'], label: 'backspace', description: 'erase a character', modes: ['prompt'], msg: () => ({ type: 'prompt.erase' }) },
  { keys: ['y'], label: 'y', description: 'yes, do it', modes: ['confirm'], msg: () => ({ type: 'confirm.yes' }) },
  { keys: ['n', 'escape'], label: 'n esc', description: 'no', modes: ['confirm'], msg: () => ({ type: 'confirm.no' }) },
  { keys: ['?'], label: '?', description: 'this help', modes: ['normal', 'detail'], msg: () => ({ type: 'help' }) },
  { keys: ['j', 'down'], label: 'j ↓', description: 'scroll the help down', modes: ['help'], msg: () => ({ type: 'help.scroll', by: 1 }) },
  { keys: ['k', 'up'], label: 'k ↑', description: 'scroll the help up', modes: ['help'], msg: () => ({ type: 'help.scroll', by: -1 }) },
  { keys: ['?', 'escape', 'q'], label: '? esc q', description: 'close the help', modes: ['help'], msg: () => ({ type: 'help' }) },
  { keys: ['q'], label: 'q', description: 'quit', modes: VIEW, msg: () => ({ type: 'quit' }) },
  { keys: ['ctrl-c'], label: '^c', description: 'quit, from anywhere', modes: ['normal', 'detail', 'filter', 'help', 'confirm', 'prompt'], msg: () => ({ type: 'quit' }) },
];

/** The part of Ink's Key the dispatcher reads. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

/** One name for a key press, as the keymap spells keys. */
export function keyName(input: string, key: KeyInfo): string {
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input) return `ctrl-${input.toLowerCase()}`;
  return input;
}

/** The bindings a mode offers (without the actions, read-only). */
export const bindingsFor = (mode: Mode, readonly = false): Binding[] => KEYMAP.filter((b) => b.modes.includes(mode) && !(readonly && b.action));

/**
 * What a key press means in a mode: a binding's message; in the filter and the prompt, other printable text is
 * typed; anything else, nothing.
 */
export function dispatchKey(mode: Mode, input: string, key: KeyInfo, options: { readonly?: boolean; page?: number } = {}): Msg | null {
  const name = keyName(input, key);
  const b = bindingsFor(mode, options.readonly).find((x) => x.keys.includes(name));
  if (b) return b.msg({ page: options.page ?? 10, key: name });
  if ((mode === 'filter' || mode === 'prompt') && input && !key.ctrl && !key.meta) {
    // pasted text may hold line breaks and tabs (they part words: typed as spaces) and other control characters (not typed)
    const text = input.replace(/\r\n|[\r\n\t]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
    if (text) return mode === 'filter' ? { type: 'filter.type', text } : { type: 'prompt.type', text };
  }
  return null;
}

const MODE_TITLES: Record<Mode, string> = { normal: 'Panes', detail: 'Detail view', filter: 'Typing a filter', prompt: 'Typing a nudge', confirm: 'Confirming', help: 'This help' };

/** The help overlay's sections: one per mode, the bindings it offers. */
export function helpSections(readonly = false): { title: string; rows: { label: string; description: string }[] }[] {
  const order: Mode[] = ['normal', 'detail', 'filter', 'prompt', 'confirm', 'help'];
  return order.map((mode) => ({ title: MODE_TITLES[mode], rows: bindingsFor(mode, readonly).map((b) => ({ label: b.label, description: b.description })) }));
}

/** The keymap as docs/dashboard.md's markdown table. */
export function keymapTable(): string {
  const lines = ['| keys | where | what |', '|---|---|---|'];
  for (const b of KEYMAP) {
    const where = b.modes.length === 6 ? 'anywhere' : b.modes.map((m) => MODE_TITLES[m].toLowerCase()).join(', ');
    lines.push(`| \`${b.label}\` | ${where} | ${b.description}${b.action ? ' (hidden with --readonly)' : ''} |`);
  }
  return lines.join('\n');
}
