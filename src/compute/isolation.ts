// Cross-origin isolation on any static host. Threaded WebAssembly needs
// SharedArrayBuffer, which browsers give only to cross-origin isolated pages
// (served with COOP: same-origin and COEP: require-corp). A static host
// cannot set headers, so a small service worker (src/coi-sw.js, served at the
// site's root) adds them to every same-origin response, as is commonly done
// (coi-serviceworker). The first visit registers it and reloads the page
// once; from then on every page of the site loads isolated.
//
// `?isolation=off` in the address skips all of this (to measure or test the
// single-threaded path). Where service workers are refused (private windows
// in some browsers, a blocked registration) the page runs without threads and
// says why in the backend badge.

export interface IsolationState {
  isolated: boolean;
  /** Why the page is not isolated, for the badge. */
  note: string | null;
}

const RELOADED = "explanation-methods-live:coi-reload";

/**
 * Resolves with the page's isolation; registers the service worker and
 * reloads the page when that is what it takes (then it never resolves: the
 * page is going away).
 */
export async function ensureIsolation(serviceWorkerUrl: string, search: URLSearchParams): Promise<IsolationState> {
  const state = await isolate(serviceWorkerUrl, search);
  // Test hook: [data-isolation] on <html> once settled ("on" or "off").
  document.documentElement.dataset.isolation = state.isolated ? "on" : "off";
  return state;
}

async function isolate(serviceWorkerUrl: string, search: URLSearchParams): Promise<IsolationState> {
  if (globalThis.crossOriginIsolated) {
    sessionStorage.removeItem(RELOADED);
    return {isolated: true, note: null};
  }
  if (search.get("isolation") === "off") return {isolated: false, note: "cross-origin isolation turned off (?isolation=off)"};
  if (!window.isSecureContext) return {isolated: false, note: "the page is not served over HTTPS (or from localhost), so no service worker can isolate it"};
  if (!("serviceWorker" in navigator)) return {isolated: false, note: "this browser has no service workers, which this static site needs to be cross-origin isolated"};
  try {
    await withTimeout(navigator.serviceWorker.register(serviceWorkerUrl), "registering");
  } catch (e) {
    return {isolated: false, note: `the service worker that isolates the page was refused (${e instanceof Error ? e.message : String(e)}); private windows often refuse them`};
  }
  if (sessionStorage.getItem(RELOADED)) {
    // Reloaded once already and still not isolated: the browser does not honour the headers; do not loop.
    return {isolated: false, note: "the service worker is active but the browser did not isolate the page"};
  }
  try {
    await withTimeout(navigator.serviceWorker.ready, "starting");
  } catch (e) {
    return {isolated: false, note: `the service worker that isolates the page did not start (${e instanceof Error ? e.message : String(e)})`};
  }
  sessionStorage.setItem(RELOADED, "1");
  location.reload();
  return new Promise(() => undefined);
}

/** A service worker that neither starts nor fails (a blocked one) must not hold the page: give up after a few seconds. */
const SERVICE_WORKER_TIMEOUT_MS = 5000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} it took over ${SERVICE_WORKER_TIMEOUT_MS / 1000} s`)), SERVICE_WORKER_TIMEOUT_MS);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
