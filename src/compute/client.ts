// The page's side of the compute service: sends the compute engine requests
// (a compute function's source and its parameters) and hands back progress,
// partial results and results. Components talk to this client, never to the
// worker. Two parts do the work: the worker host (worker-host.ts) starts the
// engine, falls back where a worker cannot run it, and ends it; the request
// table (request-table.ts) routes the engine's answers to the requests in
// flight. This file decides what is sent when:
//
// - Cancellation: aborting a request's signal tells the engine (a "cancel"
//   message, checked between batches) and, on a cross-origin isolated page,
//   raises a shared flag every kernel checks (tfjs-patches.ts). Without that flag a
//   request still running ABORT_GRACE_MS after its cancel is stopped by
//   ending the worker; the requests it had that were not cancelled are sent
//   again to a new one.
// - A worker that crashes (an uncaught error, out of memory) fails the
//   requests it had with a message that says so; the next request starts a
//   new worker, so the page recovers on the next change.
// - The reader's uploaded photo goes to each engine once, before the first
//   request that names it.
// - Control requests (inspect, warm-up, load-model, site-model) ask the
//   engine itself; a restart ends them as cancelled.
// - The reader's own model (loadModel) replaces the site's in the engine;
//   the report names it. A new engine (after a crash) starts with the
//   site's model: the model source (the page's stored file) is loaded into
//   it before its first request, as the photo is.
import {UPLOAD_ID_PATTERN, type ComputeFiles, type ComputeReport, type ControlRequest, type Inspection, type ModelInfo, type RunRequest, type ShippedFunction, type Uses, type WarmUpReport} from "./contract.js";
import type {IsolationState} from "./isolation.js";
import {ComputeCancelled, RequestTable, type PendingRequest, type RequestTimes} from "./request-table.js";
import {positiveInteger, WorkerHost, type EngineSpawners} from "./worker-host.js";

export {ComputeCancelled, type RequestTimes};

/** How long a cancelled request may keep running before its worker is ended (pages without the shared abort flag). */
export const ABORT_GRACE_MS = 150;

export interface ClientOptions {
  /** URL of the compute worker's bundle (src/_bundle/compute-worker.js). */
  workerUrl: string;
  files: ComputeFiles;
  /** The page's address parameters: backend, batch, threads. */
  search: URLSearchParams;
  /** Whether the page is cross-origin isolated, and if not why (isolation.ts). */
  isolation: Promise<IsolationState>;
  /** How engines are started (unit tests pass fakes); real workers by default. */
  spawn?: Partial<EngineSpawners>;
  /** How long an engine may take to start before it is restarted on one thread (worker-host.ts); unit tests shorten it. */
  startupTimeoutMs?: number;
}

export interface RunOptions {
  uses?: Record<string, ((...args: never[]) => unknown) | {value: unknown}>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, label?: string) => void;
  onPartial?: (value: unknown) => void;
}

export class ComputeClient {
  private readonly engine: WorkerHost;
  private readonly requests = new RequestTable();
  /** Uploads the running engine has (a new engine starts without). */
  private sentPhotos = new Set<string>();
  private readonly abortFlag: Int32Array | null;
  /** The pixels of a photo the worker's gallery lacks (the reader's upload), or null. */
  private photoPixels: (id: string) => Uint8Array | null = () => null;
  readonly threads: number;
  readonly cores: number | null;
  /** The reader's model to load into each new engine before its first request (the page session sets it). */
  private modelSource: (() => Promise<ModelFile | null>) | null = null;
  /** The engine (its number) the model source was loaded into, and that load. */
  private modelLoad: {engine: number; done: Promise<void>} | null = null;

  constructor(private readonly options: ClientOptions) {
    const isolated = typeof SharedArrayBuffer !== "undefined" && globalThis.crossOriginIsolated === true;
    this.abortFlag = isolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.cores = typeof navigator !== "undefined" && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : null;
    this.threads = positiveInteger(options.search.get("threads")) ?? this.cores ?? 1;
    this.engine = new WorkerHost(
      {...options, threads: this.threads, cores: this.cores, abortFlag: this.abortFlag},
      {
        receive: (message) => {
          if (message.type !== "ready" && message.type !== "failed" && message.type !== "starting") this.requests.receive(message);
        },
        stopped: (why) => this.failAll(why),
      },
    );
    this.engine.onReport(() => (this.sentPhotos = new Set()));
  }

  /** The last requests' times (at most 100), newest last. */
  get timeline(): RequestTimes[] {
    return this.requests.timeline;
  }

  /** Where the pixels of the reader's uploaded photos come from (the page session sets it). */
  setPhotoSource(photoPixels: (id: string) => Uint8Array | null): void {
    this.photoPixels = photoPixels;
  }

  /**
   * Where the reader's model comes from when a new engine starts (the
   * page's stored file, or null for the site's). A source that fails, or a
   * file the engine refuses, leaves the site's model (`onSourceFailed` hears why).
   */
  setModelSource(source: () => Promise<ModelFile | null>, onSourceFailed: (e: unknown) => void = () => undefined): void {
    this.modelSource = async () => {
      try {
        return await source();
      } catch (e) {
        onSourceFailed(e);
        return null;
      }
    };
    this.modelFailed = onSourceFailed;
  }

  private modelFailed: (e: unknown) => void = () => undefined;

  /**
   * Computes with the reader's model from now on: `bytes` (a .pth or
   * .safetensors file) are moved to the engine, read and built there.
   * Resolves with its ModelInfo (the report names it too); on an error
   * (named "WeightsError:<kind>") the model in use stays.
   */
  async loadModel(bytes: ArrayBuffer, file: string, {maxDecodedBytes, onProgress}: {maxDecodedBytes: number; onProgress?: (done: number, total: number, label?: string) => void}): Promise<ModelInfo> {
    await this.ready();
    const engine = this.engine.engines;
    const info = (await this.control((id) => ({type: "control", kind: "load-model", id, bytes, file, maxDecodedBytes}), [bytes], onProgress)) as ModelInfo;
    if (this.engine.engines === engine) {
      this.engine.modelChanged(info);
      this.modelLoad = {engine, done: Promise.resolve()};
    }
    return info;
  }

  /** Back to the site's model ("the handout's model"); resolves with its ModelInfo. */
  async useSiteModel(): Promise<ModelInfo> {
    await this.ready();
    const engine = this.engine.engines;
    const info = (await this.control((id) => ({type: "control", kind: "site-model", id}))) as ModelInfo;
    this.engine.modelChanged(info);
    this.modelLoad = {engine, done: Promise.resolve()};
    return info;
  }

  /** Loads the model source into the running engine once (a new engine: again). */
  private ensureModel(): Promise<void> {
    const engine = this.engine.engines;
    if (!this.modelSource || this.modelLoad?.engine === engine) return this.modelLoad?.done ?? Promise.resolve();
    const source = this.modelSource;
    const done = (async () => {
      const model = await source();
      if (!model) return;
      try {
        await this.loadModel(model.bytes, model.file, model);
      } catch (e) {
        this.modelFailed(e);
      }
    })();
    this.modelLoad = {engine, done};
    return done;
  }

  /** The report of the running engine (starting one if none runs). */
  ready(): Promise<ComputeReport> {
    return this.engine.ready();
  }

  /**
   * The model the figures compute with, once the engine has started and
   * loaded the reader's stored model if there is one (the site's model if
   * that load failed).
   */
  async activeModel(): Promise<ModelInfo> {
    await this.ready();
    await this.ensureModel();
    return (this.report ?? (await this.ready())).model;
  }

  /** Called with each new report (a restarted worker, a fallback). */
  onReport(listener: (report: ComputeReport) => void): void {
    this.engine.onReport(listener);
  }

  /** The last report, if an engine is ready. */
  get report(): ComputeReport | null {
    return this.engine.report;
  }

  /**
   * Runs `fn(params, {signal, onProgress, partial})` in the compute worker.
   * `fn` must be self-contained (see scope.ts); `uses` ships the page's
   * functions and values it calls.
   */
  async run<R>(fn: (...args: never[]) => unknown, params: unknown, options: RunOptions = {}): Promise<R> {
    return (await this.request(fn, params, "call", options)) as R;
  }

  /** Runs an async generator function `fn(...args)` in the worker; yields what it yields. */
  async *stream<T>(fn: (...args: never[]) => AsyncGenerator<T>, args: unknown[], options: Omit<RunOptions, "onPartial"> = {}): AsyncGenerator<T> {
    const values: T[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: unknown = null;
    const done = this.request(fn, args, "stream", {
      ...options,
      onPartial: (value) => {
        values.push(value as T);
        wake?.();
      },
    }).then(
      () => void (finished = true),
      (e) => void ((failure = e), (finished = true)),
    ).finally(() => wake?.());
    for (;;) {
      while (values.length) yield values.shift()!;
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
    await done;
    if (failure) throw failure;
  }

  /** What the backend holds (tensors, GPU programs): tests and benchmarks. */
  async inspect(): Promise<Inspection> {
    return (await this.control((id) => ({type: "control", kind: "inspect", id}))) as Inspection;
  }

  /**
   * Asks the engine to compile the GPU programs of `chapter` (a page path
   * or a chapter name, see warm-up.ts) while it is idle, on a photo of
   * `size` x `size` pixels; resolves when that is done (or skipped: a CPU
   * backend, the main-thread engine, `?warmup=off`). The chapters call it
   * for themselves (chapter.ts); a new worker after a crash gets it again.
   */
  async warmUp(chapter: string, {size = 224}: {size?: number} = {}): Promise<WarmUpReport> {
    if (this.options.search.get("warmup") === "off") return {chapter, steps: 0, ms: 0, programs: null, skipped: "turned off (?warmup=off)"};
    return (await this.control((id) => ({type: "control", kind: "warm-up", id, chapter, size}))) as WarmUpReport;
  }

  /** Test hook: makes the worker throw outside any request, like a crash. */
  crashForTest(): void {
    this.engine.postIfRunning({type: "crash"});
  }

  /** Sends a request the engine answers itself (inspect, warm-up); a restart ends it as cancelled. */
  private async control(make: (id: number) => ControlRequest, transfer?: Transferable[], onProgress?: (done: number, total: number, label?: string) => void): Promise<unknown> {
    await this.ready();
    const message = make(this.requests.nextId());
    const {settled} = this.requests.open(message, {onProgress});
    this.engine.post(message, transfer);
    return settled;
  }

  private async request(fn: (...args: never[]) => unknown, params: unknown, kind: "call" | "stream", options: RunOptions): Promise<unknown> {
    const {signal} = options;
    if (signal?.aborted) throw new ComputeCancelled();
    await this.ready();
    await this.ensureModel();
    if (signal?.aborted) throw new ComputeCancelled();
    const message: RunRequest = {type: "run", id: this.requests.nextId(), fn: ship(fn), uses: shipUses(options.uses ?? {}), params, kind};
    const {settled} = this.requests.open(message, {onProgress: options.onProgress, onPartial: options.onPartial});
    this.sendPhotos(params);
    this.engine.post(message);
    signal?.addEventListener("abort", () => this.cancel(message.id), {once: true});
    return settled;
  }

  private cancel(id: number): void {
    const entry = this.requests.cancel(id);
    if (!entry) return;
    if (this.abortFlag) Atomics.store(this.abortFlag, 0, id);
    this.engine.postIfRunning({type: "cancel", id});
    if (this.abortFlag) return;
    // No shared flag: the worker sees the cancel only between batches.
    setTimeout(() => {
      if (this.requests.get(id) !== entry) return;
      this.restart(`a cancelled computation was still running after ${ABORT_GRACE_MS} ms`);
    }, ABORT_GRACE_MS);
  }

  /** Ends the worker: cancelled requests and control requests end as cancelled, the others are sent again to a new one. */
  private restart(why: string): void {
    this.engine.restart(why);
    for (const entry of this.requests.takeAll()) {
      if (entry.cancelled || entry.kind === "control") entry.reject(new ComputeCancelled());
      else void this.engine.ready().then(() => this.resend(entry), entry.reject);
    }
  }

  private resend(entry: PendingRequest): void {
    this.requests.restore(entry);
    this.sendPhotos((entry.message as RunRequest).params);
    this.engine.post(entry.message);
  }

  /** The engine stopped by itself: every request it had fails (cancelled ones as cancelled). */
  private failAll(why: string): void {
    for (const entry of this.requests.takeAll()) {
      entry.reject(entry.cancelled ? new ComputeCancelled() : new Error(`the compute worker stopped (${why}); change a setting to compute again`));
    }
  }

  private sendPhotos(params: unknown): void {
    for (const id of uploadIds(params)) {
      if (this.sentPhotos.has(id)) continue;
      const pixels = this.photoPixels(id);
      if (!pixels) continue;
      this.engine.post({type: "photo", id, pixels: pixels.slice()});
      this.sentPhotos.add(id);
    }
  }
}

/** The reader's model file, as the page stores it. */
export interface ModelFile {
  bytes: ArrayBuffer;
  file: string;
  maxDecodedBytes: number;
}

function ship(fn: (...args: never[]) => unknown): ShippedFunction {
  return {source: fn.toString()};
}

function shipUses(uses: NonNullable<RunOptions["uses"]>): Uses {
  return Object.fromEntries(Object.entries(uses).map(([name, u]) => [name, typeof u === "function" ? ship(u) : {value: u.value}]));
}

/** Upload ids ("upload-<hash>") anywhere in the parameters. */
function uploadIds(params: unknown, out = new Set<string>()): Set<string> {
  if (typeof params === "string") {
    if (UPLOAD_ID_PATTERN.test(params)) out.add(params);
  } else if (params && typeof params === "object" && !ArrayBuffer.isView(params)) {
    for (const v of Object.values(params)) uploadIds(v, out);
  }
  return out;
}
