// Sharding the dataset statistics over the tasks of a cluster job: which
// shard this process is (from --shard K/N, a Slurm job array or a Kubernetes
// Indexed Job), and which images belong to it. The split is a pure function
// of the sorted image list, so every task computes the same split on its own
// and no coordinator is needed.
import type {StatsShard} from "../../lib/stats-format.js";
import type {ImagenetteEntry} from "./imagenette.js";

export type Env = Record<string, string | undefined>;

export interface ShardChoice {
  /** 1..count. */
  index: number;
  count: number;
  detectedFrom: StatsShard["detectedFrom"];
  /** How it was found, for the log ("SLURM_ARRAY_TASK_ID=4 of SLURM_ARRAY_TASK_COUNT=10"). */
  reason: string;
}

/** The env var giving the shard count to a Kubernetes Indexed Job (set it to the Job's `completions`). */
export const SHARDS_ENV = "EXPLAIN_STATS_SHARDS";

function positiveInteger(text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got "${text}"`);
  return n;
}

function nonNegativeInteger(text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got "${text}"`);
  return n;
}

/** "K/N" with 1 <= K <= N. */
export function parseShard(text: string): {index: number; count: number} {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`--shard must be K/N (e.g. 2/10: the 2nd of 10 shards), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`--shard ${text}: the shard count must be at least 1`);
  if (index < 1 || index > count) throw new Error(`--shard ${text}: shards are numbered 1 to ${count}`);
  return {index, count};
}

/**
 * Which shard this process computes: `--shard K/N` if given; else a Slurm
 * job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, and
 * SLURM_ARRAY_TASK_MIN so that `--array=1-10` and `--array=0-9` both work);
 * else a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, 0-based, with the
 * count from `--shards N` or EXPLAIN_STATS_SHARDS); else null (the whole run).
 * `shards` (--shards N), when given, must agree with the detected count.
 */
export function resolveShard(options: {shard?: string; shards?: string; env?: Env}): ShardChoice | null {
  const env = options.env ?? process.env;
  const shards = options.shards === undefined ? undefined : positiveInteger(options.shards, "--shards");
  if (options.shard !== undefined) {
    const {index, count} = parseShard(options.shard);
    if (shards !== undefined && shards !== count) throw new Error(`--shard ${options.shard} and --shards ${shards} disagree on the shard count`);
    return {index, count, detectedFrom: "--shard", reason: `--shard ${index}/${count}`};
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = nonNegativeInteger(env.SLURM_ARRAY_TASK_ID, "SLURM_ARRAY_TASK_ID");
    if (env.SLURM_ARRAY_TASK_COUNT === undefined) {
      throw new Error(`SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (Slurm older than 17.11?): pass the shard explicitly, --shard K/N with K = task id - first id + 1`);
    }
    const count = positiveInteger(env.SLURM_ARRAY_TASK_COUNT, "SLURM_ARRAY_TASK_COUNT");
    const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : nonNegativeInteger(env.SLURM_ARRAY_TASK_MIN, "SLURM_ARRAY_TASK_MIN");
    if (env.SLURM_ARRAY_TASK_MAX !== undefined) {
      const max = nonNegativeInteger(env.SLURM_ARRAY_TASK_MAX, "SLURM_ARRAY_TASK_MAX");
      if (max - min + 1 !== count) {
        throw new Error(`the Slurm array is not contiguous (SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_MAX=${max}, SLURM_ARRAY_TASK_COUNT=${count}): submit it as --array=0-${count - 1} (a step like 0-99:2 or a list leaves shards out), or pass --shard K/N`);
      }
    }
    const index = id - min + 1;
    if (index < 1 || index > count) {
      throw new Error(`SLURM_ARRAY_TASK_ID=${id} is outside the array of ${count} tasks starting at ${min} (SLURM_ARRAY_TASK_MIN${env.SLURM_ARRAY_TASK_MIN === undefined ? " unset" : `=${min}`}): submit the array as --array=0-${count - 1}, or pass --shard K/N`);
    }
    if (shards !== undefined && shards !== count) throw new Error(`--shards ${shards} disagrees with SLURM_ARRAY_TASK_COUNT=${count}`);
    return {index, count, detectedFrom: "slurm", reason: `SLURM_ARRAY_TASK_ID=${id} of SLURM_ARRAY_TASK_COUNT=${count}${min ? ` (first id ${min})` : ""}`};
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const id = nonNegativeInteger(env.JOB_COMPLETION_INDEX, "JOB_COMPLETION_INDEX");
    const fromEnv = env[SHARDS_ENV] === undefined ? undefined : positiveInteger(env[SHARDS_ENV], SHARDS_ENV);
    if (shards !== undefined && fromEnv !== undefined && shards !== fromEnv) throw new Error(`--shards ${shards} disagrees with ${SHARDS_ENV}=${fromEnv}`);
    const count = shards ?? fromEnv;
    if (count === undefined) {
      throw new Error(`JOB_COMPLETION_INDEX=${id} is set (a Kubernetes Indexed Job) but not the number of shards: pass --shards N or set ${SHARDS_ENV}=N, N being the Job's spec.completions`);
    }
    if (id >= count) throw new Error(`JOB_COMPLETION_INDEX=${id} is outside 0..${count - 1}: the shard count (${shards !== undefined ? "--shards" : SHARDS_ENV}=${count}) must equal the Job's spec.completions`);
    return {index: id + 1, count, detectedFrom: "kubernetes", reason: `JOB_COMPLETION_INDEX=${id} of ${count}`};
  }
  if (shards !== undefined) {
    throw new Error(`--shards ${shards} needs a shard index: --shard K/${shards}, or run as a Slurm job array or a Kubernetes Indexed Job (SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)`);
  }
  return null;
}

/**
 * The images of shard `index` (1..count) of `selected`: the selection is
 * put in the listing's order (`sorted`: by class, then file name) and the
 * i-th image goes to shard i mod count. Consecutive images of a class go to
 * consecutive shards, so every shard gets within one image of the same
 * number of each class and within one image of the same total. Returned in
 * `selected`'s order.
 */
export function shardImages(sorted: readonly ImagenetteEntry[], selected: readonly ImagenetteEntry[], shard: {index: number; count: number}): ImagenetteEntry[] {
  const position = new Map(sorted.map((e, i) => [e, i]));
  const inOrder = [...selected].sort((a, b) => position.get(a)! - position.get(b)!);
  const mine = new Set(inOrder.filter((_, i) => i % shard.count === shard.index - 1));
  return selected.filter((e) => mine.has(e));
}
