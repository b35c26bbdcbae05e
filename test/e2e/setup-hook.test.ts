// The worktree setup hook: the rig's `setup` commands (from its committed .gastown/settings.json, or a town
// override) run in a new polecat's worktree before its session starts; one failing undoes the sling (no
// worktree, no branch, the bead as it was) and the error names the command, its exit code and its output.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTown, townSocket } from '@gastown/gastown';
import { bdJson, git, gt, gtJson, waitFor } from './helpers.js';
import { testTowns } from './town-harness.js';

const scripted = { GT_RUNTIME: 'scripted' };
const SEEN = ['## Molecule: seen', 'Copy what setup left.', '', '## Step: copy', '```sh', 'cp .env.local seen.txt', '```', ''].join('\n');
const town = testTowns('setup');
/** A town with rig alpha whose repository commits `settings` and a molecule whose one step copies .env.local. */
const newTown = (settings: Record<string, unknown>): { town: string; clone: string } => town({ settings, molecules: { seen: SEEN } });

interface Bead {
  id: string;
  status: string;
  assignee?: string;
  metadata?: Record<string, unknown>;
}
const branches = (clone: string): string[] => git(clone, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/polecat').split('\n').filter(Boolean);
const sessions = (town: string): string[] => {
  const r = spawnSync('tmux', ['-L', townSocket(requireTown(town)), 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
};

describe('the worktree setup hook', () => {
  it("runs the committed setup commands in the new worktree, with the agent's environment, before the polecat starts", async () => {
    const { town } = newTown({ setup: ['echo "for $GT_AGENT" > .env.local', { run: 'echo second >> .env.local', timeout: '30s' }] });
    const id = bdJson<{ id: string }>(town, ['create', 'uses the env', '--rig', 'alpha']).id;
    const r = gtJson<{ polecat: string; worktree: string; setup: { run: string; exit_code: number }[] }>(town, ['sling', id, 'alpha', '--molecule', 'seen'], scripted);
    expect(r.setup.map((s) => [s.run, s.exit_code])).toEqual([
      ['echo "for $GT_AGENT" > .env.local', 0],
      ['echo second >> .env.local', 0],
    ]);
    // the polecat's own step read what setup wrote
    const seen = join(r.worktree, 'seen.txt');
    await waitFor(() => existsSync(seen), 'the polecat to copy .env.local', 90_000);
    expect(readFileSync(seen, 'utf8')).toBe(`for alpha/polecats/${r.polecat}\nsecond\n`);
  });

  it('a failing command undoes the sling: no worktree, no branch, no session, the bead as it was, its output in the error', () => {
    const { town, clone } = newTown({ setup: ['echo fine', 'echo "installing..."; echo "npm ERR! no such package" >&2; exit 3', 'touch never-run'] });
    const id = bdJson<{ id: string }>(town, ['create', 'doomed', '--rig', 'alpha', '-p', '1']).id;
    const before = bdJson<Bead[]>(clone, ['show', id])[0]!;
    const r = gt(town, ['sling', id, 'alpha', '--molecule', 'seen'], scripted);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('setup command "echo \\"installing...\\"; echo \\"npm ERR! no such package\\" >&2; exit 3" exited 3');
    expect(r.stderr).toContain('installing...\nnpm ERR! no such package');
    expect(existsSync(join(town, 'alpha', 'polecats', 'nux'))).toBe(false);
    expect(branches(clone)).toEqual([]);
    expect(git(clone, 'worktree', 'list')).not.toContain('polecats');
    expect(sessions(town).filter((s) => s.includes('polecat'))).toEqual([]);
    const after = bdJson<Bead[]>(clone, ['show', id])[0]!;
    expect({ status: after.status, assignee: after.assignee, metadata: after.metadata }).toEqual({ status: before.status, assignee: before.assignee, metadata: before.metadata });
    expect(bdJson<unknown[]>(clone, ['list', '-t', 'molecule', '-n', '0', '--all'])).toEqual([]);

    // --json: the code, and the failing run with its exit code and output
    const j = gt(town, ['sling', id, 'alpha', '--molecule', 'seen', '--json'], scripted);
    expect(j.code).toBe(9);
    const err = JSON.parse(j.stdout || j.stderr) as { error: { code: string; setup: { run: string; exit_code: number; output: string } } };
    expect(err.error.code).toBe('gate_failed');
    expect(err.error.setup).toMatchObject({ exit_code: 3, output: 'installing...\nnpm ERR! no such package' });
    expect(branches(clone)).toEqual([]);
  });

  it("a town override replaces the repository's setup; a timeout fails like an exit", () => {
    const { town, clone } = newTown({ setup: ['true'] });
    expect(gt(town, ['rig', 'settings', 'alpha', 'setup', '[{"run": "echo slow; sleep 30", "timeout": "1s"}]']).code).toBe(0);
    const id = bdJson<{ id: string }>(town, ['create', 'slow setup', '--rig', 'alpha']).id;
    const r = gt(town, ['sling', id, 'alpha', '--molecule', 'seen'], scripted);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('setup command "echo slow; sleep 30" timed out after 1000 ms');
    expect(r.stderr).toContain('slow');
    expect(existsSync(join(town, 'alpha', 'polecats', 'nux'))).toBe(false);
    expect(branches(clone)).toEqual([]);
    const bead = bdJson<Bead[]>(clone, ['show', id])[0]!;
    expect([bead.status, bead.assignee ?? null]).toEqual(['open', null]);
  });
});
