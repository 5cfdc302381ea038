// The compute engine (src/compute/engine.ts) answering messages in Node, with
// a stand-in scope instead of the model: the order of requests, progress,
// partial results, streams, errors, cancellation before and during a run,
// control messages, photos. No browser, no model (tfjs on its CPU backend).
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it, vi} from "vitest";
import type {PageMessage, RunRequest, WorkerMessage} from "../src/compute/contract.js";
import {ComputeEngine} from "../src/compute/engine.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** An engine whose messages are recorded, and a way to wait for one. */
function engine({initialized = true} = {}) {
  const posted: WorkerMessage[] = [];
  const photos: [string, number][] = [];
  const waiting: {test: (m: WorkerMessage) => boolean; resolve: (m: WorkerMessage) => void}[] = [];
  const e = new ComputeEngine((message) => {
    posted.push(message);
    for (const w of waiting.splice(0)) if (w.test(message)) w.resolve(message);
    else waiting.push(w);
  }, "worker");
  if (initialized) {
    // What init sets once the model is loaded: a scope with the worker's names (stand-ins here).
    const session = {gallery: {size: 224, classes: [], selection: "", images: []}, curves: {}, addPhoto: (id: string, pixels: Uint8Array) => photos.push([id, pixels.length])};
    Object.assign(e as unknown as Record<string, unknown>, {scope: {tf, model: {}, session, weights: {}}, session});
  }
  const next = (test: (m: WorkerMessage) => boolean) => {
    const found = posted.find(test);
    return found ? Promise.resolve(found) : new Promise<WorkerMessage>((resolve) => waiting.push({test, resolve}));
  };
  const ended = (id: number) => next((m) => (m.type === "result" || m.type === "error") && m.id === id);
  return {engine: e, posted, photos, ended, send: (m: PageMessage) => e.handle(m)};
}

let nextId = 1;
function run(fn: (...args: never[]) => unknown, params: unknown = null, kind: RunRequest["kind"] = "call"): RunRequest {
  return {type: "run", id: nextId++, fn: {source: fn.toString()}, uses: {}, params, kind};
}
const of = (posted: WorkerMessage[], id: number) => posted.filter((m) => "id" in m && m.id === id);

describe("compute engine", () => {
  it("before init: requests fail with a message that says so; inspect answers", async () => {
    const {send, ended} = engine({initialized: false});
    const r = run(async () => 1);
    send(r);
    expect(await ended(r.id)).toMatchObject({type: "error", message: "the compute engine is not initialized", cancelled: false});
    send({type: "control", kind: "warm-up", id: 900, chapter: "/occlusion", size: 224});
    expect(await ended(900)).toMatchObject({type: "error", message: "the compute engine is not initialized"});
    send({type: "control", kind: "inspect", id: 901});
    expect(await ended(901)).toMatchObject({type: "result", value: {backend: "cpu", numTensors: expect.any(Number), programs: null}});
  });

  it("runs a call: progress, partial results and the result, in that order", async () => {
    const {send, ended, posted} = engine();
    const r = run(async (params: {n: number}, {onProgress, partial}: {onProgress: (d: number, t: number) => void; partial: (v: unknown) => void}) => {
      onProgress(1, 2);
      partial({half: params.n});
      onProgress(2, 2);
      return params.n * 10;
    }, {n: 4});
    send(r);
    expect(await ended(r.id)).toEqual({type: "result", id: r.id, value: 40});
    expect(of(posted, r.id).map((m) => m.type)).toEqual(["progress", "partial", "progress", "result"]);
    expect(of(posted, r.id)[1]).toEqual({type: "partial", id: r.id, value: {half: 4}});
  });

  it("runs a stream: each value a partial result, then an empty result", async () => {
    const {send, ended, posted} = engine();
    const r = run(async function* (values: number[]) {
      for (const value of values) yield value;
    }, [3, 5], "stream");
    send(r);
    expect(await ended(r.id)).toEqual({type: "result", id: r.id, value: null});
    expect(of(posted, r.id).filter((m) => m.type === "partial").map((m) => (m as {value: unknown}).value)).toEqual([3, 5]);
  });

  it("one request at a time, in the order they came", async () => {
    const {send, ended, posted} = engine();
    const slow = run(async () => new Promise((resolve) => setTimeout(() => resolve("slow"), 30)));
    const fast = run(async () => "fast");
    send(slow);
    send(fast);
    await ended(fast.id);
    const results = posted.filter((m) => m.type === "result" && (m.id === slow.id || m.id === fast.id));
    expect(results.map((m) => (m as {value: unknown}).value)).toEqual(["slow", "fast"]);
  });

  it("an error is sent back with its name and message, not as a cancellation, and logged in the worker", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const {send, ended} = engine();
    const r = run(async () => {
      throw new RangeError("steps must be at least 2");
    });
    send(r);
    expect(await ended(r.id)).toMatchObject({type: "error", name: "RangeError", message: "steps must be at least 2", cancelled: false});
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();
  });

  it("a request cancelled before it starts never runs; one cancelled while it runs sees its signal abort and ends as cancelled", async () => {
    const {send, ended, posted} = engine();
    const running = run(async (_: unknown, {signal}: {signal: AbortSignal}) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (signal.aborted) throw signal.reason;
      return "not cancelled";
    });
    const queued = run(async (_: unknown, {partial}: {partial: (v: unknown) => void}) => (partial("ran"), "ran"));
    send(running);
    send(queued);
    send({type: "cancel", id: queued.id});
    await new Promise((resolve) => setTimeout(resolve, 5));
    send({type: "cancel", id: running.id});
    expect(await ended(running.id)).toMatchObject({type: "error", name: "AbortError", cancelled: true});
    expect(await ended(queued.id)).toEqual({type: "error", id: queued.id, name: "AbortError", message: "cancelled before it started", cancelled: true});
    expect(of(posted, queued.id)).toHaveLength(1);
  });

  it("a photo message gives the reader's upload to the worker's session", () => {
    const {send, photos} = engine();
    send({type: "photo", id: "upload-0123abcd", pixels: new Uint8Array(224 * 224 * 3)});
    expect(photos).toEqual([["upload-0123abcd", 224 * 224 * 3]]);
  });
});
