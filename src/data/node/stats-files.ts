// Statistics files after the run: merging the parts of a sharded run
// (`npm run stats:merge`) and loading a finished file into the build
// (EXPLAIN_STATS_FROM). Both refuse to mix numbers that are not comparable:
// another model, other settings, another protocol version; the merge also
// refuses a missing shard, a missing image and an image counted twice.
import {createHash} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {DEFAULT_PROTOCOL_SETTINGS, PROTOCOL_VERSION, type ProtocolSettings} from "../../lib/protocol.js";
import {assertStatsResult, identityProblems, imageKey, type StatsIdentity, type StatsPart, type StatsResult, type StatsRow} from "../../lib/stats-format.js";
import {codeVersion} from "./code-version.js";
import {IMAGENETTE_CLASSES} from "./dataset.js";
import type {ImagenetteClass} from "../../lib/weights.js";

/** Reads and checks the shape of a statistics JSON file; errors name the file and what to do. */
export function readStatsFile(file: string): StatsResult {
  if (!fs.existsSync(file)) throw new Error(`${file} not found${/[*?]/.test(file) ? " (a shell pattern that matched no file?)" : ""}`);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file} is not JSON (${(e as Error).message}): statistics files are the JSON output of npm run stats (--out FILE.json) or npm run stats:merge`);
  }
  // Files written before the classes were recorded: Imagenette's ten, the only classes the statistics then knew.
  if (value && typeof value === "object" && !("classes" in value)) (value as {classes: ImagenetteClass[]}).classes = IMAGENETTE_CLASSES;
  assertStatsResult(value, file);
  return value;
}

/** The `<wnid>/<file name>` of a skipped file (skipped files are recorded as paths). */
function skippedKey(file: string): string {
  return `${path.basename(path.dirname(file))}/${path.basename(file)}`;
}

const listSome = (keys: string[], max = 5) => keys.slice(0, max).join(", ") + (keys.length > max ? `, … (${keys.length} in all)` : "");

/**
 * Merges the parts of one sharded run into the file an unsharded run of the
 * same images would have written: rows in the run's order. Throws an Error
 * naming the problem (and the files) when the parts disagree on the model,
 * the settings, the protocol version or the split, when a shard is missing or
 * given twice, or when an image is missing or appears twice.
 */
export function mergeStatsParts(parts: {file: string; result: StatsResult}[]): StatsResult {
  if (!parts.length) throw new Error("no parts to merge: pass the shard files, e.g. npm run stats:merge -- parts/*.json --out all.json");
  for (const {file, result} of parts) {
    if (!result.shard) throw new Error(`${file} is not a shard's part (it has no shard field: a whole run needs no merge)`);
  }
  const [first] = parts;
  const firstShard = first.result.shard!;
  for (const {file, result} of parts.slice(1)) {
    const problems = identityProblems(result, file, first.result, first.file);
    if (problems.length) throw new Error(`cannot merge: ${problems.join("; ")}. Every part must come from the same model, settings and protocol version: recompute the odd part.`);
    const shard = result.shard!;
    if (shard.count !== firstShard.count) throw new Error(`cannot merge: ${first.file} is shard ${firstShard.index}/${firstShard.count} but ${file} is shard ${shard.index}/${shard.count}: parts of runs split ${firstShard.count} and ${shard.count} ways`);
    if (shard.selection.length !== firstShard.selection.length || shard.selection.some((k, i) => k !== firstShard.selection[i])) {
      throw new Error(`cannot merge: ${file} and ${first.file} split different image lists (${shard.selection.length} and ${firstShard.selection.length} images): were they run with the same --images folder and --limit?`);
    }
  }

  // Every shard exactly once.
  const count = firstShard.count;
  const byShard = new Map<number, string[]>();
  for (const {file, result} of parts) byShard.set(result.shard!.index, [...(byShard.get(result.shard!.index) ?? []), file]);
  for (const [index, files] of byShard) {
    if (files.length > 1) throw new Error(`cannot merge: shard ${index}/${count} is given twice (${files.join(" and ")}): its images would be counted twice; pass one part per shard`);
  }
  const missingShards = Array.from({length: count}, (_, i) => i + 1).filter((i) => !byShard.has(i));
  if (missingShards.length) {
    throw new Error(`cannot merge: ${missingShards.length} of ${count} shards missing: ${missingShards.map((i) => `${i}/${count}`).join(", ")} (no part given for ${missingShards.length > 1 ? "them" : "it"}). Wait for those tasks to finish, or rerun them (a rerun resumes from the per-image cache).`);
  }

  // Every image of the selection exactly once, as a row or as skipped.
  const selection = firstShard.selection;
  const inSelection = new Set(selection);
  const seen = new Map<string, string>();
  const rows = new Map<string, StatsRow>();
  for (const {file, result} of parts) {
    const keys = [...result.rows.map(imageKey), ...result.images.skipped.map(skippedKey)];
    for (const [i, key] of keys.entries()) {
      if (!inSelection.has(key)) throw new Error(`cannot merge: ${file} has image ${key}, which is not in the run's image list`);
      const where = seen.get(key);
      if (where !== undefined) throw new Error(`cannot merge: image ${key} appears twice (${where === file ? `twice in ${file}` : `in ${where} and in ${file}`}): it would be counted twice`);
      seen.set(key, file);
      if (i < result.rows.length) rows.set(key, result.rows[i]);
    }
  }
  const missing = selection.filter((k) => !seen.has(k));
  if (missing.length) {
    throw new Error(`cannot merge: ${missing.length} image(s) of the run are in no part: ${listSome(missing)}. Were those parts written by an interrupted run? Rerun their shards (they resume from the per-image cache).`);
  }

  const inOrder = [...parts].sort((a, b) => a.result.shard!.index - b.result.shard!.index);
  const partInfo: StatsPart[] = inOrder.map(({file, result}) => ({
    file: path.basename(file),
    shard: `${result.shard!.index}/${count}`,
    finishedAt: result.provenance.finishedAt,
    rows: result.rows.length,
    seconds: result.run.seconds,
    code: result.provenance.code,
  }));
  const sum = (f: (r: StatsResult) => number) => parts.reduce((s, p) => s + f(p.result), 0);
  const computed = sum((r) => r.images.computed);
  const seconds = sum((r) => r.run.seconds);
  return {
    protocolVersion: first.result.protocolVersion,
    settings: first.result.settings,
    model: first.result.model,
    classes: first.result.classes,
    images: {
      folder: [...new Set(parts.map((p) => p.result.images.folder))].join(", "),
      available: first.result.images.available,
      requested: selection.length,
      computed,
      cached: sum((r) => r.images.cached),
      skipped: inOrder.flatMap((p) => p.result.images.skipped),
    },
    rows: selection.filter((k) => rows.has(k)).map((k) => rows.get(k)!),
    run: {seconds, workers: sum((r) => r.run.workers), secondsPerImage: computed ? seconds / computed : 0},
    shard: null,
    provenance: {kind: "merged", finishedAt: new Date().toISOString(), code: codeVersion(), parts: partInfo},
  };
}

/**
 * A finished statistics file (a whole run or a merge) for the build, checked
 * against the site's model (`weightsFile`), classes, settings and protocol version.
 * Errors say what differs and what to do.
 */
export function loadStatsForSite(file: string, site: {weightsFile: string; classes?: ImagenetteClass[]; settings?: ProtocolSettings}): StatsResult {
  const from = `EXPLAIN_STATS_FROM=${file}`;
  let result: StatsResult;
  try {
    result = readStatsFile(file);
  } catch (e) {
    throw new Error(`${from}: ${(e as Error).message}`);
  }
  if (result.shard) {
    throw new Error(`${from} is shard ${result.shard.index}/${result.shard.count} of a sharded run, not the whole run: merge all the parts first (npm run stats:merge -- parts/*.json --out all.json) and point EXPLAIN_STATS_FROM at the merged file`);
  }
  const expected: StatsIdentity = {
    protocolVersion: PROTOCOL_VERSION,
    settings: site.settings ?? DEFAULT_PROTOCOL_SETTINGS,
    model: {file: path.basename(site.weightsFile), sha256: fileSha256(site.weightsFile)},
    classes: site.classes ?? IMAGENETTE_CLASSES,
  };
  const problems = identityProblems(result, file, expected, "this site");
  if (problems.length) {
    throw new Error(`${from} is refused: ${problems.join("; ")}. Its numbers would not describe this site's model and methods. Recompute them for this site (npm run stats, or sharded: see README), or unset EXPLAIN_STATS_FROM to compute them during the build.`);
  }
  if (!result.rows.length) throw new Error(`${from} has no rows: nothing to show`);
  return {...result, provenance: {...result.provenance, loadedFrom: {file: path.basename(file), sha256: fileSha256(file), loadedAt: new Date().toISOString()}}};
}

function fileSha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}
