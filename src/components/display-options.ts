// How heatmaps are drawn, chosen by the reader once for the whole report:
// signed or absolute values, the colour map of signed maps (red/blue RdBu or
// purple/orange PuOr), the colour map of absolute maps (magma, viridis,
// greys, cividis), the overlay's opacity and percentile clipping of outliers.
// PuOr and cividis are the choices for colour-blind readers (colour-maps.ts).
//
// The settings live in the view (view-state.ts: keys sign, colormap,
// diverging, opacity, clip), so they follow the reader from chapter to chapter and can be linked.
// Heatmaps register a repaint function (heatmap.ts); changing a setting
// repaints every heatmap and legend on the page in place, without
// recomputing any explanation.
//
// The control is a small panel fixed to the corner of the page, added the
// first time a page draws a heatmap. Test hook: [data-testid="display-options"].
import {paintWhenDue} from "./paint-queue.js";
import {COLOUR_MAP_INFO} from "./colour-maps.js";
import {COLORMAP_KEYS, DIVERGING_KEYS, onViewChange, RANGES, setView, SIGN_KEYS, viewState} from "./view-state.js";

export type SignMode = (typeof SIGN_KEYS)[number];
export type SequentialScheme = (typeof COLORMAP_KEYS)[number];
export type DivergingScheme = (typeof DIVERGING_KEYS)[number];

export interface DisplaySettings {
  /** "signed": diverging around 0 in `diverging`; "absolute": |relevance| in `colormap`. */
  sign: SignMode;
  /** Sequential colour map for magnitudes (absolute overlays, gradient channels). */
  colormap: SequentialScheme;
  /** Diverging colour map for signed maps. */
  diverging: DivergingScheme;
  /** Overlay opacity where |relevance| reaches the top of the scale, 0..1. */
  opacity: number;
  /** Percentile of |relevance| that maps to the end of the scale (100: the maximum, no clipping). */
  clip: number;
}

/** Clamps and completes settings (values typed into the URL or by tests). */
export function sanitizeDisplay(raw: Partial<Record<keyof DisplaySettings, unknown>>): DisplaySettings {
  const num = (v: unknown, lo: number, hi: number, fallback: number) => {
    const n = Number(v);
    return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
  };
  return {
    sign: (SIGN_KEYS as readonly unknown[]).includes(raw.sign) ? (raw.sign as SignMode) : "signed",
    colormap: (COLORMAP_KEYS as readonly unknown[]).includes(raw.colormap) ? (raw.colormap as SequentialScheme) : "magma",
    diverging: (DIVERGING_KEYS as readonly unknown[]).includes(raw.diverging) ? (raw.diverging as DivergingScheme) : "RdBu",
    opacity: num(raw.opacity, 0, 1, 0.85),
    clip: num(raw.clip, RANGES.clip[0], RANGES.clip[1], 100),
  };
}

export function displaySettings(): DisplaySettings {
  const s = viewState();
  return sanitizeDisplay({sign: s.sign, colormap: s.colormap, diverging: s.diverging, opacity: s.opacity / 100, clip: s.clip});
}

type Repaint = (settings: DisplaySettings) => void;
const painted = new Set<WeakRef<Element>>();
const repaints = new WeakMap<Element, Repaint>();
let listening = false;

/**
 * Paints `element` now (or when due: paint-queue.ts) and again whenever the
 * display settings change (as long as the element is alive). Returns the
 * element.
 */
export function followDisplay<T extends Element>(element: T, repaint: Repaint): T {
  paintWhenDue(element, () => repaint(displaySettings()));
  repaints.set(element, repaint);
  painted.add(new WeakRef(element));
  if (!listening && typeof window !== "undefined") {
    listening = true;
    onViewChange((_, changed) => {
      if (changed.some((k) => k === "sign" || k === "colormap" || k === "diverging" || k === "opacity" || k === "clip")) repaintAll();
    });
    addControl();
  }
  return element;
}

function repaintAll(): void {
  const settings = displaySettings();
  for (const ref of painted) {
    const element = ref.deref();
    if (!element) {
      painted.delete(ref);
      continue;
    }
    repaints.get(element)?.(settings);
  }
}

/** Changes display settings (as the panel does) and repaints. */
export function setDisplay(partial: Partial<DisplaySettings>): void {
  const next = sanitizeDisplay({...displaySettings(), ...partial});
  setView({sign: next.sign, colormap: next.colormap, diverging: next.diverging, opacity: Math.round(next.opacity * 100), clip: next.clip});
  syncControl?.(next);
  repaintAll();
}

let syncControl: ((s: DisplaySettings) => void) | undefined;

function addControl(): void {
  if (typeof document === "undefined" || document.querySelector("[data-testid='display-options']")) return;
  const panel = document.createElement("details");
  panel.className = "display-options";
  panel.dataset.testid = "display-options";
  const summary = document.createElement("summary");
  summary.textContent = "Heatmap display";
  const body = document.createElement("div");
  body.className = "display-options__body";

  const sign = select("values", SIGN_KEYS.map((k) => [k, k === "signed" ? "signed (+ and −)" : "absolute |r|"]), (v) => setDisplay({sign: v as SignMode}));
  const diverging = select("colour map of signed r", DIVERGING_KEYS.map((k) => [k, COLOUR_MAP_INFO[k].label]), (v) => setDisplay({diverging: v as DivergingScheme}));
  const colormap = select("colour map of |r|", COLORMAP_KEYS.map((k) => [k, COLOUR_MAP_INFO[k].label]), (v) => setDisplay({colormap: v as SequentialScheme}));
  const opacity = range("overlay opacity", 0, 100, 5, (v) => setDisplay({opacity: v / 100}), (v) => `${v}%`);
  const clip = range("clip at percentile", RANGES.clip[0], RANGES.clip[1], 0.5, (v) => setDisplay({clip: v}), (v) => (v >= 100 ? "100 (none)" : String(v)));
  const note = document.createElement("p");
  note.className = "display-options__note";
  note.textContent = "Only the drawing changes: the numbers, the deletion curves and their AUCs use the unclipped relevance. For colour-blind readers: PuOr for signed maps, cividis for |r|. Every colour key says in words what its ends mean.";
  body.append(sign.element, diverging.element, colormap.element, opacity.element, clip.element, note);
  panel.append(summary, body);
  document.body.append(panel);

  syncControl = (s) => {
    sign.set(s.sign);
    diverging.set(s.diverging);
    colormap.set(s.colormap);
    opacity.set(Math.round(s.opacity * 100));
    clip.set(s.clip);
  };
  syncControl(displaySettings());
  onViewChange(() => syncControl?.(displaySettings()));
}

function select(label: string, options: [string, string][], onChange: (v: string) => void) {
  const wrap = document.createElement("label");
  const title = document.createElement("span");
  title.textContent = label;
  const el = document.createElement("select");
  el.name = label;
  for (const [value, text] of options) el.append(new Option(text, value));
  el.addEventListener("change", () => onChange(el.value));
  wrap.append(title, el);
  return {element: wrap, set: (v: string) => void (el.value = v)};
}

function range(label: string, min: number, max: number, step: number, onChange: (v: number) => void, format: (v: number) => string) {
  const wrap = document.createElement("label");
  const title = document.createElement("span");
  title.textContent = label;
  const el = document.createElement("input");
  el.type = "range";
  el.name = label;
  el.min = String(min);
  el.max = String(max);
  el.step = String(step);
  const out = document.createElement("output");
  el.addEventListener("input", () => {
    out.textContent = format(Number(el.value));
    onChange(Number(el.value));
  });
  wrap.append(title, el, out);
  return {
    element: wrap,
    set: (v: number) => {
      el.value = String(v);
      out.textContent = format(v);
    },
  };
}
