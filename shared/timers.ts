/** Timers that must not keep a Node process alive; other runtimes (Workers) have no `unref` and need none. */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
