// The cluster recipes (cluster/): cluster/README.md shows each of them verbatim, the
// Slurm script is valid bash that shards from the array's env and writes one
// part per task, and the Kubernetes Indexed Job tells the pods the same shard
// count as its completions. (The sharding itself is tested on real runs in
// stats-shards.test.ts, with the shard taken from Slurm's and Kubernetes' env vars.)
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {expect, it} from "vitest";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const recipes = read("cluster/README.md");

it("cluster/README.md shows the Slurm script and the Kubernetes manifests as they are in cluster/", () => {
  for (const file of ["cluster/stats.slurm", "cluster/k8s-volume.yaml", "cluster/k8s-stats-job.yaml", "cluster/k8s-merge-job.yaml"]) {
    expect(recipes.includes(read(file).trimEnd()), `${file} in cluster/README.md`).toBe(true);
  }
});

it("the Slurm script: valid bash, an array, one part per task, merged after", () => {
  const script = read("cluster/stats.slurm");
  execFileSync("bash", ["-n", path.join(ROOT, "cluster/stats.slurm")]);
  expect(script).toMatch(/^#SBATCH --array=0-\d+$/m);
  expect(script).toMatch(/npm run stats -- .*--out "parts\/part-\$\{SLURM_ARRAY_TASK_ID\}\.json"/);
  expect(script).not.toMatch(/--shard /); // the shard comes from the array's env
  expect(recipes).toMatch(/sbatch --dependency=afterok:\$jobid .*npm run stats:merge -- parts\/\*\.json --out all\.json/);
});

it("the Kubernetes Indexed Job: completions = EXPLAIN_STATS_SHARDS, parts and cache on the shared volume, merged after", () => {
  const job = read("cluster/k8s-stats-job.yaml");
  expect(job).toMatch(/^\s+completionMode: Indexed$/m);
  const completions = /^\s+completions: (\d+)/m.exec(job)?.[1];
  const shards = /name: EXPLAIN_STATS_SHARDS, value: "(\d+)"/.exec(job)?.[1];
  expect(completions).toBeDefined();
  expect(shards).toBe(completions);
  expect(job).toContain("--out /data/parts/part-$JOB_COMPLETION_INDEX.json");
  expect(job).toMatch(/name: EXPLAIN_CACHE, value: \/data\/cache/);
  expect(job).toMatch(/claimName: explain-stats/);
  const merge = read("cluster/k8s-merge-job.yaml");
  expect(merge).toContain("npm run stats:merge -- /data/parts/*.json --out /data/all.json");
  expect(merge).toMatch(/claimName: explain-stats/);
  expect(read("cluster/k8s-volume.yaml")).toMatch(/name: explain-stats\n[\s\S]*ReadWriteMany/);
});
