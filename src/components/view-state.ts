// The reader's view, shared by the handout's chapters: which gallery photo,
// the occlusion grid S, the integrated-gradients steps M, the deletion steps,
// the method on the deletion page, ... It lives in two places:
//
// - the URL hash (`#image=ILSVRC2012_val_00009111.JPEG&S=6`), so a link
//   opens the same view; each page writes the keys it uses;
// - localStorage, so the view is remembered while the reader moves between
//   chapters (the sidebar's links carry no hash).
//
// On load, keys in the hash win over localStorage, which wins over the
// defaults. Values out of range are clamped; unknown keys are ignored, and a
// plain anchor hash (`#how-to-read-it`, from the table of contents) is left
// alone. Plain DOM, no tfjs.

export interface ViewState {
  /** Gallery file name; "" = the gallery's first photo. */
  image: string;
  /** Occlusion grid size S (S x S patches). */
  S: number;
  /** Integrated gradients: path images M. */
  M: number;
  /** Deletion: images on the curve (S in the handout's deletion task). */
  D: number;
  /** Method on the deletion page. */
  method: string;
  /** Seed of the random smooth relevance map (deletion page). */
  seed: number;
  /** Side by side: photos compared besides `image`. */
  compare: string[];
  /** Class explained on every page; -1 = the predicted class. */
  target: number;
  /** Faithfulness metric: "deletion" or "insertion". */
  metric: string;
  /** What removed pixels become: "black" (the handout), "mean" (dataset mean colour), "blur". */
  substrate: string;
  /** Integrated gradients baseline: "black", "white", "blur", "uniform", "gaussian". */
  baseline: string;
  /** SmoothGrad noise level, % of the input range (0 = plain gradient). */
  noise: number;
  /** SmoothGrad samples (also: noise-baseline samples of integrated gradients). */
  samples: number;
  /** Sanity check: how many layers (from the classifier down) are re-initialized. */
  stage: number;
  /** Heatmap display: "signed" (two colours around 0) or "absolute". */
  sign: string;
  /** Heatmap colour map of magnitudes (absolute maps): magma, viridis, greys, cividis. */
  colormap: string;
  /** Heatmap colour map of signed maps (diverging): RdBu (red/blue) or PuOr (purple/orange). */
  diverging: string;
  /** Heatmap overlay opacity, % (0-100). */
  opacity: number;
  /** Clip relevance at this percentile of |r| before colouring (100 = no clipping). */
  clip: number;
  /** Judging explanations: what removed pixels become, ROAD's imputation included. */
  judgeSubstrate: string;
  /** Faithfulness correlation: random subsets N. */
  subsets: number;
  /** Faithfulness correlation: pixels per subset k. */
  subsetSize: number;
  /** Max-sensitivity: perturbations N. */
  perturbations: number;
  /** Max-sensitivity: radius r, in 1/255 of the [0, 1] range (grey levels). */
  radius: number;
  /** Judging explanations: the seed of everything random there (subsets, perturbations, the random class). */
  judgeSeed: number;
}

export type ViewKey = keyof ViewState;

interface KeySpec<T> {
  default: T;
  parse(raw: string): T | undefined;
  format(value: T): string;
}

const integer = (min: number, max: number, fallback: number): KeySpec<number> => ({
  default: fallback,
  parse: (raw) => {
    const n = Number(raw);
    return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.round(n))) : undefined;
  },
  format: String,
});

const text = (fallback: string, pattern = /^[\w.\-]{0,200}$/): KeySpec<string> => ({
  default: fallback,
  parse: (raw) => (pattern.test(raw) ? raw : undefined),
  format: (v) => v,
});

/**
 * Ranges of the handout's sliders (also used by the pages' inputs). `stage`
 * spans the deepest torchvision ResNet's (a ResNet-152: 50 blocks, stages
 * 0 to 52); the sanity-check slider stops at its model's last stage.
 */
export const RANGES = {S: [2, 32], M: [2, 256], D: [3, 100], noise: [0, 50], samples: [1, 50], stage: [0, 52], clip: [90, 100], subsets: [10, 200], subsetSize: [16, 8192], perturbations: [1, 20], radius: [0, 25]} as const;

export const METHOD_KEYS = ["occlusion", "grad", "grad_x_input", "integrated_gradients", "grad_cam"] as const;
export const METRIC_KEYS = ["deletion", "insertion"] as const;
export const SUBSTRATE_KEYS = ["black", "mean", "blur"] as const;
/** The substrates of Judging explanations: those of the deletion page, plus ROAD's noisy linear imputation. */
export const JUDGE_SUBSTRATE_KEYS = ["black", "mean", "blur", "road"] as const;
export const BASELINE_KEYS = ["black", "white", "blur", "uniform", "gaussian"] as const;
export const SIGN_KEYS = ["signed", "absolute"] as const;
/** The colour maps of colour-maps.ts (named here so this module imports nothing; a test checks they agree). */
export const COLORMAP_KEYS = ["magma", "viridis", "greys", "cividis"] as const;
export const DIVERGING_KEYS = ["RdBu", "PuOr"] as const;

const choice = (keys: readonly string[], fallback: string): KeySpec<string> => ({
  default: fallback,
  parse: (raw) => (keys.includes(raw) ? raw : undefined),
  format: (v) => v,
});

const SPECS: {[K in ViewKey]: KeySpec<ViewState[K]>} = {
  image: text(""),
  S: integer(RANGES.S[0], RANGES.S[1], 6),
  M: integer(RANGES.M[0], RANGES.M[1], 20),
  D: integer(RANGES.D[0], RANGES.D[1], 10),
  method: {default: "grad_cam", parse: (raw) => ((METHOD_KEYS as readonly string[]).includes(raw) ? raw : undefined), format: (v) => v},
  seed: integer(0, 1e9, 1),
  compare: {
    // A church photo (one of the reference images): a scene, unlike the default fish.
    default: ["ILSVRC2012_val_00003351.JPEG"],
    parse: (raw) => (raw === "" ? [] : raw.split(",").filter((id) => /^[\w.\-]{1,200}$/.test(id)).slice(0, 6)),
    format: (v) => v.join(","),
  },
  // A class index is not a quantity: out of range means "not a class", not the nearest class.
  // Any head size (a reader's model may have 1000 classes); the class picker keeps the model's.
  target: {default: -1, parse: (raw) => (/^-?\d{1,6}$/.test(raw) && Number(raw) >= -1 ? Number(raw) : undefined), format: String},
  metric: choice(METRIC_KEYS, "deletion"),
  substrate: choice(SUBSTRATE_KEYS, "black"),
  baseline: choice(BASELINE_KEYS, "black"),
  noise: integer(RANGES.noise[0], RANGES.noise[1], 15),
  samples: integer(RANGES.samples[0], RANGES.samples[1], 10),
  stage: integer(RANGES.stage[0], RANGES.stage[1], 0),
  sign: choice(SIGN_KEYS, "signed"),
  colormap: choice(COLORMAP_KEYS, "magma"),
  diverging: choice(DIVERGING_KEYS, "RdBu"),
  opacity: integer(0, 100, 85),
  clip: integer(RANGES.clip[0], RANGES.clip[1], 100),
  judgeSubstrate: choice(JUDGE_SUBSTRATE_KEYS, "black"),
  subsets: integer(RANGES.subsets[0], RANGES.subsets[1], 50),
  subsetSize: integer(RANGES.subsetSize[0], RANGES.subsetSize[1], 1024),
  perturbations: integer(RANGES.perturbations[0], RANGES.perturbations[1], 3),
  radius: integer(RANGES.radius[0], RANGES.radius[1], 5),
  judgeSeed: integer(0, 1e9, 0),
};

/** The order of keys in the hash. */
const ORDER: ViewKey[] = ["image", "compare", "method", "target", "S", "M", "D", "seed", "metric", "substrate", "baseline", "noise", "samples", "stage", "sign", "colormap", "diverging", "opacity", "clip", "judgeSubstrate", "subsets", "subsetSize", "perturbations", "radius", "judgeSeed"];

const STORAGE_KEY = "explanation-methods-live:view";

export const DEFAULT_STATE: ViewState = Object.fromEntries(ORDER.map((k) => [k, SPECS[k].default])) as unknown as ViewState;

/** The state keys in a hash like `#image=x&S=6` (URL-encoded); a hash without `=` (an anchor) gives {}. */
export function parseHash(hash: string): Partial<ViewState> {
  const body = hash.replace(/^#/, "");
  if (!body.includes("=")) return {};
  const out: Partial<Record<ViewKey, unknown>> = {};
  for (const [key, raw] of new URLSearchParams(body)) {
    if (!(key in SPECS)) continue;
    const value = SPECS[key as ViewKey].parse(raw);
    if (value !== undefined) out[key as ViewKey] = value;
  }
  return out as Partial<ViewState>;
}

/** `image=...&S=6` for the given keys, in a fixed order. */
export function formatHash(state: ViewState, keys: Iterable<ViewKey>): string {
  const wanted = new Set(keys);
  const params = new URLSearchParams();
  for (const key of ORDER) {
    if (!wanted.has(key)) continue;
    const spec = SPECS[key] as KeySpec<unknown>;
    params.set(key, spec.format(state[key]));
  }
  return params.toString().replace(/%2C/g, ",");
}

function readStorage(): Partial<ViewState> {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!raw) return {};
    const stored = JSON.parse(raw) as Record<string, unknown>;
    const out: Partial<Record<ViewKey, unknown>> = {};
    for (const key of ORDER) {
      if (stored[key] === undefined) continue;
      const spec = SPECS[key] as KeySpec<unknown>;
      const value = spec.parse(spec.format(stored[key] as never));
      if (value !== undefined) out[key] = value;
    }
    return out as Partial<ViewState>;
  } catch {
    return {};
  }
}

function writeStorage(state: ViewState): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch {
    // Private mode or storage disabled: the hash still carries the view.
  }
}

type Listener = (state: ViewState, changed: ViewKey[]) => void;

let current: ViewState | undefined;
const usedKeys = new Set<ViewKey>(["image"]);
const listeners = new Set<Listener>();

/** The current view (hash > localStorage > defaults), read once per page load. */
export function viewState(): ViewState {
  if (!current) {
    current = {...DEFAULT_STATE, ...readStorage(), ...parseHash(globalThis.location?.hash ?? "")};
    writeStorage(current);
    if (typeof window !== "undefined") {
      window.addEventListener("hashchange", () => {
        const fromHash = parseHash(location.hash);
        const changed = (Object.keys(fromHash) as ViewKey[]).filter((k) => SPECS[k].format(fromHash[k] as never) !== SPECS[k].format(current![k] as never));
        if (!changed.length) return;
        current = {...current!, ...fromHash};
        writeStorage(current);
        for (const listener of listeners) listener(current, changed);
      });
    }
  }
  return current;
}

/** Changes part of the view: remembered in localStorage and written to the hash. */
export function setView(partial: Partial<ViewState>): ViewState {
  current = {...viewState(), ...partial};
  writeStorage(current);
  writeHash();
  return current;
}

/** Marks keys as used by this page: they are written to its hash. */
export function useKeys(...keys: ViewKey[]): void {
  for (const k of keys) usedKeys.add(k);
  viewState();
  writeHash(false);
}

/** Called when the hash changes under the page (back button, an edited address). */
export function onViewChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `replaceAnchor`: also replace a plain anchor (`#section`); false leaves it until the view changes. */
function writeHash(replaceAnchor = true): void {
  if (typeof location === "undefined" || !current) return;
  const now = location.hash.replace(/^#/, "");
  if (!replaceAnchor && now !== "" && !now.includes("=")) return;
  const hash = formatHash(current, usedKeys);
  if (now === hash) return;
  history.replaceState(history.state, "", `${location.pathname}${location.search}#${hash}`);
}

/**
 * Binds an input (anything with `value` that dispatches "input", e.g.
 * Inputs.range) to a key of the view: its value starts from the view, each
 * change is saved, and a changed hash updates it. Returns the input.
 */
export function persist<T extends HTMLElement & {value: unknown}>(input: T, key: ViewKey, {toView = (v: unknown) => v, fromView = (v: unknown) => v}: {toView?: (v: any) => unknown; fromView?: (v: any) => unknown} = {}): T {
  const state = viewState();
  useKeys(key);
  const initial = fromView(state[key]);
  if (input.value !== initial) {
    input.value = initial;
  }
  input.addEventListener("input", () => {
    setView({[key]: toView(input.value)} as Partial<ViewState>);
  });
  correctTypedNumbers(input);
  onViewChange((s, changed) => {
    if (!changed.includes(key)) return;
    input.value = fromView(s[key]);
    input.dispatchEvent(new Event("input", {bubbles: true}));
  });
  return input;
}

/**
 * Observable's range keeps its value when the number typed into its box is
 * out of range, not on the step, or not a number, while its slider already
 * jumps to the clamped value: the box, the slider and the figure then
 * disagree. When the reader commits such a number (Enter or leaving the
 * box), use the nearest valid value instead (0 -> the minimum, 1e9 -> the
 * maximum, 2.5 -> 3 on an integer slider), or restore the current value if
 * the box holds no number.
 */
function correctTypedNumbers(input: HTMLElement & {value: unknown}): void {
  const box = input.querySelector?.('input[type="number"]') as HTMLInputElement | null;
  if (!box) return;
  box.addEventListener("change", () => {
    if (box.checkValidity()) return;
    const nearest = nearestValid(box.valueAsNumber, Number(box.min), Number(box.max), Number(box.step));
    const current = input.value;
    input.value = nearest ?? current; // also rewrites the box and the slider
    if (nearest !== undefined && nearest !== current) input.dispatchEvent(new Event("input", {bubbles: true}));
  });
}

/** The value of a number box nearest to `typed` (clamped, on the step grid from `min`), or undefined for NaN. */
export function nearestValid(typed: number, min: number, max: number, step: number): number | undefined {
  if (Number.isNaN(typed)) return undefined;
  const lo = Number.isFinite(min) ? min : -Infinity;
  const hi = Number.isFinite(max) ? max : Infinity;
  let v = Math.min(hi, Math.max(lo, typed));
  if (Number.isFinite(step) && step > 0 && Number.isFinite(lo)) {
    v = lo + Math.round((v - lo) / step) * step;
    if (v > hi) v -= step;
    v = Number(v.toFixed(10));
  }
  return v;
}
