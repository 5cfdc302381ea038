// npm run bench:page -- [--dist DIR] [--pages occlusion,gradient-norm,...] [--query "threads=1"] [--runs N] [--json FILE]
// Opens the built site in headless Chromium, served by a plain static server
// (no special headers, as a reader's static host), and measures what a
// reader feels while the chapters compute at their default settings:
//  - each figure's compute time (its caption's data-ms);
//  - the longest main-thread task while they compute (PerformanceObserver
//    "longtask") and the longest wait of a 10 ms heartbeat timer (the input
//    delay a reader feels), both from the first figure starting to the last
//    one done;
//  - on the occlusion chapter, a slider move during the computation (S = 6
//    -> 7): how long until the first partial result of the new setting, and
//    how long the old computation ran on after the move (the compute
//    service's request times, src/compute/client.ts).
// Works on an older build too (what it cannot see, it leaves blank), so a
// before/after table comes from two runs back to back. The first page of a
// fresh browser profile registers the service worker and reloads once: each
// run first opens the cover page to get that out of the way.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import type {Page} from "playwright-core";
import {CHROMIUM_ARGS, DIST, launchBrowser, serveDist} from "../test/e2e/helpers.js";

const USAGE = `usage: npm run bench:page -- [--dist DIR] [--pages a,b] [--query "threads=1&isolation=off"] [--runs N] [--json FILE]
  --dist    the built site (default: ${path.relative(process.cwd(), DIST) || "."})
  --pages   chapters to measure (default: occlusion,occlusion-slider,gradient-norm,integrated-gradients,deletion-score,grad-cam)
  --query   address parameters added to every page (e.g. threads=1, isolation=off, backend=wasm)
  --runs    runs per page (default 1); the table shows the median`;

const {values} = parseArgs({options: {dist: {type: "string"}, pages: {type: "string"}, query: {type: "string", default: ""}, runs: {type: "string", default: "1"}, json: {type: "string"}, help: {type: "boolean"}}});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const PAGES = (values.pages ?? "occlusion,occlusion-slider,gradient-norm,integrated-gradients,deletion-score,grad-cam").split(",");
const runs = Math.max(1, Number(values.runs));

/** Installed before any page script: a 10 ms heartbeat and a long-task observer, both timestamped. */
const PROBE = `(() => {
  const probe = {gaps: [], tasks: []};
  window.__probe = probe;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    probe.gaps.push([last, now - last]);
    last = now;
  }, 10);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.tasks.push([e.startTime, e.duration]);
    }).observe({type: "longtask", buffered: true});
  } catch {}
})();`;

interface PageResult {
  page: string;
  figures: Record<string, number>;
  renders?: Record<string, number>;
  longestTaskMs: number | null;
  longestGapMs: number | null;
  blockedMs: number | null;
  where: string;
  firstPartialMs?: number | null;
  oldStoppedMs?: number | null;
  newReadyMs?: number | null;
  /** The same figures again after picking another photo: the worker and its model are warm. */
  warmFigures?: Record<string, number>;
  warmLongestTaskMs?: number | null;
  warmLongestGapMs?: number | null;
  /** The compute engine's start: worker, backend and model ready (its ready report). */
  engineReadyMs?: number | null;
}

async function waitAll(page: Page, timeout = 600_000): Promise<void> {
  await page.waitForFunction(() => {
    const all = [...document.querySelectorAll('[data-testid="figure-caption"]')] as HTMLElement[];
    return all.length > 0 && all.every((c) => ["ready", "error", "waiting"].includes(c.dataset.state ?? ""));
  }, null, {timeout, polling: 100});
}

async function figureTimes(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-testid="figure-caption"]', (els) => Object.fromEntries((els as HTMLElement[]).filter((e) => e.dataset.state === "ready").map((e) => [e.dataset.figure!, Number(e.dataset.ms)])));
}

/** The longest drawing of each figure on the main thread (data-render-ms; newer builds only). */
async function renderTimes(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-testid="figure-caption"]', (els) => Object.fromEntries((els as HTMLElement[]).filter((e) => e.dataset.renderMs !== undefined).map((e) => [e.dataset.figure!, Number(e.dataset.renderMs)])));
}

/** Longest task and heartbeat gap inside [from, to] (page clock). */
async function responsiveness(page: Page, from: number, to: number): Promise<{longestTaskMs: number; longestGapMs: number; blockedMs: number}> {
  return page.evaluate(([from, to]) => {
    const probe = (window as unknown as {__probe: {gaps: [number, number][]; tasks: [number, number][]}}).__probe;
    const tasks = probe.tasks.filter(([start, d]) => start + d >= from && start <= to);
    const gaps = probe.gaps.filter(([start, d]) => start + d >= from && start <= to);
    return {
      longestTaskMs: Math.max(0, ...tasks.map(([, d]) => d)),
      longestGapMs: Math.max(0, ...gaps.map(([, d]) => d)),
      // Time beyond 50 ms of each long task: what the browser calls blocking time.
      blockedMs: tasks.reduce((sum, [, d]) => sum + Math.max(0, d - 50), 0),
    };
  }, [from, to] as const);
}

/** The page-clock window of the computation: the first request sent to the last one ended (new builds), else from load to now. */
async function computeWindow(page: Page): Promise<[number, number]> {
  return page.evaluate(() => {
    const timeline = (globalThis as unknown as {__explainCompute?: {timeline: {sent: number; ended: number | null}[]}}).__explainCompute?.timeline;
    if (timeline?.length) return [Math.min(...timeline.map((t) => t.sent)), Math.max(...timeline.map((t) => t.ended ?? performance.now()))] as [number, number];
    return [performance.getEntriesByType("navigation")[0]?.duration ?? 0, performance.now()] as [number, number];
  });
}

async function where(page: Page): Promise<string> {
  return page.$eval('[data-testid="backend-badge"]', (el) => (el as HTMLElement).title.split("\n")[0] ?? "").catch(() => "");
}

/** The compute engine's start time (worker, backend and model ready), new builds only. */
async function engineReady(page: Page): Promise<number | null> {
  return page.evaluate(() => (globalThis as unknown as {__explainCompute?: {report?: {readyMs?: number}}}).__explainCompute?.report?.readyMs ?? null);
}

/**
 * Clicks another gallery photo and waits until every figure has recomputed
 * (all requests sent since the click ended, every figure settled, for 500 ms
 * in a row; an error after `timeout` ms). Returns the click's page time, or
 * null on a page without a picker.
 */
async function pickAnotherPhoto(page: Page, timeout = 600_000): Promise<number | null> {
  const clicked = await page.evaluate(() => {
    const picker = document.querySelector('[data-testid="image-picker"]') as HTMLElement | null;
    const thumb = [...document.querySelectorAll('[data-testid="image-picker-thumb"]')].find((t) => (t as HTMLElement).dataset.id !== picker?.dataset.value) as HTMLElement | undefined;
    if (!picker || !thumb) return null;
    thumb.click();
    return performance.now();
  });
  if (clicked === null) return null;
  let settledSince: number | null = null;
  const deadline = Date.now() + timeout;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`another photo: the figures had not settled ${timeout / 1000} s after the click (no request sent, or one still running)`);
    const settled = await page.evaluate((clicked) => {
      const timeline = (globalThis as unknown as {__explainCompute?: {timeline: {sent: number; ended: number | null}[]}}).__explainCompute?.timeline ?? [];
      const after = timeline.filter((t) => t.sent >= clicked);
      const captions = [...document.querySelectorAll('[data-testid="figure-caption"]')] as HTMLElement[];
      return after.length > 0 && after.every((t) => t.ended !== null) && captions.every((c) => ["ready", "error", "waiting"].includes(c.dataset.state ?? ""));
    }, clicked);
    const now = Date.now();
    if (!settled) settledSince = null;
    else if (settledSince === null) settledSince = now;
    else if (now - settledSince >= 500) return clicked;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function url(base: string, chapter: string): string {
  return `${base}/pages/${chapter}${values.query ? `?${values.query}` : ""}`;
}

async function measure(base: string, chapter: string): Promise<PageResult> {
  const browser = await launchBrowser(CHROMIUM_ARGS);
  try {
    const context = await browser.newContext({viewport: {width: 1200, height: 900}});
    await context.addInitScript(PROBE);
    // The service worker's one reload happens here, not in the measurement.
    const warm = await context.newPage();
    await warm.goto(`${base}/${values.query ? `?${values.query}` : ""}`);
    await warm.waitForFunction(() => document.documentElement.dataset.isolation !== undefined || !("serviceWorker" in navigator), null, {timeout: 60_000}).catch(() => undefined);
    await warm.close();
    const page = await context.newPage();
    const slider = chapter === "occlusion-slider";
    await page.goto(url(base, slider ? "occlusion" : chapter), {waitUntil: "load"});
    if (!slider) {
      await waitAll(page);
      const [from, to] = await computeWindow(page);
      const first = {page: chapter, figures: await figureTimes(page), renders: await renderTimes(page), ...(await responsiveness(page, from, to)), where: await where(page), engineReadyMs: await engineReady(page)};
      const picked = await pickAnotherPhoto(page);
      if (picked === null) return first;
      const [, warmTo] = await computeWindow(page);
      const warm = await responsiveness(page, picked, warmTo);
      return {...first, warmFigures: await figureTimes(page), warmLongestTaskMs: warm.longestTaskMs, warmLongestGapMs: warm.longestGapMs};
    }
    // Occlusion, S = 6 computing; once its first partial result shows, move the slider to 7.
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="figure-caption"][data-figure="occlusion-map"]') as HTMLElement | null)?.dataset.partials ?? 0) >= 1 || document.querySelector('[data-testid="figure-caption"][data-figure="occlusion-map"][data-state="ready"]'), null, {timeout: 600_000, polling: 20});
    const moved = await page.evaluate(() => {
      const form = [...document.querySelectorAll("form")].find((f) => f.querySelector("label")?.textContent?.includes("grid size S") && f.querySelector('input[type="range"]'))!;
      const range = form.querySelector('input[type="range"]') as HTMLInputElement;
      range.value = "7";
      range.dispatchEvent(new Event("input", {bubbles: true}));
      return performance.now();
    });
    await page.waitForFunction(() => {
      const c = document.querySelector('[data-testid="figure-caption"][data-figure="occlusion-map"]') as HTMLElement;
      return c.dataset.state === "ready" && JSON.parse(c.dataset.params ?? "{}").S === 7;
    }, null, {timeout: 600_000, polling: 50});
    const times = await page.evaluate((moved) => {
      const timeline = (globalThis as unknown as {__explainCompute?: {timeline: {sent: number; firstPartial: number | null; cancelled: number | null; ended: number | null}[]}}).__explainCompute?.timeline ?? [];
      const old = timeline.find((t) => t.cancelled !== null && t.cancelled >= moved - 1);
      // Every figure that depends on S recomputes; the first partial result of any of them counts.
      const next = timeline.filter((t) => t.sent >= moved);
      const partials = next.map((t) => t.firstPartial).filter((t): t is number => t !== null);
      const ends = next.map((t) => t.ended ?? performance.now());
      return {
        oldStoppedMs: old?.ended != null ? old.ended - moved : null,
        firstPartialMs: partials.length ? Math.min(...partials) - moved : null,
        newReadyMs: ends.length ? Math.max(...ends) - moved : performance.now() - moved,
      };
    }, moved);
    const [, to] = await computeWindow(page);
    return {page: "occlusion, S 6 -> 7", figures: await figureTimes(page), ...(await responsiveness(page, moved, to)), where: await where(page), ...times};
  } finally {
    await browser.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const site = await serveDist(values.dist ? path.resolve(values.dist) : DIST);
const results: PageResult[] = [];
try {
  for (const chapter of PAGES) {
    const all: PageResult[] = [];
    for (let r = 0; r < runs; r++) {
      process.stderr.write(`bench:page ${chapter} run ${r + 1}/${runs}\n`);
      all.push(await measure(site.url, chapter));
    }
    const pick = (f: (r: PageResult) => number | null | undefined) => {
      const xs = all.map(f).filter((x): x is number => typeof x === "number" && Number.isFinite(x));
      return xs.length ? median(xs) : null;
    };
    const figures = Object.fromEntries(Object.keys(all[0].figures).map((k) => [k, pick((r) => r.figures[k])!]));
    results.push({
      page: all[0].page,
      figures,
      renders: all[0].renders,
      longestTaskMs: pick((r) => r.longestTaskMs),
      longestGapMs: pick((r) => r.longestGapMs),
      blockedMs: pick((r) => r.blockedMs),
      where: all[0].where,
      ...(all[0].warmFigures ? {warmFigures: Object.fromEntries(Object.keys(all[0].warmFigures).map((k) => [k, pick((r) => r.warmFigures?.[k])!])), warmLongestTaskMs: pick((r) => r.warmLongestTaskMs), warmLongestGapMs: pick((r) => r.warmLongestGapMs)} : {}),
      engineReadyMs: pick((r) => r.engineReadyMs),
      ...(all[0].page.startsWith("occlusion, S") ? {firstPartialMs: pick((r) => r.firstPartialMs), oldStoppedMs: pick((r) => r.oldStoppedMs), newReadyMs: pick((r) => r.newReadyMs)} : {}),
    });
  }
} finally {
  await site.close();
}

const fmt = (ms: number | null | undefined) => (ms == null ? "–" : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; site: ${values.dist ?? "dist"}${values.query ? `; ?${values.query}` : ""}; median of ${runs} run(s)`);
console.log(`| page | where | figure compute time (caption) | longest main-thread task | longest heartbeat gap | blocking time (tasks beyond 50 ms) | slider move: first partial / old stopped / new ready |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const r of results) {
  const figures = Object.entries(r.figures).map(([k, ms]) => `${k} ${fmt(ms)}`).join(", ");
  const slider = "firstPartialMs" in r ? `${fmt(r.firstPartialMs)} / ${fmt(r.oldStoppedMs)} / ${fmt(r.newReadyMs)}` : "";
  console.log(`| ${r.page} | ${r.where} | ${figures} | ${fmt(r.longestTaskMs)} | ${fmt(r.longestGapMs)} | ${fmt(r.blockedMs)} | ${slider} |`);
}
const warm = results.filter((r) => r.warmFigures);
if (warm.length) {
  console.log(`\nanother photo picked once the page is ready (worker and model warm): what a reader waits for after the first figure`);
  console.log(`| page | figure compute time (caption) | longest main-thread task | longest heartbeat gap | compute engine start (worker, backend, model) |`);
  console.log(`|---|---|---|---|---|`);
  for (const r of warm) console.log(`| ${r.page} | ${Object.entries(r.warmFigures!).map(([k, ms]) => `${k} ${fmt(ms)}`).join(", ")} | ${fmt(r.warmLongestTaskMs)} | ${fmt(r.warmLongestGapMs)} | ${fmt(r.engineReadyMs)} |`);
}
const renders = results.filter((r) => r.renders && Object.keys(r.renders).length);
if (renders.length) console.log(`\nlongest drawing of a figure on the main thread (first run): ${renders.map((r) => `${r.page}: ${Object.entries(r.renders!).map(([k, ms]) => `${k} ${fmt(ms)}`).join(", ")}`).join("; ")}`);
if (values.json) fs.writeFileSync(values.json, JSON.stringify(results, null, 1));
