// Compiling a chapter's GPU programs while the reader reads.
//
// Why: a GPU backend compiles a program (a WebGL shader, a WebGPU pipeline)
// the first time an op meets a new shape or configuration. A chapter's
// figures compile theirs when the page opens, but the choices a reader
// makes next (another class, another baseline, substrate, metric or method,
// SmoothGrad) each need programs of their own, so the first move of such a
// control would pay for compilation (seconds on some GPUs) on top of the
// computation. So, once the page's own requests are done and the engine is
// idle (engine.ts), it runs each of the chapter's computations once on a
// gallery photo and throws the results away: the programs stay in tfjs's
// cache. The slider values themselves need no new program: batches are
// padded to the batch size on GPU backends (BatchPolicy, batchItems).
//
// A step is the library call a figure makes, with the handout's settings,
// or fewer images where the count makes no difference to the programs; each
// chapter declares its figures and their calls once, in chapters.ts. Steps
// are cancelled between batches when a request arrives, and run again
// later. Only on GPU backends: on wasm and cpu there is nothing to compile.
import type * as tfjs from "@tensorflow/tfjs";
import type {ResNet} from "../lib/index.js";
import {CHAPTER_FIGURES} from "./chapters.js";

export interface WarmUpContext {
  model: ResNet;
  /** A gallery photo at the chapter's size, [size, size, 3] in [0, 1] (the step must not dispose it). */
  image: tfjs.Tensor3D;
  signal: AbortSignal;
}

export interface WarmUpStep {
  label: string;
  run: (context: WarmUpContext) => Promise<unknown>;
}

/** The chapter's name in a path: "/pages/occlusion", "occlusion.html" or "occlusion" -> "occlusion". */
export function chapterName(chapter: string): string {
  return chapter.replace(/\.html$/, "").split("/").filter(Boolean).pop() ?? "";
}

/**
 * The warm-up of a chapter (by its path, e.g. "/pages/occlusion" or
 * "occlusion"): its figures' steps in page order, each call once (figures
 * that share a computation share its step); empty for pages without live
 * figures.
 */
export function chapterWarmUp(chapter: string): WarmUpStep[] {
  const steps = (CHAPTER_FIGURES[chapterName(chapter)] ?? []).flatMap((figure) => figure.warmUp);
  const labels = new Set<string>();
  return steps.filter((step) => !labels.has(step.label) && labels.add(step.label));
}
