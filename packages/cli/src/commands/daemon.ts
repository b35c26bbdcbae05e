// gt daemon (start, stop, status, logs, run), gt services (list, ensure) and gt service (add, remove, reset):
// the kernel's daemon and the services it keeps running (docs/kernel.md).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { BeadsError, parseDuration, randomToken } from '@gastown/beads';
import {
  DAEMON_NONCE_ENV,
  addService,
  daemonEnv,
  daemonInterval,
  daemonPaths,
  daemonStatus,
  ensureServices,
  logTail,
  lookAtDaemon,
  markTownDown,
  markTownUp,
  removeService,
  resetService,
  runDaemon,
  serviceRows,
  startDaemon,
  stopDaemon,
  superviseDaemon,
  type ServiceRow,
} from '@gastown/gastown';
import { str } from '../args.js';
import { cliTools, currentTown, sender } from '../here.js';
import type { Run } from '../run.js';

/** --interval: a duration (500ms, 10s, 1m), or a plain number of seconds. */
function intervalOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text, '--interval');
  if (!(ms >= 10)) throw new BeadsError('invalid_input', `invalid --interval ${JSON.stringify(value)}: at least 10ms`);
  return ms;
}

function linesOption(value: string | undefined): number {
  const n = Number(value ?? '40');
  if (!Number.isInteger(n) || n < 1) throw new BeadsError('invalid_input', `invalid --lines ${JSON.stringify(value)}: give a whole number of lines, 1 or more`);
  return n;
}

const rowText = (r: ServiceRow): string => {
  const extra = r.state === 'backoff' ? ` next try ${r.next_try_at}` : r.state === 'crash_loop' ? ` since ${r.crash_loop_since} (gt service reset ${r.name})` : '';
  return `${r.name.padEnd(24)} ${r.state.padEnd(10)} restarts ${String(r.restarts).padEnd(3)} ${r.kind === 'command' ? `$ ${r.cmd}` : r.address}${extra}`;
};

/** Prints what is appended to the log from now on, across rotations, until interrupted. */
function follow(path: string): Promise<void> {
  let offset = existsSync(path) ? statSync(path).size : 0;
  return new Promise(() => {
    setInterval(() => {
      if (!existsSync(path)) return;
      const size = statSync(path).size;
      if (size < offset) offset = 0; // rotated: the new file from its start
      if (size === offset) return;
      const fd = openSync(path, 'r');
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      closeSync(fd);
      offset = size;
      process.stdout.write(buf);
    }, 200);
  });
}

/**
 * gt daemon run without a nonce: the daemon must carry one in the environment it starts with, so this runs
 * itself again with one (in a session of its own, as a started daemon), passes on signals, and ends with it.
 */
function runWithNonce(): Promise<void> {
  const town = currentTown();
  const child = spawn(process.execPath, process.argv.slice(1), { stdio: 'inherit', detached: true, env: daemonEnv(town, randomToken(20)) });
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 1 : 0);
      resolve();
    });
  });
}

export function registerDaemonCommands(y: Argv, run: Run): Argv {
  return y
    .command("daemon", "The town's daemon: one per town, detached; each tick it keeps the services running, runs each rig's witness patrol, dispatches ready work and sweeps lapsed leases and old wisps", (d) =>
      d
        .command(
          'start',
          'Start the daemon, detached, and wait until it is up (a running one is reported, not doubled); the town is marked up, so the witnesses start it again if it dies',
          (c) =>
            c
              .option('interval', { type: 'string', describe: 'Time between ticks: 10s (default; else GT_DAEMON_INTERVAL_MS), 500ms, 1m' })
              .option('if-up', { type: 'boolean', hidden: true, describe: 'Only if the town is marked up, and leave the mark alone (a witness restarting the daemon)' }),
          run((ctx, a) => {
            const town = currentTown();
            const ifUp = Boolean(a['if-up']);
            const intervalMs = intervalOption(str(a, 'interval'));
            if (!ifUp) markTownUp(town, sender()); // the witnesses bring it back if it dies
            const r = startDaemon(town, { tools: cliTools(), intervalMs, ifUp });
            ctx.out(r, (x) => (x.result === 'started' ? `Daemon started (pid ${x.pid}); log: ${x.log}` : x.result === 'not_up' ? 'The town is not marked up (gt down ran): no daemon started.' : `A daemon is running already (pid ${x.pid}); log: ${x.log}`));
          }),
        )
        .command(
          'stop',
          'Stop the daemon: the town\'s up mark first (no witness starts it again), then SIGTERM (it ends after the step it is in), SIGKILL after the grace period; waits until it is gone',
          (c) => c.option('grace', { type: 'string', default: '30s', describe: 'How long to wait before SIGKILL' }),
          run((ctx, a) => {
            const town = currentTown();
            const graceMs = parseDuration(str(a, 'grace') ?? '30s', '--grace');
            markTownDown(town); // first: no witness starts again what is being stopped
            const r = stopDaemon(town, { graceMs });
            ctx.out(r, (x) => (x.result === 'not_running' ? 'No daemon was running.' : `Daemon ${x.result} (pid ${x.pid}).`));
          }),
        )
        .command(
          'ensure',
          'One look at the daemon: while the town is marked up (gt up), a daemon not running or hung is started again, as a witness patrol does; agents run it after each turn (--hook), so any agent at work brings the daemon back',
          (c) =>
            c
              .option('dry-run', { type: 'boolean', describe: 'Say what would be done; start nothing' })
              .option('hook', { type: 'boolean', describe: 'As a runtime hook: print nothing and always exit 0 (a failed start is in the daemon log)' }),
          run((ctx, a) => {
            const hook = Boolean(a.hook);
            try {
              const town = currentTown();
              const r = superviseDaemon(town, { tools: cliTools(), actor: sender(), dryRun: Boolean(a['dry-run']) });
              if (hook) return;
              const look = lookAtDaemon(town);
              const out = r ?? { action: 'none', reason: !look.up ? 'the town is not marked up (gt up marks it; gt down removes the mark)' : `the daemon is running (pid ${look.record?.pid}; last tick ${look.heartbeat?.at ?? 'none yet'})`, done: false, result: 'none', pid: look.record?.pid ?? null };
              ctx.out(out, (x) => (x.action === 'none' ? `Nothing to do: ${x.reason}.` : `${x.action} the daemon: ${x.reason}: ${x.result}${x.pid ? ` (pid ${x.pid})` : ''}${'error' in x && x.error ? `: ${x.error}` : ''}`));
              if (r && r.result === 'failed') process.exitCode = 1;
            } catch (err) {
              if (!hook) throw err;
            }
          }),
        )
        .command(
          'status',
          'Whether the daemon runs (pid and nonce checked), its pid, the time of its last tick and what it did',
          (c) => c,
          run((ctx) => {
            const s = daemonStatus(currentTown());
            ctx.out(s, (x) =>
              [
                x.running ? `Daemon running (pid ${x.pid}, since ${x.started_at}); ${x.ticks} tick(s), every ${x.interval_ms} ms` : `Daemon not running${x.stale_pidfile ? ' (a stale pidfile names a process that is not it)' : ''}`,
                `Last tick: ${x.last_tick ?? 'none'}${x.last ? ` (${x.last})` : ''}`,
                `Log: ${x.log}`,
              ].join('\n'),
            );
          }),
        )
        .command(
          'logs',
          "The daemon's log: each action with its reason",
          (c) =>
            c
              .option('follow', { alias: 'f', type: 'boolean', describe: 'Keep printing what is appended (until interrupted)' })
              .option('lines', { alias: 'n', type: 'string', default: '40', describe: 'How many lines' }),
          run(async (ctx, a) => {
            const town = currentTown();
            const lines = logTail(town, linesOption(str(a, 'lines')));
            if (a.follow && ctx.json) throw new BeadsError('usage', '--follow prints lines as they come: it has no --json');
            ctx.out({ log: daemonPaths(town).log, lines }, (x) => x.lines.join('\n'));
            if (a.follow) await follow(daemonPaths(town).log);
          }),
        )
        .command(
          'run',
          'Run the daemon in the foreground (gt daemon start runs this detached); one per town',
          (c) =>
            c
              .option('once', { type: 'boolean', describe: 'One tick, then exit' })
              .option('interval', { type: 'string', describe: 'Time between ticks: 10s (default; else GT_DAEMON_INTERVAL_MS), 500ms, 1m' })
              .option('log-only', { type: 'boolean', hidden: true, describe: 'Write to the log file only (a detached daemon)' }),
          run(async (ctx, a) => {
            const intervalMs = daemonInterval(intervalOption(str(a, 'interval')));
            if (!process.env[DAEMON_NONCE_ENV]) return runWithNonce();
            const echo = a['log-only'] || ctx.json ? undefined : (line: string) => process.stdout.write(`${line}\n`);
            const r = await runDaemon(currentTown(), { tools: cliTools(), intervalMs, once: Boolean(a.once), ...(echo ? { echo } : {}) });
            ctx.out(r, (x) => `Daemon stopped after ${x.ticks} tick(s): ${x.stopped}`);
          }),
        )
        .demandCommand(1, 'give a daemon subcommand: start, stop, ensure, status, logs, run'),
    )
    .command(
      'services',
      'The services the daemon keeps running (the mayor, each rig\'s witness and refinery, and commands declared with gt service add), with their state: running, dead, absent, backoff, crash_loop, held',
      (c) =>
        c.command(
          'ensure',
          'Start each service that is not running (unless in backoff, in a crash loop or held): what the daemon does each tick',
          (e) => e.option('dry-run', { type: 'boolean', describe: 'Say what would be started; change nothing' }),
          run((ctx, a) => {
            const r = ensureServices(currentTown(), { tools: cliTools(), actor: sender(), dryRun: Boolean(a['dry-run']) });
            ctx.out(r, (x) => x.actions.map((s) => `${x.dry_run ? 'would ' : ''}${s.action} ${s.service}: ${s.reason}`).join('\n') || 'Every service is running (or waiting on purpose).');
          }),
        ),
      run((ctx) => {
        const rows = serviceRows(currentTown());
        ctx.out(rows, (rs) => rs.map(rowText).join('\n') || 'No services yet (gt up or gt services ensure creates the standing ones).');
      }),
    )
    .command('service', 'Declare, remove or reset a service', (s) =>
      s
        .command(
          'add <name>',
          "Declare a command service: the daemon runs it in a tmux session of its own on the town's socket (cwd: the rig's clone, else the town) and keeps it running; gt down ends it",
          (c) =>
            c
              .positional('name', { type: 'string', describe: 'A lowercase letter, then lowercase letters, digits, - or _' })
              .option('cmd', { type: 'string', demandOption: true, describe: 'The shell command line: "npm run dev"' })
              .option('rig', { type: 'string', describe: "The rig it belongs to (it runs in the rig's clone)" }),
          run((ctx, a) => {
            const row = addService(currentTown(), sender(), { name: str(a, 'name') ?? '', cmd: str(a, 'cmd') ?? '', ...(str(a, 'rig') !== undefined ? { rig: str(a, 'rig')! } : {}) });
            ctx.out(row, (r) => `Service ${r.name} added (${r.id}); the daemon starts it on its next tick (or gt services ensure)`);
          }),
        )
        .command(
          'remove <name>',
          'Remove a command service: its session ends and its bead is closed',
          (c) => c.positional('name', { type: 'string' }),
          run((ctx, a) => {
            const r = removeService(currentTown(), sender(), str(a, 'name') ?? '');
            ctx.out(r, (x) => `Service ${x.name} removed${x.stopped.length ? ' (its session was stopped)' : ''}`);
          }),
        )
        .command(
          'reset <name>',
          "Clear a service's restart history: out of a crash loop, it is started on the next tick",
          (c) => c.positional('name', { type: 'string' }),
          run((ctx, a) => {
            const r = resetService(currentTown(), sender(), str(a, 'name') ?? '');
            ctx.out(r, (x) => `Service ${x.name} reset: ${x.state}`);
          }),
        )
        .demandCommand(1, 'give a service subcommand: add, remove, reset'),
    );
}
