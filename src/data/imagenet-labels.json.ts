// ImageNet's 1000 class names in the order of a torchvision ImageNet model's
// outputs (a JSON array of strings), copied from ../shared/labels: the names
// a reader's own 1000-class model gets when no names file comes with it
// (src/components/class-names.ts).
import fs from "node:fs";
import path from "node:path";
import {runLoader} from "./_loaders.js";
import {SHARED_DIR} from "./node/sources.js";

await runLoader("imagenet-labels.json", async () => {
  const file = path.join(SHARED_DIR, "labels/imagenet-1000.json");
  if (!fs.existsSync(file)) throw new Error(`ImageNet's class names not found at ${file}: put labels/imagenet-1000.json (a JSON array of 1000 names) in ../shared, or set EXPLAIN_SHARED`);
  const names = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  if (!Array.isArray(names) || names.length !== 1000 || !names.every((n) => typeof n === "string")) throw new Error(`${file} is not a JSON array of 1000 names`);
  return JSON.stringify(names);
});
