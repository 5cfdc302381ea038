// The "use your own model" control's logic, without the DOM (model-control.ts
// draws it; test/model-switcher.test.ts drives it with a fake client): a
// file checked against the device's memory, read, moved to the compute
// worker, which builds the model and swaps it in; its class names; kept for
// the tab's session; or back to the site's model. On any error the model in
// use stays, and the state says why in words.
import type {ModelInfo} from "../compute/contract.js";
import {ClassNamesError, defaultClassNames, parseClassNames} from "./class-names.js";
import {fileTooLarge} from "./model-memory.js";
import type {StoredModel} from "./model-storage.js";

/** What the switcher needs of the compute client (client.ts). */
export interface ModelClient {
  loadModel(bytes: ArrayBuffer, file: string, options: {maxDecodedBytes: number; onProgress?: (done: number, total: number, label?: string) => void}): Promise<ModelInfo>;
  useSiteModel(): Promise<ModelInfo>;
}

/** A file as the switcher reads it (a File, or a fake in tests). */
export interface FileLike extends Blob {
  name: string;
}

export interface SwitcherDeps {
  client: ModelClient;
  /** Bytes of float32 weights this device may decode (model-memory.ts). */
  budget: number;
  /** ImageNet's 1000 class names, or null if they cannot be had. */
  imagenetNames(): Promise<string[] | null>;
  store(model: StoredModel, file: Blob): Promise<boolean>;
  forget(): Promise<void>;
  /** The stored file of the model in use, or null if it is gone. */
  storedBytes(sha256: string): Promise<ArrayBuffer | null>;
  /** The model in use changed (null: the site's): the page follows (it reloads, so every figure and picker does). */
  changed(model: StoredModel | null): void;
}

export type SwitcherPhase = "site" | "reader" | "loading" | "error";

export interface SwitcherState {
  phase: SwitcherPhase;
  /** The reader's model in use, or null (the site's). */
  active: StoredModel | null;
  message: string;
  progress: {done: number; total: number; label: string} | null;
}

const KIND_LEAD: Record<string, string> = {
  "not-resnet": "it is not a ResNet the page can read",
  "shape-mismatch": "a tensor has the wrong shape",
  corrupt: "the file is damaged or truncated",
  "unsupported-dtype": "it holds an unsupported number type",
  "code-in-pickle": "its pickle asks for code to be run, which is refused: only tensors are read",
  "too-large": "it is too large for this device's memory",
};

/** The reader's words for a failed load (the client's errors are named "WeightsError:<kind>"). */
export function describeLoadError(file: string, e: unknown): string {
  const name = e instanceof Error ? e.name : "";
  const kind = name.startsWith("WeightsError:") ? name.slice("WeightsError:".length) : null;
  const detail = e instanceof Error ? e.message : String(e);
  const lead = kind && KIND_LEAD[kind] ? `${KIND_LEAD[kind]}: ${detail}` : detail;
  return `“${file}” was not loaded: ${lead}. The model in use is unchanged.`;
}

export class ModelSwitcher {
  state: SwitcherState;
  private listeners = new Set<(state: SwitcherState) => void>();
  /** A names file chosen before the model. */
  private namesFile: FileLike | null = null;

  constructor(private readonly deps: SwitcherDeps, active: StoredModel | null) {
    this.state = {phase: active ? "reader" : "site", active, message: active ? inUse(active) : "", progress: null};
  }

  onChange(listener: (state: SwitcherState) => void): void {
    this.listeners.add(listener);
  }

  private set(state: Partial<SwitcherState>): void {
    this.state = {...this.state, ...state};
    for (const listener of this.listeners) listener(this.state);
  }

  private settledPhase(): SwitcherPhase {
    return this.state.active ? "reader" : "site";
  }

  /** A names file: applied to the reader's model in use, or kept for the next model. */
  async chooseNames(file: FileLike | null): Promise<void> {
    this.namesFile = file;
    const active = this.state.active;
    if (!file || !active || this.state.phase === "loading") return;
    try {
      const names = parseClassNames(await file.text(), active.info.classCount);
      const next: StoredModel = {...active, classNames: names, namesSource: "file"};
      await this.deps.store(next, await this.storedBlob(active));
      this.deps.changed(next);
    } catch (e) {
      this.set({phase: "error", message: `The names in “${file.name}” were not used: ${e instanceof Error ? e.message : String(e)}. The class names are unchanged.`});
    }
  }

  /** The stored file is needed again to store new names; the model's own bytes are in the worker. */
  private async storedBlob(active: StoredModel): Promise<Blob> {
    const bytes = await this.deps.storedBytes(active.info.sha256);
    if (!bytes) throw new Error("the model's file is no longer stored in this browser: choose it again");
    return new Blob([bytes]);
  }

  /** Loads the reader's model file; on success the page follows (`changed`). */
  async load(file: FileLike): Promise<void> {
    if (this.state.phase === "loading") return;
    const tooLarge = fileTooLarge(file.size, this.deps.budget);
    if (tooLarge) return this.set({phase: "error", message: `“${file.name}” was not loaded: ${tooLarge} The model in use is unchanged.`, progress: null});
    this.set({phase: "loading", message: `Reading “${file.name}” in your browser…`, progress: {done: 0, total: 4, label: "reading the file"}});
    let info: ModelInfo;
    try {
      const bytes = await file.arrayBuffer();
      info = await this.deps.client.loadModel(bytes, file.name, {
        maxDecodedBytes: this.deps.budget,
        onProgress: (done, total, label) => this.set({progress: {done: done + 1, total: total + 1, label: label ?? ""}, message: `Loading “${file.name}”: ${label ?? ""}…`}),
      });
    } catch (e) {
      return this.set({phase: "error", message: describeLoadError(file.name, e), progress: null});
    }
    const {names, source, note} = await this.classNames(info.classCount);
    const model: StoredModel = {version: 1, info, classNames: names, namesSource: source};
    const stored = await this.deps.store(model, file);
    this.set({phase: "reader", active: model, progress: null, message: inUse(model) + note + (stored ? "" : " This browser would not store it, so the other chapters will open with the handout's model.")});
    this.deps.changed(model);
  }

  private async classNames(classCount: number): Promise<{names: string[]; source: StoredModel["namesSource"]; note: string}> {
    if (this.namesFile) {
      try {
        return {names: parseClassNames(await this.namesFile.text(), classCount), source: "file", note: ""};
      } catch (e) {
        const why = e instanceof ClassNamesError ? e.message : String(e);
        const fallback = defaultClassNames(classCount, await this.deps.imagenetNames());
        return {...fallback, note: ` The names in “${this.namesFile.name}” were not used (${why}).`};
      }
    }
    return {...defaultClassNames(classCount, classCount === 1000 ? await this.deps.imagenetNames() : null), note: ""};
  }

  /** Back to the handout's model. */
  async reset(): Promise<void> {
    if (this.state.phase === "loading") return;
    try {
      await this.deps.client.useSiteModel();
    } catch (e) {
      return this.set({phase: "error", message: `The handout's model could not be restored: ${e instanceof Error ? e.message : String(e)}.`});
    }
    await this.deps.forget();
    this.set({phase: "site", active: null, message: "Back to the handout's model.", progress: null});
    this.deps.changed(null);
  }

  /** The phase once an error message has been read (the model in use). */
  get settled(): SwitcherPhase {
    return this.settledPhase();
  }
}

/** "Computing with your model “x.pth”: resnet50, 1000 classes (ImageNet's names), sha256 1a2b3c4d5e6f." */
export function inUse(model: StoredModel): string {
  const names = model.namesSource === "file" ? "your names" : model.namesSource === "imagenet" ? "ImageNet's names" : "numbered";
  return `Computing with your model “${model.info.file}”: ${model.info.architecture}, ${model.info.classCount} classes (${names}), sha256 ${shortSha(model.info.sha256)}.`;
}

/** The first 12 hex digits of a sha256: what the badge and the captions show. */
export function shortSha(sha256: string): string {
  return sha256.slice(0, 12);
}
