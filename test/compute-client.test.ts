// The compute client (src/compute/client.ts), its request table and its
// worker host, in Node with fake engines: no browser, no model. What the
// Chromium tests see at the end of the chain (test/e2e/faults.test.ts,
// compute-service.test.ts), here message by message.
import {afterEach, describe, expect, it, vi} from "vitest";
import {ABORT_GRACE_MS, ComputeClient} from "../src/compute/client.js";
import type {ComputeReport, PageMessage, RunRequest, WorkerMessage} from "../src/compute/contract.js";
import {IN_WORKER_UNAVAILABLE} from "../src/compute/contract.js";
import {ComputeCancelled, RequestTable} from "../src/compute/request-table.js";
import type {EngineSpawners, PageEngineStarter, WorkerLike} from "../src/compute/worker-host.js";

const readyReport = (skipped: {name: "webgpu" | "webgl" | "wasm" | "cpu"; reason: string}[] = [], name: "webgpu" | "webgl" | "wasm" | "cpu" = "wasm"): WorkerMessage => ({
  type: "ready",
  report: {backend: {name, skipped, ms: 1}, threads: 1, isolated: false, batchSize: 8, notes: [], model: {architecture: "resnet18", classCount: 10, blocks: [2, 2, 2, 2], features: 512, sha256: "0".repeat(64), file: "test.pth", origin: "site"}},
});

/** A worker that answers init with `onInit` and records what it is sent; `answer` replies as the engine would. */
class FakeWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  readonly sent: PageMessage[] = [];
  terminated = false;
  constructor(private readonly onInit: (worker: FakeWorker) => void = (w) => w.answer(readyReport())) {}
  postMessage(message: PageMessage): void {
    this.sent.push(message);
    if (message.type === "init") queueMicrotask(() => this.onInit(this));
  }
  terminate(): void {
    this.terminated = true;
  }
  answer(message: WorkerMessage): void {
    this.onmessage?.({data: message} as MessageEvent<WorkerMessage>);
  }
  crash(message: string): void {
    this.onerror?.({message, preventDefault: () => undefined} as unknown as ErrorEvent);
  }
  runs(): RunRequest[] {
    return this.sent.filter((m): m is RunRequest => m.type === "run");
  }
}

/** A page engine that answers init like `FakeWorker`, recording messages and the backend it was asked to prefer. */
function fakePageEngine(log: PageMessage[]): PageEngineStarter {
  return (receive) => (message) => {
    log.push(message);
    if (message.type === "init") queueMicrotask(() => receive(readyReport([], (message.preferBackend as "webgl") ?? "wasm")));
  };
}

function client(spawn: Partial<EngineSpawners>, search = "", startupTimeoutMs?: number): ComputeClient {
  return new ComputeClient({
    ...(startupTimeoutMs === undefined ? {} : {startupTimeoutMs}),
    workerUrl: "compute-worker.js",
    files: {weightsJson: "w.json", weightsBin: "w.bin", galleryJson: "g.json", galleryBin: "g.bin", wasm: {"tfjs-backend-wasm.wasm": "a", "tfjs-backend-wasm-simd.wasm": "b", "tfjs-backend-wasm-threaded-simd.wasm": "c"}},
    search: new URLSearchParams(search),
    isolation: Promise.resolve({isolated: false, note: null}),
    spawn,
  });
}

/** Workers in the order they were made. */
function workers(make: () => FakeWorker = () => new FakeWorker()) {
  const made: FakeWorker[] = [];
  return {made, spawn: {worker: () => made[made.push(make()) - 1], pageEngine: () => Promise.reject(new Error("no page engine in this test"))} satisfies EngineSpawners};
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await tick();
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

afterEach(() => vi.useRealTimers());

describe("request table", () => {
  it("routes progress and partial results, resolves results, rejects errors with their name, and times each request", async () => {
    const table = new RequestTable();
    const progress: number[] = [];
    const partials: unknown[] = [];
    const id = table.nextId();
    const {settled} = table.open({type: "run", id, fn: {source: ""}, uses: {}, params: null, kind: "call"}, {onProgress: (done) => progress.push(done), onPartial: (v) => partials.push(v)});
    table.receive({type: "progress", id, done: 1, total: 2});
    table.receive({type: "partial", id, value: "half"});
    table.receive({type: "result", id, value: 42});
    await expect(settled).resolves.toBe(42);
    expect(progress).toEqual([1]);
    expect(partials).toEqual(["half"]);
    expect(table.timeline[0]).toMatchObject({id, outcome: "result"});
    expect(table.timeline[0].firstPartial).not.toBeNull();
    expect(table.size).toBe(0);

    const other = table.nextId();
    const failing = table.open({type: "run", id: other, fn: {source: ""}, uses: {}, params: null, kind: "call"}).settled;
    table.receive({type: "error", id: other, name: "RangeError", message: "bad steps", cancelled: false});
    await expect(failing).rejects.toMatchObject({name: "RangeError", message: "bad steps"});
    expect(table.timeline[1].outcome).toBe("error");
  });

  it("a cancelled request ignores later answers and ends as AbortError, whatever the engine answers", async () => {
    const table = new RequestTable();
    const progress: number[] = [];
    const id = table.nextId();
    const {settled} = table.open({type: "run", id, fn: {source: ""}, uses: {}, params: null, kind: "call"}, {onProgress: (done) => progress.push(done)});
    expect(table.cancel(id)).toBeDefined();
    expect(table.cancel(id)).toBeUndefined(); // once
    table.receive({type: "progress", id, done: 1, total: 2});
    table.receive({type: "result", id, value: 42});
    await expect(settled).rejects.toBeInstanceOf(ComputeCancelled);
    expect(progress).toEqual([]);
    expect(table.timeline[0].outcome).toBe("cancelled");
    expect(table.timeline[0].cancelled).not.toBeNull();
  });

  it("control requests are of kind control and stay out of the timeline", () => {
    const table = new RequestTable();
    const {entry} = table.open({type: "control", kind: "inspect", id: table.nextId()});
    expect(entry.kind).toBe("control");
    expect(table.timeline).toHaveLength(0);
  });
});

describe("compute client with a fake worker", () => {
  it("starts a worker with init, ships the function's source and parameters, and hands back progress, partials and the result", async () => {
    const {made, spawn} = workers();
    const c = client(spawn, "batch=4&backend=webgl");
    const progress: [number, number][] = [];
    const partials: unknown[] = [];
    const compute = async (params: {steps: number}) => params.steps * 2;
    const result = c.run<number>(compute, {steps: 3}, {onProgress: (d, t) => progress.push([d, t]), onPartial: (v) => partials.push(v)});
    await until(() => made[0]?.runs().length === 1, "the run message");
    const [worker] = made;
    expect(worker.sent[0]).toMatchObject({type: "init", preferBackend: "webgl", batchSize: 4, shapeUniforms: true, abortFlag: null});
    const run = worker.runs()[0];
    expect(run).toMatchObject({type: "run", kind: "call", params: {steps: 3}, uses: {}});
    expect(run.fn.source).toBe(compute.toString());
    worker.answer({type: "progress", id: run.id, done: 1, total: 3});
    worker.answer({type: "partial", id: run.id, value: [1]});
    worker.answer({type: "result", id: run.id, value: 6});
    await expect(result).resolves.toBe(6);
    expect(progress).toEqual([[1, 3]]);
    expect(partials).toEqual([[1]]);
    expect(c.report).toMatchObject({where: "worker", backend: {name: "wasm"}});
    expect(c.timeline.at(-1)?.outcome).toBe("result");
  });

  it("inspect and warm-up go out as control messages", async () => {
    const {made, spawn} = workers();
    const c = client(spawn);
    const inspection = c.inspect();
    await until(() => made[0]?.sent.some((m) => m.type === "control") ?? false, "the inspect message");
    const inspect = made[0].sent.find((m) => m.type === "control")!;
    expect(inspect).toEqual({type: "control", kind: "inspect", id: expect.any(Number)});
    made[0].answer({type: "result", id: (inspect as {id: number}).id, value: {backend: "wasm", numTensors: 0, numBytes: 0, programs: null}});
    await expect(inspection).resolves.toMatchObject({backend: "wasm"});

    const warm = c.warmUp("/occlusion", {size: 64});
    await until(() => made[0].sent.filter((m) => m.type === "control").length === 2, "the warm-up message");
    const warmUp = made[0].sent.filter((m) => m.type === "control")[1];
    expect(warmUp).toEqual({type: "control", kind: "warm-up", id: expect.any(Number), chapter: "/occlusion", size: 64});
    made[0].answer({type: "result", id: (warmUp as {id: number}).id, value: {chapter: "/occlusion", steps: 0, ms: 0, programs: null, skipped: "nothing to compile"}});
    await expect(warm).resolves.toMatchObject({chapter: "/occlusion"});
    expect(made[0].runs()).toHaveLength(0);
    expect(await client(spawn, "warmup=off").warmUp("/occlusion")).toMatchObject({steps: 0, skipped: "turned off (?warmup=off)"});
  });

  it("an aborted signal sends a cancel; a request still running after the grace time ends its worker, and the others are sent again to a new one", async () => {
    const {made, spawn} = workers();
    const c = client(spawn);
    const controller = new AbortController();
    const cancelled = c.run(async () => 1, {which: "old"}, {signal: controller.signal});
    const kept = c.run(async () => 2, {which: "new"});
    const inspection = c.inspect();
    await until(() => made[0]?.runs().length === 2 && made[0].sent.some((m) => m.type === "control"), "both requests");
    const [first] = made;
    const [oldRun, newRun] = first.runs();
    controller.abort();
    expect(first.sent.at(-1)).toEqual({type: "cancel", id: oldRun.id});
    // The fake worker never answers: after the grace time it is ended.
    await expect(cancelled).rejects.toMatchObject({name: "AbortError"});
    await expect(inspection).rejects.toMatchObject({name: "AbortError"}); // control requests are not sent again
    await until(() => made.length === 2 && made[1].runs().length === 1, "the request sent again");
    expect(first.terminated).toBe(true);
    const again = made[1].runs()[0];
    expect(again).toEqual(newRun);
    made[1].answer({type: "result", id: again.id, value: 2});
    await expect(kept).resolves.toBe(2);
    expect(c.report?.notes.join(" ")).toContain(`restarted: a cancelled computation was still running after ${ABORT_GRACE_MS} ms`);
  });

  it("a cancelled request answered in time keeps its worker", async () => {
    const {made, spawn} = workers();
    const c = client(spawn);
    const controller = new AbortController();
    const cancelled = c.run(async () => 1, null, {signal: controller.signal});
    await until(() => made[0]?.runs().length === 1, "the request");
    controller.abort();
    made[0].answer({type: "error", id: made[0].runs()[0].id, name: "AbortError", message: "cancelled", cancelled: true});
    await expect(cancelled).rejects.toMatchObject({name: "AbortError"});
    await new Promise((resolve) => setTimeout(resolve, ABORT_GRACE_MS + 50));
    expect(made).toHaveLength(1);
    expect(made[0].terminated).toBe(false);
  });

  it("a crash fails the requests in flight with a message that says so; the next request starts a new worker whose report says why", async () => {
    const {made, spawn} = workers();
    const c = client(spawn);
    const lost = c.run(async () => 1, null);
    await until(() => made[0]?.runs().length === 1, "the request");
    made[0].crash("out of memory");
    await expect(lost).rejects.toThrow("the compute worker stopped (out of memory); change a setting to compute again");
    expect(made[0].terminated).toBe(true);
    const reports: ComputeReport[] = [];
    c.onReport((r) => reports.push(r));
    const next = c.run(async () => 2, null);
    await until(() => made.length === 2 && made[1].runs().length === 1, "a new worker");
    made[1].answer({type: "result", id: made[1].runs()[0].id, value: 2});
    await expect(next).resolves.toBe(2);
    expect(reports.at(-1)?.notes).toContain("a worker stopped: out of memory");
  });

  it("an uploaded photo goes to each engine once, before the first request that names it", async () => {
    const {made, spawn} = workers();
    const c = client(spawn);
    const pixels = new Uint8Array(224 * 224 * 3).fill(7);
    c.setPhotoSource((id) => (id === "upload-0123abcd" ? pixels : null));
    const one = c.run(async () => 1, {image: "upload-0123abcd", other: ["a.JPEG"]});
    const two = c.run(async () => 2, {images: ["upload-0123abcd"]});
    await until(() => made[0]?.runs().length === 2, "both requests");
    const kinds = made[0].sent.map((m) => m.type);
    expect(kinds).toEqual(["init", "photo", "run", "run"]);
    expect(made[0].sent[1]).toMatchObject({type: "photo", id: "upload-0123abcd"});
    for (const run of made[0].runs()) made[0].answer({type: "result", id: run.id, value: run.id});
    await Promise.all([one, two]);
    made[0].crash("gone");
    const three = c.run(async () => 3, {image: "upload-0123abcd"});
    await until(() => made[1]?.runs().length === 1, "the new worker's request");
    expect(made[1].sent.map((m) => m.type)).toEqual(["init", "photo", "run"]);
    made[1].answer({type: "result", id: made[1].runs()[0].id, value: 3});
    await expect(three).resolves.toBe(3);
  });
});

describe("worker host fallbacks, in order", () => {
  it("no module worker: the engine runs on the page, and the report says why", async () => {
    const log: PageMessage[] = [];
    const c = client({worker: () => new Error("this browser has no Worker"), pageEngine: async () => fakePageEngine(log)});
    const report = await c.ready();
    expect(report.where).toBe("page");
    expect(report.notes.join(" ")).toContain("computing on the page's main thread: no module worker here (this browser has no Worker)");
    expect(log[0]).toMatchObject({type: "init", preferBackend: null});
  });

  it("a worker that dies while starting: the page engine", async () => {
    const log: PageMessage[] = [];
    const worker = new FakeWorker((w) => w.crash("SyntaxError: Cannot use import statement outside a module"));
    const c = client({worker: () => worker, pageEngine: async () => fakePageEngine(log)});
    const report = await c.ready();
    expect(worker.terminated).toBe(true);
    expect(report.where).toBe("page");
    expect(report.notes.join(" ")).toContain("the worker could not start (SyntaxError: Cannot use import statement outside a module)");
  });

  it("a worker with only a CPU backend where the page has WebGL: the page engine, asked for WebGL", async () => {
    const log: PageMessage[] = [];
    const worker = new FakeWorker((w) => w.answer(readyReport([{name: "webgpu", reason: "this browser has no WebGPU"}, {name: "webgl", reason: IN_WORKER_UNAVAILABLE}])));
    const c = client({worker: () => worker, pageEngine: async () => fakePageEngine(log)});
    const report = await c.ready();
    expect(worker.terminated).toBe(true);
    expect(report.where).toBe("page");
    expect(report.backend.name).toBe("webgl");
    expect(log[0]).toMatchObject({type: "init", preferBackend: "webgl"});
    expect(report.notes.join(" ")).toContain("WebGL is not available in a worker in this browser");
  });

  it("a worker whose engine cannot compute at all (no backend, no model) is not retried on the page", async () => {
    let pageAsked = false;
    const worker = new FakeWorker((w) => w.answer({type: "failed", message: "could not load weights.bin: HTTP 404"}));
    const c = client({worker: () => worker, pageEngine: async () => ((pageAsked = true), fakePageEngine([]))});
    await expect(c.ready()).rejects.toMatchObject({name: "ComputeFailed", message: "could not load weights.bin: HTTP 404"});
    expect(pageAsked).toBe(false);
  });

  it("a worker that never answers init (threads that do not start): ended after the start-up time, started again on one thread, and the report says why", async () => {
    // The first reports its script and one stage, then nothing (as Firefox's hung on tfjs's thread workers); the second starts.
    const hung = new FakeWorker((w) => w.answer({type: "starting", stage: "starting a backend"}));
    const {made, spawn} = workers();
    let calls = 0;
    const c = client({...spawn, worker: () => (calls++ === 0 ? hung : spawn.worker())}, "", 50);
    const report = await c.ready();
    expect(hung.terminated).toBe(true);
    expect(hung.sent[0]).toMatchObject({type: "init"});
    expect(hung.sent[0]).not.toHaveProperty("singleThread");
    expect(made).toHaveLength(1);
    expect(made[0].sent[0]).toMatchObject({type: "init", singleThread: true});
    expect(report.where).toBe("worker");
    const notes = report.notes.join(" | ");
    expect(notes).toContain("one thread: WebAssembly's threads did not start in this browser (no answer within 0 s), so the worker was started again on one thread");
    expect(notes).toContain("restarted: no answer within 0 s; last stage: starting a backend");
    // A late answer of the ended worker is not taken for the new one's.
    hung.answer(readyReport([], "cpu"));
    expect(c.report?.backend.name).toBe("wasm");
    // Later engines (after a crash) start on one thread too.
    made[0].crash("out of memory");
    await c.ready();
    expect(made[1].sent[0]).toMatchObject({type: "init", singleThread: true});
  });

  it("a worker that does not answer on one thread either: the page engine, on one thread", async () => {
    const log: PageMessage[] = [];
    const made: FakeWorker[] = [];
    const c = client({worker: () => made[made.push(new FakeWorker(() => undefined)) - 1], pageEngine: async () => fakePageEngine(log)}, "", 20);
    const report = await c.ready();
    expect(made).toHaveLength(2);
    expect(made.every((w) => w.terminated)).toBe(true);
    expect(report.where).toBe("page");
    expect(log[0]).toMatchObject({type: "init", singleThread: true});
    expect(report.notes.join(" ")).toContain("the worker did not start, even on one thread (no answer within 0 s; last stage: none (the worker's script had not run))");
  });

  it("a worker that starts: no fallback", async () => {
    const {made, spawn} = workers();
    const report = await client(spawn).ready();
    expect(report.where).toBe("worker");
    expect(made).toHaveLength(1);
    expect(report.notes.join(" ")).not.toContain("main thread");
  });
});
