// A command that runs rounds until it is interrupted (gt witness patrol without --once, gt feed --follow):
// SIGINT or SIGTERM ends the wait at once and the loop after the round under way, so the command exits 0.

/** Runs `round` every `intervalMs` until SIGINT or SIGTERM; with `waitFirst`, the first round comes after a wait. */
export async function repeatUntilSignal(intervalMs: number, round: () => void, { waitFirst = false } = {}): Promise<void> {
  let stop = false;
  let wake: () => void = () => {};
  const end = (): void => {
    stop = true;
    wake();
  };
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
  const pause = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  if (waitFirst) await pause();
  while (!stop) {
    round();
    if (stop) break;
    await pause();
  }
}
