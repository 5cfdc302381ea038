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
import {ResNet} from "../src/lib/resnet.js";
import {seededRandom} from "../src/lib/statistics.js";
import {seededStateDict, type ResNetName} from "./seeded-resnet.js";

const {values} = parseArgs({options: {runs: {type: "string", default: "3"}, models: {type: "string", default: "resnet50,resnet18"}}});
const runs = Number(values.runs);
const models = values.models!.split(",") as ResNetName[];

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
