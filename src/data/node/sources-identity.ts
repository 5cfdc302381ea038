// What the site's data loaders read, as one fingerprint: the weights file and
// the image folder they resolve to (without downloading anything), with the
// sizes and times of their files and the classes.json beside the images.
// Framework caches a loader's output until the loader's own source changes,
// so a build with other EXPLAIN_IMAGES or EXPLAIN_WEIGHTS would serve the
// previous gallery and weights; `npm run forget-data` (scripts/forget-data.ts,
// before every build and preview) compares this fingerprint with the one of
// the last build and drops the cached outputs only when it changed.
import {createHash} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {sharedImagesDir, sharedWeightsFile, sourcesConfig, type Env} from "./sources.js";
import {CLASSES_FILE} from "./dataset.js";

/** The loader outputs that depend on the weights and the images (Framework's cache names). */
export const SOURCE_OUTPUTS = ["gallery.json", "gallery.bin", "weights.json", "weights.bin", "deletion-stats.json"];

/** Where the weights and the images would come from (no download: a download is named by its URL). */
export function sourcePaths(env: Env = process.env): {weights: string; images: string} {
  const cfg = sourcesConfig(env);
  const pick = (explicit: string | undefined, shared: string, url: string) =>
    explicit ?? (cfg.mode === "shared" || (cfg.mode === "auto" && fs.existsSync(shared)) ? shared : `download ${url} into ${cfg.cacheDir}`);
  return {
    weights: pick(cfg.weights, sharedWeightsFile(cfg), cfg.weightsUrl),
    images: pick(cfg.images, sharedImagesDir(cfg), cfg.imagesUrl),
  };
}

function stamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${Math.round(s.mtimeMs)}`;
  } catch {
    return "missing";
  }
}

/**
 * The fingerprint of the sources: their paths; the weights file's (and its
 * model card's) size and time; the image folder's class folders, each with
 * its file names, sizes and times; the text of its classes.json.
 */
export function sourcesIdentity(env: Env = process.env): string {
  const {weights, images} = sourcePaths(env);
  const hash = createHash("sha256");
  hash.update(JSON.stringify({weights, images, card: stamp(weights.replace(/\.pth$/, ".json")), weightsFile: stamp(weights)}));
  if (fs.existsSync(images) && fs.statSync(images).isDirectory()) {
    for (const entry of fs.readdirSync(images, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name === CLASSES_FILE) hash.update(`\n${CLASSES_FILE}\n${fs.readFileSync(path.join(images, entry.name), "utf8")}`);
      if (!entry.isDirectory()) continue;
      const dir = path.join(images, entry.name);
      hash.update(`\n${entry.name}/`);
      for (const name of fs.readdirSync(dir).sort()) hash.update(`\n${name} ${stamp(path.join(dir, name))}`);
    }
  }
  return hash.digest("hex");
}
