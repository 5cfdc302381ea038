// `npm run explain -- ... --metrics` (scripts/explain.ts), run once with cheap
// settings (gradient norm, 3 deletion steps, few subsets and perturbations):
// its JSON's metrics equal the library's, computed here on the same photo and
// on the map the JSON's "relevance" holds (same backend, same batch size:
// the same numbers, exactly).
import {execFile} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {beforeAll, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {readImage224} from "../src/data/node/sources.js";
import {complexity, sparseness} from "../src/lib/complexity.js";
import {faithfulnessCorrelation} from "../src/lib/faithfulness-correlation.js";
import {imageFromBytes} from "../src/lib/image.js";
import {insertionCurve} from "../src/lib/insertion.js";
import {maxSensitivity} from "../src/lib/max-sensitivity.js";
import {mapFunction} from "../src/lib/methods.js";
import {lerfCurve} from "../src/lib/morf-lerf.js";
import {randomLogitTest} from "../src/lib/random-logit.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {SHARED, WEIGHTS} from "./helpers/fixtures.js";
import {setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

const IMAGE = path.join(SHARED, "imagenette2/val/n01440764/ILSVRC2012_val_00009111.JPEG");
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

it("explain --metrics writes the library's metrics for the map it writes", async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "explain-metrics-")), "grad.json");
  const args = ["scripts/explain.ts", "--image", IMAGE, "--method", "grad", "--deletion-steps", "3", "--weights", WEIGHTS, "--metrics",
    "--faithfulness-subsets", "6", "--faithfulness-size", "2000", "--sensitivity-samples", "2", "--sensitivity-radius", "0.05", "--seed", "3", "--out", out];
  await promisify(execFile)(path.join(ROOT, "node_modules/.bin/tsx"), args, {cwd: ROOT, env: {...process.env, TFJS_BACKEND: "wasm"}});
  const json = JSON.parse(fs.readFileSync(out, "utf8"));
  fs.rmSync(path.dirname(out), {recursive: true});
  const m = json.metrics;
  expect(Object.keys(m).sort()).toEqual(["abpc", "entropy", "faithfulness_correlation", "gini", "insertion_auc", "insertion_curve", "lerf_auc", "lerf_curve", "max_sensitivity", "random_logit_spearman"]);

  const relevance = Float32Array.from(json.relevance);
  expect(relevance.length).toBe(224 * 224);
  expect(Array.from(relevance)).toEqual(json.relevance); // the JSON holds float32 values exactly
  // The deterministic ones, exactly as defined on that map.
  expect(m.gini).toBe(sparseness(relevance));
  expect(m.entropy).toBe(complexity(relevance));
  expect(m.gini).toBeGreaterThan(0);
  expect(m.entropy).toBeLessThan(Math.log(224 * 224));

  const image = imageFromBytes(await readImage224(IMAGE));
  const target = json.predicted;
  const options = {batchSize: 8, target};
  const lerf = await lerfCurve(model, image, relevance, {...options, steps: 3});
  expect(m.lerf_auc).toBe(lerf.auc);
  expect(m.lerf_curve).toEqual(Array.from(lerf.curve));
  const insertion = await insertionCurve(model, image, relevance, {...options, steps: 3, substrate: "black"});
  expect(m.insertion_auc).toBe(insertion.auc);
  expect(m.abpc).toBe(lerf.auc - json.deletion.auc);
  const faithfulness = await faithfulnessCorrelation(model, image, relevance, {...options, subsets: 6, subsetSize: 2000, seed: 3});
  expect(m.faithfulness_correlation).toEqual({value: faithfulness.correlation, n: 6, k: 2000, seed: 3, substrate: "black"});
  const method = mapFunction("grad", model);
  const sensitivity = await maxSensitivity(model, image, relevance, {...options, method, samples: 2, radius: 0.05, seed: 3});
  expect(m.max_sensitivity).toEqual({value: sensitivity.maxSensitivity, n: 2, r: 0.05, seed: 3});
  expect(m.max_sensitivity.value).toBeGreaterThan(0);
  const randomLogit = await randomLogitTest(model, image, relevance, {...options, method, seed: 3});
  expect(m.random_logit_spearman).toEqual({value: randomLogit.spearman, seed: 3, class: randomLogit.otherClass});
  expect(m.random_logit_spearman.class).not.toBe(target);
  image.dispose();
});
