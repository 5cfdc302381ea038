// The compute worker's result cache (src/compute/lru-cache.ts): bounded, and
// it drops the least recently used entry, not merely the oldest.
import {describe, expect, it} from "vitest";
import {LruCache} from "../src/compute/lru-cache.js";

describe("LruCache", () => {
  it("keeps at most `limit` entries, dropping the least recently stored", () => {
    const cache = new LruCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.size).toBe(2);
    expect(cache.has("a")).toBe(false);
    expect(cache.get("b")).toBe(2);
    expect(cache.get("c")).toBe(3);
  });

  it("a hit makes an entry the most recently used", () => {
    const cache = new LruCache<string>(2);
    cache.set("a", "A");
    cache.set("b", "B");
    expect(cache.get("a")).toBe("A");
    cache.set("c", "C");
    expect(cache.has("a")).toBe(true);
    expect(cache.has("b")).toBe(false);
  });

  it("storing a key again replaces its value and refreshes it without growing", () => {
    const cache = new LruCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 10);
    expect(cache.size).toBe(2);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(10);
    expect(cache.has("b")).toBe(false);
  });

  it("reports a missing key as undefined and keeps falsy values", () => {
    const cache = new LruCache<number>(1);
    expect(cache.get("x")).toBeUndefined();
    cache.set("zero", 0);
    expect(cache.get("zero")).toBe(0);
  });

  it("refuses a limit below 1", () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(RangeError);
  });
});
