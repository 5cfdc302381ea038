// Dataset-wide deletion statistics: the protocol (five methods at the
// handout's settings, then each method's deletion AUC, LeRF AUC, insertion
// AUC, sparseness and complexity; src/lib/protocol.ts) over many images, in
// worker processes (tfjs's wasm backend is single-threaded in Node), with a
// per-image cache so an unchanged build does not recompute and an
// interrupted run resumes where it stopped.
import {fork} from "node:child_process";
import {createHash} from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {METHOD_NAMES} from "../../lib/methods.js";
import {DEFAULT_PROTOCOL_SETTINGS, PROTOCOL_VERSION, type ProtocolSettings} from "../../lib/protocol.js";
import {imageKey, PROTOCOL_METRIC_NAMES, rowProblem, type StatsResult, type StatsRow, type StatsShard} from "../../lib/stats-format.js";
import {codeVersion} from "./code-version.js";
import {listImagenette, PROJECT_ROOT, sourcesConfig, type ImagenetteEntry} from "./sources.js";
import {loadCheckpoint} from "./model.js";
import {isImagenette, readDataset, type DatasetClass} from "./dataset.js";
import {shardImages} from "./shards.js";

export type {StatsResult, StatsRow};

export interface StatsOptions {
  imagesDir: string;
  weightsFile: string;
  /** How many images (balanced across classes), or "all". */
  limit: number | "all";
  workers?: number;
  settings?: ProtocolSettings;
  /** Images per model call in each worker (default DEFAULT_WORKER_BATCH_SIZE). */
  batchSize?: number;
  /** The per-image cache's root (default <EXPLAIN_CACHE or .cache>/stats); null: no cache. */
  cacheDir?: string | null;
  /** Compute only this shard of the selection (see shards.ts); null or absent: all of it. */
  shard?: Omit<StatsShard, "selection"> | null;
  log?: (line: string) => void;
}

/**
 * Images per model call in a worker. Measured on a 2-core EPYC, wasm, two
 * workers side by side: 18.2 s per image per worker with batches of 4, 21.9 s
 * with 8 and 21.3 s with 2 (with one worker alone, 4 and 8 are within noise):
 * two workers' batches of 8 crowd the shared caches.
 */
export const DEFAULT_WORKER_BATCH_SIZE = 4;

/**
 * Default image count of a build, 4 per class: about as many as fit 10
 * minutes of loader time on a 2-core machine with both cores. The deletion
 * protocol alone took 10.1 s per image there (a 100-image run, two workers);
 * with LeRF and insertion (80 more forward passes per image) it costs
 * 1.5-1.6x that (measured back to back on the same images: docs/benchmarks.md), about
 * 16 s per image: 40 images take about 11 minutes, 60 would take 16.
 */
export const DEFAULT_BUILD_IMAGES = 40;

/** Reads EXPLAIN_STATS_IMAGES ("all" or a count) and EXPLAIN_STATS_WORKERS. */
export function statsEnv(env: Record<string, string | undefined> = process.env): {limit: number | "all"; workers: number} {
  const raw = (env.EXPLAIN_STATS_IMAGES ?? String(DEFAULT_BUILD_IMAGES)).trim();
  const limit = raw === "all" ? "all" : Number(raw);
  if (limit !== "all" && (!Number.isInteger(limit) || limit < 1)) throw new Error(`EXPLAIN_STATS_IMAGES must be a positive integer or "all", got "${raw}"`);
  const workers = Number(env.EXPLAIN_STATS_WORKERS ?? defaultWorkers());
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`EXPLAIN_STATS_WORKERS must be a positive integer, got "${env.EXPLAIN_STATS_WORKERS}"`);
  return {limit, workers};
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8));
}

/**
 * The first `limit` images, balanced across classes: the 1st image of every
 * class (sorted by file name), then the 2nd of every class, and so on.
 */
export function selectImages(list: readonly ImagenetteEntry[], limit: number | "all"): ImagenetteEntry[] {
  if (limit === "all") return [...list];
  const byClass = new Map<number, ImagenetteEntry[]>();
  for (const e of list) byClass.set(e.label, [...(byClass.get(e.label) ?? []), e]);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const out: ImagenetteEntry[] = [];
  for (let rank = 0; out.length < limit; rank++) {
    let any = false;
    for (const c of classes) {
      const e = byClass.get(c)![rank];
      if (e && out.length < limit) {
        out.push(e);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

/**
 * The per-image cache's folder for a model, settings and classes (a row's
 * predicted class is an index into them). Imagenette's classes add nothing
 * to the key, so the caches of earlier versions stay valid; any other class
 * list adds a hash of its folders and names.
 */
export function cacheKey(sha256: string, settings: ProtocolSettings, classes: readonly DatasetClass[]): string {
  const s = `${settings.occlusionSteps}-${settings.integratedGradientsSteps}-${settings.deletionSteps}-${PROTOCOL_VERSION}`;
  const key = `${sha256.slice(0, 16)}-o${settings.occlusionSteps}-ig${settings.integratedGradientsSteps}-d${settings.deletionSteps}-p${PROTOCOL_VERSION}-${createHash("sha256").update(s).digest("hex").slice(0, 6)}`;
  if (isImagenette(classes)) return key;
  const names = JSON.stringify(classes.map((c) => [c.wnid, c.name]));
  return `${key}-c${classes.length}-${createHash("sha256").update(names).digest("hex").slice(0, 8)}`;
}

function cacheFile(dir: string, entry: ImagenetteEntry): string {
  return path.join(dir, `${entry.wnid}_${path.basename(entry.file)}.json`);
}

/** A cached row, or null (recompute it) when the file is not a complete row of this protocol version. */
function readCachedRow(file: string, log: (line: string) => void): StatsRow | null {
  let row: StatsRow;
  try {
    row = JSON.parse(fs.readFileSync(file, "utf8")) as StatsRow;
  } catch (e) {
    log(`warning: ignoring the unreadable cached row ${file} (${(e as Error).message}): recomputing it`);
    return null;
  }
  const problem = rowProblem(row);
  if (problem) log(`warning: the cached row ${file} ${problem}: recomputing it`);
  return problem ? null : row;
}

/** The rows of `selected` found in the cache, and the images still to compute. */
function cachedRows(selected: ImagenetteEntry[], cacheDir: string | null, log: (line: string) => void): {rows: Map<ImagenetteEntry, StatsRow>; todo: ImagenetteEntry[]} {
  const rows = new Map<ImagenetteEntry, StatsRow>();
  const todo: ImagenetteEntry[] = [];
  for (const entry of selected) {
    const cached = cacheDir && fs.existsSync(cacheFile(cacheDir, entry)) ? readCachedRow(cacheFile(cacheDir, entry), log) : null;
    if (cached) rows.set(entry, cached);
    else todo.push(entry);
  }
  return {rows, todo};
}

/** Written aside and renamed: array tasks sharing the cache on a shared volume never read half a file. */
function writeCachedRow(file: string, row: StatsRow): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(row));
  fs.renameSync(temporary, file);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return h ? `${h}h ${m}m` : m ? `${m}m ${s}s` : `${s}s`;
}

export async function computeStats(options: StatsOptions): Promise<StatsResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const settings = options.settings ?? DEFAULT_PROTOCOL_SETTINGS;
  const dataset = readDataset(options.imagesDir, {onWarn: (m) => log(`warning: ${m}`)});
  const checkpoint = loadCheckpoint(options.weightsFile, {classes: dataset.classes, imagesDir: dataset.dir});
  const all = listImagenette(options.imagesDir, {dataset, onWarn: (m) => log(`warning: ${m}`)});
  const selection = selectImages(all, options.limit);
  const shard = options.shard ?? null;
  const selected = shard ? shardImages(all, selection, shard) : selection;
  // Default: <EXPLAIN_CACHE or .cache>/stats, so that array tasks on a shared volume share it.
  const cacheDir = options.cacheDir === null ? null : path.join(options.cacheDir ?? path.join(sourcesConfig().cacheDir, "stats"), cacheKey(checkpoint.sha256, settings, dataset.classes));
  if (cacheDir) fs.mkdirSync(cacheDir, {recursive: true});

  const {rows, todo} = cachedRows(selected, cacheDir, log);
  const cachedCount = rows.size;
  const workers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), todo.length || 1));
  if (shard) log(`stats: shard ${shard.index}/${shard.count} (${shard.detectedFrom}): ${selected.length} of the ${selection.length} images`);
  log(`stats: ${selected.length} images from ${options.imagesDir} (${cachedCount} cached${cacheDir ? ` in ${path.relative(PROJECT_ROOT, cacheDir)}` : ""}), ${todo.length} to compute on ${workers} worker(s); settings occlusion ${settings.occlusionSteps}, IG ${settings.integratedGradientsSteps}, deletion ${settings.deletionSteps}`);

  const started = performance.now();
  const skipped: string[] = [];
  if (todo.length) {
    const queue = [...todo];
    let done = 0;
    const progress = () => {
      const elapsed = (performance.now() - started) / 1000;
      const rate = done ? elapsed / done : NaN;
      log(`stats: ${done + skipped.length}/${todo.length} computed · ${rate.toFixed(1)} s/image overall · ETA ${formatDuration(rate * (todo.length - done - skipped.length))}`);
    };
    const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "stats-worker.ts");
    await Promise.all(Array.from({length: workers}, () => new Promise<void>((resolve, reject) => {
      const child = fork(workerFile, [], {execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"]});
      let current: ImagenetteEntry | undefined;
      const next = () => {
        current = queue.shift();
        if (current) child.send({type: "image", file: current.file});
        else child.send({type: "exit"});
      };
      child.on("message", (message: {type: string; row?: Omit<StatsRow, "image" | "wnid" | "label">; error?: string}) => {
        if (message.type === "ready") return next();
        if (message.type === "fatal") return reject(new Error(message.error));
        if (!current) return;
        if (message.type === "row" && message.row) {
          const row: StatsRow = {image: path.basename(current.file), wnid: current.wnid, label: current.label, ...message.row};
          rows.set(current, row);
          if (cacheDir) writeCachedRow(cacheFile(cacheDir, current), row);
          done++;
        } else if (message.type === "skip") {
          log(`warning: skipping ${current.file}: ${message.error}`);
          skipped.push(current.file);
        }
        progress();
        next();
      });
      child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`stats worker exited with code ${code}`))));
      child.on("error", reject);
      child.send({type: "init", weightsFile: options.weightsFile, classes: dataset.classes, settings, batchSize: options.batchSize ?? DEFAULT_WORKER_BATCH_SIZE});
    })));
  }
  const seconds = (performance.now() - started) / 1000;
  const ordered = selected.filter((e) => rows.has(e)).map((e) => rows.get(e)!);
  return {
    protocolVersion: PROTOCOL_VERSION,
    settings,
    model: {file: path.basename(options.weightsFile), sha256: checkpoint.sha256},
    classes: dataset.classes,
    images: {folder: options.imagesDir, available: all.length, requested: selected.length, computed: todo.length - skipped.length, cached: cachedCount, skipped},
    rows: ordered,
    run: {seconds, workers, secondsPerImage: todo.length - skipped.length ? seconds / (todo.length - skipped.length) : 0},
    shard: shard ? {index: shard.index, count: shard.count, detectedFrom: shard.detectedFrom, selection: selection.map((e) => imageKey({wnid: e.wnid, image: path.basename(e.file)}))} : null,
    provenance: {kind: "computed", finishedAt: new Date().toISOString(), code: codeVersion()},
  };
}

/**
 * One line per image: the deletion AUCs as before (auc_<method>), then each
 * of PROTOCOL_METRIC_NAMES for every method (<metric>_<method>, e.g.
 * lerf_auc_grad_cam). ABPC is not a column: it is lerf_auc - auc.
 */
export function statsToCsv(result: StatsResult): string {
  const header = ["image", "wnid", "label", "predicted", "confidence", ...METHOD_NAMES.map((m) => `auc_${m}`), ...PROTOCOL_METRIC_NAMES.flatMap((k) => METHOD_NAMES.map((m) => `${k}_${m}`))];
  const lines = result.rows.map((r) => [r.image, r.wnid, r.label, r.predicted, r.confidence, ...METHOD_NAMES.map((m) => r.auc[m]), ...PROTOCOL_METRIC_NAMES.flatMap((k) => METHOD_NAMES.map((m) => r.metrics[k][m]))].join(","));
  return [header.join(","), ...lines].join("\n") + "\n";
}
