// The heatmaps' text alternative on real photos and the real model: a
// gallery photo's content fills one side of the frame (a part of the photo,
// the rest black: the middle of the left edge; the bottom third), and the
// words must name that side.
//
// Not a guess about the model: on the black part, occlusion blacks out what
// is already black (the input, and so the logits, do not change) and
// gradient x input multiplies by pixels that are 0, so both maps hold all
// their relevance on the photo's part. That part is a third of the frame
// each way and ends on boundaries of the S = 6 occlusion grid (patchBounds:
// 0, 37, 74, 112, 149, 186, 224), so no patch reaches across it. What can go
// wrong is the chain from photo to words: rows and columns swapped, a
// mirrored map, a summary that reads the map in another order.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {explain} from "../src/lib/methods.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {patchBounds, type OcclusionExplanation} from "../src/lib/occlusion.js";
import {summarizeRelevance} from "../src/lib/relevance-summary.js";
import {fixtureImage, setup} from "./helpers/model.js";

const SIZE = 224;
const S = 6;
let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => {
  ({tf, model} = await setup());
});

/** A half-open interval of rows or columns (pixels or grid cells). */
type Span = readonly [number, number];

/** Fixture photo `i` kept only inside rows [y0, y1) and columns [x0, x1), black elsewhere (the caller disposes it). */
function photoPart(i: number, [y0, y1]: Span, [x0, x1]: Span): TF.Tensor3D {
  const inside = (a: number, b: number) => tf.tensor1d(Array.from({length: SIZE}, (_, k) => (k >= a && k < b ? 1 : 0)));
  return tf.tidy(() => tf.mul(fixtureImage(i), tf.mul(inside(y0, y1).reshape([SIZE, 1, 1]), inside(x0, x1).reshape([1, SIZE, 1]))) as TF.Tensor3D);
}

/** The share of a size x size map's total |value| outside rows [y0, y1) and columns [x0, x1). */
function shareOutside(map: ArrayLike<number>, size: number, [y0, y1]: Span, [x0, x1]: Span): number {
  let outside = 0;
  let total = 0;
  for (let p = 0; p < size * size; p++) {
    const y = Math.floor(p / size);
    const x = p % size;
    total += Math.abs(map[p]);
    if (y < y0 || y >= y1 || x < x0 || x >= x1) outside += Math.abs(map[p]);
  }
  expect(total).toBeGreaterThan(0);
  return outside / total;
}

const BOUNDS = patchBounds(SIZE, S);
/** The pixels of the occlusion grid's cells [first, end) along one axis. */
const pixels = ([first, end]: Span): Span => [BOUNDS[first][0], BOUNDS[end - 1][1]];

/** Where the photo is kept, in cells of the S = 6 grid (rows, columns): two of six cells are a third of the frame. */
const CASES = [
  // The middle of the left edge: a transposed map would be "top centre", a mirrored one "right side".
  {side: "left", photo: 0, cells: [[2, 4], [0, 2]], words: /^left side$/},
  {side: "bottom", photo: 5, cells: [[4, 6], [0, 6]], words: /^(lower left|bottom centre|lower right)( and the (lower left|bottom centre|lower right))?$/},
] as const;

describe("a photo whose content fills one side of the frame", () => {
  it("two cells of the grid are a third of the frame: 74 and 149 pixels, inside the thirds", () => {
    expect(pixels([0, 2])).toEqual([0, 74]);
    expect(pixels([2, 4])).toEqual([74, 149]);
    expect(pixels([4, 6])).toEqual([149, 224]);
    // Pixel centres 73.5 / 224 < 1/3 and 149.5 / 224 > 2/3.
    expect((74 - 0.5) / SIZE).toBeLessThan(1 / 3);
    expect((149 + 0.5) / SIZE).toBeGreaterThan(2 / 3);
  });

  for (const {side, photo, cells: [cellRows, cellColumns], words} of CASES) {
    it(`content on the ${side}: occlusion and gradient x input are named by that side`, async () => {
      const [rows, columns] = [pixels(cellRows), pixels(cellColumns)];
      const image = photoPart(photo, rows, columns);
      try {
        // All the relevance is on the photo's part: occlusion's S x S drops
        // (its map is their bilinear upsampling, which reaches half a cell
        // past the part's edge) and gradient x input's map.
        const occlusion = await explain("occlusion", model, image, {steps: S});
        expect(shareOutside((occlusion as OcclusionExplanation).grid, S, cellRows, cellColumns)).toBeLessThan(1e-3);
        const gradXInput = await explain("grad_x_input", model, image);
        expect(shareOutside(gradXInput.relevance, SIZE, rows, columns)).toBeLessThan(1e-3);
        // The words name its side.
        for (const {relevance} of [occlusion, gradXInput]) {
          const summary = summarizeRelevance(relevance, SIZE);
          expect(summary.region, summary.text).toMatch(words);
        }
      } finally {
        image.dispose();
      }
    });
  }
});
