// The dashboard's one container: the UI state (reducer in state.ts), the one input handler (every key goes
// through the keymap by mode), snapshots from the source, detail views loaded on open, and confirmed actions
// run. Components below it are stateless.
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Detail, detailShown } from './components/Detail.js';
import { Footer } from './components/Footer.js';
import { Header } from './components/Header.js';
import { Help, helpLines } from './components/Help.js';
import { Pane } from './components/Pane.js';
import { layout, MIN_COLUMNS, MIN_ROWS } from './layout.js';
import { PANES, PANE_TITLES, type PaneId } from './rows.js';
import type { DashboardSource } from './source.js';
import { activeFilter, reduce, rowsOf, selectedIndex, type UiState } from './state.js';
import { paneSummary } from './summary.js';

export interface AppProps {
  source: DashboardSource;
  initial: UiState;
  /** When the user asks to attach: the app exits and the caller attaches, then starts it again. */
  onAttach?: (address: string, state: UiState) => void;
  /** The state as it is when the app exits (to start again from it). */
  onExit?: (state: UiState) => void;
  /** The terminal's size; else stdout's. */
  size?: { columns: number; rows: number };
  now?: () => number;
}

function useTerminalSize(fixed?: { columns: number; rows: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => fixed ?? { columns: stdout.columns || MIN_COLUMNS, rows: stdout.rows || MIN_ROWS };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return size;
}

export function App({ source, initial, onAttach, onExit, size: fixedSize, now = Date.now }: AppProps) {
  const [state, dispatch] = useReducer(reduce, initial);
  const { exit } = useApp();
  const size = useTerminalSize(fixedSize);
  const latest = useRef(state);
  latest.current = state;
  const [detail, setDetail] = useState<{ key: string; lines: string[] } | null>(null);

  const small = useRef(false);
  useInput((input, key) => dispatch({ type: 'key', input, key, tooSmall: small.current }));

  useEffect(() => source.watch((snap) => dispatch({ type: 'snapshot', snap }), (err) => dispatch({ type: 'message', text: `refresh failed: ${err.message}`, fromRefresh: true })), [source]);

  // detail views: loaded when opened, and again on each snapshot while open (an agent's pane moves)
  const detailKey = state.detail ? `${state.detail.pane}\u0000${state.detail.id}` : null;
  useEffect(() => {
    if (!state.detail) return;
    let live = true;
    const { pane, id } = state.detail;
    source.detail(pane, id).then(
      (lines) => live && setDetail({ key: `${pane}\u0000${id}`, lines }),
      (err: Error) => live && setDetail({ key: `${pane}\u0000${id}`, lines: [`could not read it: ${err.message}`] }),
    );
    return () => {
      live = false;
    };
  }, [detailKey, state.snap, source]);

  useEffect(() => {
    if (!state.pending.length) return;
    const effects = state.pending;
    dispatch({ type: 'effects.taken' });
    for (const effect of effects) {
      if (effect.kind === 'attach') {
        onAttach?.(effect.id, latest.current);
        exit();
        return;
      }
      source.act(effect).then(
        (text) => {
          dispatch({ type: 'message', text });
          source.refresh();
        },
        (err: Error) => dispatch({ type: 'message', text: `${effect.kind} failed: ${err.message}` }),
      );
    }
  }, [state.pending, source, exit, onAttach]);

  useEffect(() => {
    if (!state.quit) return;
    onExit?.(latest.current);
    exit();
  }, [state.quit, exit, onExit]);

  const { columns, rows } = size;
  const width = Math.max(1, columns - 1); // the last column left free: some terminals wrap on it
  const counts = Object.fromEntries(PANES.map((p) => [p, rowsOf(state, p).length])) as Record<PaneId, number>;
  const plan = layout(columns, rows, state.pane, counts);
  const focusedHeight = plan.heights[state.pane] ?? 10;
  useEffect(() => {
    dispatch({ type: 'page', rows: focusedHeight });
  }, [focusedHeight]);
  small.current = plan.tooSmall; // read by the key handler: set as the notice is drawn, so no key slips past it

  // the help's and the detail view's lines at this width; how far they can scroll is the reducer's bound
  const help = useMemo(() => (state.mode === 'help' ? helpLines(state.readonly, width) : null), [state.mode, state.readonly, width]);
  const detailLines = detail && detail.key === detailKey ? detail.lines : null;
  const shownDetail = useMemo(() => (state.mode === 'detail' && detailLines ? detailShown(detailLines, width) : null), [state.mode, detailLines, width]);
  const scrollable = help ?? shownDetail;
  const scrollMax = scrollable ? Math.max(0, scrollable.length - Math.max(1, plan.body - 1)) : Number.MAX_SAFE_INTEGER;
  useEffect(() => {
    dispatch({ type: 'scroll.max', max: scrollMax });
  }, [scrollMax]);

  if (plan.tooSmall) {
    return (
      <Box flexDirection="column">
        <Text bold>gt dashboard needs a terminal of at least {MIN_COLUMNS}x{MIN_ROWS}; this one is {columns}x{rows}.</Text>
        <Text>Make it larger, or run gt dashboard --once for a plain snapshot. q quits.</Text>
        {state.message ? <Text dimColor>{state.message}</Text> : null}
      </Box>
    );
  }
  const t = now();
  let body;
  if (state.mode === 'help' && help) body = <Help lines={help} readonly={state.readonly} width={width} height={plan.body} scroll={state.helpScroll} />;
  else if (state.mode === 'detail' && state.detail) {
    body = <Detail title={`${PANE_TITLES[state.detail.pane]}: ${state.detail.id}`} lines={shownDetail} scroll={state.detail.scroll} height={plan.body} width={width} />;
  } else {
    const pane = (p: PaneId, w: number) => (
      <Pane key={p} pane={p} summary={paneSummary(state.snap, p)} rows={rowsOf(state, p)} selected={selectedIndex(state, p)} height={plan.heights[p]!} width={w} focused={p === state.pane} now={t} />
    );
    body = (
      <>
        {plan.heights.problems !== undefined ? pane('problems', width) : null}
        <Box flexDirection="row">
          {plan.columns.map((col, i) => (
            <Box key={i} flexDirection="column" width={plan.columnWidth} marginRight={i < plan.columns.length - 1 ? 1 : 0}>
              {col.map((p) => pane(p, plan.columnWidth))}
            </Box>
          ))}
        </Box>
      </>
    );
  }
  return (
    <Box flexDirection="column" height={rows - 1}>
      <Header snap={state.snap} width={width} filter={activeFilter(state)} />
      <Box flexDirection="column" flexGrow={1}>
        {body}
      </Box>
      <Footer state={state} width={width} />
    </Box>
  );
}
