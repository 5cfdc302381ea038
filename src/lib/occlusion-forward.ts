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
import {residualBlock, type Block, type ResNet18} from "./resnet18.js";

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

/** `base` [1,H,W,c] with `patch` [1,h,w,c] written over it at (y, x); what falls outside the base is dropped. */
export function paste(base: tf.Tensor4D, patch: tf.Tensor4D, y: number, x: number): tf.Tensor4D {
  const [, H, W, c] = base.shape;
  const [, h, w] = patch.shape;
  const [py0, px0] = [Math.max(0, -y), Math.max(0, -x)];
  const [py1, px1] = [Math.min(h, H - y), Math.min(w, W - x)];
  if (py1 <= py0 || px1 <= px0) return base.clone();
  const [Y, X, ph, pw] = [y + py0, x + px0, py1 - py0, px1 - px0];
  const inside = ph === h && pw === w ? patch : patch.slice([0, py0, px0, 0], [1, ph, pw, c]);
  if (ph === H && pw === W) return inside.clone();
  const middle: tf.Tensor4D[] = [];
  if (X > 0) middle.push(base.slice([0, Y, 0, 0], [1, ph, X, c]));
  middle.push(inside);
  if (X + pw < W) middle.push(base.slice([0, Y, X + pw, 0], [1, ph, W - X - pw, c]));
  const rows: tf.Tensor4D[] = [];
  if (Y > 0) rows.push(base.slice([0, 0, 0, 0], [1, Y, W, c]));
  rows.push(middle.length === 1 ? middle[0] : tf.concat(middle, 2));
  if (Y + ph < H) rows.push(base.slice([0, Y + ph, 0, 0], [1, H - Y - ph, W, c]));
  return rows.length === 1 ? rows[0] : tf.concat(rows, 1);
}

/** Changed values of each copy of a batch: copy b holds `values[b]` over `regions[b]` (all regions the same size). */
interface Changed {
  regions: Region[];
  /** [B, h, w, c]. */
  values: tf.Tensor4D;
}

/** Zero-padded input of a window op with p = 1 (3x3 convolutions, the max pool), and the unpadded map. */
interface PhotoMap {
  map: tf.Tensor4D;
  padded: tf.Tensor4D;
}

/**
 * One window op (kernel k, stride s, padding p) on the copies' regions `out`:
 * for each copy, the crop of the photo's p-padded input that `out` reads,
 * with the copy's changed input pasted in; `op` (which must not pad) runs on
 * the stacked crops.
 */
function windowOp(photoPadded: tf.Tensor4D, p: number, k: number, s: number, input: Changed, out: Region[], op: (crops: tf.Tensor4D) => tf.Tensor4D): Changed {
  const c = photoPadded.shape[3];
  const crops = out.map((r, b) => {
    const [cy, cx] = [r.y0 * s, r.x0 * s];
    const crop = photoPadded.slice([0, cy, cx, 0], [1, (r.y1 - r.y0 - 1) * s + k, (r.x1 - r.x0 - 1) * s + k, c]);
    const changed = input.values.slice([b, 0, 0, 0], [1, -1, -1, -1]);
    return paste(crop, changed, input.regions[b].y0 + p - cy, input.regions[b].x0 + p - cx);
  });
  return {regions: out, values: op(crops.length === 1 ? crops[0] : tf.concat(crops, 0))};
}

/** A residual block on the copies' changed regions; returns the changed region of its output. */
function blockOnRegions(block: Block, photoInput: PhotoMap, photoMid: PhotoMap, input: Changed): Changed {
  const {conv1, conv2, downsample} = block;
  const s = conv1.spec.stride;
  const [, h, w] = photoMid.map.shape;
  const midRegions = commonSize(input.regions.map((r) => spread(r, 3, s, 1, h, w)), h, w);
  const mid = windowOp(photoInput.padded, 1, 3, s, input, midRegions, (x) => conv1.forwardUnpadded(x));
  const outRegions = commonSize(midRegions.map((r) => spread(r, 3, 1, 1, h, w)), h, w);
  const residual = windowOp(photoMid.padded, 1, 3, 1, mid, outRegions, (x) => conv2.forwardUnpadded(x));
  const shortcut = downsample
    ? windowOp(photoInput.map, 0, 1, s, input, outRegions, (x) => downsample.forwardUnpadded(x))
    : windowOp(photoInput.map, 0, 1, 1, input, outRegions, (x) => x);
  return {regions: outRegions, values: tf.relu(tf.add(residual.values, shortcut.values)) as tf.Tensor4D};
}

const pad1 = (x: tf.Tensor4D) => tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]) as tf.Tensor4D;

export class OcclusionForward {
  /** The photo's normalized input, zero-padded by 3 for the stem. */
  private readonly input: tf.Tensor4D;
  /** The stem's output (input of the max pool), zero-padded by 1: post-ReLU, so zeros act as the pool's -inf padding. */
  private readonly stem: tf.Tensor4D;
  /** Per block: its input and conv1's output, plain and zero-padded by 1. */
  private readonly blocks: {input: PhotoMap; mid: PhotoMap}[] = [];
  /** The photo's layer4 features [1,7,7,512] (what `model.features` gives). */
  readonly features: tf.Tensor4D;
  /** The network input of a black pixel, (0 - mean) / std: [1,1,1,3]. */
  private readonly blackPixel: tf.Tensor4D;

  /** `image`: the photo [H,W,3] in [0,1]. */
  constructor(private readonly model: ResNet18, image: tf.Tensor3D) {
    const keep = <T extends tf.Tensor>(t: T): T => tf.keep(t);
    let input!: tf.Tensor4D, stem!: tf.Tensor4D, features!: tf.Tensor4D, blackPixel!: tf.Tensor4D;
    tf.tidy(() => {
      const normalized = model.normalize(image.expandDims(0) as tf.Tensor4D);
      input = keep(tf.pad(normalized, [[0, 0], [3, 3], [3, 3], [0, 0]]) as tf.Tensor4D);
      const stemOut = model.stem.forward(normalized);
      stem = keep(pad1(stemOut));
      let x = tf.maxPool(stem, 3, 2, "valid") as tf.Tensor4D;
      for (const block of model.blocks) {
        const {mid, out} = residualBlock(block, x);
        this.blocks.push({input: {map: keep(x), padded: keep(pad1(x))}, mid: {map: keep(mid), padded: keep(pad1(mid))}});
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

  /** [B,10] logits of the copies of the photo with each of `patches` (image rows/columns) set to black. */
  logits(patches: Region[]): tf.Tensor2D {
    const {model} = this;
    return tf.tidy(() => {
      // The stem on each patch's spread, the patch pasted black into the crop.
      const stemH = this.stem.shape[1] - 2;
      const stemW = this.stem.shape[2] - 2;
      const stemRegions = commonSize(patches.map((r) => spread(r, 7, 2, 3, stemH, stemW)), stemH, stemW);
      const crops = stemRegions.map((r, b) => {
        const crop = this.input.slice([0, r.y0 * 2, r.x0 * 2, 0], [1, (r.y1 - r.y0 - 1) * 2 + 7, (r.x1 - r.x0 - 1) * 2 + 7, 3]);
        const p = patches[b];
        const black = tf.tile(this.blackPixel, [1, p.y1 - p.y0, p.x1 - p.x0, 1]) as tf.Tensor4D;
        return paste(crop, black, p.y0 + 3 - r.y0 * 2, p.x0 + 3 - r.x0 * 2);
      });
      let changed: Changed = {regions: stemRegions, values: model.stem.forwardUnpadded(crops.length === 1 ? crops[0] : tf.concat(crops, 0))};
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
        changed = blockOnRegions(model.blocks[i], this.blocks[i].input, this.blocks[i].mid, changed);
      }
      return model.head(this.fullMaps(this.features, changed));
    });
  }

  /** [B,...] full maps: the photo's `map` with each copy's changed region pasted in. */
  private fullMaps(map: tf.Tensor4D, changed: Changed): tf.Tensor4D {
    const maps = changed.regions.map((r, b) => paste(map, changed.values.slice([b, 0, 0, 0], [1, -1, -1, -1]), r.y0, r.x0));
    return maps.length === 1 ? maps[0] : (tf.concat(maps, 0) as tf.Tensor4D);
  }

  dispose(): void {
    tf.dispose([this.input, this.stem, this.features, this.blackPixel]);
    for (const {input, mid} of this.blocks) tf.dispose([input.map, input.padded, mid.map, mid.padded]);
  }
}
