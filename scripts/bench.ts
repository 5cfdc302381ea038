// npm run bench -- [--backends wasm,cpu] [--runs N] [--image i] [--tasks protocol,grad,occlusion,deletion10,...]
// Milliseconds per image for each method at the handout's settings (occlusion
// 6, IG 20) and for deletion curves of 10 and 25 steps, per Node backend:
// median of N runs after one warm-up, plus tensors/bytes left afterwards.
// "protocol" is the dataset statistics' whole per-image protocol (five
// methods + five deletion curves of 10 steps, sharing work; one process),
// with its stages; on cpu only when asked for (--tasks protocol: minutes).
// Throughput with one worker per core: npm run stats -- --no-cache (s/image).
import os from "node:os";
import {parseArgs} from "node:util";
import {initTf, type NodeBackend} from "../src/data/node/tf.js";
import {loadModel} from "../src/data/node/model.js";
import {resolveWeightsFile} from "../src/data/node/sources.js";
import {deletionCurve} from "../src/lib/deletion.js";
import {imageFromBytes} from "../src/lib/image.js";
import {explain, METHOD_NAMES} from "../src/lib/methods.js";
import {DEFAULT_PROTOCOL_SETTINGS, DeletionProtocol, type ProtocolResult} from "../src/lib/protocol.js";
import {fixture} from "../test/helpers/fixtures.js";

const {values} = parseArgs({options: {backends: {type: "string", default: "wasm,cpu"}, runs: {type: "string", default: "3"}, "cpu-runs": {type: "string", default: "1"}, image: {type: "string", default: "0"}, "batch-size": {type: "string", default: "8"}, tasks: {type: "string"}}});
const only = values.tasks ? new Set(values.tasks.split(",")) : null;
const backends = values.backends!.split(",") as NodeBackend[];
const imageIndex = Number(values.image);
const batchSize = Number(values["batch-size"]);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

console.log(`# bench: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, image ${imageIndex} of the fixtures, batch size ${batchSize}`);
console.log("backend | task | median ms | min ms | runs | tensors left | bytes left");
for (const backend of backends) {
  const tf = await initTf(backend);
  const {model} = loadModel(await resolveWeightsFile());
  const bytes = (fixture("images").data as Uint8Array).subarray(imageIndex * 150528, (imageIndex + 1) * 150528);
  const image = imageFromBytes(bytes);
  const runs = backend === "cpu" ? Number(values["cpu-runs"]) : Number(values.runs);
  const tasks: [string, () => Promise<unknown>][] = [];
  const relevance = (await explain("grad", model, image)).relevance;
  for (const name of METHOD_NAMES) tasks.push([name, () => explain(name, model, image, {batchSize})]);
  tasks.push(["occlusion-incremental", () => explain("occlusion", model, image, {batchSize, incremental: true})]);
  for (const steps of [10, 25]) tasks.push([`deletion S=${steps}`, () => deletionCurve(model, image, relevance, {steps, batchSize})]);
  if (only ? only.has("protocol") : backend !== "cpu") {
    const protocol = new DeletionProtocol(model, DEFAULT_PROTOCOL_SETTINGS, {batchSize});
    await protocol.run(image); // warm-up
    const runs: ProtocolResult["timings"][] = [];
    for (let r = 0; r < Number(values.runs); r++) runs.push((await protocol.run(image)).timings);
    const total = runs.map((t) => Object.values(t).reduce((a, b) => a + b, 0));
    console.log(`${backend} | protocol (all 5 methods + 5 deletion curves) | ${median(total).toFixed(0)} | ${Math.min(...total).toFixed(0)} | ${runs.length} | | `);
    const stages = Object.keys(runs[0]) as (keyof ProtocolResult["timings"])[];
    console.log(`${backend} |   stages (median ms): ${stages.map((k) => `${k} ${median(runs.map((t) => t[k])).toFixed(0)}`).join(", ")}`);
    protocol.dispose();
  } else if (!only) {
    console.log(`${backend} | protocol | skipped on cpu (30-40x slower than wasm): --backends cpu --tasks protocol | | | | `);
  }
  const baseline = tf.memory();
  for (const [task, run] of tasks) {
    if (only && !only.has(task.replace("deletion S=", "deletion"))) continue;
    await run(); // warm-up (kernel compilation, allocations)
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    const memory = tf.memory();
    console.log(`${backend} | ${task} | ${median(times).toFixed(0)} | ${Math.min(...times).toFixed(0)} | ${runs} | ${memory.numTensors - baseline.numTensors} | ${memory.numBytes - baseline.numBytes}`);
  }
  image.dispose();
  model.dispose();
}
