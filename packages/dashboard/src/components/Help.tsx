// The `?` overlay, rendered from the keymap (the same bindings the input dispatcher uses).
import { Box, Text } from 'ink';
import { fit, wrap } from '../format.js';
import { helpSections } from '../keymap.js';
import { tint, useTheme } from '../theme.js';

export interface HelpLine {
  text: string;
  head?: boolean;
}

const LABEL = 12;

/** The help's lines at a width: each section's title, then its keys, a description too long wrapped under itself. */
export function helpLines(readonly: boolean, width: number): HelpLine[] {
  const lines: HelpLine[] = [];
  for (const section of helpSections(readonly)) {
    if (!section.rows.length) continue;
    lines.push({ text: section.title, head: true });
    for (const r of section.rows) {
      const [first, ...rest] = wrap(r.description, Math.max(10, width - 2 - LABEL));
      lines.push({ text: `  ${fit(r.label, LABEL)}${first ?? ''}` });
      for (const more of rest) lines.push({ text: `  ${' '.repeat(LABEL)}${more}` });
    }
  }
  return lines;
}

export function Help({ lines, readonly, width, height, scroll }: { lines: HelpLine[]; readonly: boolean; width: number; height: number; scroll: number }) {
  const theme = useTheme();
  const body = Math.max(1, height - 1);
  const from = Math.min(scroll, Math.max(0, lines.length - body));
  const more = lines.length > body ? `  j/k: scroll (${from + 1}-${Math.min(lines.length, from + body)} of ${lines.length})` : '';
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, 'cyan')}>
        {fit(`Keys${readonly ? ' (read-only: actions hidden)' : ''}   ? or esc: close${more}`, width)}
      </Text>
      {lines.slice(from, from + body).map((l, i) => (
        <Text key={i} bold={l.head} color={tint(theme, l.head ? 'cyan' : undefined)}>
          {fit(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}
