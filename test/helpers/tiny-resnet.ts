// Tiny seeded ResNets of any architecture (small widths, few classes), and
// the same weights as files: a zip .pth (torch.save's format, written by
// torch-save.ts, with int64 num_batches_tracked buffers as torch writes
// them) and a .safetensors. No reference ships for deeper nets: the tests
// check them against finite differences and each other instead.
import {floatToHalf} from "../../src/lib/dtypes.js";
import type {NamedTensors} from "../../src/lib/pth.js";
import {architectureName, resnetShapes, type BlockKind, type ResNetArchitecture} from "../../src/lib/resnet-architecture.js";
import {seededRandom} from "../../src/lib/statistics.js";
import {contiguousStride, zipCheckpoint, type StorageSpec, type TensorSpec} from "./torch-save.js";

/** An architecture with the given blocks and widths (Bottleneck: outputs 4 x the width, as torchvision). */
export function tinyArchitecture(block: BlockKind, blocks: number[], widths: number[], classCount: number, stemWidth = widths[0]): ResNetArchitecture {
  const outChannels = widths.map((w) => (block === "basic" ? w : 4 * w));
  const partial = {block, stemWidth, blocks, widths, outChannels, classCount};
  return {name: architectureName(partial), ...partial};
}

/** resnet34-style: BasicBlock [3,4,6,3], widths 4..16, 5 classes. */
export const TINY_BASIC = tinyArchitecture("basic", [3, 4, 6, 3], [4, 8, 8, 16], 5);
/** resnet50-style: Bottleneck [3,4,6,3], widths 2..8 (outputs 8..32), 6 classes. */
export const TINY_BOTTLENECK = tinyArchitecture("bottleneck", [3, 4, 6, 3], [2, 4, 4, 8], 6, 4);

/**
 * Seeded weights for `arch` in torchvision's order: convolutions N(0, 2/fan_in),
 * BatchNorm gamma U(0.5, 1), beta and running_mean U(-0.1, 0.1), running_var
 * U(0.5, 1.5), fc U(-1/sqrt(in), 1/sqrt(in)).
 */
export function tinyStateDict(arch: ResNetArchitecture, seed = 1): NamedTensors {
  const uniform = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const out: NamedTensors = new Map();
  for (const [name, shape] of resnetShapes(arch)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const u = (lo: number, hi: number) => Float32Array.from({length: size}, () => lo + (hi - lo) * uniform());
    let data: Float32Array;
    if (name.startsWith("fc.")) data = u(-1 / Math.sqrt(shape.at(-1)!), 1 / Math.sqrt(shape.at(-1)!));
    else if (shape.length === 4) {
      const std = Math.sqrt(2 / (shape[1] * shape[2] * shape[3]));
      data = Float32Array.from({length: size}, () => normal() * std);
    } else if (name.endsWith(".weight")) data = u(0.5, 1);
    else if (name.endsWith(".running_var")) data = u(0.5, 1.5);
    else data = u(-0.1, 0.1);
    out.set(name, {shape, data});
  }
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * A zip .pth of `tensors` as torch.save writes a state_dict: one storage per
 * tensor (FloatStorage, or HalfStorage with `half`), and a num_batches_tracked
 * LongStorage after every BatchNorm's running_var.
 */
export function pthOf(tensors: NamedTensors, {half = false}: {half?: boolean} = {}): Uint8Array {
  const storages: StorageSpec[] = [];
  const specs: TensorSpec[] = [];
  for (const [name, t] of tensors) {
    const key = String(storages.length);
    const bytes = half ? bytesOf(Uint16Array.from(t.data, floatToHalf)) : bytesOf(Float32Array.from(t.data));
    storages.push({key, type: half ? "HalfStorage" : "FloatStorage", bytes, numel: t.data.length});
    specs.push({name, storage: key, shape: t.shape, stride: contiguousStride(t.shape)});
    if (name.endsWith(".running_var")) {
      const counter = String(storages.length);
      storages.push({key: counter, type: "LongStorage", bytes: bytesOf(BigInt64Array.from([123n])), numel: 1});
      specs.push({name: name.replace(/running_var$/, "num_batches_tracked"), storage: counter, shape: [], stride: []});
    }
  }
  return zipCheckpoint(specs, storages);
}
