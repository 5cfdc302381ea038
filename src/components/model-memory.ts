// Whether this device can hold the reader's model, decided before its file
// is decoded. A model in memory takes, at the peak of loading, the file's
// bytes, the weights decoded to float32 and the backend's copy of them (the
// BatchNorm-folded convolutions): about three times its float32 size, plus
// what the methods need (a few hundred MB for a batch of 8 at 224 x 224).
//
// The budget, a heuristic (browsers do not say how much memory a tab may
// take):
// - navigator.deviceMemory (Chrome, Edge; rounded down to 0.25 … 8 GB, and
//   capped at 8 to hide the device): a quarter of it for the weights'
//   copy plus the file itself (the library's readWeightFile memoryBudget), so 2 GB at 8 GB;
// - else performance.memory.jsHeapSizeLimit (Chrome's old API): a quarter;
// - else (Firefox, Safari) 1 GB: a ResNet-152 (240 MB of float32) fits,
//   something ten times larger does not.
// The file's own size is checked against the same budget first (a float16
// file decodes to twice its size), then the worker checks the decoded size
// from the file's header before decoding any tensor (model-file.ts).

const GB = 2 ** 30;

export interface MemoryHints {
  /** navigator.deviceMemory, in GB. */
  deviceMemory?: number;
  /** performance.memory.jsHeapSizeLimit, in bytes. */
  jsHeapSizeLimit?: number;
}

/** Bytes of float32 weights this device may decode. */
export function modelMemoryBudget({deviceMemory, jsHeapSizeLimit}: MemoryHints): number {
  if (deviceMemory && deviceMemory > 0) return (deviceMemory * GB) / 4;
  if (jsHeapSizeLimit && jsHeapSizeLimit > 0) return jsHeapSizeLimit / 4;
  return GB;
}

/** The browser's hints (absent ones undefined). */
export function memoryHints(): MemoryHints {
  const nav = globalThis.navigator as (Navigator & {deviceMemory?: number}) | undefined;
  const perf = globalThis.performance as (Performance & {memory?: {jsHeapSizeLimit?: number}}) | undefined;
  return {deviceMemory: nav?.deviceMemory, jsHeapSizeLimit: perf?.memory?.jsHeapSizeLimit};
}

/** A message if a file of `bytes` is too large for `budget`, else null (checked before the file is read). */
export function fileTooLarge(bytes: number, budget: number): string | null {
  if (bytes <= budget) return null;
  const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
  return `The file is ${mb(bytes)}, over the ${mb(budget)} this device can spare for a model's weights (a heuristic from the memory the browser reports): use a smaller model, or a device with more memory.`;
}
