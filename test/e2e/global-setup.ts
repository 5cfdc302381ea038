// Once for every end-to-end file (vitest globalSetup of the e2e project): one
// static server for the built site, and one headless Chromium per test worker
// (process), which the files connect to (helpers.ts: siteUnderTest,
// sharedBrowser) instead of starting their own. Each test still gets a fresh
// browser context, so nothing of one test's storage, service worker or cache
// reaches another; what is shared is the browser's processes and its GPU
// process (SwiftShader), whose compiled shader programs serve later files.
//
// One browser per worker, not one for all: two files that compute at once
// would otherwise queue in one GPU process, where today each has its own.
// The files that need other Chromium flags (the software-GPU backends) start
// their own browser.
import type {TestProject} from "vitest/node";
import {chromium, type BrowserServer} from "playwright-core";
import {CHROMIUM, CHROMIUM_ARGS, requireChromium, requireDist, serveDist} from "./helpers.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port> of the built site (dist/). */
    siteUrl: string;
    /** Playwright endpoints of the shared browsers, one per test worker (VITEST_POOL_ID - 1). */
    browserEndpoints: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireDist();
  requireChromium();
  const site = await serveDist();
  const workers = Math.max(1, Number(project.globalConfig.maxWorkers) || 1);
  const browsers: BrowserServer[] = [];
  try {
    for (let i = 0; i < workers; i++) browsers.push(await chromium.launchServer({executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS}));
  } catch (error) {
    await Promise.all(browsers.map((b) => b.close()));
    await site.close();
    throw error;
  }
  project.provide("siteUrl", site.url);
  project.provide("browserEndpoints", browsers.map((b) => b.wsEndpoint()));
  return async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await site.close();
  };
}
