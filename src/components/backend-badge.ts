// The badge every page shows: which TensorFlow.js backend computes the page,
// a note when it is a slow one, and (in its details) why the backends before
// it were skipped. If no backend works it says so, visibly.
// Test hook: [data-testid="backend-badge"], data-backend="webgl" etc.
import type {BackendInfo} from "./backend.js";

const SLOW = new Set(["wasm", "cpu"]);

/** A badge that shows "choosing…" until `info` settles. */
export function backendBadge(info: Promise<BackendInfo>): HTMLElement {
  const badge = document.createElement("details");
  badge.className = "backend-badge";
  badge.dataset.testid = "backend-badge";
  badge.dataset.backend = "pending";
  const summary = document.createElement("summary");
  summary.textContent = "backend: choosing…";
  badge.append(summary);
  info.then(
    (b) => fill(badge, summary, b),
    (e: unknown) => fail(badge, summary, e),
  );
  return badge;
}

function fill(badge: HTMLElement, summary: HTMLElement, b: BackendInfo): void {
  badge.dataset.backend = b.name;
  summary.textContent = `backend: ${b.name}`;
  const body = document.createElement("div");
  if (SLOW.has(b.name)) {
    badge.classList.add("backend-slow");
    const slow = document.createElement("span");
    slow.className = "backend-note";
    slow.textContent = " · slower, no GPU";
    summary.append(slow);
    body.append(paragraph(`This page computes on the ${b.name === "wasm" ? "CPU with WebAssembly" : "CPU in plain JavaScript"}: everything works, but the model and the explanation methods take longer than on a GPU.`));
  } else {
    body.append(paragraph(`This page computes on your GPU through ${b.name === "webgpu" ? "WebGPU" : "WebGL"}.`));
  }
  body.append(reasons(b.skipped));
  body.append(paragraph("Add ?backend=wasm (or webgpu, webgl, cpu) to the address to try another one first."));
  badge.title = [`TensorFlow.js backend: ${b.name}`, ...b.skipped.map((s) => `${s.name} skipped: ${s.reason}`)].join("\n");
  badge.append(body);
}

function fail(badge: HTMLDetailsElement, summary: HTMLElement, e: unknown): void {
  badge.dataset.backend = "none";
  badge.classList.add("backend-error");
  badge.open = true;
  badge.setAttribute("role", "alert");
  summary.textContent = "No TensorFlow.js backend works in this browser: nothing on this page can be computed";
  const skipped = (e as {skipped?: BackendInfo["skipped"]}).skipped;
  const body = document.createElement("div");
  body.append(skipped ? reasons(skipped) : paragraph(e instanceof Error ? e.message : String(e)));
  body.append(paragraph("Try a current Chrome, Edge, Firefox or Safari with JavaScript and WebAssembly enabled."));
  badge.append(body);
}

function reasons(skipped: BackendInfo["skipped"]): HTMLElement {
  if (!skipped.length) return paragraph("It is the first choice; no backend was skipped.");
  const list = document.createElement("ul");
  for (const s of skipped) {
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = s.name;
    item.append(name, `: ${s.reason}`);
    list.append(item);
  }
  const wrap = document.createElement("div");
  wrap.append(paragraph("Skipped before it:"), list);
  return wrap;
}

function paragraph(text: string): HTMLElement {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}
