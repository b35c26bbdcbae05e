// The top two lines: the town, its rigs, the daemon, and the counts that matter.
import { Box, Text } from 'ink';
import type { Snapshot } from '../data/types.js';
import { fit, fitEnd } from '../format.js';
import { headerLines } from '../summary.js';
import { tint, useTheme } from '../theme.js';

export function Header({ snap, width, filter }: { snap: Snapshot; width: number; filter: string }) {
  const theme = useTheme();
  const [first, second] = headerLines(snap);
  // a long filter keeps the counts in sight: its end, in at most half the line
  const tail = filter ? `  filter: ${fitEnd(filter, Math.max(8, Math.floor(width / 2) - 10))}` : '';
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, snap.daemon.running ? 'green' : 'yellow')}>
        {fit(first, width)}
      </Text>
      <Text>
        {fit(second, width - tail.length)}
        <Text color={tint(theme, 'cyan')}>{tail}</Text>
      </Text>
    </Box>
  );
}
