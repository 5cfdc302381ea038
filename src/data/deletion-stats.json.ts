// Dataset-wide deletion statistics (the handout's last task): the deletion
// AUC of every method, with its LeRF and insertion AUCs, sparseness and
// complexity, on EXPLAIN_STATS_IMAGES validation images (default 40,
// balanced across classes; "all" = the 3,925-image split, a long job: see
// docs/statistics.md). Per-image results are cached in .cache/stats, so an unchanged
// build recomputes nothing and an interrupted run resumes.
// EXPLAIN_STATS_FROM=FILE shows a finished run instead (e.g. the whole split
// computed on a cluster and merged), once its model, classes, settings and
// protocol version are checked against this site's.
import {log, runLoader} from "./_loaders.js";
import {computeStats, statsEnv} from "./node/stats.js";
import {loadStatsForSite} from "./node/stats-files.js";
import {resolveImagenetteVal, resolveWeightsFile} from "./node/sources.js";
import {readDataset} from "./node/dataset.js";

await runLoader("deletion-stats.json", async () => {
  const from = process.env.EXPLAIN_STATS_FROM?.trim();
  if (from) {
    const {classes} = readDataset(await resolveImagenetteVal(), {onWarn: () => {}});
    const result = loadStatsForSite(from, {weightsFile: await resolveWeightsFile(), classes});
    log(`deletion-stats.json: ${result.rows.length} rows from ${from} (EXPLAIN_STATS_FROM; model, classes, settings and protocol version match this site)`);
    return JSON.stringify(result);
  }
  const {limit, workers} = statsEnv();
  const result = await computeStats({imagesDir: await resolveImagenetteVal(), weightsFile: await resolveWeightsFile(), limit, workers});
  return JSON.stringify(result);
});
