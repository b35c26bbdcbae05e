// The bottom line: what is being typed (a filter, a nudge), the question being asked, the last message, or
// the keys that matter most.
import { Text } from 'ink';
import { fit } from '../format.js';
import type { UiState } from '../state.js';
import { tint, useTheme } from '../theme.js';

export function Footer({ state, width }: { state: UiState; width: number }) {
  const theme = useTheme();
  if (state.mode === 'filter') return <Text color={tint(theme, 'cyan')}>{fit(`/${state.draft}▏  (enter: keep, esc: cancel; rig:NAME status:S)`, width)}</Text>;
  if (state.mode === 'prompt' && state.prompt) return <Text color={tint(theme, 'cyan')}>{fit(`${state.prompt.label} ${state.prompt.text}▏  (enter: send, esc: cancel)`, width)}</Text>;
  if (state.mode === 'confirm' && state.confirm) return <Text bold color={tint(theme, 'yellow')}>{fit(`${state.confirm.question} [y/n]`, width)}</Text>;
  if (state.message) return <Text color={tint(theme, 'yellow')}>{fit(state.message, width)}</Text>;
  const keys = state.readonly ? 'tab/1-6 pane · j/k row · enter open · / filter · ? help · q quit · read-only' : 'tab/1-6 pane · j/k row · enter open · / filter · a n s r m act · ? help · q';
  return <Text dimColor>{fit(keys, width)}</Text>;
}
