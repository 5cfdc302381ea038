// "Use your own model", next to every chapter's photo picker: a .pth or
// .safetensors file (any torchvision-style ResNet) and, optionally, a file
// of class names (a JSON array, or one name per line). The file never leaves
// the tab: it is read here, moved to the compute worker, built there and
// swapped in (model-switcher.ts holds the logic); it is kept for the tab's
// session (model-storage.ts: IndexedDB), so the other chapters open with it.
// After a change the page reloads, so that every figure, class picker and
// caption follows the new model. A bad file gets a message here and the
// model in use stays.
//
// Accessibility: both file inputs have visible labels, everything is
// reachable by keyboard (native inputs and a button), progress and messages
// are announced (role="status", aria-live="polite"; errors role="alert").
//
// Test hooks: [data-testid="model-control"] (data-state: site | reader |
// loading | error; data-sha256 of the reader's model), [data-testid=
// "model-file-input"], [data-testid="model-names-input"], [data-testid=
// "model-reset"], [data-testid="model-message"], [data-testid="model-progress"].
import {ModelSwitcher, type SwitcherDeps, type SwitcherState} from "./model-switcher.js";
import type {StoredModel} from "./model-storage.js";

export function modelControl(deps: SwitcherDeps, active: StoredModel | null): HTMLElement {
  const switcher = new ModelSwitcher(deps, active);
  const root = document.createElement("section");
  root.className = "model-control";
  root.dataset.testid = "model-control";
  root.setAttribute("aria-label", "Your own model");
  const row = document.createElement("div");
  row.className = "model-control__row";

  const model = fileInput("Use your own model… (.pth or .safetensors)", ".pth,.pt,.bin,.safetensors", "model-file-input");
  const names = fileInput("Class names (optional: JSON array or one per line)", ".json,.txt,text/plain,application/json", "model-names-input");
  const reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = "Back to the handout's model";
  reset.dataset.testid = "model-reset";
  row.append(model.label, names.label, reset);

  const progress = document.createElement("progress");
  progress.dataset.testid = "model-progress";
  progress.max = 1;
  progress.hidden = true;
  progress.setAttribute("aria-label", "Loading your model");
  const message = document.createElement("p");
  message.className = "model-control__message";
  message.dataset.testid = "model-message";
  message.setAttribute("role", "status");
  message.setAttribute("aria-live", "polite");
  root.append(row, progress, message, explanation());

  const show = (state: SwitcherState) => {
    root.dataset.state = state.phase;
    root.dataset.sha256 = state.active?.info.sha256 ?? "";
    message.textContent = state.message;
    message.classList.toggle("model-control__message--error", state.phase === "error");
    message.setAttribute("role", state.phase === "error" ? "alert" : "status");
    progress.hidden = !state.progress;
    if (state.progress) progress.value = state.progress.done / Math.max(1, state.progress.total);
    model.input.disabled = reset.disabled = state.phase === "loading";
    reset.hidden = !state.active;
  };
  switcher.onChange(show);
  show(switcher.state);

  model.input.addEventListener("change", () => {
    const file = model.input.files?.[0];
    model.input.value = "";
    if (file) void switcher.load(file);
  });
  names.input.addEventListener("change", () => void switcher.chooseNames(names.input.files?.[0] ?? null));
  reset.addEventListener("click", () => void switcher.reset());
  return root;
}

function fileInput(text: string, accept: string, testid: string): {label: HTMLLabelElement; input: HTMLInputElement} {
  const label = document.createElement("label");
  label.className = "model-control__file";
  const input = document.createElement("input");
  input.type = "file";
  input.accept = accept;
  input.dataset.testid = testid;
  label.append(text, " ", input);
  return {label, input};
}

function explanation(): HTMLElement {
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "What happens to your model";
  const list = document.createElement("ul");
  for (const line of [
    "It never leaves your browser: the file is read on this device and handed to the page's compute worker; no request carries it. It is kept in this browser (IndexedDB, keyed by its sha256) for this tab's session, so the other chapters open with it, until you go back to the handout's model.",
    "Any torchvision-style ResNet state_dict (ResNet-18 to 152, any number of classes), saved with torch.save(model.state_dict(), path) or safetensors; float32, float16 or bfloat16. A pickle that asks for code to be run is refused: only tensors are read.",
    "Class names: your file (a JSON array, or one name per line, in the order of the model's outputs), else ImageNet's names for a 1000-class head, else “class 0” … “class N−1”.",
    "A file too large for this device's memory is refused before it is decoded. Any other problem (not a ResNet, a wrong shape, a damaged file, an unsupported number type) gets a message here, and the model in use stays.",
  ]) {
    const li = document.createElement("li");
    li.textContent = line;
    list.append(li);
  }
  details.append(summary, list);
  return details;
}
