// The dataset-statistics loader code on the eight fixture images: its AUCs
// must match the reference (auc_<method>_steps10) within 1e-3, and a second
// run must come entirely from the cache. The build's loader must show that
// run's file when EXPLAIN_STATS_FROM names it, and refuse it for another model.
// The protocol's other metrics (LeRF and insertion AUCs, sparseness,
// complexity) must equal the library's own functions on the protocol's maps.
import {execFile} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {afterAll, expect, it} from "vitest";
import {computeStats, DEFAULT_WORKER_BATCH_SIZE, selectImages, statsToCsv} from "../src/data/node/stats.js";
import {complexity, sparseness} from "../src/lib/complexity.js";
import {insertionCurve} from "../src/lib/insertion.js";
import {METHOD_NAMES} from "../src/lib/methods.js";
import {lerfCurve} from "../src/lib/morf-lerf.js";
import {DEFAULT_PROTOCOL_SETTINGS, DeletionProtocol, PROTOCOL_VERSION} from "../src/lib/protocol.js";
import {assertStatsResult, PROTOCOL_METRIC_NAMES, type StatsResult} from "../src/lib/stats-format.js";
import {meanInterval, shareBetter, std} from "../src/lib/statistics.js";
import {fixture, index, maxAbsDiff, SHARED, WEIGHTS} from "./helpers/fixtures.js";
import {fixtureImage, setup} from "./helpers/model.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "stats-"));
afterAll(() => fs.rmSync(work, {recursive: true, force: true}));
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
let fixtureRun: StatsResult | undefined;

it("matches the fixture AUCs on the fixture images and resumes from its cache", async () => {
  // The fixture images, in the Imagenette layout.
  const val = path.join(SHARED, "imagenette2", "val");
  const images = path.join(work, "val");
  for (const name of index.meta.images) {
    const wnid = fs.readdirSync(val).find((w) => fs.existsSync(path.join(val, w, name)))!;
    fs.mkdirSync(path.join(images, wnid), {recursive: true});
    fs.copyFileSync(path.join(val, wnid, name), path.join(images, wnid, name));
  }
  const cacheDir = path.join(work, "cache");
  const lines: string[] = [];
  const result = await computeStats({imagesDir: images, weightsFile: WEIGHTS, limit: "all", workers: 2, cacheDir, log: (l) => lines.push(l)});
  expect(result.rows).toHaveLength(index.meta.images.length);
  expect(result.images.computed).toBe(index.meta.images.length);
  expect(lines.some((l) => /ETA/.test(l))).toBe(true);
  const labels = fixture("labels").data;
  const logits = fixture("logits").data;
  for (const row of result.rows) {
    const i = index.meta.images.indexOf(row.image);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(row.label).toBe(labels[i]);
    const rowLogits = Array.from(logits.subarray(i * 10, i * 10 + 10));
    expect(row.predicted).toBe(rowLogits.indexOf(Math.max(...rowLogits)));
    for (const method of METHOD_NAMES) {
      expect(Math.abs(row.auc[method] - fixture(`auc_${method}_steps10`).data[i]), `${row.image} ${method}`).toBeLessThanOrEqual(1e-3);
    }
  }
  const again = await computeStats({imagesDir: images, weightsFile: WEIGHTS, limit: "all", workers: 2, cacheDir, log: () => {}});
  expect(again.images.cached).toBe(index.meta.images.length);
  expect(again.images.computed).toBe(0);
  expect(again.rows).toEqual(result.rows);
  // Every row has the other metrics too, in their ranges.
  for (const row of result.rows) {
    for (const method of METHOD_NAMES) {
      for (const metric of ["lerf_auc", "insertion_auc", "sparseness"] as const) {
        expect(row.metrics[metric][method], `${row.image} ${metric} ${method}`).toBeGreaterThanOrEqual(0);
        expect(row.metrics[metric][method], `${row.image} ${metric} ${method}`).toBeLessThanOrEqual(1);
      }
      expect(row.metrics.complexity[method]).toBeGreaterThan(0);
      expect(row.metrics.complexity[method]).toBeLessThanOrEqual(Math.log(224 * 224) + 1e-9);
    }
  }
  const csv = statsToCsv(result).trim().split("\n");
  const metricColumns = PROTOCOL_METRIC_NAMES.flatMap((k) => METHOD_NAMES.map((m) => `${k}_${m}`));
  expect(csv[0]).toBe(`image,wnid,label,predicted,confidence,auc_occlusion,auc_grad,auc_grad_x_input,auc_grad_cam,auc_integrated_gradients,${metricColumns.join(",")}`);
  expect(csv).toHaveLength(index.meta.images.length + 1);
  const firstLine = csv[1].split(",");
  expect(firstLine).toHaveLength(5 + 5 + metricColumns.length);
  expect(Number(firstLine[csv[0].split(",").indexOf("insertion_auc_grad_cam")])).toBe(result.rows[0].metrics.insertion_auc.grad_cam);
  // A row without the other metrics (protocol version 1's) is refused, naming the row.
  const old = structuredClone(result) as unknown as {rows: Record<string, unknown>[]};
  delete old.rows[2].metrics;
  expect(() => assertStatsResult(old, "old.json")).toThrow(new RegExp(`old.json: row 3 \\(${result.rows[2].wnid}/${result.rows[2].image}\\) has no metrics`));
  const gap = structuredClone(result);
  (gap.rows[0].metrics.sparseness as Record<string, unknown>).grad_cam = null; // what JSON makes of NaN
  expect(() => assertStatsResult(gap, "gap.json")).toThrow(/gap.json: row 1 .* has no sparseness \(a number\) for grad_cam/);
  expect(result.protocolVersion).toBe(PROTOCOL_VERSION);
  expect(result.shard).toBeNull();
  expect(result.provenance.kind).toBe("computed");
  expect(Date.parse(result.provenance.finishedAt)).toBeGreaterThan(Date.parse("2025-01-01"));
  fixtureRun = result;
});

it("the build's loader shows a finished file (EXPLAIN_STATS_FROM) and refuses one for another model", async () => {
  expect(fixtureRun, "needs the first test's run").toBeDefined();
  const loader = (file: string) => promisify(execFile)(path.join(ROOT, "node_modules", ".bin", "tsx"), ["src/data/deletion-stats.json.ts"], {
    cwd: ROOT,
    env: {...process.env, EXPLAIN_STATS_FROM: file, EXPLAIN_WEIGHTS: WEIGHTS},
    maxBuffer: 64 << 20,
  });
  const good = path.join(work, "fixture-run.json");
  fs.writeFileSync(good, JSON.stringify(fixtureRun));
  const {stdout} = await loader(good);
  const shown = JSON.parse(stdout) as StatsResult;
  expect(shown.rows).toEqual(fixtureRun!.rows);
  expect(shown.provenance).toMatchObject({kind: "computed", finishedAt: fixtureRun!.provenance.finishedAt, loadedFrom: {file: "fixture-run.json"}});
  expect(shown.provenance.loadedFrom!.sha256).toMatch(/^[0-9a-f]{64}$/);

  // The same file, as if computed with torchvision's ImageNet weights.
  const other = path.join(work, "other-model.json");
  fs.writeFileSync(other, JSON.stringify({...fixtureRun, model: {file: "resnet18-f37072fd.pth", sha256: "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec"}}));
  const failed = await loader(other).then(() => null, (e) => e);
  expect(failed?.code, "the loader must fail").toBe(1);
  expect(failed.stdout).toBe("");
  expect(failed.stderr).toMatch(/EXPLAIN_STATS_FROM=.*other-model.json is refused: the model differs: .*other-model.json was computed with resnet18-f37072fd.pth \(sha256 f37072fd47e89c5e…\), this site uses resnet18-imagenette.pth \(sha256 [0-9a-f]{16}…\)\. .*unset EXPLAIN_STATS_FROM/);
});

it("the protocol's LeRF and insertion AUCs, sparseness and complexity equal the library's functions on its maps (fixture photos 0 and 5)", async () => {
  // In this process (the run above used worker processes, which keep the maps).
  // LeRF and insertion: the S-2 inner points bit for bit, the two ends and
  // the AUC within 1e-6. The inner images are the library's images value for
  // value (the photo times a 0/1 mask; onto black, tf.where gives the same
  // values), and a wasm forward pass of an image does not depend on the other
  // images in its batch. The ends are the probabilities the protocol shares
  // with deletion (the photo's from occlusion-forward.ts's pass, black's
  // from its cached pass, both through a softmax in JavaScript), where the
  // library computes tf.softmax of the same image in a batch: float32
  // rounding apart (measured: 6e-8, one float32 step near 1).
  const {tf, model} = await setup();
  const protocol = new DeletionProtocol(model, DEFAULT_PROTOCOL_SETTINGS, {batchSize: DEFAULT_WORKER_BATCH_SIZE});
  const steps = DEFAULT_PROTOCOL_SETTINGS.deletionSteps;
  let largest = 0;
  let afterFirstPhoto = 0;
  const predicted = new Set<number>();
  // Full-size photos: the protocol is for 224 x 224 (its black image is).
  for (const photo of [0, 5]) {
    const image = fixtureImage(photo);
    const result = await protocol.run(image);
    const target = result.predicted;
    predicted.add(target);
    for (const method of METHOD_NAMES) {
      const map = result.relevance[method];
      const what = `photo ${photo}, ${method}`;
      // The library's functions, run alone on the same map and class, batched their own way (8 images per call).
      const lerf = await lerfCurve(model, image, map, {steps, target});
      const insertion = await insertionCurve(model, image, map, {steps, target});
      for (const [mine, theirs, auc, theirAuc, photoPoint, name] of [
        [result.lerfCurves[method], lerf.curve, result.metrics.lerf_auc[method], lerf.auc, 0, "LeRF"],
        [result.insertionCurves[method], insertion.curve, result.metrics.insertion_auc[method], insertion.auc, steps - 1, "insertion"],
      ] as const) {
        expect(mine).toHaveLength(steps);
        for (let k = 0; k < steps; k++) {
          if (k === 0 || k === steps - 1) expect(Math.abs(mine[k] - theirs[k]), `${what} ${name} image ${k} (an end)`).toBeLessThanOrEqual(1e-6);
          else expect(mine[k], `${what} ${name} image ${k}`).toBe(theirs[k]);
        }
        // The ends are deletion's: the photo and black.
        expect(mine[photoPoint]).toBe(result.confidence);
        expect(mine[steps - 1 - photoPoint]).toBe(result.curves[method][steps - 1]);
        expect(Math.abs(auc - theirAuc), `${what} ${name} AUC`).toBeLessThanOrEqual(1e-6);
        largest = Math.max(largest, Math.abs(auc - theirAuc), maxAbsDiff(mine, theirs));
      }
      // Not a vacuous comparison: the curves move, and LeRF's differs from deletion's.
      expect(new Set(lerf.curve).size, `${what} LeRF`).toBeGreaterThan(2);
      expect(new Set(insertion.curve).size, `${what} insertion`).toBeGreaterThan(2);
      expect(result.metrics.lerf_auc[method]).not.toBe(result.auc[method]);
      // Deletion is untouched: its first point is the same photo probability.
      expect(result.curves[method][0]).toBe(result.confidence);
      // The same function on the same map: bit for bit.
      expect(result.metrics.sparseness[method], `${what} sparseness`).toBe(sparseness(map));
      expect(result.metrics.complexity[method], `${what} complexity`).toBe(complexity(map));
    }
    // The maps differ from method to method, and so do their concentrations.
    expect(new Set(METHOD_NAMES.map((m) => result.metrics.sparseness[m])).size).toBe(METHOD_NAMES.length);
    image.dispose();
    // The first run creates the model's lazy caches; from then on nothing may be left behind.
    if (!afterFirstPhoto) afterFirstPhoto = tf.memory().numTensors;
  }
  console.log(`protocol vs library (LeRF, insertion): largest difference ${largest.toExponential(2)} (at an end)`);
  // dispose() frees the black image's gradient of each predicted class: one existed after the first photo.
  protocol.dispose();
  expect(predicted.size).toBe(2);
  expect(tf.memory().numTensors).toBe(afterFirstPhoto - 1);
});

it("selects images balanced across classes", () => {
  const entries = ["a", "b", "c"].flatMap((n) => [0, 1, 2].map((label) => ({file: `${label}/${n}`, id: n, wnid: String(label), label, name: String(label)})));
  expect(selectImages(entries, 4).map((e) => e.file)).toEqual(["0/a", "1/a", "2/a", "0/b"]);
  expect(selectImages(entries, 100)).toHaveLength(9);
});

it("summary statistics: bootstrap intervals contain the estimate and paired shares are consistent", () => {
  const a = [0.1, 0.2, 0.15, 0.3, 0.05, 0.12];
  const b = [0.2, 0.1, 0.25, 0.35, 0.1, 0.12];
  const m = meanInterval(a);
  expect(m.estimate).toBeCloseTo(0.15333333, 6);
  expect(m.lower).toBeLessThanOrEqual(m.estimate);
  expect(m.upper).toBeGreaterThanOrEqual(m.estimate);
  expect(meanInterval(a)).toEqual(m); // seeded: the same every time
  expect(std([1, 2, 3, 4])).toBeCloseTo(1.2909944, 6);
  const ab = shareBetter(a, b).estimate;
  const ba = shareBetter(b, a).estimate;
  expect(ab + ba).toBeCloseTo(1, 12);
  expect(ab).toBeCloseTo(4.5 / 6, 12);
});
