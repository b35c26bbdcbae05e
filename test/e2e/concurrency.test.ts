import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WRITER, bdAsync, bdJson, tempDirs, waitFor, logText } from './helpers.js';

const { store } = tempDirs(afterEach);

function runWriter(dir: string, count: string, actor: string) {
  return spawn(process.execPath, [WRITER, join(dir, '.beads'), count, actor], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('many processes on one store', () => {
  it('16 processes creating 100 beads each at once: 1,600 beads, no torn line, doctor clean', async () => {
    const dir = store();
    const printed: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        new Promise<void>((resolve, reject) => {
          const child = runWriter(dir, '100', `writer${i}`);
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          child.on('close', (code) => (code === 0 ? (printed.push(...out.split('\n').filter(Boolean)), resolve()) : reject(new Error(`writer ${i} exited ${code}: ${err}`))));
        }),
      ),
    );
    expect(printed).toHaveLength(1600);
    const lines = logText(dir).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(1600);
    for (const line of lines) JSON.parse(line); // throws on a torn or interleaved line
    const clocks = lines.map((l) => (JSON.parse(l) as { lc: number }).lc);
    expect(new Set(clocks).size).toBe(1600); // each writer saw every earlier write
    const doctor = bdJson<{ ok: boolean; beads: number; corrupt: unknown[] }>(dir, ['doctor']);
    expect(doctor).toMatchObject({ ok: true, beads: 1600, corrupt: [] });
    const listed = bdJson<{ id: string }[]>(dir, ['list', '--limit', '0']).map((b) => b.id);
    expect(new Set(listed)).toEqual(new Set(printed));
  });

  it('20 processes claiming one bead at once: exactly one wins, the rest are told who holds it', async () => {
    const dir = store();
    const { id } = bdJson<{ id: string }>(dir, ['create', 'contested']);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => bdAsync(dir, ['update', id, '--claim', '--json'], { BD_ACTOR: `agent${i}` })));
    const winners = results.filter((r) => r.code === 0);
    expect(winners).toHaveLength(1);
    const winner = (JSON.parse(winners[0]!.stdout) as { assignee: string }).assignee;
    for (const loser of results.filter((r) => r.code !== 0)) {
      expect(loser.code).toBe(5);
      expect(JSON.parse(loser.stdout)).toEqual({ error: expect.objectContaining({ code: 'already_claimed', holder: winner }) });
    }
    expect(bdJson<{ assignee: string; status: string }[]>(dir, ['show', id])[0]).toMatchObject({ assignee: winner, status: 'in_progress' });
  });

  it('a writer killed with SIGKILL mid-loop loses no acknowledged write and leaves the store clean', async () => {
    const dir = store();
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      const child = runWriter(dir, 'forever', `crasher${round}`);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const closed = new Promise((r) => child.on('close', r));
      const target = 20 + round * 7;
      await waitFor(() => out.split('\n').filter(Boolean).length >= target, `${target} writes`);
      child.kill('SIGKILL');
      await closed;
      acknowledged.push(...out.split('\n').slice(0, -1).filter(Boolean));
      const doctor = bdJson<{ ok: boolean; corrupt: unknown[] }>(dir, ['doctor']);
      expect(doctor.ok).toBe(true);
    }
    const present = new Set(bdJson<{ id: string }[]>(dir, ['list', '--limit', '0']).map((b) => b.id));
    for (const id of acknowledged) expect(present.has(id)).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(20 + 27 + 34);
  });
});
