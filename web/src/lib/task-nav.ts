// Pure: next / previous task of the inbox's current list (test/web/task-nav.test.ts).

/** The keys before and after `key` in the list (null at the ends or when `key` is not in it). */
export function neighbours(
  keys: readonly string[],
  key: string,
): { prev: string | null; next: string | null } {
  const i = keys.indexOf(key);
  if (i < 0) return { prev: null, next: keys[0] ?? null };
  return { prev: i > 0 ? keys[i - 1] : null, next: i < keys.length - 1 ? keys[i + 1] : null };
}

/** The task to open after `key` is done: the next one, else the previous one, else none. */
export function afterDone(keys: readonly string[], key: string): string | null {
  const { prev, next } = neighbours(keys, key);
  return keys.includes(key) ? (next ?? prev) : null;
}
