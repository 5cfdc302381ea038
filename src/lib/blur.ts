// A Gaussian blur of an image: the "blurred copy" used as a deletion/insertion
// substrate and as an integrated-gradients baseline. A blurred copy keeps the
// colours and the coarse layout of the photo but removes the detail, so it is
// a "removed" image that does not look out of distribution the way black does.
import * as tf from "@tensorflow/tfjs";

/** Default blur: sigma 5 px, as RISE's insertion metric uses (Petsiuk et al. 2018). */
export const BLUR_SIGMA = 5;

/** Normalized 1-D Gaussian weights for `sigma`, radius ceil(3 sigma) (sums to 1). */
export function gaussianKernel(sigma: number): Float32Array {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`blur sigma must be a positive number, got ${sigma}`);
  const radius = Math.ceil(3 * sigma);
  const weights = Array.from({length: 2 * radius + 1}, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = weights.reduce((a, b) => a + b, 0);
  return Float32Array.from(weights, (w) => w / sum);
}

/**
 * Separable Gaussian blur of an [H,W,C] (or [N,H,W,C]) image. Edges are
 * mirrored (reflect padding), so a constant image stays exactly constant and
 * the border does not darken as it would with zero padding.
 */
export function gaussianBlur<T extends tf.Tensor3D | tf.Tensor4D>(image: T, sigma = BLUR_SIGMA): T {
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  return tf.tidy(() => {
    const batched = (image.rank === 3 ? image.expandDims(0) : image) as tf.Tensor4D;
    const [, h, w, channels] = batched.shape;
    if (radius >= h || radius >= w) throw new RangeError(`blur radius ${radius} is too large for a ${h}x${w} image`);
    const k = tf.tensor1d(kernel);
    const rows = tf.tile(k.reshape([kernel.length, 1, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const cols = tf.tile(k.reshape([1, kernel.length, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const padded = tf.mirrorPad(batched, [[0, 0], [radius, radius], [radius, radius], [0, 0]], "reflect");
    const blurred = tf.depthwiseConv2d(tf.depthwiseConv2d(padded, rows, 1, "valid"), cols, 1, "valid");
    return (image.rank === 3 ? blurred.squeeze([0]) : blurred) as T;
  });
}
