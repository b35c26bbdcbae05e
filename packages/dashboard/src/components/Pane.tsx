// A pane: its title line (number, name, counts) and only the rows that fit, the selected one marked when the
// pane has the focus. The rows shown are a page of the list: the page the selection is on.
import { Box, Text } from 'ink';
import { fit, formatRow } from '../format.js';
import { PANES, PANE_TITLES, type PaneId, type Row } from '../rows.js';
import { tint, useTheme } from '../theme.js';

export interface PaneProps {
  pane: PaneId;
  summary: string;
  rows: Row[];
  selected: number;
  height: number;
  width: number;
  focused: boolean;
  now: number;
}

/** The first row of the page the selection is on. */
export const pageStart = (selected: number, height: number): number => (height > 0 && selected > 0 ? Math.floor(selected / height) * height : 0);

export function Pane({ pane, summary, rows, selected, height, width, focused, now }: PaneProps) {
  const theme = useTheme();
  const start = pageStart(selected, height);
  const visible = rows.slice(start, start + height);
  const more = rows.length > height && height > 0 ? ` [${start + 1}-${start + visible.length} of ${rows.length}]` : '';
  const title = fit(`${focused ? '▶' : ' '}${PANES.indexOf(pane) + 1} ${PANE_TITLES[pane]}  ${summary}${more}`, width);
  return (
    <Box flexDirection="column">
      <Text bold={focused} inverse={focused && !theme.colors} color={tint(theme, focused ? 'cyan' : pane === 'problems' && rows.length ? 'red' : undefined)}>
        {title}
      </Text>
      {height > 0 && !rows.length ? <Text dimColor>{fit(pane === 'problems' ? '  No problems.' : '  (none)', width)}</Text> : null}
      {visible.map((row, i) => {
        const line = formatRow(row, width - 2, now);
        const isSelected = focused && start + i === selected;
        return (
          <Text key={row.id} inverse={isSelected}>
            {isSelected ? '›' : ' '}
            <Text color={tint(theme, line.color)}>{line.glyph}</Text> {line.text}
          </Text>
        );
      })}
    </Box>
  );
}
