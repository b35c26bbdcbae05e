import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMolecule, substitute } from './parse.js';
import { formatProblem } from './types.js';

const TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'templates', 'molecules');

function problems(text: string): string[] {
  return parseMolecule(text, 'm.md').problems.map(formatProblem);
}

describe('parseMolecule', () => {
  it("reads the vision's example as four steps in a chain", () => {
    const { molecule, problems: found } = parseMolecule(readFileSync(join(TEMPLATES, 'engineer-in-box.md')), 'engineer-in-box.md');
    expect(found).toEqual([]);
    expect(molecule!.name).toBe('engineer-in-box');
    expect(molecule!.description).toBe('Full workflow from design to merge.');
    expect(molecule!.steps.map((s) => [s.id, s.needs])).toEqual([
      ['design', []],
      ['implement', ['design']],
      ['test', ['implement']],
      ['submit', ['test']],
    ]);
    expect(molecule!.steps[1]!.body).toBe('Write the code. Follow codebase conventions.');
  });

  it('reads gates, variables, a title and sub-molecules, and leaves code blocks alone', () => {
    const { molecule, problems: found } = parseMolecule(
      [
        '# Fixing a bug',
        '## Molecule: bug-fix',
        'Fix {{issue}} properly.',
        'Var: issue',
        'Var: branch = fix/{{issue}}',
        'Title: Fix {{issue}}',
        '',
        '## Step: reproduce',
        'Write a failing test.',
        '```sh',
        'Needs: this is shell text, not a directive',
        '## Step: nor-is-this',
        '```',
        'Gate: npm test -- --testNamePattern {{issue}}',
        '',
        '## Step: review',
        'Molecule: code-review',
        'Needs: reproduce',
      ].join('\n'),
      'm.md',
    );
    expect(found).toEqual([]);
    expect(molecule).toMatchObject({
      name: 'bug-fix',
      title: 'Fix {{issue}}',
      description: 'Fix {{issue}} properly.',
      variables: [
        { name: 'issue', line: 4 },
        { name: 'branch', default: 'fix/{{issue}}', line: 5 },
      ],
    });
    expect(molecule!.steps).toEqual([
      { id: 'reproduce', body: 'Write a failing test.\n```sh\nNeeds: this is shell text, not a directive\n## Step: nor-is-this\n```', needs: [], gates: ['npm test -- --testNamePattern {{issue}}'], line: 8 },
      { id: 'review', body: '', needs: ['reproduce'], gates: [], molecule: 'code-review', line: 16 },
    ]);
    expect(molecule!.variables[0]).not.toHaveProperty('default');
  });

  it('reports each problem with its line', () => {
    expect(problems('Just some notes.\n')).toEqual(['m.md:1: missing "## Molecule: <name>" header']);
    expect(problems('## Molecule: m\n## Step: a\ndo a\n## Step: a\ndo it again\n')).toEqual(['m.md:4: duplicate step "a" (first on line 2)']);
    expect(problems('## Molecule: m\n## Step: a\ndo a\nNeeds: b\n')).toEqual(['m.md:4: step "a" needs unknown step "b"']);
    expect(problems('## Molecule: m\n## Step: a\ndo a\nNeeds: c\n## Step: b\ndo b\nNeeds: a\n## Step: c\ndo c\nNeeds: b\n')).toEqual([
      'm.md:2: dependency cycle: a -> c -> b -> a (each step needs the next)',
    ]);
    expect(problems('## Molecule: m\n## Step: a\nUse {{who}}.\n')).toEqual(['m.md:3: undeclared variable {{who}}: declare it with "Var: who" under the header']);
    expect(problems('## Molecule: m\n## Step: a\n\n## Step: b\ndo b\n')).toEqual(['m.md:2: step "a" is empty: give it an instruction']);
    expect(problems('## Molecule: m\n## Step: a\ndo a\nNeeds: a\n')).toEqual(['m.md:4: step "a" needs itself']);
    expect(problems('## Molecule: m\nA description only.\n')).toEqual(['m.md:1: molecule "m" has no steps ("## Step: <id>")']);
    expect(problems('## Molecule: Bad Name\n## Step: a\ndo a\n')).toEqual(['m.md:1: invalid molecule name "Bad Name": use lower-case letters, digits, - and _']);
  });

  it('reports unreadable bytes on their line, and nothing else', () => {
    const bytes = Buffer.concat([Buffer.from('## Molecule: m\n## Step: a\n'), Buffer.from([0x64, 0xff, 0xfe, 0x0a]), Buffer.from('Needs: nowhere\n')]);
    expect(parseMolecule(bytes, 'm.md').problems.map(formatProblem)).toEqual(['m.md:3: unreadable bytes: the file is not valid UTF-8 text']);
  });

  it('substitutes declared values and leaves others', () => {
    expect(substitute('fix {{ issue }} on {{branch}} {{other}}', { issue: 'gt-1', branch: 'main' })).toBe('fix gt-1 on main {{other}}');
  });
});
