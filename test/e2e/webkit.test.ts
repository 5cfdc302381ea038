// End-to-end smoke test in WebKit: Debian's WebKitGTK (webkit2gtk-driver:
// WebKitWebDriver and the MiniBrowser, on an Xvfb display started by the
// test; see webdriver.ts) opens the Occlusion, Integrated gradients and
// Deletion score chapters on the wasm backend. Each chapter's first figure
// must compute, the badge must name the backend and the threads (and say why
// there is one thread: WebKitGTK isolates the page but gives it no
// SharedArrayBuffer), and the first figures' numbers must equal Chromium's
// within 1e-5 (other-browsers.ts). Skips where WebKitGTK is not installed,
// fails in CI (CI=true). Needs dist/ (`npm run build`).
import {browserSuite} from "./other-browsers.js";
import {missingWebKit, startWebKit} from "./webdriver.js";

browserSuite("WebKit", {missing: missingWebKit(), install: "webkit2gtk-driver xvfb", start: startWebKit});
