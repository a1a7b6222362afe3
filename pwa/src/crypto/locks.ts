/** Tails of the in-process lock queues, by lock name. */
const tails = new Map<string, Promise<unknown>>();

/**
 * Runs `task` while holding the exclusive lock of one chat's MLS group, so
 * that two tabs, or a tab and the service worker, never load and advance
 * the same group state at once. Tasks for one chat run one after another.
 */
export function withGroupLock<T>(
  chatId: string,
  task: () => Promise<T>,
): Promise<T> {
  const name = `mls-group:${chatId}`;
  if (typeof navigator !== "undefined" && navigator.locks !== undefined) {
    return navigator.locks.request(name, { mode: "exclusive" }, task);
  }
  return withLocalLock(name, task);
}

/**
 * Queues `task` behind the earlier tasks of this lock name in this
 * JavaScript realm only. It replaces the Web Locks API where that is
 * missing (Node, where the unit tests run) and does not guard other tabs.
 */
function withLocalLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  // A tail never rejects, so a failed task does not block the next one.
  const previous = tails.get(name) ?? Promise.resolve();
  const result = previous.then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  tails.set(name, tail);
  void tail.then(() => {
    if (tails.get(name) === tail) tails.delete(name);
  });
  return result;
}
