// The inbox's current order of task keys, kept for the task page's next / previous (j / k).

const KEY = 'gf.inbox.keys';

/** Remembers the inbox's list, in its order. */
export function saveInboxKeys(keys: readonly string[]): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(keys));
  } catch {
    // No storage: the task page then has no neighbours.
  }
}

/** The last inbox list ([] when none). */
export function loadInboxKeys(): string[] {
  try {
    const v: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}
