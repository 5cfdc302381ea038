// Where the compute engine runs, and its life: the compute client (client.ts)
// asks this host for a ready engine and posts messages to it; the host starts
// one, falls back, and ends it.
//
// - First choice: a dedicated module worker running the engine's bundle.
// - Where a module worker cannot start, the same engine runs on the page's
//   main thread (imported from the worker's own bundle), and the report says
//   so: the page works, less smoothly.
// - Where the worker has only a CPU backend but the page could use the GPU
//   (a browser without WebGPU or WebGL in workers), the engine runs on the
//   page with that GPU backend instead, and the report says why.
// - A worker that crashes (an uncaught error, out of memory) is ended and the
//   client is told (`stopped`); the next `ready()` starts a new one. So does
//   `restart(why)`, which the client calls to stop a runaway request.
// - A worker that has not answered `init` within STARTUP_TIMEOUT_MS is ended
//   and started again once with WebAssembly on one thread, without the
//   threaded module and its thread workers (the start of those is what hung
//   in Firefox, see README); the badge says why. If that one does not start
//   either, the engine runs on the page (on one thread).
import {IN_WORKER_UNAVAILABLE, type ComputeFiles, type ComputeReport, type PageMessage, type WorkerMessage} from "./contract.js";
import type {IsolationState} from "./isolation.js";

/** The engine as the client sees it: a place to post messages to, and a way to end it. */
export interface Host {
  post(message: PageMessage, transfer?: Transferable[]): void;
  terminate(): void;
  where: "worker" | "page";
}

/** What the host needs of a Worker (tests pass a fake). */
export interface WorkerLike {
  onmessage: ((e: MessageEvent<WorkerMessage>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(message: PageMessage, transfer: Transferable[]): void;
  terminate(): void;
}

/** Starts an engine on the page that answers through `receive` (worker.ts's startPageEngine). */
export type PageEngineStarter = (receive: (message: WorkerMessage) => void) => (message: PageMessage) => void;

/** How engines are made: real workers and the worker bundle's page engine by default; fakes in unit tests. */
export interface EngineSpawners {
  /** A module worker running the engine, or the Error that says why none could be made. */
  worker(url: string): WorkerLike | Error;
  /** The engine of the worker's bundle, to run on the page. */
  pageEngine(url: string): Promise<PageEngineStarter>;
}

/**
 * How long an engine may take to answer `init` before it is restarted without
 * threads: generous, as a loaded machine's first start (the model, the
 * WebAssembly compile) takes seconds; a start that works never comes near it.
 */
export const STARTUP_TIMEOUT_MS = 30_000;

export interface HostOptions {
  /** URL of the compute worker's bundle (src/_bundle/compute-worker.js). */
  workerUrl: string;
  files: ComputeFiles;
  /** The page's address parameters: backend, batch, shape-uniforms. */
  search: URLSearchParams;
  /** Whether the page is cross-origin isolated, and if not why (isolation.ts). */
  isolation: Promise<IsolationState>;
  threads: number;
  cores: number | null;
  abortFlag: Int32Array | null;
  spawn?: Partial<EngineSpawners>;
  /** STARTUP_TIMEOUT_MS unless a test says otherwise. */
  startupTimeoutMs?: number;
}

export interface HostEvents {
  /** An answer to a request (progress, partial, result, error). */
  receive(message: WorkerMessage): void;
  /** The engine stopped by itself (a crash); its requests are lost. */
  stopped(why: string): void;
}

type ReadyReport = Extract<WorkerMessage, {type: "ready"}>["report"];
interface Connection {
  report: ReadyReport;
  /** The backends the engine skipped, and why, in one line. */
  skipped: string;
}

export class WorkerHost {
  private host: Host | null = null;
  private readyPromise: Promise<ComputeReport> | null = null;
  /** Set once the engine must run on the page (no module worker, or a GPU backend only the page has). */
  private pageReason: string | null = null;
  /** Notes about earlier engines (crashes, restarts), kept for the report. */
  private readonly history: string[] = [];
  private starting = false;
  private connectWaiter: {resolve: (c: Connection) => void; reject: (e: Error) => void} | null = null;
  private readonly listeners = new Set<(report: ComputeReport) => void>();
  private lastReport: ComputeReport | null = null;
  private readonly spawn: EngineSpawners;
  /** Set once an engine with threads did not start: every later engine gets one thread, and the badge says why. */
  private singleThreadReason: string | null = null;
  /** The last start-up stage the starting engine reported. */
  private stage: string | null = null;

  constructor(private readonly options: HostOptions, private readonly events: HostEvents) {
    this.spawn = {worker: createModuleWorker, pageEngine: importPageEngine, ...options.spawn};
  }

  /** The report of the running engine (starting one if none runs). */
  ready(): Promise<ComputeReport> {
    return (this.readyPromise ??= this.start());
  }

  /** Posts to the running engine (call after `ready()`). */
  post(message: PageMessage, transfer?: Transferable[]): void {
    this.host!.post(message, transfer);
  }

  /** Posts to the running engine, if there is one. */
  postIfRunning(message: PageMessage): void {
    this.host?.post(message);
  }

  /** Called with each new report (a restarted worker, a fallback); at once with the current one. */
  onReport(listener: (report: ComputeReport) => void): void {
    this.listeners.add(listener);
    if (this.lastReport) listener(this.lastReport);
  }

  /** The last report, if an engine is ready. */
  get report(): ComputeReport | null {
    return this.lastReport;
  }

  /** The running engine computes with another model now: the report names it, and the listeners hear of it. */
  modelChanged(model: ComputeReport["model"]): void {
    if (!this.lastReport) return;
    this.lastReport = {...this.lastReport, model};
    const report = this.lastReport;
    if (this.readyPromise) this.readyPromise = Promise.resolve(report);
    for (const listener of this.listeners) listener(report);
  }

  /** Engines started so far: a new one (after a crash or a restart) has only the site's model. */
  engines = 0;

  /** Ends the engine; the next `ready()` starts a new one. */
  restart(why: string): void {
    this.end(`restarted: ${why}`);
  }

  private end(note: string): void {
    const host = this.host;
    this.host = null;
    this.readyPromise = null;
    try {
      host?.terminate();
    } catch {
      // already gone
    }
    this.history.push(note);
  }

  private crashed(why: string): void {
    if (this.starting) {
      // The worker died while starting (a browser that cannot run the bundle as a module): start() falls back.
      this.connectWaiter?.reject(new Error(why));
      this.connectWaiter = null;
      return;
    }
    this.end(`a worker stopped: ${why}`);
    this.events.stopped(why);
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
    let started = this.pageReason === null ? await this.startWorkerWatched() : null;
    if (!started) {
      started = await this.startOnPage();
      notes.push(`computing on the page's main thread: ${this.pageReason}; the page may pause while it computes`);
    }
    if (this.singleThreadReason) notes.push(this.singleThreadReason);
    const {host, connection} = started;
    this.host = host;
    this.engines++;
    const full: ComputeReport = {
      ...connection.report,
      where: host.where,
      notes: [...notes, ...connection.report.notes, ...this.history.slice(-1)],
      cores: this.options.cores,
      readyMs: performance.now() - t0,
    };
    this.lastReport = full;
    for (const listener of this.listeners) listener(full);
    return full;
  }

  /**
   * startWorker, with the start-up watchdog: a worker that does not answer
   * within the time is ended and started again on one thread; a second that
   * does not either, and the engine runs on the page.
   */
  private async startWorkerWatched(): Promise<{host: Host; connection: Connection} | null> {
    for (;;) {
      try {
        return await this.startWorker();
      } catch (e) {
        if ((e as Error).name !== "StartTimeout") throw e;
        const seconds = Math.round(this.startupTimeoutMs / 1000);
        if (this.singleThreadReason) {
          this.pageReason = `the worker did not start, even on one thread (${(e as Error).message})`;
          return null;
        }
        this.history.push(`restarted: ${(e as Error).message}`);
        this.singleThreadReason = `one thread: WebAssembly's threads did not start in this browser (no answer within ${seconds} s), so the worker was started again on one thread`;
      }
    }
  }

  private get startupTimeoutMs(): number {
    return this.options.startupTimeoutMs ?? STARTUP_TIMEOUT_MS;
  }

  /** The engine in a module worker, or null (with `pageReason` set) where it must run on the page instead; a StartTimeout error if it never answers. */
  private async startWorker(): Promise<{host: Host; connection: Connection} | null> {
    const worker = this.spawn.worker(this.options.workerUrl);
    if (worker instanceof Error) {
      this.pageReason = `no module worker here (${worker.message})`;
      return null;
    }
    // Messages of a worker ended by the watchdog are not this start's.
    let current = true;
    const host = workerHost(worker, (message) => current && this.handle(message), (why) => current && this.crashed(why));
    try {
      const connection = await this.withinStartupTime(this.connect(host, null));
      const gpu = connection.skipped ? gpuOnlyOnPage(connection.skipped) : null;
      if (!gpu) return {host, connection};
      host.terminate();
      this.pageReason = `${gpu} is not available in a worker in this browser`;
      return null;
    } catch (e) {
      current = false;
      host.terminate();
      if ((e as Error).name === "StartTimeout") throw e;
      // A browser that ignores {type: "module"} fails to parse the bundle in a classic worker.
      if ((e as Error).name === "ComputeFailed") throw e;
      this.pageReason = `the worker could not start (${(e as Error).message})`;
      return null;
    }
  }

  /** The engine on the page's main thread, with the GPU backend the worker lacked if that is why. */
  private async startOnPage(): Promise<{host: Host; connection: Connection}> {
    const startPageEngine = await this.spawn.pageEngine(this.options.workerUrl);
    let send: (message: PageMessage) => void;
    const host: Host = {where: "page", post: (message) => send(message), terminate: () => undefined};
    send = startPageEngine((message) => this.handle(message));
    const prefer = gpuPreference(this.pageReason!) ?? this.options.search.get("backend");
    return {host, connection: await this.connect(host, prefer)};
  }

  /** `connecting`, or a StartTimeout error (naming the last stage reached) if it has not settled within the start-up time. */
  private withinStartupTime(connecting: Promise<Connection>): Promise<Connection> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.connectWaiter = null;
        const error = new Error(`no answer within ${Math.round(this.startupTimeoutMs / 1000)} s; last stage: ${this.stage ?? "none (the worker's script had not run)"}`);
        error.name = "StartTimeout";
        reject(error);
      }, this.startupTimeoutMs);
    });
    return Promise.race([connecting, late]).finally(() => clearTimeout(timer));
  }

  private connect(host: Host, preferBackend: string | null): Promise<Connection> {
    const {search} = this.options;
    this.stage = null;
    return new Promise((resolve, reject) => {
      this.connectWaiter = {resolve, reject};
      host.post({
        type: "init",
        files: this.options.files,
        preferBackend: preferBackend ?? search.get("backend"),
        pageHasWebGPU: typeof navigator !== "undefined" && Boolean((navigator as Navigator & {gpu?: unknown}).gpu),
        threads: this.options.threads,
        batchSize: positiveInteger(search.get("batch")),
        shapeUniforms: search.get("shape-uniforms") !== "off",
        abortFlag: this.options.abortFlag,
        ...(this.singleThreadReason ? {singleThread: true} : {}),
      });
    });
  }

  /** The engine's messages: its start-up answer here, everything else to the client. */
  private handle(message: WorkerMessage): void {
    if (message.type === "starting") this.stage = message.stage;
    else if (message.type === "ready") {
      const skipped = message.report.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join("; ");
      this.connectWaiter?.resolve({report: message.report, skipped});
      this.connectWaiter = null;
    } else if (message.type === "failed") {
      const error = new Error(message.message);
      error.name = "ComputeFailed";
      Object.assign(error, {skipped: message.skipped});
      this.connectWaiter?.reject(error);
      this.connectWaiter = null;
    } else this.events.receive(message);
  }
}

/** A module worker, or the Error that says why none could be made. */
function createModuleWorker(url: string): WorkerLike | Error {
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
    return worker as unknown as WorkerLike;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

async function importPageEngine(url: string): Promise<PageEngineStarter> {
  const {startPageEngine} = (await import(/* @vite-ignore */ url)) as typeof import("./worker.js");
  return startPageEngine;
}

function workerHost(worker: WorkerLike, receive: (message: WorkerMessage) => void, crashed: (why: string) => void): Host {
  worker.onmessage = (e) => receive(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    crashed(e.message || "an uncaught error");
  };
  worker.onmessageerror = () => crashed("a message could not be read");
  return {where: "worker", post: (message, transfer) => worker.postMessage(message, transfer ?? []), terminate: () => worker.terminate()};
}

/** "WebGPU"/"WebGL" when the worker skipped that backend only because it runs in a worker, and the page has it. */
function gpuOnlyOnPage(skipped: string): string | null {
  if (!skipped.includes(IN_WORKER_UNAVAILABLE)) return null;
  if (/webgpu: not available in a worker/.test(skipped) && typeof navigator !== "undefined" && "gpu" in navigator) return "WebGPU";
  if (/webgl: not available in a worker/.test(skipped)) return "WebGL";
  return null;
}

function gpuPreference(reason: string): string | null {
  return reason.startsWith("WebGPU") ? "webgpu" : reason.startsWith("WebGL") ? "webgl" : null;
}

export function positiveInteger(raw: string | null): number | null {
  if (raw === null) return null;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : null;
}
