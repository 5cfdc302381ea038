// Where the Dataset-wide results page's numbers came from, as a sentence:
// computed during the build or loaded from a file (EXPLAIN_STATS_FROM), one
// run or merged shards, when, and by which version of the code (git commit,
// protocol version). Reads only the statistics file (the contract in
// src/lib/stats-format.ts). Plain strings, no DOM, so it is unit-tested.
import type {CodeVersion, StatsResult} from "../lib/stats-format.js";

/** "2025-12-02 17:40 UTC" (minutes: the same on every reader's clock). */
export function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "at an unknown time";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "commit 55b2c3a1f0 (with uncommitted changes)", or the fact that it is unknown. */
export function formatCode(code: CodeVersion): string {
  if (!code.commit) return "code of unknown commit (not a git checkout)";
  return `commit ${code.commit.slice(0, 10)}${code.modified ? " (with uncommitted changes)" : ""}`;
}

function formatCodes(codes: CodeVersion[]): string {
  const unique = [...new Map(codes.map((c) => [`${c.commit}:${c.modified}`, c])).values()];
  return unique.length === 1 ? formatCode(unique[0]) : `${unique.length} versions of the code: ${unique.map(formatCode).join(", ")}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** One paragraph's text: the source of the statistics, N images, when, which code. */
export function statsSource(stats: StatsResult): string {
  const n = plural(stats.rows.length, "image");
  const protocol = `protocol version ${stats.protocolVersion}`;
  const p = stats.provenance;
  const parts = p.parts ?? [];
  const times = parts.map((x) => x.finishedAt);
  const run =
    p.kind === "merged"
      ? `${plural(parts.length, "shard")} ${times.length ? `that finished ${timeSpan(times)}, ` : ""}by ${formatCodes(parts.map((x) => x.code))}, ${protocol}, merged ${formatWhen(p.finishedAt)}`
      : `one run that finished ${formatWhen(p.finishedAt)}${stats.images.cached ? ` (${plural(stats.images.cached, "row")} read from the per-image cache of earlier runs)` : ""}, by ${formatCode(p.code)}, ${protocol}`;
  if (p.loadedFrom) {
    return `Loaded from the file ${p.loadedFrom.file} (EXPLAIN_STATS_FROM, sha256 ${p.loadedFrom.sha256.slice(0, 12)}…) when this site was built (${formatWhen(p.loadedFrom.loadedAt)}), not computed during the build: ${n} from ${run}. The build checked that its model, settings and protocol version are this site's.`;
  }
  return `Computed while this site was built: ${n}, ${run}.`;
}

/** "between A and B", or "X" when both round to the same minute. */
function timeSpan(isos: string[]): string {
  const first = formatWhen(minIso(isos));
  const last = formatWhen(maxIso(isos));
  return first === last ? first : `between ${first} and ${last}`;
}

const minIso = (xs: string[]) => xs.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
const maxIso = (xs: string[]) => xs.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
