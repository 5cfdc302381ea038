// Helpers for the end-to-end tests: serve the built site (dist/) and drive
// a headless Chromium through playwright-core. Every page test uses them:
//
//   const site = await siteUnderTest();
//   const browser = await sharedBrowser();
//   const {page, problems} = await openPage(browser, site.url + "/pages/x");
//   ...
//   expect(problems()).toEqual([]);
//   await browser.close(); await site.close();
//
// Under vitest the server and the browser are started once for all files
// (global-setup.ts); `browser.close()` then closes only this file's contexts
// and connection. Elsewhere (scripts, a file run with another config) the
// same calls start the file's own server and browser.
import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {chromium, type Browser, type Page} from "playwright-core";
import {inject} from "vitest";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The built site: $EXPLAIN_DIST (as in observablehq.config.ts), or dist/. */
export const DIST = path.resolve(ROOT, process.env.EXPLAIN_DIST ?? "dist");
export const ARTIFACTS = path.join(ROOT, "test-artifacts");

/** Chromium binary: $CHROMIUM, or Debian's. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * Flags for a headless Chromium on a machine without a GPU or network.
 * WebGL runs on SwiftShader (software): with these flags the page's
 * backend is "webgl" (WebGPU is not offered without --enable-unsafe-webgpu).
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--enable-unsafe-swiftshader",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-features=Translate,MediaRouter,OptimizationHints",
];

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Fails with what to do if the site was not built. */
export function requireDist(): void {
  if (!fs.existsSync(path.join(DIST, "index.html"))) {
    throw new Error(`${DIST} has no built site: run \`npm run build\` first (\`npm test\` builds it before the tests).`);
  }
}

/**
 * A static server for dist/ on 127.0.0.1 (random port) with clean URLs:
 * /pages/x serves dist/pages/x.html, / serves dist/index.html.
 */
export async function serveDist(dir = DIST): Promise<{url: string; close: () => Promise<void>}> {
  requireDist();
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const file = resolveFile(root, req.url ?? "/");
    if (!file) {
      res.writeHead(404, {"content-type": "text/plain"}).end(`not found: ${req.url}`);
      return;
    }
    res.writeHead(200, {
      "content-type": MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "content-length": fs.statSync(file).size,
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const {port} = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function resolveFile(root: string, url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, "http://x").pathname);
  } catch {
    return null;
  }
  const base = path.join(root, pathname);
  if (base !== root && !base.startsWith(root + path.sep)) return null; // outside dist/
  for (const candidate of pathname.endsWith("/") ? [path.join(base, "index.html")] : [base, base + ".html", path.join(base, "index.html")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Fails with what to do if Chromium is not installed. */
export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install it (Debian: \`apt-get install -y chromium\`) or set CHROMIUM to its path.`);
  }
}

/** Headless Chromium of its own (for other flags than CHROMIUM_ARGS); fails with what to do if it is not installed. */
export async function launchBrowser(args: string[] = CHROMIUM_ARGS): Promise<Browser> {
  requireChromium();
  return chromium.launch({executablePath: CHROMIUM, headless: true, args});
}

/** What global-setup.ts provides, or undefined outside the e2e project. */
function provided<K extends "siteUrl" | "browserEndpoints">(key: K) {
  try {
    return inject(key);
  } catch {
    return undefined; // not under vitest
  }
}

/**
 * The built site's server: the one shared by all e2e files, or (outside
 * them) a server of its own. `close()` stops only a server of its own.
 */
export async function siteUnderTest(): Promise<{url: string; close: () => Promise<void>}> {
  requireDist();
  const url = provided("siteUrl");
  return url ? {url, close: async () => {}} : await serveDist();
}

/**
 * A headless Chromium with CHROMIUM_ARGS: this test worker's shared browser
 * (connected; `close()` closes this file's contexts and disconnects), or
 * (outside the e2e project) one of its own.
 */
export async function sharedBrowser(): Promise<Browser> {
  const endpoints = provided("browserEndpoints");
  if (!endpoints?.length) return await launchBrowser();
  const worker = Math.max(0, Number(process.env.VITEST_POOL_ID ?? 1) - 1);
  return await chromium.connect(endpoints[worker % endpoints.length]);
}

export type SiteUnderTest = Awaited<ReturnType<typeof siteUnderTest>>;

/** A test file's site and browser (in its beforeAll): `({site, browser} = await openSharedSite())`. */
export async function openSharedSite(): Promise<{site: SiteUnderTest; browser: Browser}> {
  return {site: await siteUnderTest(), browser: await sharedBrowser()};
}

/** Releases what openSharedSite gave a file (in its afterAll); the shared server and browser stay up for the other files. */
export async function closeSharedSite(site: SiteUnderTest | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await site?.close();
}

/**
 * Opens `url` in a new page and records what goes wrong: console errors,
 * uncaught exceptions, failed requests and HTTP errors. `problems()` lists
 * them; console lines of every level are in `consoleLines`.
 */
export async function openPage(browser: Browser, url: string, {width = 1200, height = 900} = {}): Promise<{page: Page; problems: () => string[]; consoleLines: string[]}> {
  const page = await browser.newPage({viewport: {width, height}});
  const consoleLines: string[] = [];
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  const errors = watchProblems(page);
  await page.goto(url, {waitUntil: "load"});
  await settled(page);
  return {page, problems: () => [...errors], consoleLines};
}

/**
 * What goes wrong on a page, as it happens: console errors, uncaught
 * exceptions, failed requests and HTTP errors (the returned array fills in).
 * The first visit of a browser profile registers the service worker that
 * isolates the site and reloads the page once (src/compute/isolation.ts):
 * requests of the page that goes away end as ERR_ABORTED, and what it
 * reported is not the page's: the list starts again with each document.
 */
export function watchProblems(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (r.failure()?.errorText !== "net::ERR_ABORTED") errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  // A new document (not a change of the hash, which is a navigation too): start again.
  page.on("request", (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) errors.length = 0;
  });
  return errors;
}

/** Waits until the page has settled its cross-origin isolation (after the one reload of a first visit). */
export async function settled(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.isolation !== undefined, null, {timeout});
  await page.waitForLoadState("load");
}

/** Saves a full-page screenshot under test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, {recursive: true});
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({path: file, fullPage: true});
  return file;
}
