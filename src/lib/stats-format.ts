// The dataset-wide statistics file: what `npm run stats` writes (a whole run
// or one shard of a sharded run), what `npm run stats:merge` writes, and what
// the Dataset-wide results page reads (src/data/deletion-stats.json). This is
// the contract between the Node side and the page; it also holds the checks
// that decide whether two files describe the same experiment (same model,
// settings and protocol version), shared by the merge and by the build.
// Pages import this module: only pure modules here (method-info.js, not methods.js).
import {METHOD_NAMES, type MethodName} from "./method-info.js";
import type {ProtocolSettings} from "./protocol.js";
import type {EvaluationMetricName} from "./ranking.js";
import type {ImagenetteClass} from "./weights.js";

/**
 * The evaluation metrics the protocol computes for every method besides its
 * deletion AUC, keyed as in ranking.ts's EVALUATION_METRICS (which gives
 * their directions). All on the same map and class as the deletion AUC:
 *  - lerf_auc: the deletion protocol applied to -relevance (least relevant
 *    first), same steps, black (morf-lerf.ts lerfCurve);
 *  - insertion_auc: insertion onto black, same steps (insertion.ts);
 *  - sparseness: the Gini index of |r| (complexity.ts);
 *  - complexity: the entropy of |r| (complexity.ts).
 */
export const PROTOCOL_METRIC_NAMES = ["lerf_auc", "insertion_auc", "sparseness", "complexity"] as const satisfies readonly EvaluationMetricName[];
export type ProtocolMetricName = (typeof PROTOCOL_METRIC_NAMES)[number];

export interface StatsRow {
  /** Image file name, e.g. ILSVRC2012_val_00009111.JPEG. */
  image: string;
  wnid: string;
  label: number;
  predicted: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
  /** The deletion (MoRF) AUC of each method. */
  auc: Record<MethodName, number>;
  /** The other metrics of each method (PROTOCOL_METRIC_NAMES; since protocol version 2). */
  metrics: Record<ProtocolMetricName, Record<MethodName, number>>;
  /** Seconds the protocol took for this image (in its worker). */
  seconds: number;
}

/**
 * The metrics the Dataset-wide results page ranks the methods by, in
 * EVALUATION_METRICS order: the deletion AUC, the protocol's metrics, and
 * ABPC, which is derived (LeRF AUC - deletion AUC) rather than stored.
 */
export const DATASET_METRIC_NAMES = ["deletion_auc", "lerf_auc", "abpc", "insertion_auc", "sparseness", "complexity"] as const satisfies readonly EvaluationMetricName[];
export type DatasetMetricName = (typeof DATASET_METRIC_NAMES)[number];

/** A row's value of `metric` for `method`. */
export function rowMetric(row: StatsRow, metric: DatasetMetricName, method: MethodName): number {
  switch (metric) {
    case "deletion_auc":
      return row.auc[method];
    case "abpc":
      return row.metrics.lerf_auc[method] - row.auc[method];
    default:
      return row.metrics[metric][method];
  }
}

/** Which code produced a file: the git commit of the project, if it was a git checkout. */
export interface CodeVersion {
  /** `git rev-parse HEAD`, or null outside a git checkout. */
  commit: string | null;
  /** True if tracked files differed from the commit (uncommitted changes); null when unknown. */
  modified: boolean | null;
}

/** One shard of a sharded run (`npm run stats -- --shard K/N`, or a Slurm / Kubernetes array task). */
export interface StatsShard {
  /** 1..count. */
  index: number;
  count: number;
  /** Where K/N came from. */
  detectedFrom: "--shard" | "slurm" | "kubernetes";
  /**
   * Every image of the whole run (all shards), as `<wnid>/<file name>` in
   * the run's order. Every part lists the same; the merge uses it to find
   * missing images and to order the rows like an unsharded run.
   */
  selection: string[];
}

/** A part a merged file was made of. */
export interface StatsPart {
  /** The part's file name as given to the merge. */
  file: string;
  /** "K/N". */
  shard: string;
  finishedAt: string;
  rows: number;
  /** Wall-clock seconds of that part's run. */
  seconds: number;
  code: CodeVersion;
}

export interface StatsProvenance {
  /** "computed": one run of `npm run stats` or of the build's loader; "merged": `npm run stats:merge` of shard parts. */
  kind: "computed" | "merged";
  /** When the run (or the merge) finished, ISO 8601. */
  finishedAt: string;
  /** The code of the run (of the merge, for a merged file; the parts' are in `parts`). */
  code: CodeVersion;
  /** Merged files: the parts, in shard order. */
  parts?: StatsPart[];
  /** Set by the build when the file came from EXPLAIN_STATS_FROM instead of being computed. */
  loadedFrom?: {file: string; sha256: string; loadedAt: string};
}

export interface StatsResult {
  /** PROTOCOL_VERSION (src/lib/protocol.ts) of the code that computed the rows. */
  protocolVersion: number;
  settings: ProtocolSettings;
  model: {file: string; sha256: string};
  /**
   * The classes of the images in the model's logit order (`label` and
   * `predicted` index them; `wnid` is the class folder). Files written before
   * the classes were recorded are Imagenette's ten (the reader fills them in).
   */
  classes: ImagenetteClass[];
  images: {
    folder: string;
    /** Images in the folder. */
    available: number;
    /** Images this file was asked for (a shard's share for a part). */
    requested: number;
    computed: number;
    /** Rows read from the per-image cache instead of computed. */
    cached: number;
    /** Files that could not be decoded. */
    skipped: string[];
  };
  rows: StatsRow[];
  /** Wall-clock seconds of this run and the worker count (merged: the parts' added up). */
  run: {seconds: number; workers: number; secondsPerImage: number};
  /** Set on a shard's part, null on a whole run and on a merged file. */
  shard: StatsShard | null;
  provenance: StatsProvenance;
}

/** An image's identity across parts: `<wnid>/<file name>` (file names need not be unique across classes). */
export function imageKey(row: {wnid: string; image: string}): string {
  return `${row.wnid}/${row.image}`;
}

export function describeSettings(s: ProtocolSettings): string {
  return `occlusion ${s.occlusionSteps} x ${s.occlusionSteps}, integrated gradients ${s.integratedGradientsSteps} steps, deletion ${s.deletionSteps} steps`;
}

export function sameSettings(a: ProtocolSettings, b: ProtocolSettings): boolean {
  return a.occlusionSteps === b.occlusionSteps && a.integratedGradientsSteps === b.integratedGradientsSteps && a.deletionSteps === b.deletionSteps;
}

/** What makes two files' numbers comparable: the model, the settings, the protocol, the classes. */
export interface StatsIdentity {
  protocolVersion: number;
  settings: ProtocolSettings;
  model: {file: string; sha256: string};
  classes: ImagenetteClass[];
}

const describeClasses = (classes: ImagenetteClass[]) => {
  const names = classes.map((c) => (c.name === c.wnid ? c.wnid : `${c.wnid} (${c.name})`));
  return `${classes.length} classes: ${names.slice(0, 4).join(", ")}${names.length > 4 ? ", …" : ""}`;
};

function sameClasses(a: ImagenetteClass[], b: ImagenetteClass[]): boolean {
  return a.length === b.length && a.every((c, i) => c.wnid === b[i].wnid && c.name === b[i].name);
}

/**
 * How `file` differs from `expected` (empty when it does not), one sentence
 * per difference, naming both sides: `fileName` and `expectedName` say
 * whose values they are ("parts/b.json", "this site").
 */
export function identityProblems(file: StatsIdentity, fileName: string, expected: StatsIdentity, expectedName: string): string[] {
  const problems: string[] = [];
  if (file.model.sha256 !== expected.model.sha256) {
    problems.push(`the model differs: ${fileName} was computed with ${file.model.file} (sha256 ${file.model.sha256.slice(0, 16)}…), ${expectedName} uses ${expected.model.file} (sha256 ${expected.model.sha256.slice(0, 16)}…)`);
  }
  if (!sameSettings(file.settings, expected.settings)) {
    problems.push(`the settings differ: ${fileName} has ${describeSettings(file.settings)}; ${expectedName} has ${describeSettings(expected.settings)}`);
  }
  if (!sameClasses(file.classes, expected.classes)) {
    problems.push(`the classes differ: ${fileName} has ${describeClasses(file.classes)}; ${expectedName} has ${describeClasses(expected.classes)}`);
  }
  if (file.protocolVersion !== expected.protocolVersion) {
    problems.push(`the protocol version differs: ${fileName} has ${file.protocolVersion}, ${expectedName} has ${expected.protocolVersion}`);
  }
  return problems;
}

/**
 * Checks that `value` has the fields of a StatsResult that the merge and the
 * build rely on; throws an Error naming the first one missing.
 */
export function assertStatsResult(value: unknown, name: string): asserts value is StatsResult {
  const v = value as Partial<StatsResult> | null;
  const fix = "it must be the JSON written by `npm run stats` or `npm run stats:merge` of this version";
  if (!v || typeof v !== "object") throw new Error(`${name} is not a statistics file: ${fix}`);
  if (typeof v.protocolVersion !== "number") throw new Error(`${name} has no protocolVersion (written by an older version of npm run stats?): ${fix}`);
  if (!v.settings || typeof v.settings.occlusionSteps !== "number") throw new Error(`${name} has no settings: ${fix}`);
  if (!v.model || typeof v.model.sha256 !== "string") throw new Error(`${name} has no model sha256: ${fix}`);
  if (!Array.isArray(v.rows)) throw new Error(`${name} has no rows: ${fix}`);
  if (!v.images || !Array.isArray(v.images.skipped)) throw new Error(`${name} has no image counts: ${fix}`);
  if (v.shard === undefined) throw new Error(`${name} has no shard field: ${fix}`);
  if (!v.provenance) throw new Error(`${name} has no provenance: ${fix}`);
  v.rows.forEach((row, i) => {
    const problem = rowProblem(row);
    if (problem) throw new Error(`${name}: row ${i + 1} (${row && typeof row === "object" ? imageKey(row) : "?"}) ${problem}: ${fix}`);
  });
}

/** What is missing from a row (null when nothing is): every method's deletion AUC and every PROTOCOL_METRIC_NAMES value, as numbers. */
export function rowProblem(row: StatsRow): string | null {
  if (!row || typeof row !== "object") return "is not an object";
  if (typeof row.image !== "string" || typeof row.wnid !== "string") return "has no image or wnid";
  const missing = (values: Record<string, unknown> | undefined) => METHOD_NAMES.filter((m) => typeof values?.[m] !== "number");
  const auc = missing(row.auc);
  if (auc.length) return `has no deletion AUC (a number) for ${auc.join(", ")}`;
  if (!row.metrics || typeof row.metrics !== "object") return "has no metrics (LeRF, insertion, sparseness, complexity; written by protocol version 1?)";
  for (const metric of PROTOCOL_METRIC_NAMES) {
    const gaps = missing(row.metrics[metric]);
    if (gaps.length) return `has no ${metric} (a number) for ${gaps.join(", ")}`;
  }
  return null;
}
