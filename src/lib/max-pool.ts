// ResNet's stem max pool (3x3, stride 2, padding 1) with PyTorch's gradient.
//
// Why not tf.maxPool's own gradient: where a window holds several equal
// maxima (common on dark or flat images, e.g. the black end of the integrated
// gradients path), PyTorch routes the gradient to the *first* maximum in
// row-major order, while tfjs backends differ (wasm picks the last). The
// reference numbers are PyTorch's, so the routing is spelled out here with
// forward ops only, identically on every backend.
import * as tf from "@tensorflow/tfjs";

const KERNEL = 3;
const STRIDE = 2;
const PAD = 1;

/** Max pool 3x3/2, padding 1, of post-ReLU activations (>= 0, so zero padding equals -inf padding). */
export function stemMaxPool(x: tf.Tensor4D): tf.Tensor4D {
  return maxPoolOp(x);
}

const maxPoolOp = tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
  const padded = tf.pad(x, [[0, 0], [PAD, PAD], [PAD, PAD], [0, 0]]) as tf.Tensor4D;
  const value = tf.maxPool(padded, KERNEL, STRIDE, "valid");
  save([padded, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [p, m] = saved as [tf.Tensor4D, tf.Tensor4D];
      const [n, ph, pw, c] = p.shape;
      const [, h, w] = m.shape;
      let taken = tf.zerosLike(m); // 1 where an earlier window position already was the max
      let grad = tf.zeros([n, ph, pw, c]) as tf.Tensor4D;
      for (let ky = 0; ky < KERNEL; ky++) {
        for (let kx = 0; kx < KERNEL; kx++) {
          const window = tf.stridedSlice(p, [0, ky, kx, 0], [n, ky + STRIDE * (h - 1) + 1, kx + STRIDE * (w - 1) + 1, c], [1, STRIDE, STRIDE, 1]);
          const isMax = tf.equal(window, m).toFloat();
          const first = tf.mul(isMax, tf.sub(1, taken));
          taken = tf.maximum(taken, isMax);
          // Scatter dy * first back to rows ky + 2i, cols kx + 2j of the padded input.
          const routed = tf.mul(dy, first).reshape([n, h, 1, w, 1, c]);
          const dilated = tf.pad(routed, [[0, 0], [0, 0], [0, STRIDE - 1], [0, 0], [0, STRIDE - 1], [0, 0]]).reshape([n, h * STRIDE, w * STRIDE, c]);
          // dilated spans rows ky .. ky + 2h - 1, which may run one row past the padded input.
          const placed = tf.pad(dilated, [[0, 0], [ky, Math.max(ph - ky - h * STRIDE, 0)], [kx, Math.max(pw - kx - w * STRIDE, 0)], [0, 0]]) as tf.Tensor4D;
          const fitted = placed.shape[1] > ph || placed.shape[2] > pw ? placed.slice([0, 0, 0, 0], [n, ph, pw, c]) : placed;
          grad = tf.add(grad, fitted);
        }
      }
      return grad.slice([0, PAD, PAD, 0], [n, ph - 2 * PAD, pw - 2 * PAD, c]);
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D) => tf.Tensor4D;
