// Unit tests of the Dataset-wide results page's plain-TypeScript parts: the
// sentence saying where the numbers came from (src/components/stats-source.ts)
// and the comparison with the handout's published table
// (src/components/handout-comparison.ts).
import {describe, expect, it} from "vitest";
import {compareRankings, HANDOUT_TASK11, rankingSentences, type MethodSummary} from "../src/components/handout-comparison.js";
import {statsSource} from "../src/components/stats-source.js";
import {METHODS, type MethodName} from "../src/lib/methods.js";
import type {StatsResult} from "../src/lib/stats-format.js";

const labels = Object.fromEntries(Object.values(METHODS).map((m) => [m.name, m.label])) as Record<MethodName, string>;

const zeros = () => ({occlusion: 0, grad: 0, grad_x_input: 0, grad_cam: 0, integrated_gradients: 0});

function result(provenance: StatsResult["provenance"], rows = 80, cached = 0): StatsResult {
  return {
    protocolVersion: 1,
    settings: {occlusionSteps: 6, integratedGradientsSteps: 20, deletionSteps: 10},
    model: {file: "resnet18-imagenette.pth", sha256: "96d0f63874fcd13e1f3fec17614a6a60ab9d6cb115bd5a3c0bf12302de71fbee"},
    classes: [{index: 0, wnid: "n01440764", name: "tench"}],
    images: {folder: "/x", available: 3925, requested: rows, computed: rows - cached, cached, skipped: []},
    rows: Array.from({length: rows}, (_, i) => ({image: `${i}.JPEG`, wnid: "n01440764", label: 0, predicted: 0, confidence: 1, auc: zeros(), metrics: {lerf_auc: zeros(), insertion_auc: zeros(), sparseness: zeros(), complexity: zeros()}, seconds: 1})),
    run: {seconds: 1, workers: 2, secondsPerImage: 1},
    shard: null,
    provenance,
  };
}

describe("where the numbers came from", () => {
  it("computed during the build: N images, when, which commit, protocol version, cache", () => {
    const text = statsSource(result({kind: "computed", finishedAt: "2025-12-02T17:40:12.345Z", code: {commit: "55b2c3a1f0e9d8c7b6a5", modified: true}}, 80, 70));
    expect(text).toBe("Computed while this site was built: 80 images, one run that finished 2025-12-02 17:40 UTC (70 rows read from the per-image cache of earlier runs), by commit 55b2c3a1f0 (with uncommitted changes), protocol version 1.");
  });

  it("loaded from a merged file: the file, the shards, their time span and code, the merge", () => {
    const part = (i: number, at: string) => ({file: `part-${i}.json`, shard: `${i}/3`, finishedAt: at, rows: 1308, seconds: 9000, code: {commit: "abcdef0123456789", modified: false}});
    const stats = result(
      {
        kind: "merged",
        finishedAt: "2025-12-04T08:00:00Z",
        code: {commit: null, modified: null},
        parts: [part(1, "2025-12-03T22:10:00Z"), part(2, "2025-12-03T21:05:00Z"), part(3, "2025-12-03T23:59:00Z")],
        loadedFrom: {file: "all.json", sha256: "0123456789abcdef".repeat(4), loadedAt: "2025-12-05T10:00:00Z"},
      },
      3925,
    );
    expect(statsSource(stats)).toBe(
      "Loaded from the file all.json (EXPLAIN_STATS_FROM, sha256 0123456789ab…) when this site was built (2025-12-05 10:00 UTC), not computed during the build: " +
        "3,925 images from 3 shards that finished between 2025-12-03 21:05 UTC and 2025-12-03 23:59 UTC, by commit abcdef0123, protocol version 1, merged 2025-12-04 08:00 UTC. " +
        "The build checked that its model, settings and protocol version are this site's.",
    );
  });

  it("merged shards that finished in the same minute: one time, not a span", () => {
    const part = (i: number) => ({file: `p${i}.json`, shard: `${i}/2`, finishedAt: `2025-12-03T21:05:0${i}Z`, rows: 6, seconds: 60, code: {commit: "abcdef0123456789", modified: false}});
    const text = statsSource(result({kind: "merged", finishedAt: "2025-12-03T21:06:00Z", code: {commit: null, modified: null}, parts: [part(1), part(2)]}, 12));
    expect(text).toBe("Computed while this site was built: 12 images, 2 shards that finished 2025-12-03 21:05 UTC, by commit abcdef0123, protocol version 1, merged 2025-12-03 21:06 UTC.");
  });

  it("a file of one run, without git: says the commit is unknown", () => {
    const text = statsSource(result({kind: "computed", finishedAt: "2025-12-02T17:40:00Z", code: {commit: null, modified: null}, loadedFrom: {file: "r.json", sha256: "f".repeat(64), loadedAt: "2025-12-02T18:00:00Z"}}, 1));
    expect(text).toContain("not computed during the build: 1 image from one run that finished 2025-12-02 17:40 UTC, by code of unknown commit (not a git checkout), protocol version 1.");
    expect(text).toMatch(/^Loaded from the file r.json/);
  });
});

describe("the handout's table beside ours", () => {
  // The handout's own numbers as "ours": the same ranking by construction.
  const asOurs = (change: Partial<Record<MethodName, Partial<MethodSummary>>> = {}): MethodSummary[] =>
    (Object.keys(HANDOUT_TASK11.results) as MethodName[]).map((key) => {
      const {mean, std} = HANDOUT_TASK11.results[key];
      return {key, mean, std, lower: mean - 0.001, upper: mean + 0.001, ...change[key]};
    });

  it("quotes the published table", () => {
    expect(HANDOUT_TASK11.results).toEqual({
      occlusion: {mean: 0.329, std: 0.227},
      grad: {mean: 0.258, std: 0.232},
      grad_x_input: {mean: 0.22, std: 0.186},
      grad_cam: {mean: 0.307, std: 0.206},
      integrated_gradients: {mean: 0.211, std: 0.185},
    });
    expect(HANDOUT_TASK11.images).toBe(1600);
  });

  it("the same ranking: every pair agrees, Spearman 1", () => {
    const c = compareRankings(asOurs());
    expect(c.handoutOrder).toEqual(["integrated_gradients", "grad_x_input", "grad", "grad_cam", "occlusion"]);
    expect(c.ourOrder).toEqual(c.handoutOrder);
    expect(c.pairs).toHaveLength(10);
    expect(c.pairs.every((p) => p.agree)).toBe(true);
    expect(c.spearman).toBeCloseTo(1, 12);
    expect(rankingSentences(asOurs(), labels)[1]).toMatch(/^All 10 pairs of methods are in the same order/);
  });

  it("a swapped pair: named, and whether our intervals can tell", () => {
    // GradCAM better than gradient norm here, intervals overlapping; occlusion best, intervals apart from IG's.
    const ours = asOurs({grad_cam: {mean: 0.25, lower: 0.2, upper: 0.3}, grad: {mean: 0.26, lower: 0.21, upper: 0.31}, occlusion: {mean: 0.1, lower: 0.09, upper: 0.11}});
    const c = compareRankings(ours);
    expect(c.ourOrder).toEqual(["occlusion", "integrated_gradients", "grad_x_input", "grad_cam", "grad"]);
    const swapped = c.pairs.filter((p) => !p.agree).map((p) => `${p.handoutBetter}<${p.handoutWorse}:${p.oursOverlap ? "overlap" : "apart"}`);
    expect(swapped).toEqual([
      "integrated_gradients<occlusion:apart",
      "grad_x_input<occlusion:apart",
      "grad<grad_cam:overlap",
      "grad<occlusion:apart",
      "grad_cam<occlusion:apart",
    ]);
    const text = rankingSentences(ours, labels);
    expect(text[0]).toBe("Most faithful first (lower mean AUC), the handout: Integrated gradients < Gradient x input < Gradient norm < GradCAM < Occlusion; here: Occlusion < Integrated gradients < Gradient x input < GradCAM < Gradient norm.");
    expect(text[1]).toMatch(/^5 of the 10 pairs of methods are in the same order in both tables; Spearman's correlation of the two rankings is -?0\.\d\d/);
    expect(text[2]).toMatch(/Our 95% intervals overlap for Gradient norm vs GradCAM \(not resolved here\), but not for Integrated gradients vs Occlusion; .*Occlusion: there the reverse order is unlikely to be chance\./);
  });
});
