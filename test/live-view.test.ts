// The live view of the sanity checks' chart and the judging table
// (src/components/live-view.ts): redrawn once per animation frame however
// many results arrive, and silent once disposed. With a stand-in document.
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {liveView} from "../src/components/live-view.js";

class FakeElement {
  children: unknown[] = [];
  append(...nodes: unknown[]) {
    this.children.push(...nodes);
  }
  replaceChildren(...nodes: unknown[]) {
    this.children = nodes;
  }
}

class Store {
  private readonly listeners = new Set<() => void>();
  onChange(listener: () => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  change() {
    for (const listener of this.listeners) listener();
  }
  get listening() {
    return this.listeners.size;
  }
}

let frames: (() => void)[];
const runFrame = () => frames.splice(0).forEach((frame) => frame());

beforeEach(() => {
  frames = [];
  vi.stubGlobal("document", {createElement: () => new FakeElement()});
  vi.stubGlobal("requestAnimationFrame", (frame: () => void) => frames.push(frame));
});
afterEach(() => void vi.unstubAllGlobals());

describe("liveView", () => {
  it("draws at once, then redraws once per frame after changes", () => {
    const store = new Store();
    let drawn = 0;
    const view = liveView(store, () => ({drawing: ++drawn}) as unknown as HTMLElement);
    expect(drawn).toBe(1);
    expect((view.element as unknown as FakeElement).children).toEqual([{drawing: 1}]);
    store.change();
    store.change();
    store.change();
    expect(frames.length).toBe(1);
    expect(drawn).toBe(1);
    runFrame();
    expect(drawn).toBe(2);
    expect((view.element as unknown as FakeElement).children).toEqual([{drawing: 2}]);
    store.change();
    runFrame();
    expect(drawn).toBe(3);
  });

  it("stops listening when disposed, and a frame already asked for draws nothing", () => {
    const store = new Store();
    let drawn = 0;
    const view = liveView(store, () => ({drawing: ++drawn}) as unknown as HTMLElement);
    expect(store.listening).toBe(1);
    store.change();
    view.dispose();
    expect(store.listening).toBe(0);
    runFrame();
    store.change();
    runFrame();
    expect(drawn).toBe(1);
  });
});
