// ResNet's stem max pool (3x3, stride 2, padding 1) with PyTorch's gradient.
//
// Why not tf.maxPool's own gradient: where a window holds several equal
// maxima (common on dark or flat images, e.g. the black end of the integrated
// gradients path), PyTorch routes the gradient to the *first* maximum in
// row-major order, while tfjs backends differ (wasm picks the last). The
// reference numbers are PyTorch's, so the routing is spelled out here with
// forward ops only, identically on every backend.
//
// How, with kernels that are fast on every backend (on wasm, slices,
// strided slices, `maximum`, `where` and `depthToSpace` are 5-60x slower
// than a multiply): window offset (ky, kx) of all windows, x_pad[2i+ky,
// 2j+kx], is a stride-2 depthwise convolution with a one-hot 3x3 kernel.
// Offsets are visited in row-major order; each takes the gradient of the
// windows whose maximum it holds and that no earlier offset took. The routed
// gradients land on the four parity grids (even/odd rows x columns) of the
// padded input, shifted by (ky>>1, kx>>1), and the grids are interleaved back.
import * as tf from "@tensorflow/tfjs";
import {interleaveGrids} from "./parity.js";

const KERNEL = 3;
const PAD = 1;

/** Max pool 3x3/2, padding 1, of post-ReLU activations (>= 0, so zero padding equals -inf padding). */
export function stemMaxPool(x: tf.Tensor4D): tf.Tensor4D {
  return maxPoolOp(x);
}

/** One-hot depthwise kernels [3,3,c,1] picking window offset (ky, kx), cached per channel count. */
const pickers = new Map<number, tf.Tensor4D[]>();
function windowPickers(channels: number): tf.Tensor4D[] {
  let kernels = pickers.get(channels);
  if (!kernels) {
    kernels = Array.from({length: KERNEL * KERNEL}, (_, k) => tf.tidy(() => {
      const onehot = new Float32Array(KERNEL * KERNEL * channels);
      onehot.fill(1, k * channels, (k + 1) * channels);
      return tf.keep(tf.tensor4d(onehot, [KERNEL, KERNEL, channels, 1]));
    }));
    pickers.set(channels, kernels);
  }
  return kernels;
}

const maxPoolOp = tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
  const value = tf.maxPool(tf.pad(x, [[0, 0], [PAD, PAD], [PAD, PAD], [0, 0]]), KERNEL, 2, "valid");
  save([x, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, m] = saved as [tf.Tensor4D, tf.Tensor4D];
      const [n, h, w, c] = input.shape;
      const [, oh, ow] = m.shape;
      // Pad to an even size that covers every window: rows 0 .. 2*oh.
      const ph = 2 * oh + 2;
      const pw = 2 * ow + 2;
      const padded = tf.pad(input, [[0, 0], [PAD, ph - h - PAD], [PAD, pw - w - PAD], [0, 0]]) as tf.Tensor4D;
      const kernels = windowPickers(c);
      const parity: tf.Tensor4D[][] = [[], [], [], []];
      let remaining = dy as tf.Tensor4D; // the gradient of windows whose maximum no earlier offset held
      for (let ky = 0; ky < KERNEL; ky++) {
        for (let kx = 0; kx < KERNEL; kx++) {
          const [a, b, qy, qx] = [ky % 2, kx % 2, ky >> 1, kx >> 1];
          const window = tf.depthwiseConv2d(padded, kernels[ky * KERNEL + kx], 2, "valid"); // [n, oh, ow, c]
          // m - window >= 0, and == 0 exactly where this offset holds the maximum.
          const passed = tf.mul(remaining, tf.step(tf.sub(m, window))) as tf.Tensor4D;
          const routed = tf.sub(remaining, passed);
          remaining = passed;
          // Row 2i+ky of the padded input is row i+qy of parity grid a.
          parity[2 * a + b].push(tf.pad(routed, [[0, 0], [qy, ph / 2 - qy - oh], [qx, pw / 2 - qx - ow], [0, 0]]) as tf.Tensor4D);
        }
      }
      const sums = parity.map((parts) => (parts.length === 1 ? parts[0] : tf.addN(parts)));
      const gradPadded = interleaveGrids(tf.concat(sums, 0) as tf.Tensor4D);
      return gradPadded.slice([0, PAD, PAD, 0], [n, h, w, c]);
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D) => tf.Tensor4D;
