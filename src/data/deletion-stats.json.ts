// Dataset-wide deletion statistics (the handout's last task): the deletion
// AUC of every method on EXPLAIN_STATS_IMAGES validation images (default 30,
// balanced across classes; "all" = the 3,925-image split, a long job: see
// README). Per-image results are cached in .cache/stats, so an unchanged
// build recomputes nothing and an interrupted run resumes.
import {runLoader} from "./_loaders.js";
import {computeStats, statsEnv} from "./node/stats.js";
import {resolveImagenetteVal, resolveWeightsFile} from "./node/sources.js";

await runLoader("deletion-stats.json", async () => {
  const {limit, workers} = statsEnv();
  const result = await computeStats({imagesDir: await resolveImagenetteVal(), weightsFile: await resolveWeightsFile(), limit, workers});
  return JSON.stringify(result);
});
