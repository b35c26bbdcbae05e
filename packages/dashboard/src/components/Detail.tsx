// A detail view: the selected row opened (its lines come from the data layer, wrapped to the width by the app),
// scrolled with j/k; esc goes back to the same row.
import { Box, Text } from 'ink';
import { fit, withoutSequences, wrap } from '../format.js';
import { tint, useTheme } from '../theme.js';

/** A detail view's lines at a width: a program's colours dropped, a long line wrapped, so all of it can be read. */
export const detailShown = (lines: string[], width: number): string[] => lines.flatMap((l) => wrap(withoutSequences(l), width));

export function Detail({ title, lines, scroll, height, width }: { title: string; lines: string[] | null; scroll: number; height: number; width: number }) {
  const theme = useTheme();
  const body = Math.max(0, height - 1);
  const from = lines ? Math.min(scroll, Math.max(0, lines.length - body)) : 0;
  const shown = lines ? lines.slice(from, from + body) : [];
  const more = lines && lines.length > body ? `  j/k: scroll (${from + 1}-${from + shown.length} of ${lines.length})` : '';
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, 'cyan')}>
        {fit(`${title}   (esc: back)${more}`, width)}
      </Text>
      {lines === null ? <Text dimColor>  loading…</Text> : shown.map((l, i) => <Text key={i}>{fit(l, width)}</Text>)}
    </Box>
  );
}
