// Wraps a command handler: builds its context, reports errors the one way, sets the exit code.
import { Context, reportError, type GlobalArgs } from './context.js';
import type { Args } from './args.js';

export type Handler = (ctx: Context, args: Args) => void | Promise<void>;
export type Run = (handler: Handler) => (args: Args) => void | Promise<void>;

/**
 * Once a command's work and output are done the process exits at once: yargs would otherwise render and cache
 * a help text nobody reads (about 12 ms a run, for a CLI agents start many times a minute). Exiting only when
 * stdout has nothing buffered keeps every byte of output.
 */
function finish(): void {
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
}

export const run: Run = (handler) => (args) => {
  const ctx = new Context(args as GlobalArgs);
  const fail = (err: unknown): void => {
    process.exitCode = reportError(err, ctx.json, ctx.openedStoreDir);
  };
  let result: void | Promise<void>;
  try {
    result = handler(ctx, args);
  } catch (err) {
    fail(err);
    return finish();
  }
  if (result instanceof Promise) return result.catch(fail).then(finish);
  return finish();
};
