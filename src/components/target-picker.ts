// "Explain the class": which class an explanation is computed for. By
// default the class the model predicts for the photo; any of the ten classes
// can be chosen instead, to ask "what in this photo speaks for (or against)
// *garbage truck*?". Deletion and insertion curves then follow that class too.
//
// Shared by every chapter through the view (key `target`, -1 = predicted),
// so the choice survives moving between chapters and can be linked.
// Use as an Observable input: `const target = view(targetPicker(gallery))`;
// pass `targetOption(target)` as the library's `target` option.
// Test hook: [data-testid="target-picker"] (its <select> holds the value).
import type {GalleryMeta} from "../compute/contract.js";
import {applyStoredClassNames} from "./model-storage.js";
import {persist, setView, viewState} from "./view-state.js";

export interface TargetPicker extends HTMLElement {
  /** -1 (the predicted class) or a class index of the model in use. */
  value: number;
}

/** The library's `target` option for a picker value: undefined = the predicted class. */
export {targetOption} from "../compute/target.js";

export function targetPicker(gallery: GalleryMeta, {label = "explain the class"}: {label?: string} = {}): TargetPicker {
  applyStoredClassNames(gallery); // the reader's own model's names, if one is in use (model-storage.ts)
  // Same markup as Observable Inputs' select, so inputs.css styles it alike.
  const form = document.createElement("form") as unknown as TargetPicker;
  form.className = "inputs-3a86ea target-picker";
  form.dataset.testid = "target-picker";
  const id = `target-picker-${Math.random().toString(36).slice(2, 8)}`;
  const title = document.createElement("label");
  title.htmlFor = id;
  title.textContent = label;
  const wrap = document.createElement("div");
  wrap.className = "inputs-3a86ea-input";
  const select = document.createElement("select");
  select.id = id;
  select.name = "target";
  select.append(new Option("the predicted class", "-1"));
  for (const c of gallery.classes) select.append(new Option(c.name, String(c.index)));
  wrap.append(select);
  form.append(title, wrap);
  form.addEventListener("submit", (e) => e.preventDefault());
  // The select's "input" event bubbles to the form, where Observable's view() listens.
  Object.defineProperty(form, "value", {
    get: () => Number(select.value),
    set: (v: number) => {
      const n = Number(v);
      select.value = String(Number.isInteger(n) && n >= 0 && n < gallery.classes.length ? n : -1);
    },
  });
  persist(form, "target");
  // A class the model does not have (an address from a model with more
  // classes, or typed by hand) is "the predicted class", in the address too.
  if (form.value !== viewState().target) setView({target: form.value});
  return form;
}
