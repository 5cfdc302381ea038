// npm run bench -- [--backends wasm,cpu] [--runs N] [--image i] [--tasks protocol,grad,occlusion,deletion10,...] [--metrics]
// Milliseconds per image for each method at the handout's settings (occlusion
// 6, IG 20) and for deletion curves of 10 and 25 steps, per Node backend:
// median of N runs after one warm-up, plus tensors/bytes left afterwards.
// "protocol" is the dataset statistics' whole per-image protocol (five
// methods, their deletion, LeRF and insertion curves of 10 steps, their
// sparseness and complexity, sharing work; one process), with its stages; on cpu only when asked for (--tasks protocol: minutes).
// Throughput with one worker per core: npm run stats -- --no-cache (s/image).
// --metrics: instead, the time of each evaluation metric (LeRF, insertion,
// ABPC, ROAD deletion, sparseness, complexity, faithfulness correlation, max-sensitivity,
// random-logit) for each method's map at the handout's settings, one run each.
import os from "node:os";
import {parseArgs} from "node:util";
import {initTf, type NodeBackend} from "../src/data/node/tf.js";
import {loadModel} from "../src/data/node/model.js";
import {resolveWeightsFile} from "../src/data/node/sources.js";
import {deletionCurve} from "../src/lib/deletion.js";
import {imageFromBytes} from "../src/lib/image.js";
import {complexity, sparseness} from "../src/lib/complexity.js";
import {FAITHFULNESS_SUBSET_SIZE, FAITHFULNESS_SUBSETS, faithfulnessCorrelation} from "../src/lib/faithfulness-correlation.js";
import {insertionCurve} from "../src/lib/insertion.js";
import {maxSensitivity, SENSITIVITY_RADIUS, SENSITIVITY_SAMPLES} from "../src/lib/max-sensitivity.js";
import {explain, HANDOUT_SETTINGS, mapFunction, METHOD_NAMES, METHODS} from "../src/lib/methods.js";
import {areaBetweenCurves, lerfCurve} from "../src/lib/morf-lerf.js";
import {randomLogitTest} from "../src/lib/random-logit.js";
import {DEFAULT_PROTOCOL_SETTINGS, DeletionProtocol, type ProtocolResult} from "../src/lib/protocol.js";
import {fixture} from "../test/helpers/fixtures.js";

const {values} = parseArgs({options: {backends: {type: "string", default: "wasm,cpu"}, runs: {type: "string", default: "3"}, "cpu-runs": {type: "string", default: "1"}, image: {type: "string", default: "0"}, "batch-size": {type: "string", default: "8"}, tasks: {type: "string"}, metrics: {type: "boolean"}}});
const only = values.tasks ? new Set(values.tasks.split(",")) : null;
const backends = values.backends!.split(",") as NodeBackend[];
const imageIndex = Number(values.image);
const batchSize = Number(values["batch-size"]);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

console.log(`# bench: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, image ${imageIndex} of the fixtures, batch size ${batchSize}`);
if (values.metrics) {
  await benchMetrics();
  process.exit(0);
}
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
    console.log(`${backend} | protocol (5 methods; deletion, LeRF, insertion curves; sparseness, complexity) | ${median(total).toFixed(0)} | ${Math.min(...total).toFixed(0)} | ${runs.length} | | `);
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

/** Milliseconds of each evaluation metric per method (one run each, after a warm-up of the model and the solver). */
async function benchMetrics(): Promise<void> {
  console.log("backend | method | metric | ms | CPU ms");
  for (const backend of backends) {
    const tf = await initTf(backend);
    const {model} = loadModel(await resolveWeightsFile());
    const bytes = (fixture("images").data as Uint8Array).subarray(imageIndex * 150528, (imageIndex + 1) * 150528);
    const image = imageFromBytes(bytes);
    const steps = HANDOUT_SETTINGS.deletionSteps;
    const warm = (await explain("grad", model, image, {batchSize})).relevance;
    await deletionCurve(model, image, warm, {steps, batchSize});
    await deletionCurve(model, image, warm, {steps: 3, batchSize, substrate: "road"});
    const before = tf.memory().numTensors;
    for (const name of METHOD_NAMES) {
      const settings = {steps: METHODS[name].steps?.default}; // the handout's S = 6 and M = 20
      const {relevance, target} = await explain(name, model, image, {...settings, batchSize});
      const method = mapFunction(name, model, settings);
      const options = {batchSize, target};
      const tasks: [string, () => unknown][] = [
        ["the method itself", () => explain(name, model, image, {...settings, batchSize})],
        [`lerf S=${steps}`, () => lerfCurve(model, image, relevance, {...options, steps})],
        [`insertion S=${steps} (black)`, () => insertionCurve(model, image, relevance, {...options, steps})],
        [`abpc S=${steps} (morf + lerf)`, () => areaBetweenCurves(model, image, relevance, {...options, steps})],
        [`deletion S=${steps} (road)`, () => deletionCurve(model, image, relevance, {...options, steps, substrate: "road"})],
        [`abpc S=${steps} (road)`, () => areaBetweenCurves(model, image, relevance, {...options, steps, substrate: "road"})],
        ["sparseness (gini)", () => sparseness(relevance)],
        ["complexity (entropy)", () => complexity(relevance)],
        [`faithfulness correlation N=${FAITHFULNESS_SUBSETS} k=${FAITHFULNESS_SUBSET_SIZE}`, () => faithfulnessCorrelation(model, image, relevance, options)],
        [`max-sensitivity N=${SENSITIVITY_SAMPLES} r=${SENSITIVITY_RADIUS}`, () => maxSensitivity(model, image, relevance, {...options, method})],
        ["random-logit", () => randomLogitTest(model, image, relevance, {...options, method})],
      ];
      for (const [task, run] of tasks) {
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        await run();
        const ms = performance.now() - t0;
        const used = process.cpuUsage(cpu);
        const cpuMs = (used.user + used.system) / 1000;
        console.log(`${backend} | ${name} | ${task} | ${ms.toFixed(0)} | ${cpuMs.toFixed(0)}`);
      }
    }
    console.log(`${backend} | tensors left: ${tf.memory().numTensors - before}`);
    image.dispose();
    model.dispose();
  }
}
