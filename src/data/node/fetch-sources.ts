// Resolves the weights and the images as configured (downloading them into
// the cache if that is the source), checks them, and prints where they are:
//   npx tsx src/data/node/fetch-sources.ts      (npm run sources)
// Progress and warnings go to stderr, the result (JSON) to stdout.
import {loadCheckpoint} from "./model.js";
import {readDataset} from "./dataset.js";
import {listImagenette, resolveImagenetteVal, resolveWeightsFile, sourcesConfig} from "./sources.js";

try {
  const cfg = sourcesConfig();
  process.stderr.write(`EXPLAIN_SOURCE=${cfg.mode}; shared: ${cfg.sharedDir}; cache: ${cfg.cacheDir}\n`);
  const weights = await resolveWeightsFile();
  const images = await resolveImagenetteVal();
  const dataset = readDataset(images);
  // The model's head is checked against the images' classes, as the build does.
  const checkpoint = loadCheckpoint(weights, {classes: dataset.classes, imagesDir: dataset.dir});
  const list = listImagenette(images, {dataset, onWarn: () => {}});
  const perClass: Record<string, number> = {};
  for (const e of list) perClass[e.wnid] = (perClass[e.wnid] ?? 0) + 1;
  process.stdout.write(
    JSON.stringify({weights, sha256: checkpoint.sha256, architecture: checkpoint.architecture.name, head: checkpoint.head, images, classesFrom: dataset.source, classes: dataset.classes.map((c) => c.name), count: list.length, perClass}, null, 2) + "\n",
  );
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
