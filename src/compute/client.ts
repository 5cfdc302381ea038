// The page's side of the compute service: starts the compute worker, sends it
// requests (a compute function's source and its parameters), and hands back
// progress, partial results and results. Components talk to this client,
// never to the worker.
//
// - Cancellation: aborting a request's signal tells the worker (a "cancel"
//   message, checked between batches) and, on a cross-origin isolated page,
//   raises a shared flag every kernel checks (abort.ts). Without that flag a
//   request still running ABORT_GRACE_MS after its cancel is stopped by
//   ending the worker; the next request starts a fresh one.
// - A worker that crashes (an uncaught error, out of memory) fails the
//   requests it had with a message that says so; the next request starts a
//   new worker, so the page recovers on the next change.
// - Where a module worker cannot start, the same engine runs on the page's
//   main thread (imported from the worker's own bundle), and the report says
//   so: the page works, less smoothly.
// - Where the worker has only a CPU backend but the page could use the GPU
//   (a browser without WebGPU or WebGL in workers), the engine runs on the
//   page with that GPU backend instead, and the report says why.
import {UPLOAD_ID_PATTERN, type ComputeFiles, type ComputeReport, type Inspection, type PageMessage, type RunRequest, type ShippedFunction, type Uses, type WarmUpReport, type WorkerMessage} from "./contract.js";
import {IN_WORKER_UNAVAILABLE} from "./contract.js";
import type {IsolationState} from "./isolation.js";

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
}

export interface RunOptions {
  uses?: Record<string, ((...args: never[]) => unknown) | {value: unknown}>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, label?: string) => void;
  onPartial?: (value: unknown) => void;
}

/** When a request went out, showed its first partial result, was cancelled and ended (page clock, ms): benchmarks and tests read these. */
export interface RequestTimes {
  id: number;
  sent: number;
  firstProgress: number | null;
  firstPartial: number | null;
  cancelled: number | null;
  ended: number | null;
  outcome: "pending" | "result" | "error" | "cancelled";
}

interface Pending {
  times: RequestTimes;
  message: RunRequest;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onProgress?: RunOptions["onProgress"];
  onPartial?: RunOptions["onPartial"];
  started: number;
  cancelled: boolean;
}

interface Host {
  post(message: PageMessage, transfer?: Transferable[]): void;
  terminate(): void;
  where: "worker" | "page";
}

export class ComputeCancelled extends Error {
  constructor(message = "cancelled: a newer request replaced it") {
    super(message);
    this.name = "AbortError";
  }
}

export class ComputeClient {
  private host: Host | null = null;
  private readyPromise: Promise<ComputeReport> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private sentPhotos = new Set<string>();
  private readonly abortFlag: Int32Array | null;
  private readonly listeners = new Set<(report: ComputeReport) => void>();
  /** Set once the engine must run on the page (no module worker, or a GPU backend only the page has). */
  private pageReason: string | null = null;
  /** Notes about earlier workers (crashes), kept for the report. */
  private history: string[] = [];
  private lastReport: ComputeReport | null = null;
  private starting = false;
  /** The last requests' times (at most 100), newest last. */
  readonly timeline: RequestTimes[] = [];
  /** The pixels of a photo the worker's gallery lacks (the reader's upload), or null. */
  private photoPixels: (id: string) => Uint8Array | null = () => null;
  readonly threads: number;
  readonly cores: number | null;

  constructor(private readonly options: ClientOptions) {
    const isolated = typeof SharedArrayBuffer !== "undefined" && globalThis.crossOriginIsolated === true;
    this.abortFlag = isolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.cores = typeof navigator !== "undefined" && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : null;
    this.threads = positiveInteger(options.search.get("threads")) ?? this.cores ?? 1;
  }

  /** Where the pixels of the reader's uploaded photos come from (the page session sets it). */
  setPhotoSource(photoPixels: (id: string) => Uint8Array | null): void {
    this.photoPixels = photoPixels;
  }

  /** The report of the running engine (starting one if none runs). */
  ready(): Promise<ComputeReport> {
    return (this.readyPromise ??= this.start());
  }

  /** Called with each new report (a restarted worker, a fallback). */
  onReport(listener: (report: ComputeReport) => void): void {
    this.listeners.add(listener);
    if (this.lastReport) listener(this.lastReport);
  }

  /** The last report, if an engine is ready. */
  get report(): ComputeReport | null {
    return this.lastReport;
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
    return (await this.control((id) => ({type: "inspect", id}))) as Inspection;
  }

  /**
   * Asks the engine to compile the GPU programs of `chapter` (a page path
   * or a chapter name, see warm-up.ts) while it is idle, on a photo of
   * `size` x `size` pixels; resolves when that is done (or skipped: a CPU
   * backend, the main-thread engine, `?warmup=off`). The chapters call it
   * for themselves (session.ts); a new worker after a crash gets it again.
   */
  async warmUp(chapter: string, {size = 224}: {size?: number} = {}): Promise<WarmUpReport> {
    if (this.options.search.get("warmup") === "off") return {chapter, steps: 0, ms: 0, programs: null, skipped: "turned off (?warmup=off)"};
    return (await this.control((id) => ({type: "warm-up", id, chapter, size}))) as WarmUpReport;
  }

  /** Sends a message that the engine answers with a result (inspect, warm-up); a restart rejects it as cancelled. */
  private async control(message: (id: number) => PageMessage): Promise<unknown> {
    await this.ready();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const times: RequestTimes = {id, sent: performance.now(), firstProgress: null, firstPartial: null, cancelled: null, ended: null, outcome: "pending"};
      this.pending.set(id, {times, message: {type: "run", id, fn: {source: ""}, uses: {}, params: null, kind: "call"}, resolve, reject, started: performance.now(), cancelled: false});
      this.host!.post(message(id));
    });
  }

  /** Test hook: makes the worker throw outside any request, like a crash. */
  crashForTest(): void {
    this.host?.post({type: "crash"});
  }

  private async request(fn: (...args: never[]) => unknown, params: unknown, kind: "call" | "stream", options: RunOptions): Promise<unknown> {
    const {signal} = options;
    if (signal?.aborted) throw new ComputeCancelled();
    await this.ready();
    if (signal?.aborted) throw new ComputeCancelled();
    const id = this.nextId++;
    const message: RunRequest = {type: "run", id, fn: ship(fn), uses: shipUses(options.uses ?? {}), params, kind};
    return new Promise((resolve, reject) => {
      const times: RequestTimes = {id, sent: performance.now(), firstProgress: null, firstPartial: null, cancelled: null, ended: null, outcome: "pending"};
      this.timeline.push(times);
      if (this.timeline.length > 100) this.timeline.shift();
      const end = (outcome: RequestTimes["outcome"]) => {
        times.ended ??= performance.now();
        if (times.outcome === "pending") times.outcome = outcome;
      };
      const entry: Pending = {
        times,
        message,
        resolve: (value) => (end("result"), resolve(value)),
        reject: (error) => (end((error as Error)?.name === "AbortError" ? "cancelled" : "error"), reject(error)),
        onProgress: options.onProgress,
        onPartial: options.onPartial,
        started: performance.now(),
        cancelled: false,
      };
      this.pending.set(id, entry);
      this.sendPhotos(params);
      this.host!.post(message);
      signal?.addEventListener("abort", () => this.cancel(id), {once: true});
    });
  }

  private cancel(id: number): void {
    const entry = this.pending.get(id);
    if (!entry || entry.cancelled) return;
    entry.cancelled = true;
    entry.times.cancelled = performance.now();
    if (this.abortFlag) Atomics.store(this.abortFlag, 0, id);
    this.host?.post({type: "cancel", id});
    if (this.abortFlag) return;
    // No shared flag: the worker sees the cancel only between batches.
    setTimeout(() => {
      if (this.pending.get(id) !== entry) return;
      this.restart(`a cancelled computation was still running after ${ABORT_GRACE_MS} ms`);
    }, ABORT_GRACE_MS);
  }

  /** Ends the worker: cancelled requests end as cancelled, the others are sent again to a new one. */
  private restart(why: string): void {
    const host = this.host;
    this.host = null;
    this.readyPromise = null;
    host?.terminate();
    this.history.push(`restarted: ${why}`);
    const again: Pending[] = [];
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      if (entry.cancelled || entry.message.fn.source === "") entry.reject(new ComputeCancelled());
      else again.push(entry);
    }
    for (const entry of again) {
      void this.ready().then(() => {
        this.pending.set(entry.message.id, entry);
        this.sendPhotos(entry.message.params);
        this.host!.post(entry.message);
      }, entry.reject);
    }
  }

  private crashed(why: string): void {
    if (this.starting) {
      // The worker died while starting (a browser that cannot run the bundle as a module): start() falls back.
      this.connectWaiter?.reject(new Error(why));
      this.connectWaiter = null;
      return;
    }
    const host = this.host;
    this.host = null;
    this.readyPromise = null;
    try {
      host?.terminate();
    } catch {
      // already gone
    }
    this.history.push(`a worker stopped: ${why}`);
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(entry.cancelled ? new ComputeCancelled() : new Error(`the compute worker stopped (${why}); change a setting to compute again`));
    }
  }

  private sendPhotos(params: unknown): void {
    for (const id of uploadIds(params)) {
      if (this.sentPhotos.has(id)) continue;
      const pixels = this.photoPixels(id);
      if (!pixels) continue;
      this.host!.post({type: "photo", id, pixels: pixels.slice()});
      this.sentPhotos.add(id);
    }
  }

  private async start(): Promise<ComputeReport> {
    this.starting = true;
    try {
      return await this.startEngine();
    } finally {
      this.starting = false;
    }
  }

  private async startEngine(): Promise<ComputeReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    const isolation = await this.options.isolation;
    if (isolation.note) notes.push(isolation.note);
    let host: Host;
    let report: Awaited<ReturnType<typeof this.connect>>;
    if (this.pageReason === null) {
      const worker = createModuleWorker(this.options.workerUrl);
      if (worker instanceof Error) {
        this.pageReason = `no module worker here (${worker.message})`;
      } else {
        host = workerHost(worker, (message) => this.receive(message), (why) => this.crashed(why));
        try {
          report = await this.connect(host, null);
          if (report.message) {
            const gpu = gpuOnlyOnPage(report.message);
            if (gpu) {
              host.terminate();
              this.pageReason = `${gpu} is not available in a worker in this browser`;
            }
          }
        } catch (e) {
          host.terminate();
          // A browser that ignores {type: "module"} fails to parse the bundle in a classic worker.
          if ((e as Error).name !== "ComputeFailed") this.pageReason = `the worker could not start (${(e as Error).message})`;
          else throw e;
        }
      }
    }
    if (this.pageReason !== null) {
      const {startPageEngine} = (await import(/* @vite-ignore */ this.options.workerUrl)) as typeof import("./worker.js");
      let send: ReturnType<typeof startPageEngine>;
      host = {where: "page", post: (message) => send(message), terminate: () => undefined};
      send = startPageEngine((message) => this.receive(message));
      const prefer = gpuPreference(this.pageReason) ?? this.options.search.get("backend");
      report = await this.connect(host, prefer);
      notes.push(`computing on the page's main thread: ${this.pageReason}; the page may pause while it computes`);
    }
    this.host = host!;
    this.sentPhotos = new Set();
    const full: ComputeReport = {
      ...report!.report,
      where: host!.where,
      notes: [...notes, ...report!.report.notes, ...this.history.slice(-1)],
      cores: this.cores,
      readyMs: performance.now() - t0,
    };
    this.lastReport = full;
    for (const listener of this.listeners) listener(full);
    return full;
  }

  private connectWaiter: {resolve: (r: {report: ReadyReport; message?: string}) => void; reject: (e: Error) => void} | null = null;

  private connect(host: Host, preferBackend: string | null): Promise<{report: ReadyReport; message?: string}> {
    return new Promise((resolve, reject) => {
      this.connectWaiter = {resolve, reject};
      host.post({
        type: "init",
        files: this.options.files,
        preferBackend: preferBackend ?? this.options.search.get("backend"),
        pageHasWebGPU: typeof navigator !== "undefined" && Boolean((navigator as Navigator & {gpu?: unknown}).gpu),
        threads: this.threads,
        batchSize: positiveInteger(this.options.search.get("batch")),
        shapeUniforms: this.options.search.get("shape-uniforms") !== "off",
        abortFlag: this.abortFlag,
      });
    });
  }

  private receive(message: WorkerMessage): void {
    switch (message.type) {
      case "ready": {
        const skipped = message.report.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join("; ");
        this.connectWaiter?.resolve({report: message.report, message: skipped});
        this.connectWaiter = null;
        return;
      }
      case "failed": {
        const error = new Error(message.message);
        error.name = "ComputeFailed";
        Object.assign(error, {skipped: message.skipped});
        this.connectWaiter?.reject(error);
        this.connectWaiter = null;
        return;
      }
      case "progress": {
        const entry = this.pending.get(message.id);
        if (entry) entry.times.firstProgress ??= performance.now();
        if (entry && !entry.cancelled) entry.onProgress?.(message.done, message.total, message.label);
        return;
      }
      case "partial": {
        const entry = this.pending.get(message.id);
        if (entry) entry.times.firstPartial ??= performance.now();
        if (entry && !entry.cancelled) entry.onPartial?.(message.value);
        return;
      }
      case "result": {
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        if (entry.cancelled) entry.reject(new ComputeCancelled());
        else entry.resolve(message.value);
        return;
      }
      case "error": {
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        if (message.cancelled || entry.cancelled) entry.reject(new ComputeCancelled(message.message));
        else {
          const error = new Error(message.message);
          error.name = message.name;
          entry.reject(error);
        }
        return;
      }
    }
  }
}

type ReadyReport = Extract<WorkerMessage, {type: "ready"}>["report"];

/** A module worker, or the Error that says why none could be made. */
function createModuleWorker(url: string): Worker | Error {
  if (typeof Worker === "undefined") return new Error("this browser has no Worker");
  // Browsers without module workers ignore {type: "module"} (and then fail on
  // the bundle's syntax): ask whether the option is read at all.
  let readsType = false;
  const probe = {
    get type() {
      readsType = true;
      return "module" as const;
    },
  };
  try {
    const worker = new Worker(url, probe);
    if (!readsType) {
      worker.terminate();
      return new Error("this browser does not support module workers");
    }
    return worker;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function workerHost(worker: Worker, receive: (message: WorkerMessage) => void, crashed: (why: string) => void): Host {
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => receive(e.data);
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    crashed(e.message || "an uncaught error");
  };
  worker.onmessageerror = () => crashed("a message could not be read");
  return {where: "worker", post: (message, transfer) => worker.postMessage(message, transfer ?? []), terminate: () => worker.terminate()};
}

/** "webgpu"/"webgl" when the worker skipped that backend only because it runs in a worker, and the page has it. */
function gpuOnlyOnPage(skipped: string): string | null {
  if (!skipped.includes(IN_WORKER_UNAVAILABLE)) return null;
  if (/webgpu: not available in a worker/.test(skipped) && typeof navigator !== "undefined" && "gpu" in navigator) return "WebGPU";
  if (/webgl: not available in a worker/.test(skipped)) return "WebGL";
  return null;
}

function gpuPreference(reason: string): string | null {
  return reason.startsWith("WebGPU") ? "webgpu" : reason.startsWith("WebGL") ? "webgl" : null;
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

function positiveInteger(raw: string | null): number | null {
  if (raw === null) return null;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : null;
}
