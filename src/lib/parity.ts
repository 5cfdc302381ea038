// Even/odd (parity) grids of an image-shaped tensor: stride-2 gradients
// (convolutions, the stem max pool) are computed per output parity and
// interleaved back.
//
// Grid (a, b) holds rows 2i+a and columns 2j+b. The four grids travel
// stacked on the batch axis, grid (a, b) at batch block 2a+b: [4n,h,w,c].
// Why this layout: on the wasm backend, joining on the batch axis and
// rank-3/4 transposes are fast, while `depthToSpace` and channel-axis
// concats are much slower (e.g. depthToSpace
// [8,57,57,256]: 451 ms, the transposes: 7 ms). Ranks stay <= 4 because
// tfjs-webgpu 4.22 fails on some rank-6 programs.
import * as tf from "@tensorflow/tfjs";

/** [4n,h,w,c], grid (a, b) at batch block 2a+b -> [n,2h,2w,c], out[2i+a, 2j+b] = grid (a, b) [i, j]. */
export function interleaveGrids(grids: tf.Tensor4D): tf.Tensor4D {
  const [n4, h, w, c] = grids.shape;
  const n = n4 / 4;
  return tf.tidy(() => {
    const columnsJoined = grids.reshape([2, 2, n * h * w, c]).transpose([0, 2, 1, 3]);
    return columnsJoined.reshape([2, n * h, w * 2 * c]).transpose([1, 0, 2]).reshape([n, 2 * h, 2 * w, c]) as tf.Tensor4D;
  });
}

/** [n,h,w,4c] with grid (a, b) on channels (2a+b)c .. (2a+b+1)c-1 -> [n,2h,2w,c] (what `tf.depthToSpace(x, 2)` gives). */
export function interleaveChannels(grids: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c4] = grids.shape;
  const c = c4 / 4;
  return tf.tidy(() => grids.reshape([n * h, w, 2, c4 / 2]).transpose([0, 2, 1, 3]).reshape([n, 2 * h, 2 * w, c]) as tf.Tensor4D);
}
