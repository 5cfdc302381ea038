// npm run explain -- --image PATH --method NAME [--steps N] [--deletion-steps S] [--weights PATH] [--metrics ...] --out FILE.json
// Explains one image with one method and writes logits, relevance and the deletion curve as JSON;
// --metrics adds the evaluation metrics of the map (src/lib: morf-lerf, insertion, complexity,
// faithfulness-correlation, max-sensitivity, random-logit).
import fs from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {initTf} from "../src/data/node/tf.js";
import {loadModel} from "../src/data/node/model.js";
import {readImage224, resolveWeightsFile} from "../src/data/node/sources.js";
import {complexity, sparseness} from "../src/lib/complexity.js";
import {deletionCurve} from "../src/lib/deletion.js";
import {FAITHFULNESS_SUBSET_SIZE, FAITHFULNESS_SUBSETS, faithfulnessCorrelation} from "../src/lib/faithfulness-correlation.js";
import {imageFromBytes} from "../src/lib/image.js";
import {insertionCurve} from "../src/lib/insertion.js";
import {maxSensitivity, SENSITIVITY_RADIUS, SENSITIVITY_SAMPLES} from "../src/lib/max-sensitivity.js";
import {explain, HANDOUT_SETTINGS, isMethodName, mapFunction, METHOD_NAMES, METHODS} from "../src/lib/methods.js";
import {lerfCurve} from "../src/lib/morf-lerf.js";
import {randomLogitTest} from "../src/lib/random-logit.js";

const USAGE = `usage: npm run explain -- --image PATH --method NAME [--steps N] [--deletion-steps S] [--weights PATH] [--batch-size B] [--backend wasm|cpu]
         [--metrics [--faithfulness-subsets N] [--faithfulness-size K] [--sensitivity-samples N] [--sensitivity-radius R] [--seed S]] --out FILE.json
  NAME: ${METHOD_NAMES.join(", ")}
  --steps            occlusion grid size (2..224, default ${HANDOUT_SETTINGS.occlusionSteps}) or integrated-gradients steps (>= 2, default ${HANDOUT_SETTINGS.integratedGradientsSteps}); ignored by the other methods
  --deletion-steps   images on the deletion curve (>= 2, default ${HANDOUT_SETTINGS.deletionSteps})
  --weights          a torchvision or timm ResNet (18, 34, 50, 101, 152; any number of classes) as .pth or .safetensors
                     (default: ../shared/models/resnet18-imagenette.pth, or EXPLAIN_WEIGHTS); the architecture is read
                     from the file; a 1000-class ImageNet head is cut to the 10 Imagenette classes
  --metrics          add the evaluation metrics of the map (below)
  --faithfulness-subsets  faithfulness correlation: random pixel subsets N (>= 2, default ${FAITHFULNESS_SUBSETS})
  --faithfulness-size     faithfulness correlation: pixels per subset k (1..50176, default ${FAITHFULNESS_SUBSET_SIZE})
  --sensitivity-samples   max-sensitivity: perturbations N (>= 1, default ${SENSITIVITY_SAMPLES}; each one runs the method again)
  --sensitivity-radius    max-sensitivity: radius r of the U(-r, r) noise per value, [0, 1] image units (default ${SENSITIVITY_RADIUS})
  --seed             seed of the faithfulness subsets, the perturbations and the random-logit class (integer >= 0, default 0)
Writes {"image", "method", "settings", "logits", "predicted", "relevance" (224*224, row-major), "deletion": {"steps", "curve", "auc"}},
and with --metrics "metrics": {"lerf_auc", "insertion_auc" (black substrate), "abpc" (lerf_auc - deletion auc), "gini", "entropy",
"faithfulness_correlation": {"value", "n", "k", "seed", "substrate"}, "max_sensitivity": {"value", "n", "r", "seed"},
"random_logit_spearman": {"value", "seed", "class"}, "lerf_curve", "insertion_curve"}: all on the map in "relevance", for the
predicted class; the curves have --deletion-steps images. An undefined value (e.g. a correlation with a constant map) is null.`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) fail(`${name} must be an integer from ${min}${max < Infinity ? ` to ${max}` : " up"}, got "${value}"`);
  return n;
}

function number(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) fail(`${name} must be a number from ${min} to ${max}, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({values} = parseArgs({
      options: {
        image: {type: "string"}, method: {type: "string"}, steps: {type: "string"}, "deletion-steps": {type: "string"},
        weights: {type: "string"}, out: {type: "string"}, "batch-size": {type: "string"}, backend: {type: "string"}, help: {type: "boolean"},
        metrics: {type: "boolean"}, "faithfulness-subsets": {type: "string"}, "faithfulness-size": {type: "string"},
        "sensitivity-samples": {type: "string"}, "sensitivity-radius": {type: "string"}, seed: {type: "string"},
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  if (!values.image) fail("--image is required");
  if (!values.method) fail("--method is required");
  if (!values.out) fail("--out is required");
  if (!isMethodName(values.method)) fail(`unknown method "${values.method}"`);
  if (!fs.existsSync(values.image)) fail(`image not found: ${values.image}`);
  const method = values.method;
  const stepsInfo = METHODS[method].steps;
  const steps = integer(values.steps, "--steps", method === "occlusion" ? 1 : 2, method === "occlusion" ? 224 : 100_000) ?? stepsInfo?.default;
  const deletionSteps = integer(values["deletion-steps"], "--deletion-steps", 2, 50_177) ?? HANDOUT_SETTINGS.deletionSteps;
  const batchSize = integer(values["batch-size"], "--batch-size", 1, 1024) ?? 8;
  const faithfulnessSubsets = integer(values["faithfulness-subsets"], "--faithfulness-subsets", 2, 100_000) ?? FAITHFULNESS_SUBSETS;
  const faithfulnessSize = integer(values["faithfulness-size"], "--faithfulness-size", 1, 224 * 224) ?? FAITHFULNESS_SUBSET_SIZE;
  const sensitivitySamples = integer(values["sensitivity-samples"], "--sensitivity-samples", 1, 10_000) ?? SENSITIVITY_SAMPLES;
  const sensitivityRadius = number(values["sensitivity-radius"], "--sensitivity-radius", 0, 1) ?? SENSITIVITY_RADIUS;
  const seed = integer(values.seed, "--seed", 0, 2 ** 32 - 1) ?? 0;
  const metricOptionGiven = ["faithfulness-subsets", "faithfulness-size", "sensitivity-samples", "sensitivity-radius", "seed"].find((k) => values[k as keyof typeof values] !== undefined);
  if (metricOptionGiven && !values.metrics) fail(`--${metricOptionGiven} needs --metrics`);
  const backend = values.backend ?? process.env.TFJS_BACKEND ?? "wasm";
  if (backend !== "wasm" && backend !== "cpu") fail(`--backend must be wasm or cpu, got "${backend}"`);

  const tf = await initTf(backend);
  const weights = values.weights ?? (await resolveWeightsFile());
  const {model, checkpoint} = loadModel(weights);
  const bytes = await readImage224(values.image);
  const image = imageFromBytes(bytes);
  const started = performance.now();
  const result = await explain(method, model, image, {steps, batchSize});
  const deletion = await deletionCurve(model, image, result.relevance, {steps: deletionSteps, batchSize});
  process.stderr.write(`${method}: predicted ${checkpoint.classes[result.predicted]?.name ?? result.predicted}, deletion AUC ${deletion.auc.toFixed(4)} (${(performance.now() - started).toFixed(0)} ms on ${tf.getBackend()})\n`);
  let metrics: Record<string, unknown> | undefined;
  if (values.metrics) {
    const relevance = result.relevance; // exactly the values written to "relevance"
    const target = result.target;
    const timings: string[] = [];
    const timed = async <T>(name: string, run: () => Promise<T> | T): Promise<T> => {
      const t0 = performance.now();
      const value = await run();
      timings.push(`${name} ${(performance.now() - t0).toFixed(0)} ms`);
      return value;
    };
    const lerf = await timed("lerf", () => lerfCurve(model, image, relevance, {steps: deletionSteps, batchSize, target}));
    const insertion = await timed("insertion", () => insertionCurve(model, image, relevance, {steps: deletionSteps, batchSize, target, substrate: "black"}));
    const gini = await timed("gini", () => sparseness(relevance));
    const entropy = await timed("entropy", () => complexity(relevance));
    const faithfulness = await timed("faithfulness", () => faithfulnessCorrelation(model, image, relevance, {subsets: faithfulnessSubsets, subsetSize: faithfulnessSize, seed, batchSize, target, substrate: "black"}));
    const mapOf = mapFunction(method, model, {steps});
    const sensitivity = await timed("max-sensitivity", () => maxSensitivity(model, image, relevance, {method: mapOf, samples: sensitivitySamples, radius: sensitivityRadius, seed, batchSize, target}));
    const randomLogit = await timed("random-logit", () => randomLogitTest(model, image, relevance, {method: mapOf, seed, batchSize, target}));
    process.stderr.write(`metrics: ${timings.join(", ")}\n`);
    metrics = {
      lerf_auc: lerf.auc,
      insertion_auc: insertion.auc,
      abpc: lerf.auc - deletion.auc,
      gini,
      entropy,
      faithfulness_correlation: {value: faithfulness.correlation, n: faithfulness.subsets, k: faithfulness.subsetSize, seed, substrate: faithfulness.substrate},
      max_sensitivity: {value: sensitivity.maxSensitivity, n: sensitivity.samples, r: sensitivity.radius, seed},
      random_logit_spearman: {value: randomLogit.spearman, seed, class: randomLogit.otherClass},
      lerf_curve: Array.from(lerf.curve),
      insertion_curve: Array.from(insertion.curve),
    };
  }
  const output = {
    image: path.resolve(values.image),
    method,
    settings: {...(stepsInfo ? {steps} : {}), deletionSteps, weights: path.basename(weights), weightsSha256: checkpoint.sha256, architecture: checkpoint.architecture.name, backend: tf.getBackend()},
    logits: Array.from(result.logits),
    predicted: result.predicted,
    relevance: Array.from(result.relevance),
    deletion: {steps: deletion.steps, curve: Array.from(deletion.curve), auc: deletion.auc},
    ...(metrics ? {metrics} : {}),
  };
  fs.mkdirSync(path.dirname(path.resolve(values.out)), {recursive: true});
  fs.writeFileSync(values.out, JSON.stringify(output));
  image.dispose();
  model.dispose();
}

main().catch((e) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
