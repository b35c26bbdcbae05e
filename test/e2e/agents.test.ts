import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn as ptySpawn } from 'node-pty';
import { ROOT, bd, bdJson, gt, waitFor, git, gtJson, running } from './helpers.js';

const LINE_READER = join(ROOT, 'test', 'e2e', 'workers', 'line-reader.mjs');
const towns: { town: string; base: string }[] = [];
afterEach(() => {
  for (const { town, base } of towns.splice(0)) {
    gt(town, ['down']);
    rmSync(base, { recursive: true, force: true });
  }
});

const scripted = { GT_RUNTIME: 'scripted' };

/** A project with a bead store and a two-step molecule whose first step writes a file and whose second checks it. */
function project(base: string, name: string, prefix: string): string {
  const dir = join(base, name);
  git(base, 'init', '-q', dir);
  writeFileSync(join(dir, 'README'), `${name}\n`);
  bd(dir, ['init', '--prefix', prefix]);
  mkdirSync(join(dir, 'molecules'));
  writeFileSync(
    join(dir, 'molecules', 'tiny.md'),
    ['## Molecule: tiny', 'Write a file, then check it.', '', '## Step: write', '```sh', 'echo "work of $GT_AGENT" > "work-$GT_POLECAT.txt"', '```', '', '## Step: check', 'Check the file is there.', 'Needs: write', 'Gate: test -f "work-$GT_POLECAT.txt"', ''].join('\n'),
  );
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'start');
  return dir;
}

function newTown(tag: string, rigs: [string, string][] = []): string {
  const base = mkdtempSync(join(tmpdir(), tag));
  const town = join(base, 'town');
  towns.push({ town, base });
  gt(base, ['install', town]);
  for (const [name, prefix] of rigs) gtJson(town, ['rig', 'add', name, project(base, `${name}-src`, prefix)]);
  return town;
}

interface AgentRow {
  address: string;
  state: string;
  pid: number | null;
  hooked: string | null;
  session: string;
}

const agents = (town: string): AgentRow[] => gtJson<AgentRow[]>(town, ['agents']);
const agent = (town: string, address: string): AgentRow => agents(town).find((a) => a.address === address)!;
const tmuxSessions = (socket: string): string[] => {
  const r = spawnSync('tmux', ['-L', socket, 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).sort() : [];
};
const environOf = (pid: number): Record<string, string> =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('agents in tmux', () => {
  it('gt up starts the standing agents with their identity; gt down ends them and their processes, and only them', async () => {
    const town = newTown('gt-up-', [['alpha', 'al'], ['beta', 'be']]);
    const other = newTown('gt-up-other-');
    const up = gtJson<{ socket: string; agents: { address: string; result: string }[] }>(town, ['up', '--no-daemon'], scripted);
    expect(up.agents.map((a) => [a.address, a.result])).toEqual([
      ['mayor', 'started'],
      ['alpha/witness', 'started'],
      ['alpha/refinery', 'started'],
      ['beta/witness', 'started'],
      ['beta/refinery', 'started'],
    ]);
    expect(gtJson<typeof up>(town, ['up', '--no-daemon'], scripted).agents.map((a) => a.result)).toEqual(['running', 'running', 'running', 'running', 'running']);
    const otherUp = gtJson<typeof up>(other, ['up', '--no-daemon'], scripted);
    expect(otherUp.socket).not.toBe(up.socket);
    expect(tmuxSessions(up.socket)).toEqual(['gt-town-alpha-refinery', 'gt-town-alpha-witness', 'gt-town-beta-refinery', 'gt-town-beta-witness', 'gt-town-mayor']);

    const witness = agent(town, 'beta/witness');
    expect(witness.state).toBe('running');
    const env = environOf(witness.pid!);
    expect(env).toMatchObject({ GT_TOWN: town, GT_ROLE: 'witness', GT_RIG: 'beta', GT_AGENT: 'beta/witness', BD_ACTOR: 'beta/witness', BEADS_DIR: join(town, 'beta', 'main', '.beads'), GIT_AUTHOR_NAME: 'beta/witness', GT_RUNTIME: 'scripted', GT_AGENT_RUNTIME: 'scripted', GT_SESSION: `${up.socket}/gt-town-beta-witness` });
    expect(env.PATH!.split(':')[0]).toBe(join(town, '.gt', 'bin'));
    expect(environOf(agent(town, 'mayor').pid!)).toMatchObject({ GT_ROLE: 'mayor', BEADS_DIR: join(town, '.beads') });
    await waitFor(() => gt(town, ['peek', 'mayor']).stdout.includes('[idle] waiting for a nudge'), 'the mayor to prime and idle');

    const pids = agents(town).flatMap((a) => (a.pid ? [a.pid] : []));
    expect(pids).toHaveLength(5);
    const otherPid = agent(other, 'mayor').pid!;
    const down = gtJson<{ stopped: string[] }>(town, ['down']);
    expect(down.stopped).toHaveLength(5);
    expect(tmuxSessions(up.socket)).toEqual([]);
    expect(existsSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid!()}`, up.socket))).toBe(false); // not even its socket file
    await waitFor(() => pids.every((p) => !alive(p)), 'every runtime of the town to end');
    expect(agents(town).map((a) => a.state)).toEqual(['absent', 'absent', 'absent', 'absent', 'absent']);
    // the other town is untouched
    expect(tmuxSessions(otherUp.socket)).toEqual(['gt-town-mayor']);
    expect(alive(otherPid)).toBe(true);
  });

  it('three slung beads: three scripted polecats finish their molecules, commit on their branches and file merge requests', async () => {
    const town = newTown('gt-sling-', [['alpha', 'al']]);
    const ids = ['one', 'two', 'three'].map((t) => bdJson<{ id: string }>(town, ['create', `task ${t}`, '--rig', 'alpha']).id);
    const slung = ids.map((id) => gtJson<{ address: string; branch: string; molecule: { id: string } }>(town, ['sling', id, 'alpha', '--molecule', 'tiny'], scripted));
    expect(slung.map((s) => s.address)).toEqual(['alpha/polecats/nux', 'alpha/polecats/slit', 'alpha/polecats/furiosa']);
    const again = gt(town, ['sling', ids[0]!, 'alpha', '--molecule', 'tiny'], scripted);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(new RegExp(`${ids[0]} is already hooked by alpha/polecats/nux`));
    expect(existsSync(join(town, 'alpha', 'polecats', 'toast'))).toBe(false); // nothing left behind
    const clone = join(town, 'alpha', 'main');
    const source = join(town, '..', 'alpha-src');
    const mrs = (): { metadata: { merge_request: { branch: string; source_bead: string; worker: string; commit: string } } }[] => bdJson(clone, ['list', '-t', 'merge-request', '-n', '0']);
    await waitFor(() => mrs().length === 3, 'three merge requests', 90_000);
    for (const [i, s] of slung.entries()) {
      const name = s.address.split('/').pop()!;
      const mr = mrs().find((m) => m.metadata.merge_request.source_bead === ids[i])!.metadata.merge_request;
      expect(mr).toMatchObject({ branch: `polecat/${name}`, worker: s.address, commit: git(clone, 'rev-parse', `polecat/${name}`).trim(), remote: source });
      expect(git(source, 'rev-parse', `polecat/${name}`).trim()).toBe(mr.commit); // pushed to the rig's remote
      expect(git(clone, 'show', `polecat/${name}:work-${name}.txt`)).toBe(`work of ${s.address}\n`);
      expect(git(clone, 'log', '-1', '--format=%an', `polecat/${name}`).trim()).toBe(s.address);
      const status = bdJson<{ done: number; total: number; steps: { id: string }[] }>(clone, ['mol', 'status', s.molecule.id]);
      expect([status.done, status.total]).toEqual([2, 2]);
      for (const step of status.steps) {
        const actors = bdJson<{ kind: string; actor: string }[]>(clone, ['history', step.id]).filter((op) => op.kind !== 'create').map((op) => op.actor);
        expect(new Set(actors)).toEqual(new Set([s.address]));
      }
      // the bead names the molecule poured under it, so finding the polecat's work needs no scan of the store
      expect(bdJson<{ status: string; assignee: string }[]>(clone, ['show', ids[i]!])[0]).toMatchObject({ status: 'hooked', assignee: s.address, metadata: { hook_molecule: s.molecule.id } });
    }
    const table = gt(town, ['agents']).stdout;
    for (const [i, s] of slung.entries()) expect(table).toMatch(new RegExp(`^${s.address} +running +idle \\S+ +hooked ${ids[i]}, all 2 steps closed$`, 'm'));
    expect(agents(town).filter((a) => a.address.includes('polecats')).map((a) => (a as unknown as { progress: string }).progress)).toEqual(['2/2', '2/2', '2/2']);
    // the refinery and the witness were told
    const refineryMail = gtJson<{ subject: string }[]>(town, ['mail', 'inbox', '--to', 'alpha/refinery']);
    expect(refineryMail.map((m) => /polecat\/\w+/.exec(m.subject)?.[0]).sort()).toEqual(['polecat/furiosa', 'polecat/nux', 'polecat/slit']);
    expect(gtJson<unknown[]>(town, ['mail', 'inbox', '--to', 'alpha/witness'])).toHaveLength(3);
  });

  it('gt done files nothing when the push fails, says why, and files once after --no-push or a later push; sling skips names taken on the remote', async () => {
    const town = newTown('gt-done-', [['alpha', 'al']]);
    const id = bdJson<{ id: string }>(town, ['create', 'task', '--rig', 'alpha']).id;
    const source = join(town, '..', 'alpha-src');
    const away = join(town, '..', 'alpha-src-away');
    const clone = join(town, 'alpha', 'main');
    const mrs = (): { id: string; metadata: { merge_request: { commit: string; remote?: string } } }[] => bdJson(clone, ['list', '-t', 'merge-request', '-n', '0']);
    // another town's nux left its branch on the remote (as last fetched): the name is taken
    git(clone, 'update-ref', 'refs/remotes/origin/polecat/nux', 'HEAD');
    // the rig's remote is unreachable (slinging does not need it): the polecat's gt done must fail and file nothing
    renameSync(source, away);
    const slit = 'alpha/polecats/slit';
    expect(gtJson<{ address: string }>(town, ['sling', id, 'alpha', '--molecule', 'tiny'], scripted).address).toBe(slit);
    await waitFor(() => gt(town, ['peek', slit]).stdout.includes('[error]'), 'the polecat to report the failed push');
    expect(gt(town, ['peek', slit, '-n', '200']).stdout).toMatch(/pushing polecat\/slit to origin .*alpha-src\).*not a reachable git repository \(fatal: .*\); nothing was filed/);
    expect(mrs()).toEqual([]);
    const inside = { GT_AGENT: slit, GT_TOWN: town };
    const worktree = join(town, 'alpha', 'polecats', 'slit');
    const failed = gt(worktree, ['done'], inside);
    expect(failed.code).toBe(10);
    expect(failed.stderr).toMatch(/run gt done --no-push to file the merge request for this town's refinery only/);
    expect(mrs()).toEqual([]);

    const local = gtJson<{ merge_request: string; pushed: string | null; existing: boolean }>(worktree, ['done', '--no-push'], inside);
    expect(local).toMatchObject({ pushed: null, existing: false });
    expect(mrs().map((m) => [m.id, m.metadata.merge_request.remote])).toEqual([[local.merge_request, undefined]]);
    // the remote is back: gt done pushes the branch and files nothing new
    renameSync(away, source);
    const later = gtJson<{ merge_request: string; pushed: string | null; existing: boolean }>(worktree, ['done'], inside);
    expect(later).toMatchObject({ merge_request: local.merge_request, pushed: source, existing: true });
    expect(git(source, 'rev-parse', 'polecat/slit').trim()).toBe(mrs()[0]!.metadata.merge_request.commit);
    expect(mrs()).toHaveLength(1);
  });

  it("an agent's own runtime is not passed on as GT_RUNTIME to what it starts; a GT_RUNTIME the person set is", async () => {
    const town = newTown('gt-runtime-env-', [['alpha', 'al']]);
    const out = join(town, 'polecat.env');
    const config = JSON.parse(readFileSync(join(town, 'town.json'), 'utf8'));
    config.runtimes = { default: 'scripted', commands: { envdump: `sh -c 'env > ${out}; exec cat'` } };
    writeFileSync(join(town, 'town.json'), JSON.stringify(config));
    // the town's tmux server is started by someone with GT_RUNTIME set: its panes would inherit it
    gtJson(town, ['up', '--no-daemon'], scripted);
    const id = bdJson<{ id: string }>(town, ['create', 'task', '--rig', 'alpha']).id;
    // a sling by the mayor (its session says GT_AGENT_RUNTIME=scripted), with no GT_RUNTIME of the person's
    gtJson(town, ['sling', id, 'alpha', '--molecule', 'tiny', '--runtime', 'envdump'], { GT_RUNTIME: '', GT_AGENT_RUNTIME: 'scripted', GT_AGENT: 'mayor' });
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('GT_AGENT='), 'the polecat to write its environment');
    const env = Object.fromEntries(readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env).toMatchObject({ GT_AGENT: 'alpha/polecats/nux', GT_AGENT_RUNTIME: 'envdump' });
    expect(env.GT_RUNTIME).toBeUndefined();
  });

  it('gt up resumes a polecat with work on its hook, with the runtime it was slung with unless GT_RUNTIME says otherwise', async () => {
    const town = newTown('gt-resume-', [['alpha', 'al']]);
    const out = join(town, 'reader.txt');
    const config = JSON.parse(readFileSync(join(town, 'town.json'), 'utf8'));
    const reader = `${process.execPath} ${LINE_READER} ${out}`;
    config.runtimes = { default: 'scripted', commands: { reader, other: reader } };
    writeFileSync(join(town, 'town.json'), JSON.stringify(config));
    const id = bdJson<{ id: string }>(town, ['create', 'resume me', '--rig', 'alpha']).id;
    const nux = 'alpha/polecats/nux';
    // slung with a runtime that does nothing: the work stays on the hook
    gtJson(town, ['sling', id, 'alpha', '--molecule', 'tiny', '--runtime', 'reader']);
    expect(bdJson<{ metadata: { hook_runtime: string } }[]>(town, ['show', id])[0]!.metadata.hook_runtime).toBe('reader');
    gtJson(town, ['down']);
    expect(agent(town, nux).state).toBe('absent');
    type Up = { agents: { address: string; runtime: string; result: string }[] };
    const up = gtJson<Up>(town, ['up', '--no-daemon', '--runtime', 'other']).agents.find((a) => a.address === nux);
    expect(up).toMatchObject({ runtime: 'other', result: 'started' });
    gtJson(town, ['down']);
    // as slung when nothing says otherwise (the town's default is for agents that were not slung)
    expect(gtJson<Up>(town, ['up', 'alpha', '--no-daemon'], { GT_RUNTIME: '' }).agents.map((a) => [a.address, a.runtime])).toEqual([
      ['alpha/witness', 'scripted'],
      ['alpha/refinery', 'scripted'],
      [nux, 'reader'],
    ]);
    await waitFor(() => agent(town, nux).state === 'running', 'the polecat to run again');
    expect(gt(town, ['agents']).stdout).toMatch(/^alpha\/polecats\/nux +running +idle \S+ +hooked al-\w+ at write \(al-\w+\), 0\/2 steps closed$/m);
    gtJson(town, ['down']);
    // and with GT_RUNTIME=scripted it picks the work up where it was and finishes it
    expect(gtJson<Up>(town, ['up', '--no-daemon'], scripted).agents.find((a) => a.address === nux)).toMatchObject({ runtime: 'scripted', result: 'started' });
    await waitFor(() => bdJson<unknown[]>(join(town, 'alpha', 'main'), ['list', '-t', 'merge-request']).length === 1, 'the resumed polecat to file its merge request');
  });

  it('gt sling, gt agents and bd mol status count the same steps of a molecule that expands another', () => {
    const town = newTown('gt-count-', [['alpha', 'al']]);
    const config = JSON.parse(readFileSync(join(town, 'town.json'), 'utf8'));
    config.runtimes = { commands: { idle: 'cat' } }; // does nothing: the steps stay as poured
    writeFileSync(join(town, 'town.json'), JSON.stringify(config));
    const id = bdJson<{ id: string }>(town, ['create', 'task', '--rig', 'alpha']).id;
    // polecat-work: prime, work (expands engineer-in-box's four steps), handoff
    const slung = gtJson<{ address: string; molecule: { id: string; steps: number } }>(town, ['sling', id, 'alpha', '--runtime', 'idle']);
    const status = bdJson<{ done: number; total: number }>(join(town, 'alpha', 'main'), ['mol', 'status', slung.molecule.id]);
    const row = agents(town).find((a) => a.address === slung.address) as unknown as { progress: string };
    expect([slung.molecule.steps, status.total, row.progress]).toEqual([6, 6, '0/6']);
    expect(gt(town, ['sling', bdJson<{ id: string }>(town, ['create', 'task 2', '--rig', 'alpha']).id, 'alpha', '--runtime', 'idle']).stdout).toMatch(/molecule polecat-work al-\w+ \(6 steps\)/);
  });

  it('gt down ends what a session started with nohup or setsid, gone from its process tree; gt down RIG only that rig\'s', async () => {
    const town = newTown('gt-down-nohup-', [['alpha', 'al']]);
    writeFileSync(
      join(town, 'molecules', 'bg.md'),
      ['## Molecule: bg', 'Leave work running in the background.', '', '## Step: start', '```sh', 'nohup sleep 778 &', 'echo $! > "$GT_TOWN/nohup.pid"', '(setsid sleep 779 >/dev/null 2>&1 & echo $! > "$GT_TOWN/setsid.pid")', 'echo started > bg.txt', '```', ''].join('\n'),
    );
    gtJson(town, ['up', '--no-daemon'], scripted);
    const id = bdJson<{ id: string }>(town, ['create', 'background work', '--rig', 'alpha']).id;
    gtJson(town, ['sling', id, 'alpha', '--molecule', 'bg'], scripted);
    const pidOf = (f: string): number => Number(readFileSync(join(town, f), 'utf8'));
    await waitFor(() => ['nohup.pid', 'setsid.pid'].every((f) => existsSync(join(town, f)) && readFileSync(join(town, f), 'utf8').endsWith('\n')), 'the step to start its background processes');
    const pids = [pidOf('nohup.pid'), pidOf('setsid.pid')];
    try {
      expect(pids.map(running)).toEqual([true, true]);
      const mayor = agent(town, 'mayor').pid!;
      expect(gtJson<{ stopped: string[] }>(town, ['down', 'alpha']).stopped).toContain('gt-town-alpha-polecat-nux');
      await waitFor(() => pids.every((p) => !running(p)), 'gt down alpha to end the background processes');
      expect(running(mayor)).toBe(true); // another rig's (here: the town's) agents are left alone
      gtJson(town, ['down']);
      await waitFor(() => !running(mayor), 'gt down to end the mayor');
    } finally {
      for (const p of pids) if (running(p)) process.kill(p, 'SIGKILL');
    }
  });

  it('three slings at once pick three different polecats, and all succeed', async () => {
    const town = newTown('gt-sling-race-', [['alpha', 'al']]);
    const config = JSON.parse(readFileSync(join(town, 'town.json'), 'utf8'));
    config.runtimes = { commands: { idle: 'cat' } };
    writeFileSync(join(town, 'town.json'), JSON.stringify(config));
    const ids = ['one', 'two', 'three'].map((t) => bdJson<{ id: string }>(town, ['create', `task ${t}`, '--rig', 'alpha']).id);
    // Creating a polecat's branch takes a while (a hook holds it up), so the three slings overlap between
    // choosing a name and taking it.
    writeFileSync(join(town, 'alpha', 'main', '.git', 'hooks', 'reference-transaction'), '#!/bin/sh\n[ "$1" = prepared ] || exit 0\ngrep -q " refs/heads/polecat/" && sleep 2\nexit 0\n', { mode: 0o755 });
    const sling = (id: string): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [join(ROOT, 'packages', 'cli', 'dist', 'gt.mjs'), 'sling', id, 'alpha', '--molecule', 'tiny', '--runtime', 'idle', '--json'], { cwd: town, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('close', (code) => resolve({ code, out }));
      });
    const results = await Promise.all(ids.map(sling));
    expect(results.map((r) => [r.code, r.out.includes('"address"') ? '' : r.out])).toEqual([[0, ''], [0, ''], [0, '']]);
    const addresses = results.map((r) => (JSON.parse(r.out) as { address: string }).address);
    expect([...addresses].sort()).toEqual(['alpha/polecats/furiosa', 'alpha/polecats/nux', 'alpha/polecats/slit']);
    expect(agents(town).filter((a) => a.address.includes('polecats')).map((a) => [a.address, a.state, a.hooked !== null])).toEqual([
      ['alpha/polecats/furiosa', 'running', true],
      ['alpha/polecats/nux', 'running', true],
      ['alpha/polecats/slit', 'running', true],
    ]);
  });

  it('delivers 100 nudges from four concurrent senders whole, each once, in one piece', async () => {
    const town = newTown('gt-nudge-');
    const out = join(town, 'lines.txt');
    const config = JSON.parse(readFileSync(join(town, 'town.json'), 'utf8'));
    config.runtimes = { commands: { reader: `${process.execPath} ${LINE_READER} ${out}` } };
    writeFileSync(join(town, 'town.json'), JSON.stringify(config));
    gtJson(town, ['up', '--no-daemon', '--runtime', 'reader']);
    await waitFor(() => agent(town, 'mayor').state === 'running', 'the reader to run');
    const sender = (s: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const script = Array.from({ length: 25 }, (_, i) => `"${process.execPath}" "${join(ROOT, 'packages', 'cli', 'dist', 'gt.mjs')}" nudge mayor "sender ${s} nudge ${i} ${'x'.repeat(40 + s * 7)} end" >/dev/null || exit 1`).join('\n');
        const p = spawn('bash', ['-c', script], { cwd: town, stdio: 'ignore' });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sender ${s} exited ${code}`))));
      });
    await Promise.all([0, 1, 2, 3].map(sender));
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').split('\n').filter(Boolean).length >= 100, 'all 100 lines');
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    const expected = [0, 1, 2, 3].flatMap((s) => Array.from({ length: 25 }, (_, i) => `sender ${s} nudge ${i} ${'x'.repeat(40 + s * 7)} end`));
    expect([...lines].sort()).toEqual([...expected].sort());
  });

  it('a polecat whose runtime is SIGKILLed shows dead and keeps its hook; handoff replaces the session and the successor sees the note', async () => {
    const town = newTown('gt-kill-', [['alpha', 'al']]);
    const id = bdJson<{ id: string }>(town, ['create', 'long task', '--rig', 'alpha']).id;
    gtJson(town, ['sling', id, 'alpha', '--molecule', 'tiny'], scripted);
    const nux = 'alpha/polecats/nux';
    await waitFor(() => gt(town, ['peek', nux]).stdout.includes('[done]'), 'the polecat to finish');
    const before = agent(town, nux);
    expect(before).toMatchObject({ state: 'running', hooked: id });

    // handoff, as the agent would run it inside its session
    const inside = { GT_AGENT: nux, GT_TOWN: town, ...scripted };
    const handoff = gtJson<{ note: string }>(join(town, 'alpha', 'polecats', 'nux'), ['handoff', '-m', 'checked the gate twice; next: wait for review'], inside);
    await waitFor(() => (agent(town, nux).pid ?? before.pid) !== before.pid, 'a new runtime in the session');
    await waitFor(() => gt(town, ['peek', nux]).stdout.includes('handoff: checked the gate twice'), 'the successor to see the note');
    expect(agent(town, nux)).toMatchObject({ state: 'running', hooked: id, session: before.session });
    // the successor read and acknowledged the note: a later prime does not show it again
    await waitFor(() => gtJson<{ id: string }[]>(town, ['mail', 'inbox', '--to', nux]).length === 0, 'the note to be acknowledged');
    expect(gtJson<{ handoff: unknown }>(town, ['prime', '--agent', nux]).handoff).toBeNull();
    expect(gtJson<{ id: string; acked: boolean }[]>(town, ['mail', 'inbox', '--to', nux, '--all']).map((m) => [m.id, m.acked])).toEqual([[handoff.note, true]]);

    const pid = agent(town, nux).pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => agent(town, nux).state === 'dead', 'gt agents to show the polecat dead');
    expect(agent(town, nux)).toMatchObject({ hooked: id, pid: null });
    expect(bdJson<{ status: string; assignee: string }[]>(town, ['show', id])[0]).toMatchObject({ status: 'hooked', assignee: nux });
    expect(existsSync(join(town, 'alpha', 'polecats', 'nux', 'work-nux.txt'))).toBe(true);
  });

  it('mail: send, inbox, read, ack, reply; acknowledged mail is not new to a restarted agent', async () => {
    const town = newTown('gt-mail-', [['alpha', 'al']]);
    gtJson(town, ['up', '--no-daemon'], scripted);
    await waitFor(() => gt(town, ['peek', 'alpha/witness']).stdout.includes('[idle]'), 'the witness to idle');
    const sent = gtJson<{ id: string; to: string; notified: boolean }>(town, ['mail', 'send', 'alpha/witness', '-s', 'status?', '-m', 'how are the polecats']);
    expect(sent).toMatchObject({ to: 'alpha/witness', notified: true });
    // the witness's session got a notice without the body, and the scripted witness handled the message
    await waitFor(() => gt(town, ['peek', 'alpha/witness']).stdout.includes(`[mail] ${sent.id} from overseer: status?`), 'the witness to read its mail');
    expect(gt(town, ['peek', 'alpha/witness', '-n', '200']).stdout).not.toMatch(/\[nudge\].*how are the polecats/);
    await waitFor(() => gtJson<unknown[]>(town, ['mail', 'inbox', '--to', 'alpha/witness']).length === 0, 'the witness to acknowledge');

    // a person's side: send to the mayor's inbox (no session), read, reply, ack
    const asWitness = { GT_AGENT: 'alpha/witness', GT_TOWN: town };
    const toOverseer = gtJson<{ id: string }>(town, ['mail', 'send', 'overseer', '-s', 'need a decision', '-m', 'merge order?'], asWitness);
    const box = gtJson<{ id: string; from: string; read: boolean }[]>(town, ['mail', 'inbox']);
    expect(box.map((m) => [m.id, m.from, m.read])).toEqual([[toOverseer.id, 'alpha/witness', false]]);
    expect(gtJson<{ body: string }>(town, ['mail', 'read', toOverseer.id]).body).toBe('merge order?');
    expect(gtJson<{ read: boolean }[]>(town, ['mail', 'inbox'])[0]!.read).toBe(true);
    const reply = gtJson<{ id: string; to: string; subject: string }>(town, ['mail', 'reply', toOverseer.id, '-m', 'nux first']);
    expect(reply).toMatchObject({ to: 'alpha/witness', subject: 'Re: need a decision' });
    gtJson(town, ['mail', 'ack', toOverseer.id]);
    expect(gtJson<unknown[]>(town, ['mail', 'inbox'])).toEqual([]);

    // the running witness was told of the reply and handled it
    await waitFor(() => gt(town, ['peek', 'alpha/witness']).stdout.includes(`[mail] ${reply.id} from overseer: Re: need a decision`), 'the witness to read the reply');
    await waitFor(() => gtJson<unknown[]>(town, ['mail', 'inbox', '--to', 'alpha/witness']).length === 0, 'the witness to acknowledge the reply');

    // restart the witness: everything was handled, so nothing is new to it
    gtJson(town, ['down']);
    gtJson(town, ['up', '--no-daemon'], scripted);
    await waitFor(() => gt(town, ['peek', 'alpha/witness']).stdout.includes('[idle]'), 'the witness to idle again');
    const log = gt(town, ['peek', 'alpha/witness', '-n', '200']).stdout;
    expect(log).toContain('unread mail: 0');
    expect(log).not.toContain('[mail]');
    expect(gtJson<{ acked: boolean }[]>(town, ['mail', 'inbox', '--to', 'alpha/witness', '--all']).map((m) => m.acked)).toEqual([true, true]);
  });

  it('gt attach puts a real terminal on the session: the screen shows, typing reaches the agent, C-b d detaches and leaves it running', async () => {
    const town = newTown('gt-attach-');
    gtJson(town, ['up', '--no-daemon'], scripted);
    await waitFor(() => gt(town, ['peek', 'mayor']).stdout.includes('[idle] waiting for a nudge'), 'the mayor to idle');
    const { TMUX: _inside, ...env } = process.env; // attaching from inside tmux must work too; the test should not depend on it
    const term = ptySpawn(process.execPath, [join(ROOT, 'packages', 'cli', 'dist', 'gt.mjs'), 'attach', 'mayor'], {
      cwd: town,
      cols: 120,
      rows: 30,
      env: { ...env, TERM: 'xterm-256color' } as Record<string, string>,
    });
    let screen = '';
    let exit: { exitCode: number } | undefined;
    term.onData((d) => (screen += d));
    term.onExit((e) => (exit = e));
    try {
      await waitFor(() => screen.includes('[idle] waiting for a nudge'), 'the attached terminal to show the agent');
      term.write('hello from the terminal\r');
      await waitFor(() => screen.includes('[nudge] hello from the terminal'), 'the agent to answer what was typed');
      expect(gt(town, ['peek', 'mayor']).stdout).toContain('[nudge] hello from the terminal');
      term.write('\x02d'); // the prefix (C-b), then d: detach
      await waitFor(() => exit !== undefined, 'gt attach to return after detaching');
    } finally {
      if (!exit) term.kill('SIGKILL');
    }
    expect(exit!.exitCode).toBe(0);
    expect(screen).toMatch(/\[detached \(from session gt-town-mayor\)\]/);
    expect(agent(town, 'mayor').state).toBe('running');
    // without a terminal it says what to use instead
    const piped = gt(town, ['attach', 'mayor']);
    expect(piped.code).toBe(4);
    expect(piped.stderr).toMatch(/gt attach needs a terminal; to read mayor's screen from a script use gt peek mayor/);
  });

  it('the default runtime is Claude Code: started with the prime prompt, primed by its local settings, which a polecat never commits', async () => {
    const town = newTown('gt-claude-', [['alpha', 'al']]);
    const bin = join(town, '..', 'fake-bin'); // stands in for the LLM: records how it was started, then reads its input
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude'), '#!/bin/sh\nprintf "%s\\n" "$@" > "$GT_TOWN/claude-$GT_POLECAT.args"\nexec cat\n', { mode: 0o755 });
    const id = bdJson<{ id: string }>(town, ['create', 'task', '--rig', 'alpha']).id;
    const slung = gtJson<{ runtime: string; worktree: string }>(town, ['sling', id, 'alpha', '--molecule', 'tiny'], { PATH: `${bin}:${process.env.PATH}` });
    expect(slung.runtime).toBe('claude');
    const args = join(town, 'claude-nux.args');
    await waitFor(() => existsSync(args) && readFileSync(args, 'utf8').endsWith('\n'), 'the runtime to start');
    expect(readFileSync(args, 'utf8')).toBe('--dangerously-skip-permissions\nYou are an agent of a Gas Town. Run `gt prime` and do what it says.\n');
    const settings = JSON.parse(readFileSync(join(slung.worktree, '.claude', 'settings.local.json'), 'utf8'));
    expect(settings.hooks.SessionStart).toEqual([{ hooks: [{ type: 'command', command: 'gt prime --hook' }] }]);
    expect(settings.hooks.Stop).toEqual([{ hooks: [{ type: 'command', command: 'gt daemon ensure --hook' }] }]);
    expect(git(slung.worktree, 'status', '--porcelain', '--untracked-files=all')).toBe(''); // git add -A would not take it
  });

  it('rejects bad input with one clear error: unknown agent, unknown rig, missing bead, tmux not installed', () => {
    const town = newTown('gt-badagents-', [['alpha', 'al']]);
    const id = bdJson<{ id: string }>(town, ['create', 'x', '--rig', 'alpha']).id;
    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [['peek', 'alpha/polecats/ghost'], {}, 3, /no polecat ghost in rig alpha \(polecats: none\)/],
      [['nudge', 'wizard', 'hi'], {}, 3, /unknown agent "wizard": agents are mayor, <rig>\/witness/],
      [['attach', 'gamma/witness'], {}, 3, /no rig gamma in town town \(rigs: alpha\)/],
      [['sling', id, 'gamma'], scripted, 3, /no rig gamma in town town/],
      [['sling', 'al-zzzzzzzz', 'alpha'], scripted, 3, /no bead al-zzzzzzzz in rig alpha/],
      [['sling', id, 'alpha', '--runtime', 'nonesuch'], {}, 4, /unknown runtime "nonesuch": runtimes are scripted, claude/],
      [['up'], { PATH: '/nonexistent' }, 11, /tmux is not installed or not on PATH/],
      [['sling', id, 'alpha'], { GT_RUNTIME: 'claude', PATH: `${join(town, 'no-claude')}:/usr/bin:/bin` }, 11, /runtime claude runs claude, which is not installed/],
      [['done'], {}, 2, /gt done runs inside an agent's session/],
      // refused after the bead was hooked (the pour fails): everything is undone
      [['sling', id, 'alpha', '--molecule', 'nonesuch'], scripted, 3, /no molecule "nonesuch"/],
    ];
    mkdirSync(join(town, 'no-claude'));
    for (const [args, env, code, message] of cases) {
      const r = gt(town, args, env);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(message);
    }
    // nothing was left behind: no polecat, the bead not hooked
    expect(existsSync(join(town, 'alpha', 'polecats', 'nux'))).toBe(false);
    const after = bdJson<{ status: string; assignee?: string; metadata?: unknown }[]>(town, ['show', id])[0]!;
    expect([after.status, after.assignee ?? null, after.metadata ?? null]).toEqual(['open', null, null]);
  });
});
