// What the smoke tests in Firefox (firefox.test.ts) and WebKit
// (webkit.test.ts) share: three chapters opened on the wasm backend, each
// one's first figure, the badge, and the first figures' numbers compared with
// Chromium's.
//
// The numbers: a figure's result lives in the compute worker and on the
// page's canvases, so the test computes it again through the page's test hook
// (`__explainCompute.run(source, params)`, README "Test and benchmark hook")
// with the figure's own compute function (its source, read from the chapter's
// Markdown) and the parameters its caption shows (`data-params`): the view
// VIEW sets (the photo, small settings) and the page's defaults for the rest. That runs on
// the site's cover page (same worker, same library, same photos), where no
// other figure queues before it; the chapter pages are left as soon as their
// first figure is ready, so their heavier figures do not slow the test down.
// Chromium (playwright-core, as the other files) runs the same functions with
// the same parameters on its cover page.
import fs from "node:fs";
import path from "node:path";
import type {Browser} from "playwright-core";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {closeSharedSite, openSharedSite, ROOT, settled, type SiteUnderTest} from "./helpers.js";
import type {ScriptedBrowser} from "./webdriver.js";

/** The chapters each browser opens, and their first figure. */
export const CHAPTERS = [
  {page: "occlusion", figure: "occluded-batch"},
  {page: "integrated-gradients", figure: "ig-path"},
  {page: "deletion-score", figure: "deletion-random"},
] as const;

/**
 * The view each chapter opens with: the gallery's tench, and small settings
 * (occlusion grid 3 x 3, integrated gradients 4 steps, deletion 4 steps; the
 * handout's are 6, 20 and 10) so that the figures after the first, which the
 * page computes too, take seconds rather than minutes: a WebKitGTK page gets
 * one WebAssembly thread, and this machine two cores for every browser.
 */
export const VIEW = "image=ILSVRC2012_val_00009111.JPEG&S=3&M=4&D=4";

/** Every browser computes on WebAssembly: the backend all of them have, so the numbers can be compared. */
export const BACKEND = "wasm";

/** How close another browser's numbers must be to Chromium's (absolute). */
export const TOLERANCE = 1e-5;

/**
 * Whether the test of `browser` runs: it skips (with `reason`) where
 * `missing` files are not installed, except in CI (CI=true), where a
 * missing browser fails the test instead.
 */
export function browserAvailability(browser: string, missing: string[], install: string): {run: boolean; fail: string | null; reason: string} {
  if (!missing.length) return {run: true, fail: null, reason: ""};
  const reason = `${browser} is not installed (missing ${missing.join(", ")}; Debian: \`apt-get install -y ${install}\`)`;
  if (process.env.CI === "true") return {run: false, fail: `${reason}: CI must test every browser`, reason};
  console.warn(`skipping the ${browser} tests: ${reason}`);
  return {run: false, fail: null, reason};
}

/**
 * The compute function of `figure` on `page`, as the chapter's Markdown
 * writes it: the ```js echo``` cell that declares the function the figure's
 * `chapter.live({name, compute})` names.
 */
export function computeSource(page: string, figure: string): string {
  const md = fs.readFileSync(path.join(ROOT, "src", "pages", `${page}.md`), "utf8");
  const live = new RegExp(`name: "${figure}",\\s*compute: (\\w+)`).exec(md);
  if (!live) throw new Error(`src/pages/${page}.md: no chapter.live({name: "${figure}", compute: ...})`);
  const name = live[1];
  for (const block of md.matchAll(/```js echo\n([\s\S]*?)```/g)) {
    const at = block[1].search(new RegExp(`(async )?function ${name}\\(`));
    if (at >= 0) return block[1].slice(at).trim();
  }
  throw new Error(`src/pages/${page}.md: no cell declares function ${name}`);
}

// In-page scripts are strings: the test runner's transform must not rewrite them.

/** The page's state once its first figure is ready (or failed): caption, badge, isolation. */
export interface FirstFigure {
  state: string;
  text: string;
  params: Record<string, unknown>;
  backend: string;
  isolation: string | undefined;
  crossOriginIsolated: boolean;
  badge: {backend: string; where: string; threads: string; summary: string; notes: string[]; title: string};
  errorMessages: string[];
}

/** Resolves with the figure's state once it is ready or failed, or null while it computes. */
export const READ_FIRST_FIGURE = `(figure) => {
  if (document.documentElement.dataset.isolation === undefined) return null;
  const caption = document.querySelector('[data-testid="figure-caption"][data-figure="' + figure + '"]');
  const state = caption && caption.getAttribute("data-state");
  if (state !== "ready" && state !== "error") return null;
  const badge = document.querySelector('[data-testid="backend-badge"]');
  return {
    state,
    text: caption.textContent.trim(),
    params: JSON.parse(caption.getAttribute("data-params") || "{}"),
    backend: caption.getAttribute("data-backend") || "",
    isolation: document.documentElement.dataset.isolation,
    crossOriginIsolated: self.crossOriginIsolated === true,
    badge: {
      backend: badge.dataset.backend, where: badge.dataset.where || "", threads: badge.dataset.threads || "",
      summary: badge.querySelector("summary").textContent.trim(),
      notes: [...badge.querySelectorAll('[data-testid="backend-notes"] li')].map((li) => li.textContent.trim()),
      title: badge.title,
    },
    errorMessages: [...document.querySelectorAll(".live-figure__error")].map((e) => e.textContent.trim()),
  };
}`;

/** What the page shows, for a test that timed out. */
const DESCRIBE_PAGE = `() => JSON.stringify({
  url: location.href,
  isolation: document.documentElement.dataset.isolation,
  badge: document.querySelector('[data-testid="backend-badge"]')?.textContent,
  figures: [...document.querySelectorAll('[data-testid="figure-caption"]')].map((c) => c.getAttribute("data-figure") + "=" + c.getAttribute("data-state") + ": " + c.textContent.trim()),
  status: [...document.querySelectorAll(".live-figure__status")].map((e) => e.textContent.trim()).filter(Boolean),
})`;

/** Waits for the compute service of the page (the cover page has one and no figures). */
const READY = `() => globalThis.__explainCompute ? globalThis.__explainCompute.ready().then((r) => r.backend.name) : null`;

/**
 * Runs each [source, params] through the page's compute service, one after
 * the other, and returns each result's numbers: every number, array of
 * numbers and typed array in it, by path ("thumbs.pixels"), as plain arrays, in JSON.
 */
const RUN_AND_FLATTEN = `async (jobs) => {
  const flatten = (value, path, out) => {
    if (typeof value === "number") out[path] = [value];
    else if (ArrayBuffer.isView(value) || (Array.isArray(value) && value.every((v) => typeof v === "number"))) out[path] = Array.from(value);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) flatten(v, path ? path + "." + k : k, out);
    return out;
  };
  const results = [];
  for (const [source, params] of jobs) results.push(flatten(await globalThis.__explainCompute.run(source, params), "", {}));
  return JSON.stringify(results);
}`;

/** RUN_AND_FLATTEN's answer (JSON: one string crosses faster than a large array of numbers; NaN comes back as null). */
function parseNumbers(json: string): Numbers[] {
  return (JSON.parse(json) as Record<string, (number | null)[]>[]).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.map((x) => x ?? NaN)])));
}

export type Numbers = Record<string, number[]>;
export type Job = [source: string, params: Record<string, unknown>];

/** Polls `fn(...args)` in the page until it returns something other than null. */
export async function waitInPage<T>(browser: ScriptedBrowser, fn: string, args: unknown[], {timeout = 600_000, what = "the page"} = {}): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = await answered(browser.call<T | null>(fn, ...args), what);
    if (value !== null) return value;
    if (Date.now() - t0 > timeout) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A poll of the page must answer within a minute: a script the browser never answers fails the test instead of hanging it. */
async function answered<T>(call: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the browser did not answer a script within 60 s while waiting for ${what}`)), 60_000);
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The badge's backend once the compute service has started (or failed), else null. */
const STARTED = `() => { const b = document.querySelector('[data-testid="backend-badge"]'); return b && b.dataset.backend !== "pending" ? b.dataset.backend : null; }`;

/**
 * How long a page's compute service may take to start: its own start-up
 * watchdog (30 s, src/compute/worker-host.ts) and a restart on one thread
 * fit in it with room to spare on a loaded machine.
 */
const START_WITHIN_MS = 180_000;

/**
 * Opens a chapter on the wasm backend and waits until its first figure is
 * ready (or failed). The page is loaded once: a compute worker whose threads
 * do not start (seen in Firefox) is restarted on one thread by the page
 * itself, and the badge's notes (which the test logs) say so.
 */
export async function openChapter(browser: ScriptedBrowser, siteUrl: string, chapter: (typeof CHAPTERS)[number]): Promise<FirstFigure> {
  const url = `${siteUrl}/pages/${chapter.page}?backend=${BACKEND}#${VIEW}`;
  await browser.goto(url);
  try {
    await waitInPage<string>(browser, STARTED, [], {timeout: START_WITHIN_MS, what: "the compute service"});
    return await waitInPage<FirstFigure>(browser, READ_FIRST_FIGURE, [chapter.figure], {what: `${chapter.page}: ${chapter.figure}`});
  } catch (error) {
    const state = await browser.call<string>(DESCRIBE_PAGE).catch((e: Error) => `(could not read the page: ${e.message})`);
    throw new Error(`${chapter.page}: ${(error as Error).message}; the page: ${state}`);
  }
}

/** The jobs' numbers in another browser, on the site's cover page. */
export async function numbersIn(browser: ScriptedBrowser, siteUrl: string, jobs: Job[]): Promise<Numbers[]> {
  await browser.goto(`${siteUrl}/?backend=${BACKEND}`);
  const backend = await waitInPage<string>(browser, READY, [], {what: "the cover page's compute service"});
  if (backend !== BACKEND) throw new Error(`the cover page computes on ${backend}, not ${BACKEND}`);
  return parseNumbers(await browser.call<string>(RUN_AND_FLATTEN, jobs));
}

/** The jobs' numbers in Chromium (a fresh context of `chromium`), on the site's cover page. */
export async function numbersInChromium(chromium: Browser, siteUrl: string, jobs: Job[]): Promise<Numbers[]> {
  const context = await chromium.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${siteUrl}/?backend=${BACKEND}`, {waitUntil: "load"});
    await settled(page);
    const backend = await page.evaluate(`(${READY})()`);
    if (backend !== BACKEND) throw new Error(`Chromium's cover page computes on ${backend}, not ${BACKEND}`);
    return parseNumbers((await page.evaluate(`(${RUN_AND_FLATTEN})(${JSON.stringify(jobs)})`)) as string);
  } finally {
    await context.close();
  }
}

/** Where `actual` differs from `expected` by more than `tolerance` (or in its paths or lengths): one line each. */
export function differences(actual: Numbers, expected: Numbers, tolerance = TOLERANCE): string[] {
  const out: string[] = [];
  const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
  for (const key of keys) {
    const a = actual[key];
    const e = expected[key];
    if (!a || !e) {
      out.push(`${key}: only in ${a ? "this browser" : "Chromium"}`);
      continue;
    }
    if (a.length !== e.length) {
      out.push(`${key}: ${a.length} values, Chromium ${e.length}`);
      continue;
    }
    let worst = -1;
    let at = -1;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - e[i]);
      if (!(d <= tolerance) && !(Number.isNaN(a[i]) && Number.isNaN(e[i])) && (d > worst || Number.isNaN(d))) [worst, at] = [d, i];
    }
    if (at >= 0) out.push(`${key}[${at}]: ${a[at]}, Chromium ${e[at]} (|difference| ${worst})`);
  }
  return out;
}

/** The largest |difference| over every number (for the log). */
export function largestDifference(actual: Numbers, expected: Numbers): number {
  let worst = 0;
  for (const [key, a] of Object.entries(actual)) {
    const e = expected[key] ?? [];
    for (let i = 0; i < Math.min(a.length, e.length); i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  }
  return worst;
}

/**
 * The smoke test of one browser: each chapter's first figure on wasm, the
 * badge, and the numbers against Chromium's. `start` launches the browser;
 * `missing` lists what is not installed (see browserAvailability).
 */
export function browserSuite(name: string, {missing, install, start}: {missing: string[]; install: string; start: () => Promise<ScriptedBrowser>}): void {
  const availability = browserAvailability(name, missing, install);
  if (availability.fail) {
    it(`${name} is installed`, () => {
      throw new Error(availability.fail!);
    });
    return;
  }
  describe.skipIf(!availability.run)(availability.run ? name : `${name} (skipped: ${availability.reason})`, () => {
    let site: SiteUnderTest | undefined;
    let chromium: Browser | undefined;
    let browser: ScriptedBrowser | undefined;
    const shown = new Map<string, FirstFigure>();

    beforeAll(async () => {
      ({site, browser: chromium} = await openSharedSite());
      const t0 = Date.now();
      browser = await start();
      console.log(`${name}: ${browser.version}, started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    afterAll(async () => {
      await browser?.close();
      await closeSharedSite(site, chromium);
    });

    for (const chapter of CHAPTERS) {
      it(`${chapter.page}: its first figure (${chapter.figure}) computes on ${BACKEND}; the badge names the backend and the threads`, async () => {
        const t0 = Date.now();
        const first = await openChapter(browser!, site!.url, chapter);
        console.log(`${name}, ${chapter.page}: ${chapter.figure} ${first.state} after ${((Date.now() - t0) / 1000).toFixed(1)} s: "${first.text}"; badge "${first.badge.summary}"${first.badge.notes.length ? `, notes: ${first.badge.notes.join(" | ")}` : ""}`);
        expect(first.errorMessages).toEqual([]);
        expect(first.state).toBe("ready");
        expect(first.backend).toBe(BACKEND);
        expect(first.params.id).toBe(new URLSearchParams(VIEW).get("image"));
        // The badge names the backend and the threads, as the caption does.
        const threads = Number(first.badge.threads);
        expect(first.badge.backend).toBe(BACKEND);
        expect(first.badge.where).toBe("worker");
        expect(threads).toBeGreaterThanOrEqual(1);
        expect(first.badge.summary).toContain(`backend: ${BACKEND} (${threads} thread${threads === 1 ? "" : "s"}, worker)`);
        // The caption ends with the backend and threads, then the model it computed with.
        expect(first.text).toMatch(new RegExp(`· ${BACKEND}, ${threads} threads? · model [^·]+$`));
        // One thread where the page has more cores only with the reason in the badge; threads need isolation.
        if (threads === 1) expect(first.badge.notes.some((n) => n.startsWith("one thread: "))).toBe(true);
        else expect(first.crossOriginIsolated).toBe(true);
        if (first.isolation !== "on") expect(first.badge.notes.join(" ")).toMatch(/isolat|service worker/);
        expect(browser!.problems()).toEqual([]);
        shown.set(chapter.page, first);
      });
    }

    it(`the first figures' numbers equal Chromium's within ${TOLERANCE} (same photo, same settings, ${BACKEND})`, async () => {
      const jobs: Job[] = CHAPTERS.map(({page, figure}) => {
        const first = shown.get(page);
        if (!first) throw new Error(`${page} did not show its first figure (see its test)`);
        return [computeSource(page, figure), first.params];
      });
      const t0 = Date.now();
      const here = await numbersIn(browser!, site!.url, jobs);
      const t1 = Date.now();
      const there = await numbersInChromium(chromium!, site!.url, jobs);
      console.log(`${name}: numbers in ${((t1 - t0) / 1000).toFixed(1)} s, Chromium's in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      CHAPTERS.forEach(({page, figure}, i) => {
        const count = Object.values(here[i]).reduce((n, v) => n + v.length, 0);
        console.log(`${name}, ${figure} ${JSON.stringify(jobs[i][1])}: ${count} numbers (${Object.keys(here[i]).join(", ")}), largest |difference| from Chromium ${largestDifference(here[i], there[i]).toExponential(2)}`);
        expect(count, `${page}: ${figure} has no numbers`).toBeGreaterThan(0);
        expect(differences(here[i], there[i]), `${page}: ${figure}`).toEqual([]);
      });
      expect(browser!.problems()).toEqual([]);
    });
  });
}
