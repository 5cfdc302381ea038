// The model's forward pass on occluded copies of one photo, recomputing only
// what a patch changes.
//
// Why: an occluded copy differs from the photo in one patch. Through the
// first layers a change spreads by a few pixels per convolution, so most of
// each early feature map is the photo's own. With a 6 x 6 grid, the stem,
// layer1 and layer2 (55% of ResNet-18's multiply-adds) need only be
// recomputed on the patch's region plus its spread (5-40% of each map).
//
// How: the photo's activations are computed once. For a batch of copies,
// each layer runs on a crop of the photo's zero-padded input to that layer,
// with the copy's changed values pasted in, and without padding of its own
// (the crop carries it): its output is the copy's changed region. Regions
// are grown to the batch's largest so the crops stack into one batch. When a
// region covers over half of its map, the copies continue as full maps. Every
// output is the sum of the same products as in the full pass; results equal
// the full forward's up to float rounding (tested: test/occlusion-forward).
import * as tf from "@tensorflow/tfjs";
import {argmax} from "./explanation.js";
import {residualBlock, type Block, type ResNet} from "./resnet.js";

/** Rows [y0, y1) x columns [x0, x1) of an image or feature map. */
export interface Region {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Copies continue as full maps once their region covers more than this share of a block's output. */
const FULL_MAP_SHARE = 0.5;

/**
 * The outputs of a window op (kernel k, stride s, zero padding p; outH x outW
 * outputs) whose window meets region `r` of its input: where a change of the
 * input in `r` can change the output.
 */
export function spread(r: Region, k: number, s: number, p: number, outH: number, outW: number): Region {
  const first = (a: number) => Math.max(0, Math.ceil((a - k + 1 + p) / s));
  const end = (b: number, n: number) => Math.min(n, Math.floor((b - 1 + p) / s) + 1);
  return {y0: first(r.y0), y1: end(r.y1, outH), x0: first(r.x0), x1: end(r.x1, outW)};
}

/** Every region grown to the largest height and width among them, kept inside the h x w map (so their crops stack). */
export function commonSize(regions: Region[], h: number, w: number): Region[] {
  const rh = Math.max(...regions.map((r) => r.y1 - r.y0));
  const rw = Math.max(...regions.map((r) => r.x1 - r.x0));
  return regions.map((r) => {
    const y0 = Math.min(r.y0, h - rh);
    const x0 = Math.min(r.x0, w - rw);
    return {y0, y1: y0 + rh, x0, x1: x0 + rw};
  });
}

/** Where crop b of a batch starts in the photo's map, and where its copy's changed values start inside the crop (may lie partly outside it). */
export interface CropPlacement {
  crop: {y: number; x: number};
  changedAt: {y: number; x: number};
}

/**
 * [B, h, w, c] crops of `photo` [1,H,W,c], crop b at `placements[b].crop`,
 * with copy b's changed values (`changed` [B,ch,cw,c]) written over it at
 * `placements[b].changedAt`; what falls outside the crop is dropped. With
 * `fill`, `changed` is one value [1,1,1,c] (a black pixel) written over a
 * `fill[b].h` x `fill[b].w` block of crop b instead.
 *
 * Per batch, not per copy: the crops stacked, the changed values padded to
 * crop size (one pad per run of copies whose values sit at the same place),
 * and `crops * keep + placed` with a 0/1 mask made in JavaScript. That is a
 * copy: x * 1 + 0 = x outside the changed block, x * 0 + v = v inside (the
 * maps are finite). Pasting copy by copy (slices and concatenations, which
 * run on one thread while the convolutions run on all) took 5,551 kernel
 * calls and 378 ms of copying for occlusion S = 6; this takes 2,294 calls
 * and 280 ms (Node, wasm, one thread; the same numbers bit for bit).
 */
export function stackCrops(photo: tf.Tensor4D, changed: tf.Tensor4D, placements: CropPlacement[], h: number, w: number, fill?: {h: number; w: number}[]): tf.Tensor4D {
  const [, H, W, c] = photo.shape;
  const count = placements.length;
  for (const {crop} of placements) {
    if (crop.y < 0 || crop.x < 0 || crop.y + h > H || crop.x + w > W) throw new RangeError(`crop ${h}x${w} at (${crop.y}, ${crop.x}) leaves the ${H}x${W} map`);
  }
  // The part of each copy's changed block inside its crop: rows [y0, y1) x columns [x0, x1) of the crop.
  const blocks = placements.map(({changedAt}, b) => {
    const [bh, bw] = fill ? [fill[b].h, fill[b].w] : [changed.shape[1], changed.shape[2]];
    return {y0: Math.max(0, changedAt.y), y1: Math.min(h, changedAt.y + bh), x0: Math.max(0, changedAt.x), x1: Math.min(w, changedAt.x + bw)};
  });
  const mask = new Float32Array(count * h * w);
  blocks.forEach((r, b) => {
    for (let y = r.y0; y < r.y1; y++) mask.fill(1, (b * h + y) * w + r.x0, (b * h + y) * w + r.x1);
  });
  return tf.tidy(() => {
    const same = placements.every(({crop}) => crop.y === placements[0].crop.y && crop.x === placements[0].crop.x);
    const crops = (same ? placements.slice(0, 1) : placements).map(({crop}) => photo.slice([0, crop.y, crop.x, 0], [1, h, w, c]));
    // Full maps (every crop at one place): one slice, repeated.
    const stacked = count === 1 ? crops[0] : tf.concat(same ? Array(count).fill(crops[0]) : crops, 0);
    const inside = tf.tensor4d(mask, [count, h, w, 1]);
    const keep = tf.sub(1, inside);
    const placed = fill ? tf.mul(inside, changed) : placedValues(changed, placements, h, w);
    return tf.add(tf.mul(stacked, keep), placed) as tf.Tensor4D;
  });
}

/** [B,h,w,c]: copy b's changed values at placements[b].changedAt of an h x w crop, clipped to it, 0 elsewhere. */
function placedValues(changed: tf.Tensor4D, placements: CropPlacement[], h: number, w: number): tf.Tensor4D {
  const [, ch, cw, c] = changed.shape;
  const parts: tf.Tensor4D[] = [];
  for (let start = 0; start < placements.length; ) {
    // A run of copies whose values sit at the same place: one pad for all of them.
    const at = placements[start].changedAt;
    let end = start + 1;
    while (end < placements.length && placements[end].changedAt.y === at.y && placements[end].changedAt.x === at.x) end++;
    const [y0, y1, x0, x1] = [Math.max(0, -at.y), Math.min(ch, h - at.y), Math.max(0, -at.x), Math.min(cw, w - at.x)];
    if (y1 <= y0 || x1 <= x0) {
      parts.push(tf.zeros([end - start, h, w, c]));
    } else {
      const visible = changed.slice([start, y0, x0, 0], [end - start, y1 - y0, x1 - x0, c]);
      const [top, left] = [at.y + y0, at.x + x0];
      parts.push(tf.pad(visible, [[0, 0], [top, h - top - (y1 - y0)], [left, w - left - (x1 - x0)], [0, 0]]));
    }
    start = end;
  }
  return parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor4D);
}

/** Changed values of each copy of a batch: copy b holds `values[b]` over `regions[b]` (all regions the same size). */
interface Changed {
  regions: Region[];
  /** [B, h, w, c]. */
  values: tf.Tensor4D;
}

/** A map of the photo, and the same map zero-padded as the convolution that reads it pads (the crops carry that padding). */
interface PhotoMap {
  map: tf.Tensor4D;
  padded: tf.Tensor4D;
  /** The padding of `padded`. */
  pad: number;
}

function photoMap(map: tf.Tensor4D, pad: number): PhotoMap {
  return {map: tf.keep(map), padded: pad === 0 ? map : tf.keep(tf.pad(map, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) as tf.Tensor4D), pad};
}

/** The photo's maps of one block: its input, and the outputs of its main path's convolutions before the last. */
interface PhotoBlock {
  input: PhotoMap;
  inner: PhotoMap[];
}

/**
 * One window op (kernel k, stride s, padding p) on the copies' regions `out`:
 * for each copy, the crop of the photo's p-padded input that `out` reads,
 * with the copy's changed input pasted in; `op` (which must not pad) runs on
 * the stacked crops.
 */
function windowOp(photoPadded: tf.Tensor4D, p: number, k: number, s: number, input: Changed, out: Region[], op: (crops: tf.Tensor4D) => tf.Tensor4D): Changed {
  // commonSize made every region of the batch the same size, so the crops stack.
  const [rh, rw] = [out[0].y1 - out[0].y0, out[0].x1 - out[0].x0];
  const placements = out.map((r, b) => {
    const crop = {y: r.y0 * s, x: r.x0 * s};
    return {crop, changedAt: {y: input.regions[b].y0 + p - crop.y, x: input.regions[b].x0 + p - crop.x}};
  });
  return {regions: out, values: op(stackCrops(photoPadded, input.values, placements, (rh - 1) * s + k, (rw - 1) * s + k))};
}

/**
 * A residual block (BasicBlock or Bottleneck) on the copies' changed
 * regions; returns the changed region of its output. Each convolution of the
 * main path runs on its input's crops; a 1x1 stride-1 convolution, which
 * changes exactly the pixels that changed, runs on the changed values alone.
 */
function blockOnRegions(block: Block, photo: PhotoBlock, input: Changed): Changed {
  const {convs, downsample} = block;
  const stride = convs.reduce((s, c) => s * c.spec.stride, 1);
  let changed = input;
  convs.forEach((conv, i) => {
    const {stride: s, pad: p} = conv.spec;
    const k = conv.spec.filter.shape[0];
    const from = i === 0 ? photo.input : photo.inner[i - 1];
    const [, h, w] = photo.inner[Math.min(i, photo.inner.length - 1)].map.shape;
    if (k === 1 && s === 1 && p === 0) {
      changed = {regions: changed.regions, values: conv.forwardUnpadded(changed.values)};
      return;
    }
    if (from.pad !== p) throw new Error(`occlusion: a photo map padded by ${from.pad} for a convolution that pads ${p}`);
    const out = commonSize(changed.regions.map((r) => spread(r, k, s, p, h, w)), h, w);
    changed = windowOp(from.padded, p, k, s, changed, out, (x) => conv.forwardUnpadded(x));
  });
  const outRegions = changed.regions;
  const shortcut = downsample
    ? windowOp(photo.input.map, 0, 1, stride, input, outRegions, (x) => downsample.forwardUnpadded(x))
    : windowOp(photo.input.map, 0, 1, 1, input, outRegions, (x) => x);
  return {regions: outRegions, values: tf.relu(tf.add(changed.values, shortcut.values)) as tf.Tensor4D};
}

const pad1 = (x: tf.Tensor4D) => tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]) as tf.Tensor4D;

export class OcclusionForward {
  /** The photo's normalized input, zero-padded by 3 for the stem. */
  private readonly input: tf.Tensor4D;
  /** The stem's output (input of the max pool), zero-padded by 1: post-ReLU, so zeros act as the pool's -inf padding. */
  private readonly stem: tf.Tensor4D;
  /** Per block: its input and its inner convolutions' outputs, plain and zero-padded for the convolution that reads them. */
  private readonly blocks: PhotoBlock[] = [];
  /** The photo's last-stage features, e.g. [1,7,7,512] (what `model.features` gives). */
  readonly features: tf.Tensor4D;
  /** The network input of a black pixel, (0 - mean) / std: [1,1,1,3]. */
  private readonly blackPixel: tf.Tensor4D;

  /** `image`: the photo [H,W,3] in [0,1]. */
  constructor(private readonly model: ResNet, image: tf.Tensor3D) {
    const keep = <T extends tf.Tensor>(t: T): T => tf.keep(t);
    let input!: tf.Tensor4D, stem!: tf.Tensor4D, features!: tf.Tensor4D, blackPixel!: tf.Tensor4D;
    tf.tidy(() => {
      const normalized = model.normalize(image.expandDims(0) as tf.Tensor4D);
      input = keep(tf.pad(normalized, [[0, 0], [3, 3], [3, 3], [0, 0]]) as tf.Tensor4D);
      const stemOut = model.stem.forward(normalized);
      stem = keep(pad1(stemOut));
      let x = tf.maxPool(stem, 3, 2, "valid") as tf.Tensor4D;
      for (const block of model.blocks) {
        const {inner, out} = residualBlock(block, x);
        this.blocks.push({input: photoMap(x, block.convs[0].spec.pad), inner: inner.map((m, i) => photoMap(m, block.convs[i + 1].spec.pad))});
        x = out;
      }
      features = keep(x);
      blackPixel = keep(model.normalize(tf.zeros([1, 1, 1, 3])));
    });
    [this.input, this.stem, this.features, this.blackPixel] = [input, stem, features, blackPixel];
  }

  /** The photo's own logits (the same kernels as `model.logits`), read back. */
  async photoLogits(): Promise<{logits: Float32Array; predicted: number}> {
    const t = this.model.head(this.features);
    const logits = (await t.data()) as Float32Array;
    t.dispose();
    return {logits, predicted: argmax(logits)};
  }

  /** [B,classes] logits of the copies of the photo with each of `patches` (image rows/columns) set to black. */
  logits(patches: Region[]): tf.Tensor2D {
    const {model} = this;
    return tf.tidy(() => {
      // The stem on each patch's spread, the patch pasted black into the crop.
      const stemH = this.stem.shape[1] - 2;
      const stemW = this.stem.shape[2] - 2;
      const stemRegions = commonSize(patches.map((r) => spread(r, 7, 2, 3, stemH, stemW)), stemH, stemW);
      const stemCrops = stackCrops(
        this.input, this.blackPixel,
        stemRegions.map((r, b) => ({crop: {y: r.y0 * 2, x: r.x0 * 2}, changedAt: {y: patches[b].y0 + 3 - r.y0 * 2, x: patches[b].x0 + 3 - r.x0 * 2}})),
        (stemRegions[0].y1 - stemRegions[0].y0 - 1) * 2 + 7, (stemRegions[0].x1 - stemRegions[0].x0 - 1) * 2 + 7,
        patches.map((r) => ({h: r.y1 - r.y0, w: r.x1 - r.x0})),
      );
      let changed: Changed = {regions: stemRegions, values: model.stem.forwardUnpadded(stemCrops)};
      const [, poolH, poolW] = this.blocks[0].input.map.shape;
      const poolRegions = commonSize(changed.regions.map((r) => spread(r, 3, 2, 1, poolH, poolW)), poolH, poolW);
      changed = windowOp(this.stem, 1, 3, 2, changed, poolRegions, (x) => tf.maxPool(x, 3, 2, "valid") as tf.Tensor4D);
      for (let i = 0; i < model.blocks.length; i++) {
        const [, h, w] = this.blocks[i].input.map.shape;
        const r = changed.regions[0];
        if ((r.y1 - r.y0) * (r.x1 - r.x0) > FULL_MAP_SHARE * h * w) {
          // Most of the map changes: continue with full maps from block i on.
          return model.head(model.blocksFrom(i, this.fullMaps(this.blocks[i].input.map, changed)));
        }
        changed = blockOnRegions(model.blocks[i], this.blocks[i], changed);
      }
      return model.head(this.fullMaps(this.features, changed));
    });
  }

  /** [B,...] full maps: the photo's `map` with each copy's changed region pasted in. */
  private fullMaps(map: tf.Tensor4D, changed: Changed): tf.Tensor4D {
    const [, H, W] = map.shape;
    return stackCrops(map, changed.values, changed.regions.map((r) => ({crop: {y: 0, x: 0}, changedAt: {y: r.y0, x: r.x0}})), H, W);
  }

  dispose(): void {
    tf.dispose([this.input, this.stem, this.features, this.blackPixel]);
    for (const {input, inner} of this.blocks) {
      for (const m of [input, ...inner]) tf.dispose(m.pad === 0 ? [m.map] : [m.map, m.padded]);
    }
  }
}
