// Wraps a command handler: builds its context, reports errors the one way, sets the exit code.
import { Context, reportError, type GlobalArgs } from './context.js';
import type { Args } from './args.js';

export type Handler = (ctx: Context, args: Args) => void | Promise<void>;
export type Run = (handler: Handler) => (args: Args) => Promise<void>;

export const run: Run = (handler) => async (args) => {
  const ctx = new Context(args as GlobalArgs);
  try {
    await handler(ctx, args);
  } catch (err) {
    process.exitCode = reportError(err, ctx.json);
  }
};
