// A small least-recently-used cache for the compute worker's results (maps,
// curves): going back to a setting already computed is instant, and memory
// stays bounded. A Map keeps its keys in insertion order, so the first key is
// the least recently used one once every hit moves its key to the end.

export class LruCache<V> {
  private readonly entries = new Map<string, V>();

  /** `limit`: the most entries kept (at least 1). */
  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`cache limit must be an integer >= 1, got ${limit}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value under `key`, now the most recently used; undefined if absent. */
  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
  }

  get(key: string): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key)!;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Stores `value` as the most recently used, dropping the least recently used entry beyond the limit. */
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
  }
}
