/**
 * Waits until `condition` holds, checking every `everyMs`; fails naming `what` after `ms`.
 * For tests that wait on something asynchronous they cannot await directly (events, processes).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { ms = 3000, everyMs = 5 }: { ms?: number; everyMs?: number } = {},
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
