// The role prompts an AI agent starts from (templates/roles/*.md, shown by gt prime): every command they name
// exists, with the options they name, and the refinery's tells it to run the merge queue's engine.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BD, GT, ROOT, git, gt } from './helpers.js';
import { spawnSync } from 'node:child_process';

const ROLES = join(ROOT, 'templates', 'roles');
const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

/** `gt ...` and `bd ...` in backticks: the command's words (up to the first argument) and the options named. */
function commandsIn(text: string): { span: string; tool: 'gt' | 'bd'; words: string[]; options: string[] }[] {
  return [...text.matchAll(/`((gt|bd) [^`]+)`/g)].map((m) => {
    const tokens = m[1]!.split(/\s+/).slice(1);
    const words: string[] = [];
    for (const t of tokens) {
      if (!/^[a-z][a-z-]*$/.test(t)) break;
      words.push(t);
    }
    return { span: m[1]!, tool: m[2] as 'gt' | 'bd', words, options: tokens.filter((t) => t.startsWith('--')).map((t) => t.replace(/=.*$/, '')) };
  });
}

function help(tool: 'gt' | 'bd', words: string[]): string {
  const r = spawnSync(process.execPath, [tool === 'gt' ? GT : BD, ...words, '--help'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : `exit ${r.status}: ${r.stderr}`;
}

describe('role prompts', () => {
  it('name only commands and options that exist', () => {
    const missing: string[] = [];
    for (const file of readdirSync(ROLES).filter((f) => f.endsWith('.md'))) {
      for (const c of commandsIn(readFileSync(join(ROLES, file), 'utf8'))) {
        const text = help(c.tool, c.words);
        // yargs answers --help for an unknown subcommand with its parent's help: the usage line must be this command's
        const usage = text.split('\n')[0] ?? '';
        if (!usage.startsWith(`${c.tool} ${c.words.join(' ')}`.trim())) missing.push(`${file}: \`${c.span}\` (${usage})`);
        for (const o of c.options) if (!text.includes(o)) missing.push(`${file}: \`${c.span}\` has no ${o}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("the refinery's, as gt prime shows it, tells it to run the merge queue's engine and never to push the target", () => {
    const base = mkdtempSync(join(tmpdir(), 'gt-roles-'));
    bases.push(base);
    git(base, 'init', '-q', '-b', 'main', join(base, 'src'));
    git(join(base, 'src'), 'commit', '-q', '--allow-empty', '-m', 'start');
    const town = join(base, 'town');
    expect(gt(base, ['install', town]).code).toBe(0);
    expect(gt(town, ['rig', 'add', 'alpha', join(base, 'src')]).code).toBe(0);
    const prime = gt(town, ['prime', '--agent', 'alpha/refinery']);
    expect(prime.code).toBe(0);
    const commands = commandsIn(prime.stdout).map((c) => [c.tool, ...c.words, ...c.options].join(' '));
    expect(commands).toEqual(expect.arrayContaining(['gt mq list', 'gt refinery run --once', 'gt mq show', 'gt mq retry', 'gt mq reject --reason', 'gt refinery status']));
    expect(prime.stdout).toMatch(/REWORK/);
    expect(prime.stdout).toMatch(/max_reworks/);
    expect(prime.stdout).toMatch(/Never push the target branch yourself/);
    const polecat = readFileSync(join(ROLES, 'polecat.md'), 'utf8');
    expect(polecat).toMatch(/`REWORK MR: \.\.\.`/);
    expect(polecat).toMatch(/run `gt done` again: it pushes your rewritten branch and supersedes the old request/);
  });
});
