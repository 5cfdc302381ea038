// npm run bench:resnet -- [--runs N] [--models resnet50,resnet18]
// What a deeper ResNet costs in Node (wasm, one thread): builds seeded random
// torchvision-shaped ResNets with 1000 classes (no download: the timings do
// not depend on the weights' values) and prints, per model, the warm time of
// one gradient (the grad method) and of GradCAM on one 224 x 224 image, the
// median of N runs after one warm-up, and the time to build the model.
import os from "node:os";
import {parseArgs} from "node:util";
import {initTf} from "../src/data/node/tf.js";
import {gradCam} from "../src/lib/grad-cam.js";
import {grad} from "../src/lib/gradient.js";
import type {NamedTensors} from "../src/lib/pth.js";
import {ResNet} from "../src/lib/resnet.js";
import {resnetShapes, standardArchitecture} from "../src/lib/resnet-architecture.js";
import {seededRandom} from "../src/lib/statistics.js";

type Name = Parameters<typeof standardArchitecture>[0];
const {values} = parseArgs({options: {runs: {type: "string", default: "3"}, models: {type: "string", default: "resnet50,resnet18"}}});
const runs = Number(values.runs);
const models = values.models!.split(",") as Name[];

/** Seeded weights of torchvision's shapes: conv N(0, 2/fan_in) (uniform approximation), BatchNorm near identity, fc small. */
function seededStateDict(name: Name, seed: number): NamedTensors {
  const uniform = seededRandom(seed);
  const out: NamedTensors = new Map();
  for (const [key, shape] of resnetShapes(standardArchitecture(name, 1000))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (shape.length === 4) {
      // U(-a, a) with the variance 2/fan_in of He's initialization: a = sqrt(6 / fan_in).
      const a = Math.sqrt(6 / (shape[1] * shape[2] * shape[3]));
      for (let i = 0; i < size; i++) data[i] = (2 * uniform() - 1) * a;
    } else if (key.startsWith("fc.")) {
      for (let i = 0; i < size; i++) data[i] = (2 * uniform() - 1) / Math.sqrt(shape.at(-1)!);
    } else if (key.endsWith(".weight") || key.endsWith(".running_var")) data.fill(1);
    out.set(key, {shape, data});
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const tf = await initTf("wasm");
console.log(`# bench:resnet: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, node ${process.version}, ${tf.getBackend()} (one thread), 224 x 224, median of ${runs} warm runs`);
console.log("| model | parameters | weights made + model built (s) | gradient (ms/image) | GradCAM (ms/image) |");
console.log("|---|---|---|---|---|");
const random = seededRandom(99);
const image = tf.tensor3d(Float32Array.from({length: 224 * 224 * 3}, () => random()), [224, 224, 3]);
for (const name of models) {
  let t0 = performance.now();
  const sd = seededStateDict(name, 1);
  const model = new ResNet(sd);
  const buildSeconds = (performance.now() - t0) / 1000;
  const parameters = [...sd].filter(([k]) => !k.includes("running_")).reduce((n, [, t]) => n + t.data.length, 0);
  const time = async (run: () => Promise<unknown>) => {
    await run(); // warm-up: kernels, weight uploads
    const ms: number[] = [];
    for (let r = 0; r < runs; r++) {
      t0 = performance.now();
      await run();
      ms.push(performance.now() - t0);
    }
    return median(ms);
  };
  const gradient = await time(() => grad(model, image, {target: 0}));
  const cam = await time(() => gradCam(model, image, {target: 0}));
  console.log(`| ${name} | ${(parameters / 1e6).toFixed(1)} M | ${buildSeconds.toFixed(1)} | ${gradient.toFixed(0)} | ${cam.toFixed(0)} |`);
  model.dispose();
}
image.dispose();
