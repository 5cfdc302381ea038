// npm run gpu-probe -- [--json FILE] [--dist DIR] [--timeout S]
// What headless Chromium offers on this machine's GPU, tried with several
// sets of flags (scripts/gpu-check.sh runs it on a machine with a GPU). For
// each set it prints what the browser reports:
//  - WebGPU on the page and in a dedicated worker (where the compute service
//    runs): navigator.gpu, the adapter's vendor, architecture, device,
//    description, whether it is a fallback (software) adapter;
//  - WebGL 2 on the page and in a worker (OffscreenCanvas): the unmasked
//    vendor and renderer;
//  - chrome://gpu's feature status lines (WebGL, WebGPU, Vulkan, ...) and GL
//    renderer;
//  - which backend the site's compute worker picks with ?backend=webgpu and
//    ?backend=webgl, and why it skipped the others (needs the built site).
// Then it names, per backend, the first set of flags that reached a hardware
// adapter, or says that none did. --json writes all of it (gpu-check.sh reads
// the chosen flags from there).
import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import path from "node:path";
import {parseArgs} from "node:util";
import type {Browser, Page} from "playwright-core";
import {CHROMIUM_ARGS, DIST, launchBrowser, serveDist} from "../test/e2e/helpers.js";
import {GPU_ARGS, openComputePage} from "../test/e2e/compute-pages.js";

const {values} = parseArgs({options: {json: {type: "string"}, dist: {type: "string"}, timeout: {type: "string", default: "45"}}});
const timeoutMs = 1000 * Number(values.timeout);

/** Flag sets, most likely first. Each replaces the software flags (--disable-gpu, --enable-unsafe-swiftshader). */
const VARIANTS: {name: string; args: string[]}[] = [
  {name: "vulkan", args: GPU_ARGS},
  {name: "vulkan, no ANGLE-on-Vulkan (WebGL through ANGLE's default: OpenGL/EGL)", args: ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--ignore-gpu-blocklist"]},
  {name: "ANGLE on EGL (OpenGL ES), WebGPU on Vulkan", args: ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-gl=angle", "--use-angle=gl-egl", "--ignore-gpu-blocklist"]},
  {name: "defaults, blocklist ignored", args: ["--enable-unsafe-webgpu", "--ignore-gpu-blocklist"]},
];
const BASE = CHROMIUM_ARGS.filter((a) => a !== "--disable-gpu" && a !== "--enable-unsafe-swiftshader");

interface Adapter {
  present: boolean;
  error?: string;
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GlInfo {
  error?: string;
  vendor?: string;
  renderer?: string;
  version?: string;
}
interface VariantResult {
  name: string;
  args: string[];
  error?: string;
  webgpuPage?: Adapter;
  webgpuWorker?: Adapter;
  webglPage?: GlInfo;
  webglWorker?: GlInfo;
  chromeGpu?: string[];
  service?: Record<string, string>;
  hardware: {webgpu: boolean; webgl: boolean};
}

/** Runs in the page and in a worker: WebGPU adapter and WebGL renderer, as the browser reports them. */
const PROBE = `(async () => {
  const out = {};
  try {
    const gpu = navigator.gpu;
    if (!gpu) out.webgpu = {present: false, error: "navigator.gpu is missing"};
    else {
      const adapter = await gpu.requestAdapter({powerPreference: "high-performance"});
      if (!adapter) out.webgpu = {present: true, error: "requestAdapter() returned null"};
      else {
        const info = adapter.info || (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
        out.webgpu = {present: true, vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter};
      }
    }
  } catch (e) { out.webgpu = {present: false, error: String(e && e.message || e)}; }
  try {
    const canvas = typeof document !== "undefined" ? document.createElement("canvas") : new OffscreenCanvas(1, 1);
    const gl = canvas.getContext("webgl2");
    if (!gl) out.webgl = {error: "no WebGL 2 context"};
    else {
      const debug = gl.getExtension("WEBGL_debug_renderer_info");
      out.webgl = {vendor: String(gl.getParameter(debug ? debug.UNMASKED_VENDOR_WEBGL : gl.VENDOR)), renderer: String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER)), version: String(gl.getParameter(gl.VERSION))};
    }
  } catch (e) { out.webgl = {error: String(e && e.message || e)}; }
  return out;
})()`;

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render driver|microsoft basic/i;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs / 1000} s`)), timeoutMs))]);
}

async function probePage(page: Page): Promise<{webgpu: Adapter; webgl: GlInfo}> {
  return page.evaluate(PROBE) as Promise<{webgpu: Adapter; webgl: GlInfo}>;
}

async function probeWorker(page: Page): Promise<{webgpu: Adapter; webgl: GlInfo}> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob(["(" + ${JSON.stringify(`async () => postMessage(await ${PROBE})`)} + ")()"], {type: "text/javascript"}));
    const worker = new Worker(url);
    worker.onmessage = (e) => { resolve(e.data); worker.terminate(); };
    worker.onerror = (e) => reject(new Error(e.message));
  })`) as Promise<{webgpu: Adapter; webgl: GlInfo}>;
}

/** chrome://gpu's feature status and GL lines (its tables and lists live in shadow DOM). */
async function chromeGpu(browser: Browser): Promise<string[]> {
  const page = await browser.newPage();
  try {
    await page.goto("chrome://gpu", {waitUntil: "load"});
    await page.waitForTimeout(1500);
    const rows = (await page.evaluate(`(() => {
      const rows = [];
      const walk = (root) => {
        for (const el of root.querySelectorAll("*")) {
          if (el.shadowRoot) walk(el.shadowRoot);
          if (el.tagName === "TR" || el.tagName === "LI") rows.push(el.innerText.replace(/\\s+/g, " ").trim());
        }
      };
      walk(document);
      return rows;
    })()`)) as string[];
    const wanted = /^(Canvas|Compositing|OpenGL|Rasterization|Skia Graphite|Video|Vulkan|WebGL|WebGL2|WebGPU|WebNN|Direct Rendering|GPU0|GPU1|GL implementation|Display type|GL_VENDOR|GL_RENDERER|GL_VERSION|Driver vendor|Driver version|Sandboxed|Problem|Disabled Features)/i;
    return [...new Set(rows.filter((r) => wanted.test(r)).map((r) => (r.length > 240 ? `${r.slice(0, 240)}…` : r)))];
  } finally {
    await page.close();
  }
}

const describe = (a?: Adapter) => (!a ? "–" : a.error ? `${a.present ? "present, " : ""}${a.error}` : `${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(" / ") || "(no adapter info)"}${a.isFallbackAdapter ? " [fallback adapter]" : ""}`);
const describeGl = (g?: GlInfo) => (!g ? "–" : g.error ?? `${g.renderer} (${g.vendor}; ${g.version})`);
const hardwareGpu = (a?: Adapter) => !!a && !a.error && !a.isFallbackAdapter && !SOFTWARE.test(`${a.vendor} ${a.architecture} ${a.description}`);
const hardwareGl = (g?: GlInfo) => !!g && !g.error && !SOFTWARE.test(`${g.renderer} ${g.vendor}`);

/** An empty page on 127.0.0.1. */
const blank = await (async () => {
  const server = http.createServer((_req, res) => res.writeHead(200, {"content-type": "text/html"}).end("<!doctype html><title>probe</title>"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())))};
})();

const distDir = values.dist ? path.resolve(values.dist) : DIST;
const site = fs.existsSync(path.join(distDir, "index.html")) ? await serveDist(distDir) : null;
if (!site) console.log(`(no built site in ${distDir}: the compute service's choice is not probed)`);
const results: VariantResult[] = [];
try {
  for (const variant of VARIANTS) {
    const result: VariantResult = {name: variant.name, args: variant.args, hardware: {webgpu: false, webgl: false}};
    results.push(result);
    console.log(`\n== flags: ${variant.name}\n   ${[...variant.args].join(" ")}`);
    let browser: Browser | null = null;
    try {
      browser = await withTimeout(launchBrowser([...BASE, ...variant.args]), "launching Chromium");
      console.log(`   Chromium ${browser.version()}`);
      const page = await browser.newPage();
      // WebGPU exists only in secure contexts: a page of 127.0.0.1 is one (about:blank is not).
      await page.goto(blank.url);
      const onPage = await withTimeout(probePage(page), "probing the page");
      result.webgpuPage = onPage.webgpu;
      result.webglPage = onPage.webgl;
      const inWorker = await withTimeout(probeWorker(page), "probing a worker").catch((e: Error) => ({webgpu: {present: false, error: e.message}, webgl: {error: e.message}}));
      result.webgpuWorker = inWorker.webgpu;
      result.webglWorker = inWorker.webgl;
      await page.close();
      console.log(`   WebGPU, page:   ${describe(result.webgpuPage)}`);
      console.log(`   WebGPU, worker: ${describe(result.webgpuWorker)}`);
      console.log(`   WebGL 2, page:   ${describeGl(result.webglPage)}`);
      console.log(`   WebGL 2, worker: ${describeGl(result.webglWorker)}`);
      result.chromeGpu = await withTimeout(chromeGpu(browser), "reading chrome://gpu").catch((e: Error) => [`(could not read chrome://gpu: ${e.message})`]);
      for (const line of result.chromeGpu) console.log(`   chrome://gpu: ${line}`);
      if (site) {
        result.service = {};
        for (const backend of ["webgpu", "webgl"] as const) {
          try {
            const p = await withTimeout(openComputePage(browser, site.url, backend, {allowOther: true}), `starting the compute service on ${backend}`);
            const r = p.report;
            result.service[backend] = `${r.backend.name} in the ${r.where}${r.backend.skipped.length ? `; skipped: ${r.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}` : ""}`;
            await p.close();
          } catch (e) {
            result.service[backend] = `failed: ${(e as Error).message}`;
          }
          console.log(`   compute service, ?backend=${backend}: ${result.service[backend]}`);
        }
      }
      result.hardware = {webgpu: hardwareGpu(result.webgpuWorker), webgl: hardwareGl(result.webglWorker)};
      console.log(`   hardware in the worker: WebGPU ${result.hardware.webgpu ? "yes" : "no"}, WebGL ${result.hardware.webgl ? "yes" : "no"}`);
    } catch (e) {
      result.error = (e as Error).message.split("\n")[0];
      console.log(`   failed: ${result.error}`);
    } finally {
      await browser?.close().catch(() => undefined);
    }
  }
} finally {
  await site?.close();
  await blank.close();
}

const chosen = {
  webgpu: results.find((r) => r.hardware.webgpu)?.name ?? null,
  webgl: results.find((r) => r.hardware.webgl)?.name ?? null,
};
console.log(`\n== result: WebGPU on a hardware adapter: ${chosen.webgpu ? `yes, with flags "${chosen.webgpu}"` : "no (with any of the flag sets above)"}; WebGL on a hardware renderer: ${chosen.webgl ? `yes, with flags "${chosen.webgl}"` : "no"}`);
if (values.json) {
  const args = (name: string | null) => (name ? results.find((r) => r.name === name)!.args : null);
  fs.writeFileSync(values.json, JSON.stringify({variants: results, chosen: {webgpu: args(chosen.webgpu), webgl: args(chosen.webgl)}}, null, 1));
}
