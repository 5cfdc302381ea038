// What every chapter page needs besides its own teaching code: the gallery
// photos, the page's compute service (a worker that owns TensorFlow.js and
// the model, src/compute), and live figures whose computations run there and
// whose captions name where they ran.
//
// Pages create one with `const chapter = await startChapter(rt, gallery,
// pixels)`, where rt is the runtime bundle (`import * as rt from
// "../_bundle/runtime.js"`). A photo id is a gallery file name or the
// reader's upload ("upload-<hash>", see upload.ts): index and photo resolve
// both; the compute service sends an upload's pixels to the worker the first
// time a request names it.
//
// A figure's `compute(params, {signal, onProgress, partial}, scope)` runs in
// the compute worker, where its third parameter, the WorkerScope of
// src/compute/scope.ts, brings what it uses: the worker's session (`worker`:
// the photos as tensors, cached explanations), tf, the model, the library.
// Nothing of the page reaches it but `params` and the figure's `uses`. What it
// returns (typed arrays moved, not copied) is what `render` draws on the page.
// Components never import the bundle themselves (only its types), so the
// type check works before the bundle is built.
import type * as Runtime from "./page-runtime.js";
import type {ComputeContext, ComputeReport, GalleryMeta, ModelInfo} from "../compute/contract.js";
import type {ComputeClient, RunOptions} from "../compute/client.js";
import type {WorkerScope} from "../compute/scope.js";
import {galleryIndex, photoPixels} from "./image-picker.js";
import {syncUpload} from "./upload.js";
import {LiveFigure, type LiveOptions} from "./live.js";
import {attachTakeHome} from "./take-home.js";
import {toBase64, type FigurePhoto} from "../lib/figure-record.js";
import {modelControl} from "./model-control.js";
import {memoryHints, modelMemoryBudget} from "./model-memory.js";
import {applyStoredClassNames, forgetModel, storedModelBytes, storeModel, type StoredModel} from "./model-storage.js";
import {shortSha} from "./model-switcher.js";

export type RuntimeModule = typeof Runtime;
export type {Timed} from "../compute/contract.js";

/** A live figure whose computation runs in the compute worker. */
export interface ComputeFigureOptions<P, R> extends Omit<LiveOptions<P, R>, "backend" | "compute" | "startOnClick" | "renderPartial"> {
  /** Runs in the compute worker, with the worker's scope as its third parameter (see src/compute/scope.ts). */
  compute: (params: P, context: ComputeContext, scope: WorkerScope<any>) => Promise<R>;
  /** Functions of the page that `compute` calls, and values it reads: `scope.uses` in the worker. */
  uses?: RunOptions["uses"];
  /** Draws a partial result sent by `compute` through `partial(value)`. */
  renderPartial?: (value: any, params: P) => Node;
  /**
   * A heavy extra (several seconds on the CPU): on the CPU backends it waits
   * for a click on a button with this label before its first computation;
   * later changes recompute at once. On a GPU backend it computes at once.
   */
  heavy?: (params: P) => string;
}

/** A chapter page: its photos, its live figures, and where they compute. */
export interface Chapter {
  compute: ComputeClient;
  gallery: GalleryMeta;
  /** Gallery index of a photo (0 if unknown); the reader's upload is the last entry, label -1. */
  index(id: string): number;
  /** uint8 RGB (HWC) of a photo (gallery or upload). */
  photo(id: string): Uint8Array;
  /** A live figure computed in the compute worker. */
  live<P, R>(options: ComputeFigureOptions<P, R>): LiveFigure<P, R>;
  /** "wasm, 2 threads" / "webgpu" / "wasm on the main thread": where the figures compute. */
  where(): string;
  /** "tench, 97.1%" */
  classLabel(index: number, probability?: number): string;
  /** "Use your own model" (model-control.ts), to show next to the photo picker. */
  modelControl(): HTMLElement;
  /** The model the figures compute with (the reader's own once it has loaded), or null if no compute service starts. */
  model(): Promise<ModelInfo | null>;
}

export async function startChapter(rt: RuntimeModule, gallery: GalleryMeta, pixels: Uint8Array): Promise<Chapter> {
  syncUpload(gallery); // a photo uploaded in another chapter of this tab
  const client = rt.compute();
  const active = useStoredModel(client, gallery);
  const budget = modelMemoryBudget(memoryHints());
  client.setPhotoSource((id) => (gallery.images.some((image) => image.id === id && image.uploaded) ? photoPixels(gallery, pixels, galleryIndex(gallery, id)) : null));
  const where = () => describeWhere(client.report);
  // On GPU backends, the engine compiles this chapter's programs once it is
  // idle (src/compute/warm-up.ts); each new engine (after a crash) again.
  client.onReport(() => void client.warmUp(location.pathname).catch(() => undefined));
  return {
    compute: client,
    gallery,
    index: (id) => galleryIndex(gallery, id),
    photo: (id) => photoPixels(gallery, pixels, galleryIndex(gallery, id)),
    live<P, R>({compute, uses, renderPartial, heavy, ...options}: ComputeFigureOptions<P, R>) {
      const figure = new LiveFigure<P, R>({
        ...options,
        renderPartial,
        backend: where,
        model: () => describeModel(client.report),
        compute: (params, context) =>
          client.run<R>(compute as (...args: never[]) => unknown, params, {
            uses,
            signal: context.signal,
            onProgress: context.onProgress,
            onPartial: renderPartial ? context.partial : undefined,
          }),
        startOnClick: heavy && (async (params: P) => ((await client.ready()) && isCpu(client.report) ? heavy(params) : null)),
      });
      // Every live figure can be taken home (downloads, tables, a link): take-home.ts.
      attachTakeHome({
        name: options.name,
        element: figure.element,
        shown: () => figure.shown(),
        onShown: (listener) => figure.onShown(listener),
        model: () => client.report?.model ?? null,
        photo: (id) => photoRecord(gallery, pixels, id),
        className: (index) => gallery.classes[index]?.name ?? `class ${index}`,
      });
      return figure;
    },
    where,
    modelControl: () =>
      modelControl(
        {
          client,
          budget,
          imagenetNames: () => fetch(rt.imagenetLabelsUrl()).then((r) => (r.ok ? (r.json() as Promise<string[]>) : null), () => null),
          store: storeModel,
          forget: forgetModel,
          storedBytes: storedModelBytes,
          // Every figure, class picker and caption follows the new model: the page starts again with it.
          changed: () => location.reload(),
        },
        active,
      ),
    model: () => client.activeModel().catch(() => null),
    classLabel(index, probability) {
      const name = gallery.classes[index]?.name ?? `class ${index}`;
      return probability === undefined ? name : `${name}, ${(100 * probability).toFixed(1)}%`;
    },
  };
}

/** A photo as a figure record names it: a gallery file, or an upload with its pixels. */
function photoRecord(gallery: GalleryMeta, pixels: Uint8Array, id: string): FigurePhoto | null {
  const image = gallery.images.find((candidate) => candidate.id === id);
  if (!image) return null;
  if (image.uploaded) return {id, file: null, wnid: null, className: "your photo", uploaded: true, pixels: toBase64(photoPixels(gallery, pixels, galleryIndex(gallery, id)))};
  return {id, file: image.id, wnid: image.wnid, className: image.className, uploaded: false};
}

/**
 * The reader's model kept for this tab (model-storage.ts), if any: its class
 * names replace the gallery's (the pickers and predictions show them), and
 * its file goes to each new compute engine before its first request. If the
 * file is gone or refused, the page forgets it and starts again with the
 * site's model.
 */
function useStoredModel(client: ComputeClient, gallery: GalleryMeta): StoredModel | null {
  const stored = applyStoredClassNames(gallery);
  if (!stored) return null;
  const budget = modelMemoryBudget(memoryHints());
  client.setModelSource(
    async () => {
      const bytes = await storedModelBytes(stored.info.sha256);
      if (!bytes) throw new Error("the model's file is no longer stored in this browser");
      return {bytes, file: stored.info.file, maxDecodedBytes: budget};
    },
    (e) => {
      console.warn(`your model could not be restored (${e instanceof Error ? e.message : String(e)}): back to the handout's model`);
      void forgetModel().then(() => location.reload());
    },
  );
  return stored;
}

/** The model named in a caption: "resnet18, 10 classes, sha256 5f3a2b…" (the reader's marked "your"). */
export function describeModel(report: ComputeReport | null): {text: string; sha256: string} | null {
  if (!report) return null;
  const m = report.model;
  return {text: `${m.origin === "reader" ? "your " : ""}${m.architecture}, ${m.classCount} classes, sha256 ${shortSha(m.sha256)}`, sha256: m.sha256};
}

function isCpu(report: ComputeReport | null): boolean {
  return !report || report.backend.name === "wasm" || report.backend.name === "cpu";
}

/** "wasm, 2 threads", "webgpu", "wasm, 1 thread, main thread". */
export function describeWhere(report: ComputeReport | null): string {
  if (!report) return "starting";
  const parts: string[] = [report.backend.name];
  if (report.threads !== null) parts.push(`${report.threads} thread${report.threads === 1 ? "" : "s"}`);
  if (report.where === "page") parts.push("main thread");
  return parts.join(", ");
}
