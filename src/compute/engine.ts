// The compute engine: what the compute worker runs (worker.ts), and what the
// page runs itself where no module worker can start (client.ts). It owns
// TensorFlow.js, the backend and the model, and answers the page's messages
// (contract.ts):
//
// - init: chooses the backend (webgpu, webgl, wasm with threads when the page
//   is cross-origin isolated, cpu), loads the weights and the gallery;
// - run: compiles the shipped compute function in the chapters' scope
//   (scope.ts) and runs it, one request at a time, sending progress, partial
//   results and the result back, typed arrays transferred (not copied)
//   unless the worker keeps them (caches, the gallery);
// - cancel: aborts the request's AbortSignal, which the library checks
//   between batches; on a cross-origin isolated page the page also raises a
//   shared flag that stops the request at the next TensorFlow.js kernel
//   (tfjs-patches.ts), so a cancelled request ends within milliseconds even in the
//   middle of a batch;
// - warm-up: on GPU backends, once no request is waiting or running, runs
//   the chapter's computations once to compile their GPU programs
//   (warm-up.ts), a step at a time, each stopped between batches when a
//   request arrives (and run again later).
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import {getThreadsCount, setThreadsCount, setWasmPaths} from "@tensorflow/tfjs-backend-wasm";
import {decodeWeights, imageFromBytes, resizeWithPadUint8, ResNet, type NamedTensors, type WeightsManifest} from "../lib/index.js";
import {batchPolicyFor, isCpuBackend, selectBackend} from "./backend.js";
import type {GalleryMeta, InitRequest, LoadModelRequest, ModelInfo, SiteModelRequest, PageMessage, ReadyMessage, RunRequest, WarmUpReport, WarmUpRequest, WorkerMessage} from "./contract.js";
import {compileCompute, LIBRARY, type WorkerNames} from "./scope.js";
import {installKernelAbort, reportThreadsForWasm, yieldingReads} from "./tfjs-patches.js";
import {retained, transferables} from "./transfer.js";
import {chapterWarmUp, type WarmUpStep} from "./warm-up.js";
import {WorkerSession} from "./worker-session.js";
import {describeResNet, errorName, loadModelFile} from "./model-file.js";

export type Post = (message: WorkerMessage, transfer?: Transferable[]) => void;

interface Running {
  id: number;
  controller: AbortController;
}

/** Quiet time after the last request before a warm-up step starts (the page's next request usually follows within it). */
const IDLE_MS = 500;
/** Between two warm-up steps while nothing else is asked for. */
const STEP_GAP_MS = 20;

interface WarmUpJob {
  id: number;
  chapter: string;
  size: number;
  steps: WarmUpStep[];
  /** The next step to run. */
  next: number;
  ms: number;
  programs: number | null;
  errors: string[];
}

export class ComputeEngine {
  private scope: WorkerNames | null = null;
  private session: WorkerSession | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly running = new Map<number, Running>();
  private readonly pending = new Set<number>();
  private abortFlag: Int32Array | null = null;
  private broken: string | null = null;
  /** A GPU backend runs: programs to compile, and a warm-up to run when idle. */
  private gpu = false;
  private warmUpJob: WarmUpJob | null = null;
  private warmUpController: AbortController | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The site's model, kept while the reader's is in use ("back to the handout's model" is instant). */
  private site: {model: ResNet; weights: NamedTensors; info: ModelInfo} | null = null;

  constructor(private readonly post: Post, private readonly where: "worker" | "page") {}

  handle(message: PageMessage): void {
    switch (message.type) {
      case "init":
        void this.init(message);
        return;
      case "photo":
        this.session?.addPhoto(message.id, message.pixels);
        return;
      case "run":
        this.pending.add(message.id);
        // A warm-up step in progress stops at its next batch: the reader's request comes first.
        this.warmUpController?.abort(new DOMException("a request arrived", "AbortError"));
        clearTimeout(this.idleTimer);
        this.queue = this.queue.then(() => this.run(message));
        return;
      case "control":
        if (message.kind === "warm-up") this.warmUp(message);
        else if (message.kind === "load-model" || message.kind === "site-model") this.queue = this.queue.then(() => this.switchModel(message));
        else this.queue = this.queue.then(() => this.post({type: "result", id: message.id, value: this.inspect()}));
        return;
      case "cancel":
        this.pending.delete(message.id);
        this.running.get(message.id)?.controller.abort(new DOMException("cancelled: a newer request replaced it", "AbortError"));
        return;
      case "crash":
        // Test hook: an exception outside any request, as a crash would throw.
        setTimeout(() => {
          throw new Error("compute worker crashed (test hook)");
        });
        return;
    }
  }

  private async init(request: InitRequest): Promise<void> {
    try {
      const stage = (name: string) => this.post({type: "starting", stage: name});
      stage("init received");
      setWasmPaths(request.files.wasm);
      const isolated = typeof SharedArrayBuffer !== "undefined" && (globalThis as {crossOriginIsolated?: boolean}).crossOriginIsolated === true;
      // An engine with threads that never started (worker-host.ts): the module without threads, which starts no thread workers.
      if (request.singleThread) tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      // Threads need SharedArrayBuffer (cross-origin isolation); tfjs falls back to one thread without it.
      // (On the page's main thread the page's navigator is not ours to change: tfjs's own count.)
      else if (isolated && this.where === "worker") useWasmThreads(Math.max(1, request.threads));
      stage(`starting a backend${request.singleThread ? " (wasm on one thread)" : ""}`);
      const backend = await selectBackend(request.preferBackend, {webgpu: request.pageHasWebGPU}, stage);
      stage(`${backend.name} started; loading the model`);
      const cpu = isCpuBackend(backend.name);
      this.gpu = !cpu;
      // CPU backends: reads return to the event loop (cancel messages get through),
      // and a small first batch shows a first partial result early. GPU backends:
      // remainder batches padded to the batch size, so no second set of programs.
      if (cpu) yieldingReads(tf);
      // WebGL compiles a program per op and tensor shape unless the shapes
      // are uniforms of the shader: then a batch of 1 and a batch of 8, or
      // an occlusion grid of 6 and one of 7, share their programs. Halves
      // the programs of a chapter (the README's counts), same numbers.
      // (WebGPU's programs are keyed by rank, not shape, already.)
      if (backend.name === "webgl") tf.env().set("WEBGL_USE_SHAPES_UNIFORMS", request.shapeUniforms !== false);
      // The model carries it: every library call on it (and on the stage models built from it) batches so.
      const batchPolicy = batchPolicyFor(backend.name, request.batchSize);
      this.abortFlag = request.abortFlag;
      if (this.abortFlag) installKernelAbort(tf, this.abortFlag, () => this.activeId);
      const {files} = request;
      const [manifest, buffer, gallery, galleryBytes] = await Promise.all([
        fetch(files.weightsJson).then((r) => checked(r, "weights.json").json() as Promise<WeightsManifest>),
        fetch(files.weightsBin).then((r) => checked(r, "weights.bin").arrayBuffer()),
        fetch(files.galleryJson).then((r) => checked(r, "gallery.json").json() as Promise<GalleryMeta>),
        fetch(files.galleryBin).then((r) => checked(r, "gallery.bin").arrayBuffer()),
      ]);
      const weights: NamedTensors = decodeWeights(manifest, buffer);
      // Any ResNet: the architecture is read from the tensors' names and shapes.
      const model = new ResNet(weights, {batchPolicy});
      const pixels = retained(new Uint8Array(galleryBytes));
      this.session = new WorkerSession({tf, model, gallery, pixels, incrementalOcclusion: cpu});
      this.scope = {worker: this.session, curves: this.session.curves, tf, model, trainedWeights: weights, lib: LIBRARY};
      const threads = backend.name === "wasm" ? getThreadsCount() : null;
      const notes: string[] = [];
      if (backend.name === "wasm" && !isolated) notes.push(oneThreadReason());
      const modelInfo = describeResNet(model, manifest.source, "site");
      this.site = {model, weights, info: modelInfo};
      const ready: ReadyMessage = {type: "ready", report: {backend, threads, isolated, batchSize: batchPolicy.size, notes, model: modelInfo}};
      this.post(ready);
    } catch (e) {
      const skipped = (e as {skipped?: {name: never; reason: string}[]}).skipped;
      this.post({type: "failed", message: e instanceof Error ? e.message : String(e), ...(skipped ? {skipped} : {})});
    }
  }

  /**
   * Swaps the model every later request computes with: the reader's file
   * (read and built first: on any error the model in use stays) or the
   * site's again. The caches of the old model's explanations go with it; a
   * reader's model that is replaced is disposed, the site's is kept.
   */
  private async switchModel(request: LoadModelRequest | SiteModelRequest): Promise<void> {
    const {id} = request;
    if (!this.scope || !this.session || !this.site) {
      this.post({type: "error", id, name: "Error", message: this.broken ?? "the compute engine is not initialized", cancelled: false});
      return;
    }
    try {
      const next = request.kind === "site-model"
        ? this.site
        : await loadModelFile(new Uint8Array(request.bytes), request.file, {
            maxDecodedBytes: request.maxDecodedBytes,
            batchPolicy: this.site.model.batchPolicy,
            onProgress: (done, total, label) => this.post({type: "progress", id, done, total, label}),
          });
      const previous = this.scope.model;
      this.session.useModel(next.model);
      this.scope = {...this.scope, curves: this.session.curves, model: next.model, trainedWeights: next.weights};
      if (previous !== this.site.model && previous !== next.model) previous.dispose();
      this.post({type: "result", id, value: next.info});
    } catch (e) {
      this.post({type: "error", id, name: errorName(e), message: e instanceof Error ? e.message : String(e), cancelled: false});
    }
  }

  private inspect() {
    return backendInspection();
  }

  /** The request running now (for the kernel-level abort). */
  private activeId = -1;

  private async run(request: RunRequest): Promise<void> {
    const {id} = request;
    if (!this.pending.delete(id)) {
      this.post({type: "error", id, name: "AbortError", message: "cancelled before it started", cancelled: true});
      return;
    }
    if (!this.scope || !this.session) {
      this.post({type: "error", id, name: "Error", message: this.broken ?? "the compute engine is not initialized", cancelled: false});
      return;
    }
    const controller = new AbortController();
    this.running.set(id, {id, controller});
    this.activeId = id;
    const {signal} = controller;
    const context = {
      signal,
      onProgress: (done: number, total: number, label?: string) => {
        if (!signal.aborted) this.post({type: "progress", id, done, total, ...(label === undefined ? {} : {label})});
      },
      // Copied, not moved: a compute function often sends the same arrays again
      // (a growing set of rows, then the result); partial results are small
      // snapshots, and the result, the bulk, is moved.
      partial: (value: unknown) => {
        if (!signal.aborted) this.post({type: "partial", id, value});
      },
    };
    try {
      const fn = compileCompute(request.fn, request.uses, this.scope);
      if (request.kind === "stream") {
        const iterator = fn(request.params, context) as AsyncIterator<unknown>;
        for (;;) {
          if (signal.aborted) throw signal.reason;
          const next = await iterator.next();
          if (next.done) break;
          // Copied, not moved, like partial results: a generator may yield the same arrays again.
          if (!signal.aborted) this.post({type: "partial", id, value: next.value});
        }
        this.post({type: "result", id, value: null});
      } else {
        const value = await fn(request.params, context);
        if (signal.aborted) throw signal.reason;
        this.post({type: "result", id, value}, transferables(value));
      }
    } catch (e) {
      // Stopped by the page's shared flag (tfjs-patches.ts) before the cancel message arrived: cancelled too.
      const cancelled = signal.aborted || (this.abortFlag !== null && Atomics.load(this.abortFlag, 0) === id);
      const error = e instanceof Error ? e : new Error(String(e));
      if (!cancelled) console.error(error);
      this.post({type: "error", id, name: error.name, message: error.message, cancelled});
      // WebAssembly aborts (out of memory) leave the module unusable: say so on every later request.
      if (/Aborted\(|out of memory|OOM/i.test(error.message)) this.broken = `the compute engine stopped working: ${error.message}`;
    } finally {
      this.running.delete(id);
      this.activeId = -1;
      if (this.abortFlag && Atomics.load(this.abortFlag, 0) === id) Atomics.store(this.abortFlag, 0, 0);
      this.scheduleIdle(IDLE_MS);
    }
  }

  /** Starts (or replaces) the warm-up of a chapter; it runs when the engine is idle. */
  private warmUp(request: WarmUpRequest): void {
    const report = (skipped: string): WarmUpReport => ({chapter: request.chapter, steps: 0, ms: 0, programs: null, skipped});
    if (!this.scope || !this.session) {
      this.post({type: "error", id: request.id, name: "Error", message: this.broken ?? "the compute engine is not initialized", cancelled: false});
      return;
    }
    if (!this.gpu) {
      this.post({type: "result", id: request.id, value: report(`nothing to compile on ${tf.getBackend()}`)});
      return;
    }
    if (this.where === "page") {
      this.post({type: "result", id: request.id, value: report("the engine runs on the page's main thread, where compiling would pause the page")});
      return;
    }
    const steps = chapterWarmUp(request.chapter);
    if (!steps.length) {
      this.post({type: "result", id: request.id, value: report("no live figures on this page")});
      return;
    }
    if (this.warmUpJob) this.finishWarmUp("replaced by another warm-up");
    this.warmUpJob = {id: request.id, chapter: request.chapter, size: request.size, steps, next: 0, ms: 0, programs: backendInspection().programs, errors: []};
    this.scheduleIdle(IDLE_MS);
  }

  /** Runs the next warm-up step after `delay` ms, if by then no request is waiting or running. */
  private scheduleIdle(delay: number): void {
    clearTimeout(this.idleTimer);
    if (!this.warmUpJob) return;
    this.idleTimer = setTimeout(() => {
      // Requests in flight: each one reschedules when it ends.
      if (this.pending.size || this.running.size) return;
      this.queue = this.queue.then(() => this.warmUpStep());
    }, delay);
  }

  private async warmUpStep(): Promise<void> {
    const job = this.warmUpJob;
    if (!job || this.pending.size || !this.scope || !this.session) return;
    const step = job.steps[job.next];
    const controller = new AbortController();
    this.warmUpController = controller;
    const image = this.warmUpImage(job.size);
    const t0 = performance.now();
    try {
      await step.run({model: this.scope.model, image, signal: controller.signal});
      job.next++;
    } catch (e) {
      // Interrupted by a request: the same step again later. Failed: noted, and the next one.
      if (!controller.signal.aborted) {
        const message = e instanceof Error ? e.message : String(e);
        console.warn(`warm-up step "${step.label}" failed: ${message}`);
        job.errors.push(`${step.label}: ${message}`);
        job.next++;
      }
    } finally {
      job.ms += performance.now() - t0;
      image.dispose();
      this.warmUpController = null;
    }
    if (this.warmUpJob !== job) return;
    if (job.next >= job.steps.length) this.finishWarmUp();
    else this.scheduleIdle(controller.signal.aborted ? IDLE_MS : STEP_GAP_MS);
  }

  private finishWarmUp(skipped?: string): void {
    const job = this.warmUpJob!;
    this.warmUpJob = null;
    const now = backendInspection().programs;
    const value: WarmUpReport = {
      chapter: job.chapter,
      steps: job.next,
      ms: job.ms,
      programs: now === null || job.programs === null ? null : now - job.programs,
      ...(skipped ? {skipped} : {}),
      ...(job.errors.length ? {errors: job.errors} : {}),
    };
    this.post({type: "result", id: job.id, value});
  }

  /** The gallery's first photo at `size` x `size` (resized in JavaScript: the same pixels on every backend). */
  private warmUpImage(size: number): tf.Tensor3D {
    const photo = this.session!.photo(this.session!.gallery.images[0].id);
    return imageFromBytes(size === 224 ? photo : resizeWithPadUint8(photo, 224, 224, 3, size), size);
  }
}

/** Asks tfjs's wasm backend for `threads` threads (before it starts; the cap it applies: tfjs-patches.ts). */
function useWasmThreads(threads: number): void {
  setThreadsCount(threads);
  reportThreadsForWasm(threads);
}

/** What the backend holds now: tensors, bytes, and the GPU programs compiled so far (webgpu, webgl). */
export function backendInspection(): {numTensors: number; numBytes: number; programs: number | null; backend: string} {
  const memory = tf.memory();
  const backend = tf.backend() as unknown as {pipelineCache?: object; binaryCache?: object};
  const cache = backend.pipelineCache ?? backend.binaryCache;
  return {numTensors: memory.numTensors, numBytes: memory.numBytes, programs: cache ? Object.keys(cache).length : null, backend: tf.getBackend()};
}

/**
 * Why WebAssembly has one thread, for the badge. Most browsers give
 * SharedArrayBuffer to every cross-origin isolated page; WebKitGTK isolates
 * the page (crossOriginIsolated is true) but still hides the constructor,
 * and tfjs's threads need it.
 */
function oneThreadReason(): string {
  if ((globalThis as {crossOriginIsolated?: boolean}).crossOriginIsolated === true) {
    return "one thread: this browser gives no SharedArrayBuffer, even to this cross-origin isolated page, so WebAssembly cannot share memory between threads";
  }
  return "one thread: the page is not cross-origin isolated, so WebAssembly cannot share memory between threads";
}

function checked(response: Response, what: string): Response {
  if (!response.ok) throw new Error(`could not load ${what}: HTTP ${response.status} ${response.statusText}`);
  return response;
}
