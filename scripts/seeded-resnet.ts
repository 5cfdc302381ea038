// Seeded random weights of torchvision's ResNet shapes with a 1000-class head,
// for the benchmarks of deeper ResNets (bench-resnet.ts, bench-own-model.ts):
// their timings do not depend on the weights' values, so nothing is downloaded.
import type {NamedTensors} from "../src/lib/pth.js";
import {resnetShapes, standardArchitecture} from "../src/lib/resnet-architecture.js";
import {seededRandom} from "../src/lib/statistics.js";

export type ResNetName = Parameters<typeof standardArchitecture>[0];

/** Convolutions U(-a, a) with He's variance 2/fan_in (a = sqrt(6 / fan_in)), BatchNorm near identity, fc small. */
export function seededStateDict(name: ResNetName, seed: number): NamedTensors {
  const uniform = seededRandom(seed);
  const out: NamedTensors = new Map();
  for (const [key, shape] of resnetShapes(standardArchitecture(name, 1000))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (shape.length === 4) {
      const a = Math.sqrt(6 / (shape[1] * shape[2] * shape[3]));
      for (let i = 0; i < size; i++) data[i] = (2 * uniform() - 1) * a;
    } else if (key.startsWith("fc.")) {
      for (let i = 0; i < size; i++) data[i] = (2 * uniform() - 1) / Math.sqrt(shape.at(-1)!);
    } else if (key.endsWith(".weight") || key.endsWith(".running_var")) data.fill(1);
    out.set(key, {shape, data});
  }
  return out;
}
