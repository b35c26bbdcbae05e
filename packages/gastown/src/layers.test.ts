// The package's folders talk through their index.ts and only downward (docs/architecture.md): a folder may
// import the folders below it, through their index, and the shared files at the bottom (model.ts, git-cli.ts).
// Tests may also use a folder's test helpers (test-*.ts).
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = dirname(fileURLToPath(import.meta.url));
/** Bottom first. */
const LAYERS = ['town', 'agents', 'work', 'refinery', 'kernel', 'feed', 'scripted'];
const SHARED = ['model.js', 'git-cli.js'];

function sources(): { folder: string; file: string; text: string }[] {
  return LAYERS.flatMap((folder) =>
    readdirSync(join(SRC, folder))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => ({ folder, file: `${folder}/${f}`, text: readFileSync(join(SRC, folder, f), 'utf8') })),
  );
}

/** What each import reaching out of its folder breaks, if anything. */
export function layerViolations(files: { folder: string; file: string; text: string }[]): string[] {
  const out: string[] = [];
  for (const { folder, file, text } of files) {
    for (const m of text.matchAll(/\bfrom '\.\.\/([^']+)'/g)) {
      const target = m[1]!;
      if (SHARED.includes(target)) continue;
      const [other, ...rest] = target.split('/');
      const inner = rest.join('/');
      if (!LAYERS.includes(other!)) out.push(`${file} imports ../${target}, which is no folder of the package`);
      else if (LAYERS.indexOf(other!) >= LAYERS.indexOf(folder)) out.push(`${file} imports ${other}/, which is not below ${folder}/`);
      else if (inner !== 'index.js' && !(file.endsWith('.test.ts') && inner.startsWith('test-'))) out.push(`${file} imports ${other}/${inner}, not ${other}/index.js`);
    }
  }
  return out;
}

describe('the folders of packages/gastown', () => {
  it('import each other only downward and only through index.ts', () => {
    expect(layerViolations(sources())).toEqual([]);
  });

  it('the check sees an upward import and one past an index', () => {
    expect(
      layerViolations([
        { folder: 'work', file: 'work/x.ts', text: "import { refineryRun } from '../refinery/index.js';" },
        { folder: 'kernel', file: 'kernel/y.ts', text: "import { slingBead } from '../work/sling.js';\nimport type { Town } from '../model.js';" },
      ]),
    ).toEqual(['work/x.ts imports refinery/, which is not below work/', 'kernel/y.ts imports work/sling.js, not work/index.js']);
  });
});
