// Live figures (src/components/live.ts) in Node with a few fake DOM elements
// and a fake computation: the caption's data-state and data-* hooks that the
// browser tests wait on, partial results, errors, a superseded update
// cancelled, display-only changes, and a heavy figure waiting for its click.
import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import {LiveFigure, type LiveContext, type LiveOptions} from "../src/components/live.js";
import {fakeDocument, FakeElement} from "./helpers/fake-dom.js";

beforeAll(() => vi.stubGlobal("document", fakeDocument()));
afterAll(() => vi.unstubAllGlobals());

/** A computation the test finishes by hand: each call is recorded with its context. */
function manualCompute<P>() {
  const calls: {params: P; context: LiveContext; resolve: (r: string) => void; reject: (e: unknown) => void}[] = [];
  const compute = (params: P, context: LiveContext) => new Promise<string>((resolve, reject) => calls.push({params, context, resolve, reject}));
  return {calls, compute};
}

function figure<P>(options: Partial<LiveOptions<P, string>> & Pick<LiveOptions<P, string>, "compute">) {
  const f = new LiveFigure<P, string>({
    name: "test-figure",
    render: (result, params) => Object.assign(new FakeElement("div"), {textContent: `${result} for ${JSON.stringify(params)}`}) as unknown as Node,
    renderPartial: (value) => Object.assign(new FakeElement("div"), {textContent: `partial ${value}`}) as unknown as Node,
    describe: (result) => `described ${result}`,
    backend: () => "wasm, 2 threads",
    debounce: 0,
    ...options,
  });
  const element = f.element as unknown as FakeElement;
  const caption = element.findAll((e) => e.dataset.testid === "figure-caption")[0];
  const body = element.findAll((e) => e.className === "live-figure__body")[0];
  return {f, element, caption, body};
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await settle();
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe("LiveFigure", () => {
  it("idle, then running with progress and partial results, then ready with the caption's hooks", async () => {
    const {calls, compute} = manualCompute<{s: number}>();
    const {f, element, caption, body} = figure({compute});
    expect(caption.dataset.state).toBe("idle");
    f.update({s: 6});
    expect(caption.dataset.state).toBe("running");
    await until(() => calls.length === 1, "the computation");
    calls[0].context.onProgress(1, 4);
    expect(element.findAll((e) => e.tagName === "SPAN")[0].textContent).toBe("computing… 1 / 4");
    calls[0].context.partial("one");
    await until(() => body.textContent === "partial one", "the partial result");
    expect(caption.dataset.partials).toBe("1");
    expect(caption.dataset.state).toBe("running");
    calls[0].resolve("map");
    await until(() => caption.dataset.state === "ready", "ready");
    expect(element.dataset.state).toBe("ready");
    expect(body.textContent).toBe('map for {"s":6}');
    expect(caption.textContent).toMatch(/^described map: \d+ ms · wasm, 2 threads$/);
    expect(caption.dataset).toMatchObject({params: '{"s":6}', backend: "wasm", where: "wasm, 2 threads", ms: expect.stringMatching(/^\d+$/)});
  });

  it("an error: state error, and the body says what went wrong", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const {calls, compute} = manualCompute<number>();
    const {f, caption, body} = figure({compute});
    f.update(1);
    await until(() => calls.length === 1, "the computation");
    calls[0].reject(new Error("the compute worker stopped"));
    await until(() => caption.dataset.state === "error", "error");
    expect(body.textContent).toBe("This figure could not be computed: the compute worker stopped");
    expect(body.findAll((e) => e.getAttribute("role") === "alert")).toHaveLength(1);
    expect(caption.textContent).toBe("test-figure: failed · wasm, 2 threads");
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
  });

  it("a newer update cancels the running computation; only the latest result is drawn, and the superseded one is no error", async () => {
    const {calls, compute} = manualCompute<number>();
    const {f, caption, body} = figure({compute});
    f.update(1);
    await until(() => calls.length === 1, "the first computation");
    f.update(2);
    expect(calls[0].context.signal.aborted).toBe(true);
    calls[0].context.partial("stale");
    calls[0].reject(new DOMException("cancelled", "AbortError"));
    await until(() => calls.length === 2, "the second computation");
    expect(calls[1].context.signal.aborted).toBe(false);
    expect(caption.dataset.state).toBe("running");
    expect(caption.dataset.partials).toBeUndefined();
    calls[1].resolve("second");
    await until(() => caption.dataset.state === "ready", "ready");
    expect(body.textContent).toBe("second for 2");
    expect(caption.dataset.params).toBe("2");
  });

  it("the same parameters again compute nothing; a display-only change draws the last result again", async () => {
    const {calls, compute} = manualCompute<{s: number; colours: string}>();
    const {f, caption, body} = figure({compute, computeKey: (p) => p.s});
    f.update({s: 6, colours: "red"});
    await until(() => calls.length === 1, "the computation");
    calls[0].resolve("map");
    await until(() => caption.dataset.state === "ready", "ready");
    f.update({s: 6, colours: "red"});
    f.update({s: 6, colours: "blue"});
    await settle();
    expect(calls).toHaveLength(1);
    expect(body.textContent).toBe('map for {"s":6,"colours":"blue"}');
    expect(caption.dataset.params).toBe('{"s":6,"colours":"blue"}');
    expect(caption.dataset.state).toBe("ready");
  });

  it("a heavy figure waits for its button, then computes on every change", async () => {
    const {calls, compute} = manualCompute<number>();
    const {f, caption, body} = figure({compute, startOnClick: async () => "Compute (several seconds)"});
    f.update(1);
    await until(() => caption.dataset.state === "waiting", "waiting");
    expect(calls).toHaveLength(0);
    const [start] = body.findAll((e) => e.dataset.testid === "figure-start");
    expect(start.textContent).toBe("Compute (several seconds)");
    start.dispatch("click");
    expect(caption.dataset.state).toBe("running");
    await until(() => calls.length === 1, "the computation");
    calls[0].resolve("heavy");
    await until(() => caption.dataset.state === "ready", "ready");
    f.update(2);
    await until(() => calls.length === 2, "the next computation, without a click");
  });
});
