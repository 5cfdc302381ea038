// npm run stats -- --images DIR --out FILE[.json|.csv] [--limit N|all] [--shard K/N] [--workers W] [--batch-size B] [--no-cache]
// Runs the dataset-wide deletion protocol (with LeRF, insertion, sparseness
// and complexity) on a folder in the Imagenette layout (<dir>/<wnid>/*.JPEG)
// and writes one row per image; with a shard
// (--shard, or a Slurm / Kubernetes array task) only that shard's images,
// as a part for npm run stats:merge.
import fs from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {computeStats, DEFAULT_WORKER_BATCH_SIZE, defaultWorkers, statsToCsv} from "../src/data/node/stats.js";
import {resolveWeightsFile} from "../src/data/node/sources.js";
import {resolveShard, SHARDS_ENV} from "../src/data/node/shards.js";
import {HANDOUT_SETTINGS} from "../src/lib/methods.js";

const USAGE = `usage: npm run stats -- --images DIR --out FILE [--limit N|all] [--shard K/N | --shards N] [--workers W] [--batch-size B] [--weights PATH] [--format json|csv] [--no-cache]
  --images   a folder in the Imagenette layout: DIR/<wnid>/*.JPEG
  --weights  a torchvision or timm ResNet (18, 34, 50, 101, 152) as .pth or .safetensors, with a 10-class Imagenette head
             or a 1000-class ImageNet head (cut to the Imagenette rows); default: the site's ResNet-18
  --out      output file; the format follows its extension (.csv or .json) unless --format is given
  --limit    how many images, balanced across classes (default all)
  --shard K/N  compute only the K-th of N shards (1 <= K <= N) of those images, as a JSON part for
             npm run stats:merge. Without --shard, a Slurm job array task (SLURM_ARRAY_TASK_ID,
             SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX, with the
             count from --shards N or ${SHARDS_ENV}) computes its shard. --shard 1/1: the whole run.
  --workers  worker processes (default ${defaultWorkers()}: one per core)
  --batch-size  images per model call in a worker (default ${DEFAULT_WORKER_BATCH_SIZE}; results do not depend on it beyond float rounding)
  --occlusion-steps S, --ig-steps M, --deletion-steps D  other settings than the handout's
             (occlusion ${HANDOUT_SETTINGS.occlusionSteps}, IG ${HANDOUT_SETTINGS.integratedGradientsSteps} steps, deletion ${HANDOUT_SETTINGS.deletionSteps} steps); the site only shows files at the handout's
Per image and method: the deletion AUC, the LeRF AUC (deletion of -relevance), the insertion AUC (black), sparseness (Gini of |r|), complexity (entropy of |r|).
JSON: {protocolVersion, settings, model, images, rows: [{image, wnid, label, predicted, confidence, auc: {occlusion, grad, grad_x_input, grad_cam, integrated_gradients},
  metrics: {lerf_auc: {<method>: …}, insertion_auc: {…}, sparseness: {…}, complexity: {…}}, seconds}], run, shard, provenance}.
CSV: image,wnid,label,predicted,confidence,auc_<method>…, then lerf_auc_<method>…, insertion_auc_<method>…, sparseness_<method>…, complexity_<method>…
  (methods in the order occlusion, grad, grad_x_input, grad_cam, integrated_gradients)`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let values;
try {
  ({values} = parseArgs({options: {images: {type: "string"}, out: {type: "string"}, limit: {type: "string", default: "all"}, workers: {type: "string"}, "batch-size": {type: "string"}, shard: {type: "string"}, shards: {type: "string"}, "occlusion-steps": {type: "string"}, "ig-steps": {type: "string"}, "deletion-steps": {type: "string"}, weights: {type: "string"}, format: {type: "string"}, "no-cache": {type: "boolean"}, help: {type: "boolean"}}}));
} catch (e) {
  fail((e as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.images) fail("--images is required");
if (!values.out) fail("--out is required");
const limit = values.limit === "all" ? "all" : Number(values.limit);
if (limit !== "all" && (!Number.isInteger(limit) || limit < 1)) fail(`--limit must be a positive integer or "all", got "${values.limit}"`);
const workers = values.workers === undefined ? defaultWorkers() : Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) fail(`--workers must be a positive integer, got "${values.workers}"`);
const batchSize = values["batch-size"] === undefined ? DEFAULT_WORKER_BATCH_SIZE : Number(values["batch-size"]);
if (!Number.isInteger(batchSize) || batchSize < 1) fail(`--batch-size must be a positive integer, got "${values["batch-size"]}"`);
const format = values.format ?? (values.out.endsWith(".csv") ? "csv" : "json");
if (format !== "csv" && format !== "json") fail(`--format must be json or csv, got "${format}"`);
const setting = (name: "occlusion-steps" | "ig-steps" | "deletion-steps", fallback: number, min: number) => {
  const raw = values[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
};
const settings = {
  occlusionSteps: setting("occlusion-steps", HANDOUT_SETTINGS.occlusionSteps, 1),
  integratedGradientsSteps: setting("ig-steps", HANDOUT_SETTINGS.integratedGradientsSteps, 2),
  deletionSteps: setting("deletion-steps", HANDOUT_SETTINGS.deletionSteps, 2),
};
let shard;
try {
  shard = resolveShard({shard: values.shard, shards: values.shards});
} catch (e) {
  fail((e as Error).message);
}
if (shard && format !== "json") fail(`a shard's part must be JSON (npm run stats:merge reads JSON): use --out FILE.json`);
if (shard) process.stderr.write(`stats: this is shard ${shard.index}/${shard.count} (${shard.reason})\n`);

try {
  const result = await computeStats({
    imagesDir: path.resolve(values.images),
    weightsFile: values.weights ? path.resolve(values.weights) : await resolveWeightsFile(),
    limit,
    workers,
    batchSize,
    settings,
    shard: shard ? {index: shard.index, count: shard.count, detectedFrom: shard.detectedFrom} : null,
    cacheDir: values["no-cache"] ? null : undefined,
  });
  fs.mkdirSync(path.dirname(path.resolve(values.out)), {recursive: true});
  fs.writeFileSync(values.out, format === "csv" ? statsToCsv(result) : JSON.stringify(result, null, 1));
  process.stderr.write(`wrote ${result.rows.length} rows${shard ? ` (shard ${shard.index}/${shard.count})` : ""} to ${values.out} (${result.run.seconds.toFixed(0)} s, ${result.run.secondsPerImage.toFixed(2)} s/image with ${result.run.workers} worker(s))\n`);
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
}
