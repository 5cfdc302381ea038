// TensorFlow's `tf.image.resize_with_pad(image, H, W)` (TF2, i.e.
// `resize_image_with_pad_v2`: method=BILINEAR, antialias=False) in plain
// TypeScript, for HWC pixel arrays. No Node, DOM or tfjs imports: the build's
// image loader (src/data/node/imagenette.ts) and the browser's photo upload
// (src/components/upload.ts) run this same code, so an uploaded photo is
// resized exactly like the dataset's photos.
//
// What TensorFlow does, step by step (tensorflow/python/ops/image_ops_impl.py,
// `_resize_image_with_pad_common`, and kernels/image/resize_bilinear_op.cc),
// all arithmetic in float32:
//   ratio   = max(w / W, h / H)
//   rh, rw  = h / ratio, w / ratio                   (float)
//   resized = floor(rh) x floor(rw)
//   top     = max(0, floor((H - rh) / 2))            (from the *float* rh)
//   left    = max(0, floor((W - rw) / 2))
//   bilinear resize to `resized` with half-pixel centres:
//     scale = in / out;  src = (dst + 0.5) * scale - 0.5
//     lower = max(floor(src), 0); upper = min(ceil(src), in - 1)
//     lerp  = src - floor(src)
//     top   = tl + (tr - tl) * xlerp; bottom = bl + (br - bl) * xlerp
//     value = top + (bottom - top) * ylerp
//   then zero padding to H x W at (top, left).
// The result is float32, like TensorFlow's; `toUint8` rounds it.

export type Pixels = Uint8Array | Uint8ClampedArray | Float32Array;

export interface PadLayout {
  /** Size of the resized image inside the padded output. */
  resizedHeight: number;
  resizedWidth: number;
  /** Rows of zeros above / columns of zeros left of the resized image. */
  top: number;
  left: number;
}

const f32 = Math.fround;

/** Where `resize_with_pad` puts an h x w image inside a targetHeight x targetWidth output. */
export function resizeWithPadLayout(height: number, width: number, targetHeight: number, targetWidth: number = targetHeight): PadLayout {
  for (const [name, v] of [["height", height], ["width", width], ["targetHeight", targetHeight], ["targetWidth", targetWidth]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`resizeWithPad: ${name} must be a positive integer, got ${v}`);
  }
  const ratio = Math.max(f32(width / targetWidth), f32(height / targetHeight));
  const rh = f32(height / ratio);
  const rw = f32(width / ratio);
  const layout = {
    resizedHeight: Math.floor(rh),
    resizedWidth: Math.floor(rw),
    top: Math.max(0, Math.floor(f32(f32(targetHeight - rh) / 2))),
    left: Math.max(0, Math.floor(f32(f32(targetWidth - rw) / 2))),
  };
  if (layout.resizedHeight === 0 || layout.resizedWidth === 0) {
    throw new Error(`resizeWithPad: a ${height}x${width} image shrinks to ${layout.resizedHeight}x${layout.resizedWidth} at ${targetHeight}x${targetWidth}: its aspect ratio is too extreme`);
  }
  return layout;
}

interface Interpolation {
  lower: Int32Array;
  upper: Int32Array;
  lerp: Float32Array;
}

function interpolation(outSize: number, inSize: number): Interpolation {
  const scale = f32(inSize / outSize);
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = f32(f32(f32(i + 0.5) * scale) - 0.5);
    const floor = Math.floor(src);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(src), inSize - 1);
    lerp[i] = f32(src - floor);
  }
  return {lower, upper, lerp};
}

/**
 * Bilinear resize of an HWC image with half-pixel centres and no
 * antialiasing (`tf.image.resize(..., "bilinear")`, torch
 * `interpolate(mode="bilinear", align_corners=False, antialias=False)`).
 * Float32 arithmetic in TensorFlow's order of operations.
 */
export function resizeBilinear(src: Pixels, height: number, width: number, channels: number, outHeight: number, outWidth: number): Float32Array {
  if (src.length !== height * width * channels) {
    throw new Error(`resizeBilinear: ${src.length} values for a ${height}x${width}x${channels} image`);
  }
  const ys = interpolation(outHeight, height);
  const xs = interpolation(outWidth, width);
  const out = new Float32Array(outHeight * outWidth * channels);
  const rowStride = width * channels;
  for (let y = 0; y < outHeight; y++) {
    const topRow = ys.lower[y] * rowStride;
    const bottomRow = ys.upper[y] * rowStride;
    const yLerp = ys.lerp[y];
    for (let x = 0; x < outWidth; x++) {
      const left = xs.lower[x] * channels;
      const right = xs.upper[x] * channels;
      const xLerp = xs.lerp[x];
      const o = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) {
        const tl = src[topRow + left + c];
        const tr = src[topRow + right + c];
        const bl = src[bottomRow + left + c];
        const br = src[bottomRow + right + c];
        const top = f32(tl + f32(f32(tr - tl) * xLerp));
        const bottom = f32(bl + f32(f32(br - bl) * xLerp));
        out[o + c] = f32(top + f32(f32(bottom - top) * yLerp));
      }
    }
  }
  return out;
}

/**
 * `tf.image.resize_with_pad(image, targetHeight, targetWidth)` for an HWC
 * image: float32 HWC [targetHeight, targetWidth, channels]. An image already
 * at the target size comes back unchanged (as float32), as in TensorFlow.
 */
export function resizeWithPad(
  src: Pixels,
  height: number,
  width: number,
  channels: number,
  targetHeight: number,
  targetWidth: number = targetHeight,
): {data: Float32Array; layout: PadLayout} {
  const layout = resizeWithPadLayout(height, width, targetHeight, targetWidth);
  const resized = resizeBilinear(src, height, width, channels, layout.resizedHeight, layout.resizedWidth);
  const out = new Float32Array(targetHeight * targetWidth * channels);
  const rowLength = layout.resizedWidth * channels;
  for (let y = 0; y < layout.resizedHeight; y++) {
    out.set(resized.subarray(y * rowLength, (y + 1) * rowLength), ((y + layout.top) * targetWidth + layout.left) * channels);
  }
  return {data: out, layout};
}

export type Rounding = "half-even" | "half-up" | "truncate";

/**
 * Float pixels -> uint8: clip to [0, 255], then round. "half-even" (default)
 * is `tf.round` / `numpy.round`; "half-up" is `Math.round`; "truncate" is
 * numpy's `astype(np.uint8)` of clipped values. NaN becomes 0.
 */
export function toUint8(values: Float32Array | number[], rounding: Rounding = "half-even"): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (!(v > 0)) v = 0; // also NaN
    else if (v > 255) v = 255;
    if (rounding === "truncate") out[i] = Math.trunc(v);
    else if (rounding === "half-up") out[i] = Math.round(v);
    else {
      const floor = Math.floor(v);
      const d = v - floor;
      out[i] = d > 0.5 ? floor + 1 : d < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
    }
  }
  return out;
}

/** `resizeWithPad` followed by `toUint8`; an image already at the target size is returned as is (copied). */
export function resizeWithPadUint8(
  src: Uint8Array,
  height: number,
  width: number,
  channels: number,
  targetHeight: number,
  targetWidth: number = targetHeight,
  rounding: Rounding = "half-even",
): Uint8Array {
  if (height === targetHeight && width === targetWidth) return src.slice();
  return toUint8(resizeWithPad(src, height, width, channels, targetHeight, targetWidth).data, rounding);
}
