// Image and map operations shared by the methods and the figures. The tensor
// versions run on whatever backend the caller chose; the array versions are
// plain TypeScript for pixels already read back.
import * as tf from "@tensorflow/tfjs";

// TensorFlow's resize_with_pad in plain TypeScript (no tfjs): its own module so
// the Node loaders and the browser's upload can import it without tfjs.
export * from "./resize-with-pad.js";

export const IMAGE_SIZE = 224;

/** uint8 HWC RGB -> float32 [224,224,3] in [0,1] (the methods' input). */
export function imageFromBytes(bytes: Uint8Array, size = IMAGE_SIZE): tf.Tensor3D {
  return tf.tidy(() => tf.div(tf.tensor3d(bytes, [size, size, 3], "int32").toFloat(), 255) as tf.Tensor3D);
}

/** `x / max|x|`, clipped to [-1, 1]. An all-zero map stays zero (no NaN). */
export function normalizeMax<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const m = tf.max(tf.abs(x));
    // max|x| = 0: divide by 1 instead of 0 so the map stays all zeros.
    const safe = tf.where(tf.greater(m, 0), m, tf.onesLike(m));
    return tf.clipByValue(tf.div(x, safe), -1, 1) as T;
  });
}

/** `(x - min) / (max - min)`, clipped to [0, 1]. A constant map becomes all zeros. */
export function normalizeZeroOne<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const lo = tf.min(x);
    const range = tf.sub(tf.max(x), lo);
    const safe = tf.where(tf.greater(range, 0), range, tf.onesLike(range));
    return tf.clipByValue(tf.div(tf.sub(x, lo), safe), 0, 1) as T;
  });
}

/**
 * Bilinear resize of an [h,w] map with half-pixel centres and clamped edges
 * (tf.image.resize bilinear, torch `align_corners=False`, jax.image.resize
 * when upsampling).
 */
export function resizeMap(map: tf.Tensor2D, size = IMAGE_SIZE): tf.Tensor2D {
  return tf.tidy(() => {
    const [h, w] = map.shape;
    return tf.image.resizeBilinear(map.reshape([1, h, w, 1]) as tf.Tensor4D, [size, size], false, true).reshape([size, size]) as tf.Tensor2D;
  });
}

/** L2 norm over the channel axis: [...,3] -> [...]. */
export function channelNorm<T extends tf.Tensor>(x: tf.Tensor): T {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(x), -1)) as T);
}

/** Pure-array bilinear resize (half-pixel centres, clamped edges) of an [h,w] map. */
export function resizeMapArray(map: ArrayLike<number>, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const weights = (outSize: number, inSize: number) => {
    const scale = inSize / outSize;
    const lo = new Int32Array(outSize);
    const hi = new Int32Array(outSize);
    const frac = new Float32Array(outSize);
    for (let o = 0; o < outSize; o++) {
      const x = (o + 0.5) * scale - 0.5;
      const f = Math.floor(x);
      lo[o] = Math.max(f, 0);
      hi[o] = Math.min(f + 1, inSize - 1);
      frac[o] = x - f;
    }
    return {lo, hi, frac};
  };
  const ys = weights(outH, h);
  const xs = weights(outW, w);
  for (let y = 0; y < outH; y++) {
    const top = ys.lo[y] * w, bottom = ys.hi[y] * w, fy = ys.frac[y];
    for (let x = 0; x < outW; x++) {
      const l = xs.lo[x], r = xs.hi[x], fx = xs.frac[x];
      const a = map[top + l] + (map[top + r] - map[top + l]) * fx;
      const b = map[bottom + l] + (map[bottom + r] - map[bottom + l]) * fx;
      out[y * outW + x] = a + (b - a) * fy;
    }
  }
  return out;
}

/** Per-pixel blend `alpha * overlay + (1 - alpha) * image` of two RGB(A) byte arrays. */
export function blend(image: Uint8Array | Uint8ClampedArray, overlay: Uint8Array | Uint8ClampedArray, alpha: number, channels = 4): Uint8ClampedArray {
  const out = new Uint8ClampedArray(image.length);
  for (let i = 0; i < image.length; i++) {
    out[i] = (i % channels) === 3 ? 255 : alpha * overlay[i] + (1 - alpha) * image[i];
  }
  return out;
}

/**
 * The handout's signed overlay: positive relevance in red, negative in blue,
 * intensity |r| (r in [-1,1], e.g. after normalizeMax). Returns RGBA bytes.
 */
export function signedOverlay(relevance: ArrayLike<number>): Uint8ClampedArray {
  const out = new Uint8ClampedArray(relevance.length * 4);
  for (let i = 0; i < relevance.length; i++) {
    const r = Number.isFinite(relevance[i]) ? Math.max(-1, Math.min(1, relevance[i])) : 0;
    out[4 * i] = r > 0 ? 255 * r : 0;
    out[4 * i + 2] = r < 0 ? -255 * r : 0;
    out[4 * i + 3] = 255;
  }
  return out;
}
