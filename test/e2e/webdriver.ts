// A tiny W3C WebDriver client (plain HTTP with Node's fetch) and WebKitGTK
// behind it, for test/e2e/webkit.test.ts: Debian's webkit2gtk-driver
// (WebKitWebDriver) starts the MiniBrowser of WebKitGTK in automation mode
// on an X display of its own (Xvfb, started here: no window reaches the
// machine's screen, and nothing needs xvfb-run around the test runner).
//
//   const webkit = await startWebKit();
//   await webkit.goto(url);
//   const title = await webkit.call("() => document.title");
//   await webkit.close();
//
// Only what the tests use: a session, navigation, and scripts (run as an
// async script, so a script may return a promise).
import {spawn, type ChildProcess} from "node:child_process";
import fs from "node:fs";
import net from "node:net";

/** Debian's webkit2gtk-driver, its MiniBrowser (libwebkit2gtk-4.1) and Xvfb (xvfb). */
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? "/usr/bin/WebKitWebDriver";
export const MINIBROWSER = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
export const XVFB = "/usr/bin/Xvfb";

/** A browser driven by scripts: the interface the other-browser tests need (see other-browsers.ts). */
export interface ScriptedBrowser {
  /** What it is, e.g. "WebKitGTK MiniBrowser 2.50.6". */
  version: string;
  /** Loads `url` and waits for its load event. */
  goto(url: string): Promise<void>;
  /** Calls the function whose source is `fn` in the page with `args` (JSON) and returns what it resolves to (JSON). */
  call<T>(fn: string, ...args: unknown[]): Promise<T>;
  /** Errors the page reported since the last `goto` (where the browser lets the test see them). */
  problems(): string[];
  close(): Promise<void>;
}

class WebDriverError extends Error {}

/** Starts Xvfb, WebKitWebDriver and a MiniBrowser session. */
export async function startWebKit(): Promise<ScriptedBrowser> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const {display, process: xvfb} = await startXvfb();
    stops.push(() => stopGroup(xvfb));
    const port = await freePort();
    const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`, "--host=127.0.0.1"], {env: {...process.env, DISPLAY: display}, stdio: "ignore", detached: true});
    stops.push(() => stopGroup(driver));
    const client = new WebDriverClient(`http://127.0.0.1:${port}`);
    await client.waitUntilUp();
    const session = await client.newSession({"webkitgtk:browserOptions": {binary: MINIBROWSER, args: ["--automation"]}});
    stops.push(() => client.deleteSession(session.id));
    await client.send("POST", `/session/${session.id}/timeouts`, {script: 600_000, pageLoad: 120_000});
    return {
      version: `WebKitGTK ${session.browserName} ${session.browserVersion}`,
      goto: async (url) => void (await client.send("POST", `/session/${session.id}/url`, {url})),
      call: (fn, ...args) => client.callAsync(session.id, fn, args),
      problems: () => [],
      close: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

class WebDriverClient {
  constructor(private readonly base: string) {}

  async send<T = unknown>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
    const response = await fetch(this.base + path, {method, headers: {"content-type": "application/json; charset=utf-8"}, body: body === undefined ? undefined : JSON.stringify(body)});
    const json = (await response.json()) as {value: T & {error?: string; message?: string}};
    if (!response.ok) throw new WebDriverError(`WebDriver ${method} ${path}: ${json.value?.error ?? response.status}: ${json.value?.message ?? ""}`);
    return json.value;
  }

  /** The driver answers /status once it listens (it starts in well under a second; generous for a loaded machine). */
  async waitUntilUp(timeout = 30_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      try {
        await this.send("GET", "/status");
        return;
      } catch (error) {
        if (Date.now() - t0 > timeout) throw new Error(`WebKitWebDriver did not answer within ${timeout / 1000} s (${(error as Error).message})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async newSession(alwaysMatch: Record<string, unknown>): Promise<{id: string; browserName: string; browserVersion: string}> {
    const value = await this.send<{sessionId: string; capabilities: {browserName: string; browserVersion: string}}>("POST", "/session", {capabilities: {alwaysMatch}});
    return {id: value.sessionId, ...value.capabilities};
  }

  async deleteSession(id: string): Promise<void> {
    await this.send("DELETE", `/session/${id}`);
  }

  /**
   * Runs `fn(...args)` in the page as an async script: its promise settles
   * the script, and an exception comes back as the page's message and stack.
   */
  async callAsync<T>(id: string, fn: string, args: unknown[]): Promise<T> {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn})(...arguments[0])).then(
        (value) => done({value: value === undefined ? null : value}),
        (e) => done({error: String(e && e.stack ? e.message + "\\n" + e.stack : e)}));`;
    const out = await this.send<{value?: T; error?: string}>("POST", `/session/${id}/execute/async`, {script, args: [args]});
    if (out.error !== undefined) throw new Error(`in the page: ${out.error}`);
    return out.value as T;
  }
}

/** An X server of its own: Xvfb picks a free display number and writes it to a pipe (-displayfd). */
async function startXvfb(): Promise<{display: string; process: ChildProcess}> {
  const xvfb = spawn(XVFB, ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], {stdio: ["ignore", "ignore", "pipe", "pipe"], detached: true});
  let stderr = "";
  xvfb.stderr!.on("data", (d) => (stderr += String(d)));
  const display = await new Promise<string>((resolve, reject) => {
    let out = "";
    xvfb.stdio[3]!.on("data", (d) => {
      out += String(d);
      if (out.includes("\n")) resolve(`:${out.trim()}`);
    });
    xvfb.on("exit", (code) => reject(new Error(`Xvfb exited (${code}): ${stderr.slice(-500)}`)));
    xvfb.on("error", reject);
  });
  return {display, process: xvfb};
}

/** Ends a process started with `detached: true` and everything it started (the driver's MiniBrowser and its web processes). */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const {port} = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The WebKit binaries that are missing here (the test skips, or in CI fails, naming them). */
export function missingWebKit(): string[] {
  return [WEBKIT_DRIVER, MINIBROWSER, XVFB].filter((file) => !fs.existsSync(file));
}
