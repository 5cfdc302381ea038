// The paint queue of live figures (src/components/paint-queue.ts): paints
// held back while a figure's elements are drawn, then run in later tasks
// within a time budget, skipping what a newer drawing replaced.
import {describe, expect, it} from "vitest";
import {collectPaints, paintInTasks, paintSoon, paintWhenDue} from "../src/components/paint-queue.js";

/** A stand-in for a canvas: only `isConnected` is read. */
const element = (isConnected = true) => ({isConnected}) as unknown as Element;
const busy = (ms: number) => {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
};

describe("paint queue", () => {
  it("paints at once outside collectPaints, and holds paints back inside it (nested too)", () => {
    const done: string[] = [];
    paintWhenDue(element(), () => done.push("now"));
    expect(done).toEqual(["now"]);
    const {drawn, paints} = collectPaints(() => {
      paintWhenDue(element(), () => done.push("a"));
      const inner = collectPaints(() => paintWhenDue(element(), () => done.push("inner")));
      paintWhenDue(element(), () => done.push("b"));
      return inner.paints.length;
    });
    expect(drawn).toBe(1);
    expect(paints.map((p) => p.element.isConnected)).toEqual([true, true]);
    expect(done).toEqual(["now"]);
    paintWhenDue(element(), () => done.push("after"));
    expect(done).toEqual(["now", "after"]);
  });

  it("paintInTasks: in order, in tasks of about the budget, skipping detached elements", async () => {
    // Tasks are told apart by a microtask: it runs once the task's paints are done.
    let task = 0;
    let open = false;
    const tasks: number[][] = [];
    const paints = Array.from({length: 6}, (_, i) => ({
      element: element(i !== 2),
      paint: () => {
        if (!open) {
          open = true;
          task++;
          queueMicrotask(() => (open = false));
        }
        busy(8);
        (tasks[task - 1] ??= []).push(i);
      },
    }));
    const longest = await paintInTasks(paints, {budgetMs: 12});
    expect(tasks.flat()).toEqual([0, 1, 3, 4, 5]);
    // 8 ms per paint and a 12 ms budget: two paints per task at most.
    expect(tasks.every((t) => t.length >= 1 && t.length <= 2)).toBe(true);
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    expect(longest).toBeGreaterThanOrEqual(8);
  });

  it("paintInTasks stops when the drawing is no longer wanted", async () => {
    const done: number[] = [];
    let wanted = true;
    const paints = Array.from({length: 4}, (_, i) => ({element: element(), paint: () => (busy(15), done.push(i), (wanted = i < 1))}));
    await paintInTasks(paints, {budgetMs: 10, wanted: () => wanted});
    expect(done).toEqual([0, 1]);
  });

  it("paintSoon: later, in order, also before the element is in the document, and goes on after a paint that throws", async () => {
    const done: number[] = [];
    const errors = console.error;
    console.error = () => {};
    try {
      paintSoon(element(false), () => done.push(0));
      paintSoon(element(false), () => {
        throw new Error("broken canvas");
      });
      paintSoon(element(false), () => done.push(2));
      expect(done).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done).toEqual([0, 2]);
      paintSoon(element(false), () => done.push(3));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done).toEqual([0, 2, 3]);
    } finally {
      console.error = errors;
    }
  });
});
