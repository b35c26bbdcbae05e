// gt status: the town on one screen, problems first (docs/kernel.md).
import type { Argv } from 'yargs';
import { townStatus } from '@gastown/gastown';
import { currentTown } from '../here.js';
import type { Run } from '../run.js';

export function registerStatusCommands(y: Argv, run: Run): Argv {
  return y.command(
    'status',
    "The town on one screen: problems first, then the daemon's last tick, the rigs (queue depth, ready work, dispatch), the services and the agents (working, idle, stalled, dead)",
    (c) => c,
    run((ctx) => {
      const s = townStatus(currentTown());
      ctx.out(s, (x) => {
        const lines: string[] = [];
        lines.push(x.problems.length ? `PROBLEMS (${x.problems.length})` : 'No problems.');
        for (const p of x.problems) lines.push(`  ${p.kind.padEnd(10)} ${p.subject.padEnd(28)} ${p.detail}`);
        lines.push('', `Town ${x.town} (${x.root})`);
        lines.push(`Daemon     ${x.daemon.running ? `running (pid ${x.daemon.pid}), last tick ${x.daemon.last_tick ?? 'none yet'}` : `not running${x.daemon.last_tick ? `; last tick ${x.daemon.last_tick}` : ''}`}`);
        lines.push(`Agents     ${x.counts.working} working, ${x.counts.idle} idle, ${x.counts.stalled} stalled, ${x.counts.dead} dead`);
        lines.push('', 'Rigs');
        for (const r of x.rigs) lines.push(`  ${r.name.padEnd(16)} queue ${String(r.queue_depth).padEnd(4)} ready ${String(r.ready).padEnd(4)} polecats ${String(r.polecats).padEnd(3)} dispatch ${r.dispatch} (max ${r.max_polecats})`);
        if (!x.rigs.length) lines.push('  none yet: gt rig add NAME URL');
        lines.push('', 'Services');
        for (const sv of x.services) lines.push(`  ${sv.name.padEnd(28)} ${sv.state}${sv.restarts ? ` (${sv.restarts} restart(s))` : ''}`);
        if (!x.services.length) lines.push('  none yet: gt up creates them');
        lines.push('', 'Agents');
        for (const a of x.agents) lines.push(`  ${a.address.padEnd(28)} ${a.health.padEnd(8)} ${a.hooked ? `${a.hooked}${a.progress ? ` ${a.progress}` : ''}${a.step ? ` at ${a.step}` : ''}` : ''}`.trimEnd());
        return lines.join('\n');
      });
    }),
  );
}
