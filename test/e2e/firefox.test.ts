// End-to-end smoke test in Firefox: Debian's Firefox ESR, driven over
// WebDriver BiDi by puppeteer-core (which downloads no browser), opens the
// Occlusion, Integrated gradients and Deletion score chapters on the wasm
// backend. Each chapter's first figure must compute without console errors,
// the badge must name the backend and the threads, and the first figures'
// numbers must equal Chromium's within 1e-5 (other-browsers.ts). Skips where
// Firefox is not installed, fails in CI (CI=true). Needs dist/ (`npm run build`).
import fs from "node:fs";
import puppeteer, {type ConsoleMessage} from "puppeteer-core";
import {browserSuite} from "./other-browsers.js";
import type {ScriptedBrowser} from "./webdriver.js";

/** Debian's Firefox ESR, or $FIREFOX. */
const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/** Headless Firefox in a fresh profile; page errors, failed requests and HTTP errors of the current document are its problems. */
async function startFirefox(): Promise<ScriptedBrowser> {
  // No setViewport: WebDriver BiDi in Firefox does not support it; the window's size is set at launch.
  const browser = await puppeteer.launch({browser: "firefox", executablePath: FIREFOX, headless: true, args: ["--width=1200", "--height=900"]});
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    const text = async (m: ConsoleMessage) => (await Promise.all(m.args().map((a) => a.jsonValue().catch(() => a.toString())))).map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" ");
    page.on("console", (m) => {
      if (m.type() === "error") void text(m).then((t) => problems.push(`console error: ${t} (${m.location().url ?? ""})`));
    });
    page.on("pageerror", (e) => problems.push(`uncaught: ${e instanceof Error ? e.message : String(e)}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    // The first visit reloads once (the service worker that isolates the site): what the first document reported is not the page's.
    page.on("request", (r) => {
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) problems.length = 0;
    });
    return {
      version: await browser.version(),
      goto: async (url) => void (await page.goto(url, {waitUntil: "load"})),
      call: async <T>(fn: string, ...args: unknown[]) => (await page.evaluate(`(${fn})(...${JSON.stringify(args)})`)) as T,
      problems: () => [...problems],
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

browserSuite("Firefox", {missing: fs.existsSync(FIREFOX) ? [] : [FIREFOX], install: "firefox-esr", start: startFirefox});
