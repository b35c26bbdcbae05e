// Hostile processes against gt down: what a session starts keeps forking while gt down runs, traps SIGTERM
// and SIGHUP, leaves its tree with nohup and setsid; after gt down none of it remains, and another town's
// processes are never touched.
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bd, bdJson, gt, waitFor, git, gtJson, running } from './helpers.js';

const towns: { town: string; base: string }[] = [];
const started: string[] = []; // files of pids our steps started, one a line
afterEach(() => {
  for (const { town } of towns) gt(town, ['down']);
  for (const f of started.splice(0)) for (const p of pidsIn(f)) if (running(p)) process.kill(p, 'SIGKILL');
  for (const { base } of towns.splice(0)) rmSync(base, { recursive: true, force: true });
});


function newTown(tag: string): string {
  const base = mkdtempSync(join(tmpdir(), tag));
  const town = join(base, 'town');
  towns.push({ town, base });
  gt(base, ['install', town]);
  const src = join(base, 'src');
  git(base, 'init', '-q', src);
  writeFileSync(join(src, 'README'), 'src\n');
  bd(src, ['init', '--prefix', 'al']);
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'start');
  gtJson(town, ['rig', 'add', 'alpha', src]);
  mkdirSync(join(town, 'molecules'), { recursive: true });
  return town;
}

function pidsIn(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number) : [];
}

/** Slings a bead to a scripted polecat whose one step runs `code` (a sh block). */
function slingStep(town: string, code: string[]): void {
  writeFileSync(join(town, 'molecules', 'bg.md'), ['## Molecule: bg', 'Background work.', '', '## Step: start', '```sh', ...code, '```', ''].join('\n'));
  const id = bdJson<{ id: string }>(town, ['create', 'background work', '--rig', 'alpha']).id;
  gtJson(town, ['sling', id, 'alpha', '--molecule', 'bg'], { GT_RUNTIME: 'scripted' });
}

describe('gt down against processes that resist', () => {
  it('ends a process that keeps forking (SIGTERM and SIGHUP trapped) while gt down runs, and all it forked', async () => {
    const town = newTown('gt-down-fork-');
    const spawned = join(town, 'spawned.pids');
    started.push(spawned);
    // bounded: at most 600 children, one every 50 ms (30 s), each a sleep that also ignores SIGTERM
    slingStep(town, [
      `(trap '' TERM HUP; for i in $(seq 600); do (trap '' TERM HUP; exec sleep 1000) & echo $! >> "${spawned}"; sleep 0.05; done) >/dev/null 2>&1 &`,
      `echo $! >> "${spawned}"`,
      `echo started > "${town}/started"`,
    ]);
    await waitFor(() => existsSync(join(town, 'started')) && pidsIn(spawned).length >= 5, 'the step to start forking');
    gtJson(town, ['down']);
    const looper = pidsIn(spawned)[0]!;
    await waitFor(() => !running(looper), 'the forking process to end');
    const all = pidsIn(spawned);
    expect(all.filter(running)).toEqual([]);
  });

  it('two towns at once: each gt down ends its own processes (nohup, setsid, double fork) and none of the other town', async () => {
    const a = newTown('gt-down-a-');
    const b = newTown('gt-down-b-');
    const code = (town: string): string[] => {
      const file = join(town, 'bg.pids');
      started.push(file);
      return [
        `nohup sleep 1001 >/dev/null 2>&1 & echo $! >> "${file}"`,
        `(setsid sh -c 'echo $$ >> "${file}"; exec sleep 1002' >/dev/null 2>&1 &)`,
        `( (sleep 1003 & echo $! >> "${file}") & ) >/dev/null 2>&1`,
        `sh -c 'sleep 1004 & echo $! >> "${file}"; disown 2>/dev/null; exit 0'`,
        `while [ "$(wc -l < "${file}")" -lt 4 ]; do sleep 0.05; done`,
        `echo started > "${town}/started"`,
      ];
    };
    slingStep(a, code(a));
    slingStep(b, code(b));
    await waitFor(() => [a, b].every((t) => existsSync(join(t, 'started'))), 'both towns to start their background processes');
    const [pa, pb] = [pidsIn(join(a, 'bg.pids')), pidsIn(join(b, 'bg.pids'))];
    expect([pa.filter(running).length, pb.filter(running).length]).toEqual([4, 4]);
    gtJson(a, ['down']);
    await waitFor(() => !pa.some(running), "town a's processes to end");
    expect(pb.filter(running)).toEqual(pb);
    gtJson(b, ['down']);
    await waitFor(() => !pb.some(running), "town b's processes to end");
  });

  it("a town started from inside another town's session (an agent running gt up elsewhere) survives the first town's gt down", async () => {
    const a = newTown('gt-down-inner-a-');
    const b = newTown('gt-down-inner-b-');
    const upA = gtJson<{ socket: string }>(a, ['up', '--no-daemon'], { GT_RUNTIME: 'scripted' });
    // what an agent of town a carries: its session's tag
    const fromA = { GT_RUNTIME: 'scripted', GT_SESSION: `${upA.socket}/gt-town-mayor` };
    gtJson(b, ['up', '--no-daemon'], fromA);
    const mayorB = gtJson<{ address: string; pid: number | null }[]>(b, ['agents']).find((x) => x.address === 'mayor')!.pid!;
    expect(running(mayorB)).toBe(true);
    gtJson(a, ['down']);
    expect(running(mayorB)).toBe(true);
    expect(gtJson<{ address: string; state: string }[]>(b, ['agents']).map((x) => x.state)).toEqual(['running', 'running', 'running']);
  });

  it("ends what a scripted agent's code block left running with its environment cleared (env -i), still in the pane's session", async () => {
    const town = newTown('gt-down-envi-');
    const file = join(town, 'envi.pids');
    started.push(file);
    slingStep(town, [`env -i sh -c 'echo $$ >> "${file}"; exec sleep 1006' >/dev/null 2>&1 &`, `while [ ! -s "${file}" ]; do sleep 0.05; done`]);
    await waitFor(() => pidsIn(file).length === 1, 'the step to start its process');
    const [pid] = pidsIn(file);
    expect(running(pid!)).toBe(true);
    gtJson(town, ['down']);
    await waitFor(() => !running(pid!), 'gt down to end it');
  });
});
