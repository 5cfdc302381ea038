// npm run forget-data (before every build and preview): drops Framework's
// cached gallery, weights and statistics when the sources they were made from
// changed since the last build (another EXPLAIN_IMAGES or EXPLAIN_WEIGHTS,
// files added or replaced, a new classes.json), so the site never serves the
// previous dataset's photos or model. An unchanged default build keeps its
// cache (and stays fast). See src/data/node/sources-identity.ts.
import fs from "node:fs";
import path from "node:path";
import {PROJECT_ROOT} from "../src/data/node/sources.js";
import {SOURCE_OUTPUTS, sourcePaths, sourcesIdentity} from "../src/data/node/sources-identity.js";

const cache = path.join(PROJECT_ROOT, "src", ".observablehq", "cache");
const record = path.join(cache, "sources-identity.json");
const identity = sourcesIdentity();
const previous = fs.existsSync(record) ? (JSON.parse(fs.readFileSync(record, "utf8")) as {identity?: string}).identity : undefined;
if (previous !== identity) {
  const dropped = SOURCE_OUTPUTS.filter((name) => fs.existsSync(path.join(cache, "data", name)));
  for (const name of dropped) fs.rmSync(path.join(cache, "data", name), {force: true});
  const {weights, images} = sourcePaths();
  process.stderr.write(`forget-data: the sources changed (weights ${weights}, images ${images})${dropped.length ? `: dropped the cached ${dropped.join(", ")}` : ""}\n`);
  fs.mkdirSync(cache, {recursive: true});
  fs.writeFileSync(record, JSON.stringify({identity, ...sourcePaths()}, null, 1) + "\n");
}
