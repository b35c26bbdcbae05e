// A detail view: the selected row opened (its lines come from the data layer), scrolled with j/k; esc goes
// back to the same row.
import { Box, Text } from 'ink';
import { fit } from '../format.js';
import { tint, useTheme } from '../theme.js';

export function Detail({ title, lines, scroll, height, width }: { title: string; lines: string[] | null; scroll: number; height: number; width: number }) {
  const theme = useTheme();
  const body = Math.max(0, height - 1);
  const shown = lines ? lines.slice(Math.min(scroll, Math.max(0, lines.length - body)), undefined).slice(0, body) : [];
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, 'cyan')}>
        {fit(`${title}   (esc: back)`, width)}
      </Text>
      {lines === null ? <Text dimColor>  loading…</Text> : shown.map((l, i) => <Text key={i}>{fit(l, width)}</Text>)}
    </Box>
  );
}
