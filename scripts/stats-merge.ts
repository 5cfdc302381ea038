// npm run stats:merge -- PART.json... --out FILE[.json|.csv]
// Merges the parts of a sharded `npm run stats` run (one per shard) into the
// file the unsharded run would have written, after checking that they are
// parts of one run: same model, settings and protocol version, every shard
// once, every image once.
import fs from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {statsToCsv} from "../src/data/node/stats.js";
import {mergeStatsParts, readStatsFile} from "../src/data/node/stats-files.js";

const USAGE = `usage: npm run stats:merge -- PART.json... --out FILE [--format json|csv]
  PART.json  the parts written by npm run stats with --shard K/N (or as Slurm / Kubernetes array tasks), e.g. parts/*.json
  --out      the merged file; JSON (what EXPLAIN_STATS_FROM reads) unless it ends in .csv or --format csv`;

function fail(message: string, code = 2): never {
  process.stderr.write(`error: ${message}\n${code === 2 ? `\n${USAGE}\n` : ""}`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({allowPositionals: true, options: {out: {type: "string"}, format: {type: "string"}, help: {type: "boolean"}}});
} catch (e) {
  fail((e as Error).message);
}
const {values, positionals} = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.out) fail("--out is required");
if (!positionals.length) fail("no parts given");
const format = values.format ?? (values.out.endsWith(".csv") ? "csv" : "json");
if (format !== "csv" && format !== "json") fail(`--format must be json or csv, got "${format}"`);

try {
  const merged = mergeStatsParts(positionals.map((file) => ({file, result: readStatsFile(file)})));
  fs.mkdirSync(path.dirname(path.resolve(values.out)), {recursive: true});
  fs.writeFileSync(values.out, format === "csv" ? statsToCsv(merged) : JSON.stringify(merged, null, 1));
  process.stderr.write(`merged ${positionals.length} parts: ${merged.rows.length} rows${merged.images.skipped.length ? ` (${merged.images.skipped.length} images skipped)` : ""} to ${values.out}\n`);
} catch (e) {
  fail((e as Error).message, 1);
}
