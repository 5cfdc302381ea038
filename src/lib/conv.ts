// A convolution (+ folded BatchNorm bias, optional ReLU) whose gradient with
// respect to its input is computed by *forward* kernels only.
//
// Why: attribution methods differentiate the model w.r.t. its input, never
// w.r.t. weights. tfjs's generic conv gradient also asks for the filter
// gradient (missing on the wasm backend) and its input gradient kernel
// (Conv2DBackpropInput) is several times slower than a forward conv there.
// The input gradient of a convolution is itself a convolution: of the
// (zero-dilated, for strides > 1) output gradient with the spatially flipped,
// in/out-transposed kernel. Weights are constants captured by the closure.
import * as tf from "@tensorflow/tfjs";
import {interleaveChannels, interleaveGrids} from "./parity.js";

export interface ConvSpec {
  /** Kernel in tfjs layout [kh, kw, inChannels, outChannels]. */
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  stride: number;
  /** Symmetric zero padding, as PyTorch's `padding=`. */
  pad: number;
  relu: boolean;
}

export class Conv {
  private readonly flipped: tf.Tensor4D;
  private readonly kernel: number;
  private readonly op: (x: tf.Tensor4D) => tf.Tensor4D;

  constructor(readonly spec: ConvSpec) {
    this.kernel = spec.filter.shape[0];
    // rot180 over (kh, kw), swap in/out channels: the kernel of the input gradient.
    this.flipped = tf.tidy(() => tf.reverse(spec.filter, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D);
    this.op = tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
      // Inside tf.grad tfjs un-fuses a conv with a ReLU (conv, add bias,
      // relu). A fused linear conv + relu would save the add, but rounds
      // differently (bias first in the sum), which moves stem max-pool
      // near-ties away from the reference's on the IG fixtures: kept as is.
      const value = this.forward(x);
      if (spec.relu) save([value]);
      const inputShape = x.shape;
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          let g = dy as tf.Tensor4D;
          if (spec.relu) g = tf.mul(g, tf.step(saved[0])) as tf.Tensor4D;
          return this.inputGradient(g, inputShape);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D) => tf.Tensor4D;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return this.op(x);
  }

  /** Plain forward pass (fused conv + bias + ReLU): fastest when no gradient is needed. */
  forward(x: tf.Tensor4D, relu = this.spec.relu, pad = this.spec.pad): tf.Tensor4D {
    const {filter, bias, stride} = this.spec;
    return tf.fused.conv2d({x, filter, strides: stride, pad: zeroPadding(pad), bias, activation: relu ? "relu" : "linear"});
  }

  /**
   * The conv and its bias before the ReLU, as two kernels (conv, then add):
   * exactly the values tfjs computes for this conv inside tf.grad, where it
   * un-fuses a conv with an activation.
   */
  preActivation(x: tf.Tensor4D): tf.Tensor4D {
    const {filter, bias, stride, pad} = this.spec;
    return tf.add(tf.conv2d(x, filter, stride, zeroPadding(pad)), bias);
  }

  /** The forward pass without the zero padding, on a crop that already carries it (see occlusion-forward.ts). */
  forwardUnpadded(x: tf.Tensor4D): tf.Tensor4D {
    return this.forward(x, this.spec.relu, 0);
  }

  /**
   * Stride-2 input gradient by output parity (polyphase): output pixel
   * (2q+ey, 2r+ex) only meets kernel taps of one parity, so the gradient
   * splits into four stride-1 correlations of dy with sub-kernels, 4x fewer
   * multiplications than correlating a zero-dilated dy. Pixel (2q+ey) is row
   * q + floor((ey+pad)/2) of the full correlation with taps k = (ey+pad)%2,
   * +2, ...; the four results are interleaved back.
   */
  private polyphaseInputGradient(dy: tf.Tensor4D, inputShape: number[]): tf.Tensor4D {
    const {pad} = this.spec;
    const k = this.kernel;
    const [n, h, w] = dy.shape;
    const [, height, width, cin] = inputShape;
    if (cin <= 4) {
      const combined = this.combinedPolyphaseInputGradient(dy, inputShape);
      if (combined) return combined;
    }
    const parts: tf.Tensor4D[] = [];
    for (const ey of [0, 1]) {
      for (const ex of [0, 1]) {
        const [ry, rx] = [(ey + pad) % 2, (ex + pad) % 2];
        const [my, mx] = [Math.ceil((k - ry) / 2), Math.ceil((k - rx) / 2)];
        if (my === 0 || mx === 0) {
          parts.push(tf.zeros([n, height / 2, width / 2, cin]));
          continue;
        }
        const sub = this.subKernel(ry, rx, my, mx);
        // Rows ty .. ty + height/2 - 1 of the full correlation (zero-padded
        // by m-1 on both sides) are a correlation padded by m-1-ty before and
        // whatever gives height/2 rows after: the conv pads, no copies.
        const [ty, tx] = [Math.floor((ey + pad) / 2), Math.floor((ex + pad) / 2)];
        const [top, left] = [my - 1 - ty, mx - 1 - tx];
        const [bottom, right] = [height / 2 - h - top + my - 1, width / 2 - w - left + mx - 1];
        if (top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
          parts.push(tf.conv2d(dy, sub, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]));
          continue;
        }
        const full = tf.conv2d(dy, sub, 1, [[0, 0], [my - 1, my - 1], [mx - 1, mx - 1], [0, 0]]);
        // Rows ty .. ty + height/2 - 1 of the full correlation (zero past its end).
        const rows = Math.min(height / 2, h + my - 1 - ty);
        const cols = Math.min(width / 2, w + mx - 1 - tx);
        const window = full.slice([0, ty, tx, 0], [n, rows, cols, cin]);
        parts.push(rows === height / 2 && cols === width / 2 ? window : (tf.pad(window, [[0, 0], [0, height / 2 - rows], [0, width / 2 - cols], [0, 0]]) as tf.Tensor4D));
      }
    }
    return interleaveGrids(tf.concat(parts, 0) as tf.Tensor4D);
  }

  /**
   * The four parity correlations as one convolution with 4 x cin output
   * channels, each parity's sub-kernel placed in a common window (zero taps
   * elsewhere). For the stem (3 input channels), whose four thin correlations
   * use XNNPACK's 8-wide output tiles poorly: ~1.5x faster despite the zero
   * taps. Null where the parities' windows do not fit one padding.
   */
  private combinedPolyphaseInputGradient(dy: tf.Tensor4D, inputShape: number[]): tf.Tensor4D | null {
    const {pad} = this.spec;
    const k = this.kernel;
    const [, h, w] = dy.shape;
    const [, height, width] = inputShape;
    // Output q of parity e reads dy rows q+first .. q+last (see polyphaseInputGradient).
    const parities = [0, 1].map((e) => {
      const r = (e + pad) % 2;
      const m = Math.ceil((k - r) / 2);
      const t = Math.floor((e + pad) / 2);
      return {r, m, first: t - m + 1, last: t};
    });
    if (parities.some((p) => p.m === 0)) return null;
    const lo = Math.min(...parities.map((p) => p.first));
    const hi = Math.max(...parities.map((p) => p.last));
    const size = hi - lo + 1;
    const [top, bottom] = [-lo, height / 2 - h + lo + size - 1];
    const [left, right] = [-lo, width / 2 - w + lo + size - 1];
    if (top < 0 || bottom < 0 || right < 0) return null;
    if (!this.combinedKernel) {
      this.combinedKernel = tf.tidy(() => tf.keep(tf.concat(parities.flatMap((py) => parities.map((px) =>
        tf.pad(this.subKernel(py.r, px.r, py.m, px.m), [[py.first - lo, hi - py.last], [px.first - lo, hi - px.last], [0, 0], [0, 0]]))), 3) as tf.Tensor4D));
    }
    return interleaveChannels(tf.conv2d(dy, this.combinedKernel, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]));
  }

  private combinedKernel: tf.Tensor4D | null = null;
  private readonly subKernels = new Map<string, tf.Tensor4D>();

  /** Taps k = r, r+2, ... of the input-gradient kernel, flipped: a slice of `flipped` starting at K-1-r-2(m-1). */
  private subKernel(ry: number, rx: number, my: number, mx: number): tf.Tensor4D {
    const key = `${ry},${rx}`;
    let sub = this.subKernels.get(key);
    if (!sub) {
      const k = this.kernel;
      const [y0, x0] = [k - 1 - ry - 2 * (my - 1), k - 1 - rx - 2 * (mx - 1)];
      const [, , co, ci] = this.flipped.shape;
      sub = tf.tidy(() => tf.keep(tf.stridedSlice(this.flipped, [y0, x0, 0, 0], [y0 + 2 * (my - 1) + 1, x0 + 2 * (mx - 1) + 1, co, ci], [2, 2, 1, 1]) as tf.Tensor4D));
      this.subKernels.set(key, sub);
    }
    return sub;
  }

  /** The gradient w.r.t. the conv's input of `dy`, a gradient w.r.t. its output before the ReLU (linear in dy). */
  inputGradient(dy: tf.Tensor4D, inputShape: number[]): tf.Tensor4D {
    const {stride, pad} = this.spec;
    if (stride === 2 && inputShape[1] % 2 === 0 && inputShape[2] % 2 === 0 && !DILATED_GRADIENT.value) return this.polyphaseInputGradient(dy, inputShape);
    const k = this.kernel;
    const [n, h, w, c] = dy.shape;
    let dilated = dy;
    if (stride > 1) {
      // Insert stride-1 zeros after every element: [n, h*s, w*s, c]. Two
      // rank-4 pads: tfjs-webgpu 4.22 cannot compile a rank-6 pad (and then
      // silently drops the whole command batch).
      const columns = tf.pad(dy.reshape([n * h, w, 1, c]), [[0, 0], [0, 0], [0, stride - 1], [0, 0]]).reshape([n, h, 1, w * stride * c]);
      dilated = tf.pad(columns, [[0, 0], [0, 0], [0, stride - 1], [0, 0]]).reshape([n, h * stride, w * stride, c]) as tf.Tensor4D;
    }
    // Full correlation needs k-1-pad zeros before; after, whatever brings the
    // result back to the input size (rows the forward conv never reached get 0).
    const before = k - 1 - pad;
    const afterH = inputShape[1] + pad - h * stride;
    const afterW = inputShape[2] + pad - w * stride;
    if (afterH >= 0 && afterW >= 0) return tf.conv2d(dilated, this.flipped, 1, [[0, 0], [before, afterH], [before, afterW], [0, 0]]);
    let padded = tf.pad(dilated, [[0, 0], [before, Math.max(afterH, 0)], [before, Math.max(afterW, 0)], [0, 0]]) as tf.Tensor4D;
    padded = padded.slice([0, 0, 0, 0], [n, padded.shape[1] - Math.max(-afterH, 0), padded.shape[2] - Math.max(-afterW, 0), c]);
    return tf.conv2d(padded, this.flipped, 1, "valid");
  }

  dispose(): void {
    this.spec.filter.dispose();
    this.spec.bias.dispose();
    this.flipped.dispose();
    this.subKernels.forEach((t) => t.dispose());
    this.combinedKernel?.dispose();
  }
}

/** PyTorch's symmetric `padding=p` as a tfjs conv padding. */
function zeroPadding(pad: number): "valid" | [[number, number], [number, number], [number, number], [number, number]] {
  return pad === 0 ? "valid" : [[0, 0], [pad, pad], [pad, pad], [0, 0]];
}

/** Switch for tests and benchmarks: use the zero-dilation input gradient for stride 2 too. */
export const DILATED_GRADIENT = {value: false};
