// Pixels of a figure painted over several tasks instead of one.
//
// A figure with seven 224 x 224 heatmaps takes 40-60 ms to paint on a slow
// machine, more than one task should keep the page busy (50 ms: then input
// waits). A live figure (live.ts) draws its elements at once, inside
// collectPaints, and the canvases' pixels follow in the next tasks, a few
// at a time (paintInTasks). Outside collectPaints, canvases paint at once.
import {nextTask} from "../compute/next-task.js";

/** A canvas's paint, held back by collectPaints. */
export interface PendingPaint {
  element: Element;
  paint: () => void;
}

let collected: PendingPaint[] | null = null;

/** Runs `paint` (which fills `element`) now, or, inside collectPaints, when paintInTasks gets to it. */
export function paintWhenDue(element: Element, paint: () => void): void {
  if (collected) collected.push({element, paint});
  else paint();
}

/** Runs `draw`, holding back the paints it asks for: what it drew, and those paints. */
export function collectPaints<T>(draw: () => T): {drawn: T; paints: PendingPaint[]} {
  const outer = collected;
  const paints: PendingPaint[] = [];
  collected = paints;
  try {
    return {drawn: draw(), paints};
  } finally {
    collected = outer;
  }
}

/** Painting per task before the page gets a turn: well under the 50 ms of a long task. */
const BUDGET_MS = 12;

/**
 * Runs held-back paints in the tasks that follow, up to `budgetMs` of
 * painting per task, skipping elements no longer in the document (a newer
 * drawing replaced them; unless `onlyConnected` is false) and stopping when
 * `wanted` says no. Returns the longest of those tasks, in ms.
 */
export async function paintInTasks(paints: PendingPaint[], {budgetMs = BUDGET_MS, wanted = () => true, onlyConnected = true}: {budgetMs?: number; wanted?: () => boolean; onlyConnected?: boolean} = {}): Promise<number> {
  let longest = 0;
  let i = 0;
  while (i < paints.length && wanted()) {
    await nextTask();
    const t0 = performance.now();
    while (i < paints.length && performance.now() - t0 < budgetMs) {
      const {element, paint} = paints[i++];
      if (!onlyConnected || element.isConnected) paint();
    }
    longest = Math.max(longest, performance.now() - t0);
  }
  return longest;
}

const soon: PendingPaint[] = [];
let draining = false;

/**
 * Paints `element` in a later task, with other such paints (paintInTasks):
 * drawings nothing waits for, made many at a time (a gallery's thumbnails:
 * ten 224 x 224 photos scaled down took one task of 50-100 ms on page load).
 * A paint that throws is reported and the others go on.
 */
export function paintSoon(element: Element, paint: () => void): void {
  soon.push({
    element,
    paint: () => {
      try {
        paint();
      } catch (e) {
        console.error("paintSoon:", e);
      }
    },
  });
  if (draining) return;
  draining = true;
  void (async () => {
    // Paints asked for while a round runs wait for the next round; the last
    // check and `draining = false` happen in one go, so none is left behind.
    while (soon.length) {
      // Elements may be put in the document after they are painted (a picker built before it is shown).
      await paintInTasks(soon.splice(0), {onlyConnected: false});
    }
    draining = false;
  })();
}
