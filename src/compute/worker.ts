// Entry of the compute worker (bundled by scripts/bundle-runtime.ts into
// src/_bundle/compute-worker.js). In a dedicated worker it answers the page's
// messages with the engine; imported as a module on the page (a browser
// without module workers, see client.ts), it only exports the engine.
import type {PageMessage, WorkerMessage} from "./contract.js";
import {ComputeEngine} from "./engine.js";

export {ComputeEngine};

/** An engine on the page's main thread that answers through `receive`, like a worker would. */
export function startPageEngine(receive: (message: WorkerMessage) => void): (message: PageMessage) => void {
  const engine = new ComputeEngine((message) => queueMicrotask(() => receive(message)), "page");
  return (message) => queueMicrotask(() => engine.handle(message));
}

declare const WorkerGlobalScope: {new (): unknown} | undefined;
const inWorker = typeof WorkerGlobalScope !== "undefined" && self instanceof (WorkerGlobalScope as unknown as typeof Object);
if (inWorker) {
  const scope = self as unknown as {onmessage: ((e: MessageEvent<PageMessage>) => void) | null; postMessage(message: WorkerMessage, transfer?: Transferable[]): void};
  const engine = new ComputeEngine((message, transfer) => scope.postMessage(message, transfer ?? []), "worker");
  scope.onmessage = (e) => engine.handle(e.data);
  scope.postMessage({type: "starting", stage: "the worker's script loaded"});
}
