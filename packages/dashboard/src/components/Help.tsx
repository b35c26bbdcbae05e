// The `?` overlay, rendered from the keymap (the same bindings the input dispatcher uses).
import { Box, Text } from 'ink';
import { fit } from '../format.js';
import { helpSections } from '../keymap.js';
import { tint, useTheme } from '../theme.js';

export function Help({ readonly, width, height, scroll }: { readonly: boolean; width: number; height: number; scroll: number }) {
  const theme = useTheme();
  const lines: { text: string; head?: boolean }[] = [];
  for (const section of helpSections(readonly)) {
    if (!section.rows.length) continue;
    lines.push({ text: section.title, head: true });
    for (const r of section.rows) lines.push({ text: `  ${fit(r.label, 12)}${r.description}` });
  }
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
