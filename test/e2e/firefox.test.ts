// End-to-end smoke test in Firefox: Debian's Firefox ESR, driven over
// WebDriver BiDi by puppeteer-core (which downloads no browser), opens the
// Occlusion, Integrated gradients and Deletion score chapters on the wasm
// backend. Each chapter's first figure must compute without errors in the page,
// the badge must name the backend and the threads, and the first figures'
// numbers must equal Chromium's within 1e-5 (other-browsers.ts). Skips where
// Firefox is not installed, fails in CI (CI=true). Needs dist/ (`npm run build`).
import fs from "node:fs";
import puppeteer from "puppeteer-core";
import {browserSuite} from "./other-browsers.js";
import type {ScriptedBrowser} from "./webdriver.js";

/** Debian's Firefox ESR, or $FIREFOX. */
const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/**
 * Records, in each document from its start, what goes wrong there: uncaught
 * errors, unhandled rejections and console errors (`__pageProblems`). In the
 * page rather than through the protocol's events, so that what a document
 * reports before the first visit's one reload (the service worker that
 * isolates the site) is not counted against the reloaded page. (Listening to
 * the protocol's network events is avoided too: with them, the compute
 * worker of a later page sometimes never started.)
 */
const RECORD_PROBLEMS = `(() => {
  const problems = (globalThis.__pageProblems = []);
  const text = (v) => (v instanceof Error ? v.message : typeof v === "string" ? v : (() => { try { return JSON.stringify(v); } catch { return String(v); } })());
  addEventListener("error", (e) => problems.push("uncaught: " + (e.message || text(e.error))));
  addEventListener("unhandledrejection", (e) => problems.push("unhandled rejection: " + text(e.reason)));
  const error = console.error.bind(console);
  console.error = (...args) => { problems.push("console error: " + args.map(text).join(" ")); error(...args); };
})()`;

/** Headless Firefox in a fresh profile; its problems are those RECORD_PROBLEMS saw in the current document. */
async function startFirefox(): Promise<ScriptedBrowser> {
  // No setViewport: WebDriver BiDi in Firefox does not support it; the window's size is set at launch.
  const browser = await puppeteer.launch({browser: "firefox", executablePath: FIREFOX, headless: true, args: ["--width=1200", "--height=900"]});
  try {
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(RECORD_PROBLEMS);
    if (process.env.DEBUG_BROWSER) page.on("console", (m) => console.log(`firefox console ${m.type()}: ${m.text()}`));
    let problems: string[] = [];
    const call = async <T>(fn: string, ...args: unknown[]) => (await page.evaluate(`(${fn})(...${JSON.stringify(args)})`)) as T;
    const read = async () => {
      problems = (await page.evaluate("globalThis.__pageProblems ?? []").catch(() => problems)) as string[];
    };
    return {
      version: await browser.version(),
      goto: async (url) => void (await page.goto(url, {waitUntil: "load"})),
      // Each call also reads the document's problems, so problems() answers without a round trip.
      call: async <T>(fn: string, ...args: unknown[]) => {
        const value = await call<T>(fn, ...args);
        await read();
        return value;
      },
      problems: () => [...problems],
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

browserSuite("Firefox", {missing: fs.existsSync(FIREFOX) ? [] : [FIREFOX], install: "firefox-esr", start: startFirefox});
