// Any torchvision ResNet (BasicBlock or Bottleneck, any block counts, widths
// and number of classes) in TensorFlow.js (NHWC), eval mode, built from a
// PyTorch state_dict with torchvision's key names; the architecture is read
// from the keys and shapes (resnet-architecture.ts). BatchNorm (running
// stats, eps 1e-5) is folded into the preceding convolution's weights and bias.
import * as tf from "@tensorflow/tfjs";
import {Conv} from "./conv.js";
import {makeBatchPolicy, type BatchPolicy} from "./explanation.js";
import {stemMaxPool} from "./max-pool.js";
import type {NamedTensor, NamedTensors} from "./pth.js";
import {blockPrefixes, hasDownsample, inferArchitecture, stageStride, type ResNetArchitecture} from "./resnet-architecture.js";

export const INPUT_MEAN = [0.485, 0.456, 0.406];
export const INPUT_STD = [0.229, 0.224, 0.225];
const BN_EPS = 1e-5;

/**
 * One residual block: `convs` along the main path (BasicBlock: conv1, conv2;
 * Bottleneck: conv1, conv2, conv3), each with a ReLU except the last (its
 * ReLU comes after the residual sum), and the shortcut's projection, if any.
 */
export interface Block {
  convs: Conv[];
  downsample: Conv | null;
}

export interface LogitsOutput {
  /** [N] the largest logit per image. */
  maxLogit: tf.Tensor1D;
  /** [N, classes] the logits. */
  logits: tf.Tensor2D;
}

export interface ResNetOptions {
  /** Over the default (DEFAULT_BATCH_POLICY), see BatchPolicy. */
  batchPolicy?: Partial<BatchPolicy>;
}

export class ResNet {
  /** What the state_dict holds: block type, blocks per stage, widths, classes. */
  readonly architecture: ResNetArchitecture;
  /** The number of classes (rows of fc). */
  readonly numClasses: number;
  /** conv1 + bn1 + ReLU (7x7, stride 2, padding 3). */
  readonly stem: Conv;
  /** layer1.0 .. the last block of the last stage, in forward order. */
  readonly blocks: Block[] = [];
  /** The blocks' key prefixes ("layer1.0", ...), parallel to `blocks`. */
  readonly blockNames: string[];
  private readonly fcWeight: tf.Tensor2D; // [features, classes]
  private readonly fcBias: tf.Tensor1D;
  private readonly mean: tf.Tensor1D;
  private readonly std: tf.Tensor1D;
  /**
   * How the methods cut their batches of images for this model on the
   * backend it runs on (BatchPolicy): chosen by whoever picks the backend
   * (the compute worker), the default elsewhere. A model built from another
   * model's weights for the same backend takes the other's (StageModels).
   */
  batchPolicy: BatchPolicy;

  /** `stateDict`: a torchvision (or timm) ResNet state_dict; throws a WeightsError if it is not one. */
  constructor(stateDict: NamedTensors, {batchPolicy}: ResNetOptions = {}) {
    this.batchPolicy = makeBatchPolicy(batchPolicy);
    const arch = (this.architecture = inferArchitecture(stateDict));
    this.numClasses = arch.classCount;
    this.blockNames = blockPrefixes(arch);
    const get = (name: string): NamedTensor => stateDict.get(name)!;
    const conv = (convName: string, bnName: string, stride: number, pad: number, relu: boolean) =>
      new Conv({...foldBatchNorm(get(`${convName}.weight`), get, bnName), stride, pad, relu});
    this.stem = conv("conv1", "bn1", 2, 3, true);
    arch.blocks.forEach((count, s) => {
      for (let b = 0; b < count; b++) {
        const p = `layer${s + 1}.${b}`;
        const stride = b === 0 ? stageStride(s) : 1;
        // torchvision puts a Bottleneck's stride on its 3x3 conv2 (ResNet v1.5).
        const convs = arch.block === "basic"
          ? [conv(`${p}.conv1`, `${p}.bn1`, stride, 1, true), conv(`${p}.conv2`, `${p}.bn2`, 1, 1, false)]
          : [conv(`${p}.conv1`, `${p}.bn1`, 1, 0, true), conv(`${p}.conv2`, `${p}.bn2`, stride, 1, true), conv(`${p}.conv3`, `${p}.bn3`, 1, 0, false)];
        const downsample = b === 0 && hasDownsample(arch, s) ? conv(`${p}.downsample.0`, `${p}.downsample.1`, stride, 0, false) : null;
        this.blocks.push({convs, downsample});
      }
    });
    const fc = get("fc.weight");
    this.fcWeight = tf.tidy(() => tf.tensor2d(fc.data, [fc.shape[0], fc.shape[1]]).transpose() as tf.Tensor2D);
    this.fcBias = tf.tensor1d(get("fc.bias").data);
    this.mean = tf.tensor1d(INPUT_MEAN);
    this.std = tf.tensor1d(INPUT_STD);
  }

  /** [0,1] images -> the network's input, (x - mean) / std per channel. */
  normalize(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => images.sub(this.mean).div(this.std) as tf.Tensor4D);
  }

  /** conv1 + bn1 + ReLU, before the max pool: [N,H,W,3] -> [N,H/2,W/2,stem width] (for diagnostics of max-pool ties). */
  stemActivations(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.stem.apply(this.normalize(images)));
  }

  /**
   * The stem's convolution (conv1 + folded bn1) before its ReLU: [N,H,W,3]
   * in [0,1] -> [N,H/2,W/2,stem width], with the rounding of a gradient pass.
   */
  stemPreActivation(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.stem.preActivation(this.normalize(images)));
  }

  /** Logits from the stem's pre-activation; inside tf.grad, `logits(x)` = `logitsFromStem(stemPreActivation(x))` bit for bit. */
  logitsFromStem(pre: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.head(this.blocksFrom(0, stemMaxPool(tf.relu(pre) as tf.Tensor4D))));
  }

  /**
   * The gradient w.r.t. the [0,1] input, [N,H,W,3], of `dPre`, a gradient
   * w.r.t. the stem's pre-activation. Linear in `dPre`: a sum of gradients
   * can be taken before it (integrated gradients' path sum).
   */
  inputGradientFromStem(dPre: tf.Tensor4D, inputShape: [number, number, number, number]): tf.Tensor4D {
    return tf.tidy(() => this.stem.inputGradient(dPre, inputShape).div(this.std) as tf.Tensor4D);
  }

  /** Backbone up to the last stage (after its last ReLU): [N,224,224,3] in [0,1] -> [N,7,7,channels]. */
  features(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.blocksFrom(0, stemMaxPool(this.stem.apply(this.normalize(images)))));
  }

  /** Blocks `first` .. the last on `x` (the input of block `first`): the backbone from there on. */
  blocksFrom(first: number, x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      for (const block of this.blocks.slice(first)) x = residualBlock(block, x).out;
      return x;
    });
  }

  /** Classifier on the last stage's features: global average pool + fc -> [N,classes] logits. */
  head(features: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(tf.mean(features, [1, 2]) as tf.Tensor2D, this.fcWeight), this.fcBias));
  }

  /** [N,H,W,3] images in [0,1] -> [N,classes] logits. */
  logits(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.head(this.features(images)));
  }

  /** The handout's `logits_fn`: (max logit, the logits). */
  logitsFn(images: tf.Tensor4D): LogitsOutput {
    return tf.tidy(() => {
      const logits = this.logits(images);
      return {maxLogit: tf.max(logits, 1) as tf.Tensor1D, logits};
    });
  }

  dispose(): void {
    this.stem.dispose();
    for (const {convs, downsample} of this.blocks) {
      convs.forEach((c) => c.dispose());
      downsample?.dispose();
    }
    this.fcWeight.dispose();
    this.fcBias.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}

/**
 * One residual block, relu(main path(x) + shortcut(x)); `inner` are the
 * outputs of the main path's convolutions before the last (after their ReLU).
 */
export function residualBlock({convs, downsample}: Block, x: tf.Tensor4D): {inner: tf.Tensor4D[]; out: tf.Tensor4D} {
  const inner: tf.Tensor4D[] = [];
  let y = x;
  for (const conv of convs.slice(0, -1)) inner.push((y = conv.apply(y)));
  const shortcut = downsample ? downsample.apply(x) : x;
  return {inner, out: tf.relu(tf.add(convs[convs.length - 1].apply(y), shortcut)) as tf.Tensor4D};
}

/** Folds eval-mode BatchNorm into a conv: W' = W * g/sqrt(v+eps), b' = beta - mean * g/sqrt(v+eps). Returns the kernel in tfjs layout. */
function foldBatchNorm(weight: NamedTensor, get: (n: string) => NamedTensor, bn: string): {filter: tf.Tensor4D; bias: tf.Tensor1D} {
  const [cout, cin, kh, kw] = weight.shape;
  const gamma = get(`${bn}.weight`).data;
  const beta = get(`${bn}.bias`).data;
  const mean = get(`${bn}.running_mean`).data;
  const variance = get(`${bn}.running_var`).data;
  const filter = new Float32Array(kh * kw * cin * cout);
  const bias = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    const scale = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
    bias[o] = beta[o] - mean[o] * scale;
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          // PyTorch OIHW -> tfjs HWIO
          filter[((y * kw + x) * cin + i) * cout + o] = weight.data[((o * cin + i) * kh + y) * kw + x] * scale;
        }
      }
    }
  }
  return {filter: tf.tensor4d(filter, [kh, kw, cin, cout]), bias: tf.tensor1d(bias)};
}
