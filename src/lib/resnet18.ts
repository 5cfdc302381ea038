// torchvision's ResNet-18 in TensorFlow.js (NHWC), eval mode, built from a
// PyTorch state_dict with torchvision's key names. BatchNorm (running stats,
// eps 1e-5) is folded into the preceding convolution's weights and bias.
import * as tf from "@tensorflow/tfjs";
import {Conv} from "./conv.js";
import {makeBatchPolicy, type BatchPolicy} from "./explanation.js";
import {stemMaxPool} from "./max-pool.js";
import type {NamedTensor, NamedTensors} from "./pth.js";

/** The ImageNet class indices of the 10 Imagenette classes, in handout order. */
export const IMAGENETTE_IMAGENET_INDICES = [0, 217, 482, 491, 497, 566, 569, 571, 574, 701];
export const INPUT_MEAN = [0.485, 0.456, 0.406];
export const INPUT_STD = [0.229, 0.224, 0.225];
const BN_EPS = 1e-5;
const STAGES = [
  {name: "layer1", channels: 64, stride: 1},
  {name: "layer2", channels: 128, stride: 2},
  {name: "layer3", channels: 256, stride: 2},
  {name: "layer4", channels: 512, stride: 2},
];

/** Every tensor torchvision's resnet18 state_dict holds (num_batches_tracked aside), with its shape. */
export function resnet18Shapes(numClasses: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const bn = (prefix: string, c: number) => {
    for (const p of ["weight", "bias", "running_mean", "running_var"]) shapes.set(`${prefix}.${p}`, [c]);
  };
  shapes.set("conv1.weight", [64, 3, 7, 7]);
  bn("bn1", 64);
  let inChannels = 64;
  for (const {name, channels, stride} of STAGES) {
    for (const block of [0, 1]) {
      const p = `${name}.${block}`;
      const cin = block === 0 ? inChannels : channels;
      shapes.set(`${p}.conv1.weight`, [channels, cin, 3, 3]);
      bn(`${p}.bn1`, channels);
      shapes.set(`${p}.conv2.weight`, [channels, channels, 3, 3]);
      bn(`${p}.bn2`, channels);
      if (block === 0 && (stride !== 1 || cin !== channels)) {
        shapes.set(`${p}.downsample.0.weight`, [channels, cin, 1, 1]);
        bn(`${p}.downsample.1`, channels);
      }
    }
    inChannels = channels;
  }
  shapes.set("fc.weight", [numClasses, 512]);
  shapes.set("fc.bias", [numClasses]);
  return shapes;
}

/**
 * Checks that `stateDict` is a torchvision ResNet-18 and returns the tensors
 * the 10-class model needs. A 1000-class ImageNet head keeps the rows of the
 * Imagenette classes; a 10-class head is kept as is.
 */
export function imagenetteStateDict(stateDict: NamedTensors): NamedTensors {
  const fc = stateDict.get("fc.weight");
  if (!fc) throw new Error("not a torchvision ResNet-18 state_dict: it has no fc.weight");
  const numClasses = fc.shape[0];
  if (numClasses !== 10 && numClasses !== 1000) {
    throw new Error(`fc.weight has ${numClasses} outputs: expected 10 (Imagenette head) or 1000 (torchvision ImageNet head)`);
  }
  const expected = resnet18Shapes(numClasses);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = stateDict.get(name);
    if (!t) problems.push(`missing ${name}`);
    else if (t.shape.join("x") !== shape.join("x")) problems.push(`${name} has shape [${t.shape}], expected [${shape}]`);
  }
  const extra = [...stateDict.keys()].filter((k) => !expected.has(k) && !k.endsWith("num_batches_tracked"));
  if (extra.length) problems.push(`unexpected tensors (${extra.slice(0, 3).join(", ")}${extra.length > 3 ? ", ..." : ""})`);
  if (problems.length) {
    throw new Error(`not a torchvision ResNet-18 state_dict: ${problems.slice(0, 4).join("; ")}${problems.length > 4 ? `; and ${problems.length - 4} more` : ""}. Use resnet18-imagenette.pth or torchvision's resnet18-f37072fd.pth.`);
  }
  const out: NamedTensors = new Map();
  for (const name of expected.keys()) out.set(name, stateDict.get(name)!);
  if (numClasses === 1000) {
    const weight = fc.data;
    const bias = stateDict.get("fc.bias")!.data;
    const w = new Float32Array(10 * 512);
    IMAGENETTE_IMAGENET_INDICES.forEach((row, i) => w.set(weight.subarray(row * 512, (row + 1) * 512), i * 512));
    out.set("fc.weight", {shape: [10, 512], data: w});
    out.set("fc.bias", {shape: [10], data: Float32Array.from(IMAGENETTE_IMAGENET_INDICES, (row) => bias[row])});
  }
  return out;
}

export interface Block {
  conv1: Conv;
  conv2: Conv; // no ReLU: it comes after the residual sum
  downsample: Conv | null;
}

export interface LogitsOutput {
  /** [N] the largest of the 10 logits per image. */
  maxLogit: tf.Tensor1D;
  /** [N, 10] the Imagenette logits. */
  logits: tf.Tensor2D;
}

export class ResNet18 {
  readonly numClasses = 10;
  /** conv1 + bn1 + ReLU (7x7, stride 2, padding 3). */
  readonly stem: Conv;
  /** layer1.0 .. layer4.1 (strides 1,1, 2,1, 2,1, 2,1). */
  readonly blocks: Block[] = [];
  private readonly fcWeight: tf.Tensor2D; // [512, 10]
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

  /**
   * `stateDict`: a torchvision ResNet-18 state_dict (10- or 1000-class head);
   * `batchPolicy`: over the default (DEFAULT_BATCH_POLICY), see BatchPolicy.
   */
  constructor(stateDict: NamedTensors, {batchPolicy}: {batchPolicy?: Partial<BatchPolicy>} = {}) {
    this.batchPolicy = makeBatchPolicy(batchPolicy);
    const sd = imagenetteStateDict(stateDict);
    const get = (name: string): NamedTensor => sd.get(name)!;
    const conv = (convName: string, bnName: string, stride: number, pad: number, relu: boolean) =>
      new Conv({...foldBatchNorm(get(`${convName}.weight`), get, bnName), stride, pad, relu});
    this.stem = conv("conv1", "bn1", 2, 3, true);
    let inChannels = 64;
    for (const {name, channels, stride} of STAGES) {
      for (const b of [0, 1]) {
        const p = `${name}.${b}`;
        const s = b === 0 ? stride : 1;
        const needsDownsample = b === 0 && (stride !== 1 || inChannels !== channels);
        this.blocks.push({
          conv1: conv(`${p}.conv1`, `${p}.bn1`, s, 1, true),
          conv2: conv(`${p}.conv2`, `${p}.bn2`, 1, 1, false),
          downsample: needsDownsample ? conv(`${p}.downsample.0`, `${p}.downsample.1`, s, 0, false) : null,
        });
      }
      inChannels = channels;
    }
    const fc = get("fc.weight");
    this.fcWeight = tf.tidy(() => tf.tensor2d(fc.data, [10, 512]).transpose() as tf.Tensor2D);
    this.fcBias = tf.tensor1d(get("fc.bias").data);
    this.mean = tf.tensor1d(INPUT_MEAN);
    this.std = tf.tensor1d(INPUT_STD);
  }

  /** [0,1] images -> the network's input, (x - mean) / std per channel. */
  normalize(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => images.sub(this.mean).div(this.std) as tf.Tensor4D);
  }

  /** conv1 + bn1 + ReLU, before the max pool: [N,224,224,3] -> [N,112,112,64] (for diagnostics of max-pool ties). */
  stemActivations(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.stem.apply(this.normalize(images)));
  }

  /**
   * The stem's convolution (conv1 + folded bn1) before its ReLU: [N,224,224,3]
   * in [0,1] -> [N,112,112,64], with the rounding of a gradient pass.
   */
  stemPreActivation(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.stem.preActivation(this.normalize(images)));
  }

  /** Logits from the stem's pre-activation; inside tf.grad, `logits(x)` = `logitsFromStem(stemPreActivation(x))` bit for bit. */
  logitsFromStem(pre: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.head(this.blocksFrom(0, stemMaxPool(tf.relu(pre) as tf.Tensor4D))));
  }

  /**
   * The gradient w.r.t. the [0,1] input, [N,224,224,3], of `dPre`, a gradient
   * w.r.t. the stem's pre-activation. Linear in `dPre`: a sum of gradients
   * can be taken before it (integrated gradients' path sum).
   */
  inputGradientFromStem(dPre: tf.Tensor4D, inputShape: [number, number, number, number]): tf.Tensor4D {
    return tf.tidy(() => this.stem.inputGradient(dPre, inputShape).div(this.std) as tf.Tensor4D);
  }

  /** Backbone up to layer4 (after its last ReLU): [N,224,224,3] in [0,1] -> [N,7,7,512]. */
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

  /** Classifier on layer4 features: global average pool + fc -> [N,10] logits. */
  head(features: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(tf.mean(features, [1, 2]) as tf.Tensor2D, this.fcWeight), this.fcBias));
  }

  /** [N,224,224,3] images in [0,1] -> [N,10] logits. */
  logits(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.head(this.features(images)));
  }

  /** The handout's `logits_fn`: (max logit, the 10 logits). */
  logitsFn(images: tf.Tensor4D): LogitsOutput {
    return tf.tidy(() => {
      const logits = this.logits(images);
      return {maxLogit: tf.max(logits, 1) as tf.Tensor1D, logits};
    });
  }

  dispose(): void {
    this.stem.dispose();
    for (const {conv1, conv2, downsample} of this.blocks) {
      conv1.dispose();
      conv2.dispose();
      downsample?.dispose();
    }
    this.fcWeight.dispose();
    this.fcBias.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}

/** One residual block, relu(conv2(conv1(x)) + shortcut(x)); `mid` is conv1's output (after its ReLU). */
export function residualBlock({conv1, conv2, downsample}: Block, x: tf.Tensor4D): {mid: tf.Tensor4D; out: tf.Tensor4D} {
  const mid = conv1.apply(x);
  const shortcut = downsample ? downsample.apply(x) : x;
  return {mid, out: tf.relu(tf.add(conv2.apply(mid), shortcut)) as tf.Tensor4D};
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

