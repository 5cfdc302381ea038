// The badge every page shows: where the page's figures compute (the
// TensorFlow.js backend of the compute worker, its threads, or the main
// thread where no worker can run), a note when it is a slow backend, and in
// its details why the backends before it were skipped and why there are
// fewer threads than cores. If no backend works it says so, visibly.
// Test hook: [data-testid="backend-badge"], data-backend="webgl" etc.,
// data-where ("worker" | "page"), data-threads, data-model-sha256 and
// data-model-origin ("site" | "reader") of the model the figures compute with.
import type {ComputeReport} from "../compute/contract.js";

const SLOW = new Set(["wasm", "cpu"]);

interface ReportSource {
  ready(): Promise<ComputeReport>;
  onReport(listener: (report: ComputeReport) => void): void;
}

/** A badge that shows "starting…" until the compute service reports, and follows its later reports (a restarted worker). */
export function backendBadge(compute: ReportSource): HTMLElement {
  const badge = document.createElement("details");
  badge.className = "backend-badge";
  badge.dataset.testid = "backend-badge";
  badge.dataset.backend = "pending";
  const summary = document.createElement("summary");
  summary.textContent = "backend: starting…";
  badge.append(summary);
  compute.ready().catch((e: unknown) => fail(badge, summary, e));
  compute.onReport((report) => fill(badge, summary, report));
  return badge;
}

function fill(badge: HTMLElement, summary: HTMLElement, r: ComputeReport): void {
  badge.replaceChildren(summary);
  badge.classList.remove("backend-slow", "backend-error");
  const b = r.backend;
  badge.dataset.backend = b.name;
  badge.dataset.where = r.where;
  badge.dataset.threads = r.threads === null ? "" : String(r.threads);
  summary.textContent = `backend: ${b.name}`;
  const detail = [r.threads !== null ? `${r.threads} thread${r.threads === 1 ? "" : "s"}` : null, r.where === "page" ? "main thread" : "worker"].filter(Boolean).join(", ");
  const where = document.createElement("span");
  where.className = "backend-where";
  where.textContent = ` (${detail})`;
  summary.append(where);
  const m = r.model;
  badge.dataset.modelSha256 = m.sha256;
  badge.dataset.modelOrigin = m.origin;
  const model = document.createElement("span");
  model.className = "backend-model";
  model.dataset.testid = "badge-model";
  model.textContent = ` · ${m.origin === "reader" ? "your model" : "model"}: ${m.architecture}, ${m.classCount} classes, sha256 ${m.sha256.slice(0, 12)}`;
  summary.append(model);
  const body = document.createElement("div");
  if (SLOW.has(b.name)) {
    badge.classList.add("backend-slow");
    const slow = document.createElement("span");
    slow.className = "backend-note";
    slow.textContent = " · slower, no GPU";
    summary.append(slow);
    const cpu = b.name === "wasm" ? `the CPU with WebAssembly${r.threads !== null ? ` on ${r.threads} thread${r.threads === 1 ? "" : "s"}${r.cores ? ` (this device reports ${r.cores} cores)` : ""}` : ""}` : "the CPU in plain JavaScript";
    body.append(paragraph(`This page computes on ${cpu}: everything works, but the model and the explanation methods take longer than on a GPU.`));
  } else {
    body.append(paragraph(`This page computes on your GPU through ${b.name === "webgpu" ? "WebGPU" : "WebGL"}.`));
  }
  body.append(paragraph(`The figures compute with ${m.origin === "reader" ? "your model" : "the handout's model"} “${m.file}” (${m.architecture}, ${m.classCount} classes, sha256 ${m.sha256}).`));
  body.append(paragraph(r.where === "worker" ? "The computations run in a background worker: the page stays responsive while they run." : "The computations run on the page's main thread: the page may pause while they run."));
  if (r.notes.length) {
    const list = document.createElement("ul");
    list.dataset.testid = "backend-notes";
    for (const note of r.notes) {
      const item = document.createElement("li");
      item.textContent = note;
      list.append(item);
    }
    body.append(list);
  }
  body.append(reasons(b.skipped));
  body.append(paragraph("Add ?backend=wasm (or webgpu, webgl, cpu) to the address to try another one first, ?threads=N to set the WebAssembly threads."));
  badge.title = [`TensorFlow.js backend: ${b.name} (${detail})`, ...r.notes, ...b.skipped.map((s) => `${s.name} skipped: ${s.reason}`)].join("\n");
  badge.append(body);
}

function fail(badge: HTMLElement, summary: HTMLElement, e: unknown): void {
  badge.replaceChildren(summary);
  badge.dataset.backend = "none";
  badge.classList.add("backend-error");
  (badge as HTMLDetailsElement).open = true;
  badge.setAttribute("role", "alert");
  summary.textContent = "No TensorFlow.js backend works in this browser: nothing on this page can be computed";
  const skipped = (e as {skipped?: ComputeReport["backend"]["skipped"]}).skipped;
  const body = document.createElement("div");
  body.append(skipped ? reasons(skipped) : paragraph(e instanceof Error ? e.message : String(e)));
  body.append(paragraph("Try a current Chrome, Edge, Firefox or Safari with JavaScript and WebAssembly enabled."));
  badge.append(body);
}

function reasons(skipped: ComputeReport["backend"]["skipped"]): HTMLElement {
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
