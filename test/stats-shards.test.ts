// Sharded dataset statistics: a 6-image run split into 3 shards, each
// computed by its own `npm run stats` process (the shard given by --shard, by
// Slurm's and by Kubernetes' env vars), then merged by `npm run stats:merge`,
// must equal the same 6 images computed in one run, row for row, the AUCs
// bit for bit. Then the merge must refuse parts that do not make one run, and
// the build must refuse a file for other settings.
//
// Cost: the protocol runs at reduced settings (occlusion 2 x 2, IG 3 steps,
// deletion 4 steps: every stage of the protocol still runs, each method's
// curve has two interior points, so the AUCs differ by method), about a
// quarter of the handout's cost per image. EXPLAIN_HEAVY_TESTS=1 runs the
// handout's settings instead.
import {execFile} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {resolveShard, shardImages} from "../src/data/node/shards.js";
import {computeStats, selectImages} from "../src/data/node/stats.js";
import {loadStatsForSite, mergeStatsParts, readStatsFile} from "../src/data/node/stats-files.js";
import {listImagenette} from "../src/data/node/sources.js";
import {HANDOUT_SETTINGS, METHOD_NAMES} from "../src/lib/methods.js";
import {PROTOCOL_METRIC_NAMES, type StatsResult, type StatsRow} from "../src/lib/stats-format.js";
import {SHARED, WEIGHTS} from "./helpers/fixtures.js";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const VAL = path.join(SHARED, "imagenette2", "val");
const IMAGES = 6;
const SETTINGS = process.env.EXPLAIN_HEAVY_TESTS ? {...HANDOUT_SETTINGS} : {occlusionSteps: 2, integratedGradientsSteps: 3, deletionSteps: 4};
const SETTING_ARGS = ["--occlusion-steps", String(SETTINGS.occlusionSteps), "--ig-steps", String(SETTINGS.integratedGradientsSteps), "--deletion-steps", String(SETTINGS.deletionSteps)];

const work = fs.mkdtempSync(path.join(os.tmpdir(), "stats-shards-"));
afterAll(() => fs.rmSync(work, {recursive: true, force: true}));

/** Env without any shard variables of the machine running the tests (a CI job may itself be an array task). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = {...process.env};
  for (const k of Object.keys(env)) if (/^SLURM_|^JOB_COMPLETION_INDEX$|^EXPLAIN_STATS_/.test(k)) delete env[k];
  return {...env, ...extra};
}

describe("which shard a process computes", () => {
  it("reads --shard K/N, 1-based", () => {
    expect(resolveShard({shard: "2/5", env: {}})).toMatchObject({index: 2, count: 5, detectedFrom: "--shard"});
    expect(() => resolveShard({shard: "0/5", env: {}})).toThrow(/numbered 1 to 5/);
    expect(() => resolveShard({shard: "6/5", env: {}})).toThrow(/numbered 1 to 5/);
    expect(() => resolveShard({shard: "2", env: {}})).toThrow(/K\/N/);
    expect(() => resolveShard({shard: "2/5", shards: "4", env: {}})).toThrow(/disagree/);
    // --shard wins over the environment (e.g. --shard 1/1 for a whole run inside an array task).
    expect(resolveShard({shard: "1/1", env: {SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "10"}})).toMatchObject({index: 1, count: 1});
  });

  it("detects a Slurm job array task, whatever the array's first id", () => {
    expect(resolveShard({env: {SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "10", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "9"}})).toMatchObject({index: 1, count: 10, detectedFrom: "slurm"});
    expect(resolveShard({env: {SLURM_ARRAY_TASK_ID: "9", SLURM_ARRAY_TASK_COUNT: "10", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "9"}})).toMatchObject({index: 10, count: 10});
    expect(resolveShard({env: {SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "3"}})).toMatchObject({index: 1, count: 3});
    expect(resolveShard({env: {SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "3"}})).toMatchObject({index: 3, count: 3});
    // Without MIN the ids are taken as 0-based.
    expect(resolveShard({env: {SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3"}})).toMatchObject({index: 3, count: 3});
    expect(() => resolveShard({env: {SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "3"}})).toThrow(/outside the array/);
    // --array=0-9:2 has 5 tasks but ids up to 8: shards would be left out.
    expect(() => resolveShard({env: {SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_COUNT: "5", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "8"}})).toThrow(/not contiguous/);
    expect(() => resolveShard({env: {SLURM_ARRAY_TASK_ID: "4"}})).toThrow(/SLURM_ARRAY_TASK_COUNT/);
    expect(() => resolveShard({shards: "4", env: {SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "3"}})).toThrow(/disagrees/);
  });

  it("detects a Kubernetes Indexed Job pod, the count from --shards or EXPLAIN_STATS_SHARDS", () => {
    expect(resolveShard({env: {JOB_COMPLETION_INDEX: "0", EXPLAIN_STATS_SHARDS: "4"}})).toMatchObject({index: 1, count: 4, detectedFrom: "kubernetes"});
    expect(resolveShard({shards: "4", env: {JOB_COMPLETION_INDEX: "3"}})).toMatchObject({index: 4, count: 4, detectedFrom: "kubernetes"});
    expect(() => resolveShard({env: {JOB_COMPLETION_INDEX: "1"}})).toThrow(/--shards N or set EXPLAIN_STATS_SHARDS/);
    expect(() => resolveShard({env: {JOB_COMPLETION_INDEX: "4", EXPLAIN_STATS_SHARDS: "4"}})).toThrow(/completions/);
    expect(() => resolveShard({shards: "3", env: {JOB_COMPLETION_INDEX: "1", EXPLAIN_STATS_SHARDS: "4"}})).toThrow(/disagrees/);
  });

  it("is the whole run without any of these; --shards alone is an error", () => {
    expect(resolveShard({env: {}})).toBeNull();
    expect(() => resolveShard({shards: "3", env: {}})).toThrow(/needs a shard index/);
  });
});

describe("the split", () => {
  const all = listImagenette(VAL, {onWarn: () => {}});

  it("partitions the selection, balanced across classes and in size", () => {
    for (const [limit, count] of [[12, 3], [80, 7], [80, 10], ["all", 16]] as const) {
      const selection = selectImages(all, limit);
      const shards = Array.from({length: count}, (_, k) => shardImages(all, selection, {index: k + 1, count}));
      // Every image in exactly one shard, and each shard in the selection's order.
      expect(shards.flat().map((e) => e.file).sort()).toEqual(selection.map((e) => e.file).sort());
      for (const s of shards) expect(s).toEqual(selection.filter((e) => s.includes(e)));
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes), `${limit}/${count} sizes`).toBeLessThanOrEqual(1);
      for (let label = 0; label < 10; label++) {
        const perShard = shards.map((s) => s.filter((e) => e.label === label).length);
        expect(Math.max(...perShard) - Math.min(...perShard), `${limit}/${count} class ${label}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it("is the same on every call (a pure function of the sorted list)", () => {
    const a = shardImages(all, all, {index: 3, count: 8}).map((e) => e.file);
    const b = shardImages([...all], [...all].reverse(), {index: 3, count: 8}).map((e) => e.file);
    expect(new Set(b)).toEqual(new Set(a));
    // Positions 2, 10, 18, ... of the sorted list.
    expect(a).toHaveLength(Math.ceil((all.length - 2) / 8));
    expect(a.slice(0, 2)).toEqual([all[2].file, all[10].file]);
  });
});

describe("a run in 3 shards, merged, equals the run in one piece", () => {
  let single: StatsResult;
  let merged: StatsResult;
  const parts: {file: string; result: StatsResult}[] = [];
  const partFiles = ["part-1.json", "part-2.json", "part-3.json"].map((f) => path.join(work, f));

  beforeAll(async () => {
    single = await computeStats({imagesDir: VAL, weightsFile: WEIGHTS, limit: IMAGES, workers: 2, settings: SETTINGS, cacheDir: null, log: () => {}});
    // Three processes side by side, one worker each; the shard comes from
    // --shard, from a Slurm array task's env, from a Kubernetes pod's env.
    const common = ["scripts/stats.ts", "--images", VAL, "--weights", WEIGHTS, "--limit", String(IMAGES), ...SETTING_ARGS, "--workers", "1", "--no-cache"];
    await Promise.all([
      run(TSX, [...common, "--shard", "1/3", "--out", partFiles[0]], {cwd: ROOT, env: cleanEnv()}),
      run(TSX, [...common, "--out", partFiles[1]], {cwd: ROOT, env: cleanEnv({SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "3"})}),
      run(TSX, [...common, "--out", partFiles[2]], {cwd: ROOT, env: cleanEnv({JOB_COMPLETION_INDEX: "2", EXPLAIN_STATS_SHARDS: "3"})}),
    ]);
    for (const file of partFiles) parts.push({file, result: readStatsFile(file)});
    const out = path.join(work, "all.json");
    await run(TSX, ["scripts/stats-merge.ts", ...partFiles, "--out", out], {cwd: ROOT, env: cleanEnv()});
    merged = readStatsFile(out);
  });

  it("each process computed its own third, found from --shard, Slurm or Kubernetes", () => {
    expect(parts.map((p) => p.result.shard && {index: p.result.shard.index, count: p.result.shard.count, from: p.result.shard.detectedFrom})).toEqual([
      {index: 1, count: 3, from: "--shard"},
      {index: 2, count: 3, from: "slurm"},
      {index: 3, count: 3, from: "kubernetes"},
    ]);
    for (const p of parts) {
      expect(p.result.rows).toHaveLength(IMAGES / 3);
      expect(p.result.images.computed).toBe(IMAGES / 3);
    }
  });

  it("row for row, the AUCs and the other metrics bit for bit", () => {
    expect(single.rows).toHaveLength(IMAGES);
    expect(merged.rows).toHaveLength(IMAGES);
    const identity = (r: StatsRow) => [r.wnid, r.image, r.label, r.predicted];
    expect(merged.rows.map(identity)).toEqual(single.rows.map(identity));
    // The numbers as raw float64 bits: confidence, the deletion AUCs, then each other metric, in method order.
    const bits = (rows: StatsRow[]) =>
      Array.from(new Uint8Array(Float64Array.from(rows.flatMap((r) => [r.confidence, ...METHOD_NAMES.map((m) => r.auc[m]), ...PROTOCOL_METRIC_NAMES.flatMap((k) => METHOD_NAMES.map((m) => r.metrics[k][m]))])).buffer));
    expect(bits(merged.rows)).toEqual(bits(single.rows));
    // Not a vacuous comparison: the methods' values differ, for every metric.
    expect(single.rows.some((r) => new Set(METHOD_NAMES.map((m) => r.auc[m])).size === METHOD_NAMES.length)).toBe(true);
    for (const k of PROTOCOL_METRIC_NAMES) expect(single.rows.some((r) => new Set(METHOD_NAMES.map((m) => r.metrics[k][m])).size === METHOD_NAMES.length), k).toBe(true);
    expect(merged.settings).toEqual(single.settings);
    expect(merged.model).toEqual(single.model);
    expect(merged.images).toMatchObject({requested: IMAGES, computed: IMAGES, skipped: []});
    expect(merged.shard).toBeNull();
    expect(merged.provenance.kind).toBe("merged");
    expect(merged.provenance.parts!.map((p) => p.shard)).toEqual(["1/3", "2/3", "3/3"]);
  });

  const copy = (i: number, change: (r: StatsResult) => void, name = `changed-${i + 1}.json`) => {
    const result = structuredClone(parts[i].result);
    change(result);
    return {file: name, result};
  };

  it("refuses a missing shard, naming it", async () => {
    expect(() => mergeStatsParts([parts[0], parts[2]])).toThrow(/1 of 3 shards missing: 2\/3/);
    // The command line says the same and exits non-zero.
    const failed = await run(TSX, ["scripts/stats-merge.ts", partFiles[0], partFiles[2], "--out", path.join(work, "x.json")], {cwd: ROOT, env: cleanEnv()}).then(() => null, (e) => e);
    expect(failed?.code).toBe(1);
    expect(failed.stderr).toMatch(/1 of 3 shards missing: 2\/3/);
    expect(fs.existsSync(path.join(work, "x.json"))).toBe(false);
  });

  it("refuses a doubled image or shard, naming it and the files", () => {
    const intruder = parts[1].result.rows[0];
    const doubled = copy(0, (r) => r.rows.push(intruder), "part-1-doubled.json");
    expect(() => mergeStatsParts([doubled, parts[1], parts[2]])).toThrow(new RegExp(`image ${intruder.wnid}/${intruder.image} appears twice \\(in part-1-doubled.json and in .*part-2.json\\)`));
    const twice = copy(0, (r) => r.rows.push(r.rows[0]));
    expect(() => mergeStatsParts([twice, parts[1], parts[2]])).toThrow(/appears twice \(twice in changed-1.json\)/);
    expect(() => mergeStatsParts([parts[0], parts[1], parts[1], parts[2]])).toThrow(/shard 2\/3 is given twice/);
  });

  it("refuses a part whose rows lack the other metrics (written by protocol version 1), naming the file and the row", () => {
    const file = path.join(work, "old-part.json");
    const old = structuredClone(parts[1].result) as unknown as {rows: Record<string, unknown>[]};
    for (const row of old.rows) delete row.metrics;
    fs.writeFileSync(file, JSON.stringify(old));
    const first = parts[1].result.rows[0];
    expect(() => readStatsFile(file)).toThrow(new RegExp(`old-part.json: row 1 \\(${first.wnid}/${first.image}\\) has no metrics`));
  });

  it("refuses a missing image, naming it", () => {
    const lost = parts[2].result.rows[1];
    expect(() => mergeStatsParts([parts[0], parts[1], copy(2, (r) => r.rows.splice(1, 1))])).toThrow(new RegExp(`1 image\\(s\\) of the run are in no part: ${lost.wnid}/${lost.image}`));
  });

  it("refuses parts with other settings, another model or another protocol version, naming what differs", () => {
    const settings = copy(2, (r) => (r.settings = {...r.settings, deletionSteps: r.settings.deletionSteps + 1}));
    expect(() => mergeStatsParts([parts[0], parts[1], settings])).toThrow(new RegExp(`the settings differ: changed-3.json has .*deletion ${SETTINGS.deletionSteps + 1} steps; .*part-1.json has .*deletion ${SETTINGS.deletionSteps} steps`));
    const model = copy(1, (r) => (r.model = {file: "resnet18-f37072fd.pth", sha256: "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec"}));
    expect(() => mergeStatsParts([parts[0], model, parts[2]])).toThrow(/the model differs: changed-2.json was computed with resnet18-f37072fd.pth \(sha256 f37072fd47e89c5e…\), .*part-1.json uses resnet18-imagenette.pth/);
    const protocol = copy(1, (r) => (r.protocolVersion += 1));
    expect(() => mergeStatsParts([parts[0], protocol, parts[2]])).toThrow(/the protocol version differs/);
    const split = copy(1, (r) => (r.shard!.count = 4));
    expect(() => mergeStatsParts([parts[0], split, parts[2]])).toThrow(/split 3 and 4 ways/);
    expect(() => mergeStatsParts([{file: "whole.json", result: single}])).toThrow(/whole.json is not a shard's part/);
  });

  it("the build refuses it (EXPLAIN_STATS_FROM): other settings than the site's, or a part instead of the merge", () => {
    const mergedFile = path.join(work, "all.json");
    if (!process.env.EXPLAIN_HEAVY_TESTS) {
      expect(() => loadStatsForSite(mergedFile, {weightsFile: WEIGHTS})).toThrow(/EXPLAIN_STATS_FROM=.*all.json is refused: the settings differ: .*all.json has occlusion 2 x 2.*; this site has occlusion 6 x 6/);
    }
    expect(() => loadStatsForSite(partFiles[0], {weightsFile: WEIGHTS})).toThrow(/is shard 1\/3 of a sharded run, not the whole run: merge all the parts first/);
  });
});
