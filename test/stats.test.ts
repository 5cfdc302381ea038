// The dataset-statistics loader code on the eight fixture images: its AUCs
// must match the reference (auc_<method>_steps10) within 1e-3, and a second
// run must come entirely from the cache. The build's loader must show that
// run's file when EXPLAIN_STATS_FROM names it, and refuse it for another model.
import {execFile} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {afterAll, expect, it} from "vitest";
import {computeStats, selectImages, statsToCsv} from "../src/data/node/stats.js";
import {METHOD_NAMES} from "../src/lib/methods.js";
import {PROTOCOL_VERSION} from "../src/lib/protocol.js";
import type {StatsResult} from "../src/lib/stats-format.js";
import {meanInterval, shareBetter, std} from "../src/lib/statistics.js";
import {fixture, index, SHARED, WEIGHTS} from "./helpers/fixtures.js";

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
  const csv = statsToCsv(result).trim().split("\n");
  expect(csv[0]).toBe("image,wnid,label,predicted,confidence,auc_occlusion,auc_grad,auc_grad_x_input,auc_grad_cam,auc_integrated_gradients");
  expect(csv).toHaveLength(index.meta.images.length + 1);
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
