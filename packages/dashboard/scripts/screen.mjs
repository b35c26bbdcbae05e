// Prints the dashboard's screen for the hand-made snapshot (src/testing/fixture.ts) at a size, as
// ink-testing-library renders it: the capture in docs/dashboard.md. Run after npm run build:
//   node packages/dashboard/scripts/screen.mjs [COLUMNS] [ROWS] [KEYS]
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { App } from '../dist/app.js';
import { initialState } from '../dist/state.js';
import { ThemeContext } from '../dist/theme.js';
import { FakeSource, FIXTURE_NOW, fixtureSnapshot } from '../dist/testing/fixture.js';

const [columns = '80', rows = '24', keys = ''] = process.argv.slice(2);
const app = render(
  createElement(ThemeContext.Provider, { value: { colors: false } }, createElement(App, { source: new FakeSource(), initial: initialState(fixtureSnapshot()), size: { columns: Number(columns), rows: Number(rows) }, now: () => FIXTURE_NOW })),
);
for (const k of keys) {
  app.stdin.write(k);
  await new Promise((r) => setTimeout(r, 50));
}
await new Promise((r) => setTimeout(r, 50));
process.stdout.write(`${app.lastFrame()}\n`);
app.unmount();
process.exit(0);
