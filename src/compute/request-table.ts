// The compute client's requests in flight: each has an id, the message that
// went to the engine, the page's callbacks (progress, partial results) and
// the promise it settles. The table routes the engine's answers to them, and
// keeps each request's times for benchmarks and tests. What goes to the
// engine, and when, is the client's business (client.ts); this table holds
// no worker.
import type {ControlRequest, ErrorMessage, PartialMessage, ProgressMessage, ResultMessage, RunRequest} from "./contract.js";

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

export interface RequestCallbacks {
  onProgress?: (done: number, total: number, label?: string) => void;
  onPartial?: (value: unknown) => void;
}

/**
 * A request in flight. "call" and "stream" run page code and are sent again
 * to a new engine after a restart; "control" (inspect, warm-up) asks the
 * engine itself and ends as cancelled instead.
 */
export interface PendingRequest extends RequestCallbacks {
  kind: "call" | "stream" | "control";
  message: RunRequest | ControlRequest;
  times: RequestTimes;
  cancelled: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** The rejection of a cancelled request (named AbortError, like an aborted fetch). */
export class ComputeCancelled extends Error {
  constructor(message = "cancelled: a newer request replaced it") {
    super(message);
    this.name = "AbortError";
  }
}

/** How many requests' times the timeline keeps. */
const TIMELINE_LENGTH = 100;

export class RequestTable {
  private lastId = 0;
  private readonly entries = new Map<number, PendingRequest>();
  /** The last requests' times (call and stream; at most TIMELINE_LENGTH), newest last. */
  readonly timeline: RequestTimes[] = [];

  /** A new request id. */
  nextId(): number {
    return ++this.lastId;
  }

  /** Registers a request; the promise settles with the engine's answer (or a cancellation, or a crash). */
  open(message: RunRequest | ControlRequest, callbacks: RequestCallbacks = {}): {entry: PendingRequest; settled: Promise<unknown>} {
    const kind = message.type === "run" ? message.kind : "control";
    const times: RequestTimes = {id: message.id, sent: performance.now(), firstProgress: null, firstPartial: null, cancelled: null, ended: null, outcome: "pending"};
    if (kind !== "control") {
      this.timeline.push(times);
      if (this.timeline.length > TIMELINE_LENGTH) this.timeline.shift();
    }
    const end = (outcome: RequestTimes["outcome"]) => {
      times.ended ??= performance.now();
      if (times.outcome === "pending") times.outcome = outcome;
    };
    let entry!: PendingRequest;
    const settled = new Promise<unknown>((resolve, reject) => {
      entry = {
        kind,
        message,
        times,
        cancelled: false,
        ...callbacks,
        resolve: (value) => (end("result"), resolve(value)),
        reject: (error) => (end((error as Error)?.name === "AbortError" ? "cancelled" : "error"), reject(error)),
      };
    });
    this.entries.set(message.id, entry);
    return {entry, settled};
  }

  /** The request `id` if it is still in flight. */
  get(id: number): PendingRequest | undefined {
    return this.entries.get(id);
  }

  /** Puts a request taken out by `takeAll` back (sent again to a new engine). */
  restore(entry: PendingRequest): void {
    this.entries.set(entry.message.id, entry);
  }

  /** Marks request `id` cancelled (its answers are ignored from now on); the entry, or undefined if it has ended or was cancelled already. */
  cancel(id: number): PendingRequest | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.cancelled) return undefined;
    entry.cancelled = true;
    entry.times.cancelled = performance.now();
    return entry;
  }

  /** Takes every request out of the table (an engine that stopped). */
  takeAll(): PendingRequest[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    return all;
  }

  get size(): number {
    return this.entries.size;
  }

  /** An answer of the engine to request `message.id`. */
  receive(message: ProgressMessage | PartialMessage | ResultMessage | ErrorMessage): void {
    const entry = this.entries.get(message.id);
    if (!entry) return;
    switch (message.type) {
      case "progress":
        entry.times.firstProgress ??= performance.now();
        if (!entry.cancelled) entry.onProgress?.(message.done, message.total, message.label);
        return;
      case "partial":
        entry.times.firstPartial ??= performance.now();
        if (!entry.cancelled) entry.onPartial?.(message.value);
        return;
      case "result":
        this.entries.delete(message.id);
        if (entry.cancelled) entry.reject(new ComputeCancelled());
        else entry.resolve(message.value);
        return;
      case "error":
        this.entries.delete(message.id);
        entry.reject(message.cancelled || entry.cancelled ? new ComputeCancelled(message.message) : namedError(message.name, message.message));
        return;
    }
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
