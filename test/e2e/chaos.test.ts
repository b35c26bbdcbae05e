// The kernel's proof, small: scripts/chaos.mjs with 6 beads in one rig and something killed every few seconds
// (a polecat's runtime or session, the witness, the refinery, the daemon). Nobody acts; the daemon, the witness
// and dispatch must carry every bead to main with every commit there once, no step closed twice, no merge
// request merged twice, no worktree with unsaved work deleted, and nothing of the town left after gt down.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

interface ChaosReport {
  finished: boolean;
  wall_s: number;
  kills: Record<string, number>;
  recoveries: Record<string, number>;
  checks: Record<string, number>;
  problems: string[];
}

function runChaos(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'chaos.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('chaos (6 beads, one rig, a kill every 3 s)', () => {
  it('every bead merges exactly once, nothing is lost, and gt down leaves no process', async () => {
    const r = await runChaos(['--beads', '6', '--rigs', '1', '--kill-every', '3s', '--deadline', '5m', '--seed', '7', '--json']);
    let report: ChaosReport;
    try {
      report = JSON.parse(r.stdout) as ChaosReport;
    } catch {
      throw new Error(`chaos printed no report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    const context = JSON.stringify(report, null, 2);
    expect({ problems: report.problems, context }).toEqual({ problems: [], context });
    expect(report.finished).toBe(true);
    expect(report.checks).toEqual({ merged_twice: 0, steps_closed_twice: 0, commits_not_exactly_once: 0, processes_after_down: 0 });
    // the faults happened: kills every 3 s over the run
    expect(Object.values(report.kills).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    expect(r.code).toBe(0);
  }, 420_000);
});
