// npm run explain -- --image PATH --method NAME [--steps N] [--deletion-steps S] [--weights PATH] --out FILE.json
// Explains one image with one method and writes logits, relevance and the deletion curve as JSON.
import fs from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {initTf} from "../src/data/node/tf.js";
import {loadModel} from "../src/data/node/model.js";
import {readImage224, resolveWeightsFile} from "../src/data/node/sources.js";
import {deletionCurve} from "../src/lib/deletion.js";
import {imageFromBytes} from "../src/lib/image.js";
import {explain, HANDOUT_SETTINGS, isMethodName, METHOD_NAMES, METHODS} from "../src/lib/methods.js";

const USAGE = `usage: npm run explain -- --image PATH --method NAME [--steps N] [--deletion-steps S] [--weights PATH] [--batch-size B] [--backend wasm|cpu] --out FILE.json
  NAME: ${METHOD_NAMES.join(", ")}
  --steps            occlusion grid size (2..224, default ${HANDOUT_SETTINGS.occlusionSteps}) or integrated-gradients steps (>= 2, default ${HANDOUT_SETTINGS.integratedGradientsSteps}); ignored by the other methods
  --deletion-steps   images on the deletion curve (>= 2, default ${HANDOUT_SETTINGS.deletionSteps})
  --weights          a ResNet-18 .pth (default: ../shared/models/resnet18-imagenette.pth, or EXPLAIN_WEIGHTS)
Writes {"image", "method", "settings", "logits", "predicted", "relevance" (224*224, row-major), "deletion": {"steps", "curve", "auc"}}.`;

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

async function main(): Promise<void> {
  let values;
  try {
    ({values} = parseArgs({
      options: {
        image: {type: "string"}, method: {type: "string"}, steps: {type: "string"}, "deletion-steps": {type: "string"},
        weights: {type: "string"}, out: {type: "string"}, "batch-size": {type: "string"}, backend: {type: "string"}, help: {type: "boolean"},
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
  const output = {
    image: path.resolve(values.image),
    method,
    settings: {...(stepsInfo ? {steps} : {}), deletionSteps, weights: path.basename(weights), weightsSha256: checkpoint.sha256, backend: tf.getBackend()},
    logits: Array.from(result.logits),
    predicted: result.predicted,
    relevance: Array.from(result.relevance),
    deletion: {steps: deletion.steps, curve: Array.from(deletion.curve), auc: deletion.auc},
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
