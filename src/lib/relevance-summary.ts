// A heatmap in words, computed from its numbers: where the relevance
// concentrates (the most relevant pixels' centre of mass, named as a part of
// the photo), how much of the total those pixels hold, and whether the map is
// positive, negative or mixed. It is the text alternative of every relevance
// heatmap (src/components/heatmap.ts): a reader who cannot see the colours
// learns what the figure shows.

export interface RelevanceSummary {
  /** The part of the photo: "upper left", "top centre", "centre", "right side", ... */
  region: string;
  /** Share of the total |relevance| held by the top `topFraction` of pixels, in [0, 1]. */
  share: number;
  /** Share of the total |relevance| that is negative, in [0, 1]. */
  negativeShare: number;
  /** "positive" (under 10% negative), "negative" (over 90%), else "mixed". */
  sign: "positive" | "negative" | "mixed";
  /** One or two sentences for screen readers. */
  text: string;
}

const ROWS = ["upper", "middle", "lower"] as const;
const COLUMNS = ["left", "centre", "right"] as const;

/** The name of the part of a square photo around (x, y), both in [0, 1) from the top left. */
export function regionName(x: number, y: number): string {
  const row = Math.min(2, Math.max(0, Math.floor(y * 3)));
  const column = Math.min(2, Math.max(0, Math.floor(x * 3)));
  if (row === 1 && column === 1) return "centre";
  if (row === 1) return `${COLUMNS[column]} side`;
  if (column === 1) return `${row === 0 ? "top" : "bottom"} centre`;
  return `${ROWS[row]} ${COLUMNS[column]}`;
}

/**
 * Summarizes a size x size relevance map (row-major, one value per pixel).
 * The top `topFraction` of pixels by |relevance| (default 5%) locate it; their
 * centre of mass is weighted by |relevance|. NaN counts as 0.
 */
export function summarizeRelevance(relevance: ArrayLike<number>, size: number, {topFraction = 0.05}: {topFraction?: number} = {}): RelevanceSummary {
  const n = size * size;
  if (relevance.length < n) throw new Error(`a ${size} x ${size} map needs ${n} values, got ${relevance.length}`);
  const abs = new Float64Array(n);
  let total = 0;
  let negative = 0;
  for (let p = 0; p < n; p++) {
    const v = Number.isFinite(relevance[p]) ? relevance[p] : 0;
    abs[p] = Math.abs(v);
    total += abs[p];
    if (v < 0) negative -= v;
  }
  if (total === 0) return {region: "nowhere", share: 0, negativeShare: 0, sign: "positive", text: "The map is empty: no pixel has any relevance."};
  // The top `count` pixels: all above the count-th largest value, then those
  // equal to it in reading order (a typed sort of the values, not of indices:
  // a page draws dozens of heatmaps).
  const count = Math.max(1, Math.round(n * topFraction));
  const threshold = Float64Array.from(abs).sort()[n - count];
  let ties = count - abs.reduce((k, v) => k + (v > threshold ? 1 : 0), 0);
  let held = 0, sx = 0, sy = 0;
  for (let p = 0; p < n; p++) {
    if (abs[p] < threshold || (abs[p] === threshold && ties-- <= 0)) continue;
    held += abs[p];
    sx += abs[p] * ((p % size) + 0.5);
    sy += abs[p] * (Math.floor(p / size) + 0.5);
  }
  const region = held > 0 ? regionName(sx / held / size, sy / held / size) : "centre";
  const share = held / total;
  const negativeShare = negative / total;
  const sign = negativeShare < 0.1 ? "positive" : negativeShare > 0.9 ? "negative" : "mixed";
  const percent = (x: number) => `${Math.round(100 * x)}%`;
  const signText = sign === "mixed" ? `mixed: ${percent(negativeShare)} of the relevance is negative` : `mostly ${sign}`;
  const text = `Relevance concentrates in the ${region} of the photo: the top ${percent(topFraction)} of pixels hold ${percent(share)} of the total. The map is ${signText}.`;
  return {region, share, negativeShare, sign, text};
}
