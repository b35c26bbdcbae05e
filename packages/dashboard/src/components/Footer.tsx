// The bottom line: what is being typed (a filter, a nudge), the question being asked, the last message, or
// the keys that matter most.
import { Text } from 'ink';
import { fit, fitEnd } from '../format.js';
import type { UiState } from '../state.js';
import { tint, useTheme } from '../theme.js';

export function Footer({ state, width }: { state: UiState; width: number }) {
  const theme = useTheme();
  // what is being typed shows its end (where the cursor is), the hint after it as far as it fits
  const typing = (before: string, text: string, hint: string) => {
    const room = Math.max(4, width - before.length - 1 - Math.min(hint.length, Math.floor(width / 3)));
    return fit(`${before}${fitEnd(text, room)}▏${hint}`, width);
  };
  if (state.mode === 'filter') return <Text color={tint(theme, 'cyan')}>{typing('/', state.draft, '  (enter: keep, esc: cancel; rig:NAME status:S)')}</Text>;
  if (state.mode === 'prompt' && state.prompt) return <Text color={tint(theme, 'cyan')}>{typing(`${state.prompt.label} `, state.prompt.text, '  (enter: send, esc: cancel)')}</Text>;
  if (state.mode === 'confirm' && state.confirm) return <Text bold color={tint(theme, 'yellow')}>{fit(`${state.confirm.question} [y/n]`, width)}</Text>;
  if (state.message) return <Text color={tint(theme, 'yellow')}>{fit(state.message, width)}</Text>;
  const keys = state.readonly ? 'tab/1-6 pane · j/k row · enter open · / filter · ? help · q quit · read-only' : 'tab/1-6 pane · j/k row · enter open · / filter · a n s r m act · ? help · q';
  return <Text dimColor>{fit(keys, width)}</Text>;
}
