// The gallery figure of "Dataset and model": image cards with the true class,
// the predicted class and its probability, plus the accuracy line and the
// timing line. Test hooks: [data-testid="gallery-item"] with data-id (file
// name), data-label and data-predicted (class indices);
// [data-testid="gallery-accuracy"] and [data-testid="first-prediction"].
import type {GalleryMeta} from "../shared/gallery-data.js";
import {imageCard, imageGrid, rgbCanvas} from "./image-grid.js";

export type {GalleryMeta};

export interface Prediction {
  /** Index of the largest probability. */
  predicted: number;
  /** Its softmax probability. */
  confidence: number;
  /** The 10 softmax probabilities. */
  probs: ArrayLike<number>;
}

const percent = (p: number, digits = 0) => `${(100 * p).toFixed(digits)}%`;

/** One card per gallery image; images without a prediction yet show "predicting…". */
export function galleryGrid(meta: GalleryMeta, pixels: Uint8Array, predictions: Prediction[]): HTMLElement {
  const cards = meta.images.map((image, i) => {
    const p = predictions[i];
    const status = p === undefined ? "pending" : p.predicted === image.label ? "right" : "wrong";
    const line = document.createElement("span");
    line.className = "prediction";
    if (p) {
      line.textContent = `${p.predicted === image.label ? "✓" : "✗"} ${meta.classes[p.predicted].name} · ${percent(p.confidence)}`;
    } else {
      line.textContent = "predicting…";
    }
    return imageCard({
      image: rgbCanvas(pixels, i, meta.size, meta.size),
      title: image.className,
      lines: [line],
      status,
      tooltip: p ? `${image.id}\n${topK(meta, p, 3)}` : image.id,
      attributes: {
        "data-testid": "gallery-item",
        "data-id": image.id,
        "data-label": image.label,
        "data-predicted": p?.predicted,
        "data-fixture": image.fixture ? "true" : undefined,
      },
    });
  });
  return imageGrid(cards, {minWidth: 140, attributes: {"data-testid": "gallery"}});
}

/** "Accuracy over the gallery: 33 of 40 = 82.5%" (counts so far while predictions arrive). */
export function galleryAccuracy(meta: GalleryMeta, predictions: Prediction[], done: boolean): HTMLElement {
  const correct = predictions.filter((p, i) => p.predicted === meta.images[i].label).length;
  const n = predictions.length;
  const el = document.createElement("p");
  el.className = "gallery-accuracy";
  el.dataset.testid = "gallery-accuracy";
  el.dataset.correct = String(correct);
  el.dataset.total = String(n);
  el.dataset.done = String(done);
  const strong = document.createElement("strong");
  if (done) {
    strong.textContent = `${correct} of ${n} = ${percent(n ? correct / n : 0, 1)}`;
    el.append("Accuracy over the gallery: ", strong);
  } else {
    strong.textContent = `${correct} of ${n}`;
    el.append(`Right so far (${n} of ${meta.images.length} images classified): `, strong);
  }
  return el;
}

/**
 * The values of a stream of gallery predictions (computed in the compute
 * worker), each with `firstPredictionMs`: when the first predictions arrived
 * on the page, in milliseconds since it started loading.
 */
export async function* withArrivalTimes<T extends {predictions: Prediction[]}>(values: AsyncIterable<T>): AsyncGenerator<T & {firstPredictionMs: number | undefined}> {
  let firstPredictionMs: number | undefined;
  for await (const value of values) {
    if (value.predictions.length) firstPredictionMs ??= performance.now();
    yield {...value, firstPredictionMs};
  }
}

/** "first prediction after 1.2 s · webgl" (seconds since the page started loading; `backend` says where: "wasm, 2 threads"). */
export function firstPrediction(ms: number | undefined, backend: string): HTMLElement {
  const el = document.createElement("p");
  el.className = "first-prediction";
  el.dataset.testid = "first-prediction";
  el.dataset.backend = backend.split(",")[0]; // "wasm, 2 threads": the backend's name first
  if (ms === undefined) {
    el.textContent = `waiting for the first prediction · ${backend}`;
  } else {
    el.dataset.ms = ms.toFixed(0);
    el.textContent = `first prediction after ${(ms / 1000).toFixed(1)} s · ${backend}`;
  }
  return el;
}

function topK(meta: GalleryMeta, p: Prediction, k: number): string {
  return Array.from(p.probs, (prob, c) => ({prob, c}))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k)
    .map(({prob, c}) => `${meta.classes[c].name}: ${percent(prob, 1)}`)
    .join("\n");
}
