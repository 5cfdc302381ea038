// A heatmap in words, computed from its numbers: where the relevance
// concentrates (the most relevant pixels' centre of mass, named as a part of
// the photo), how much of the total those pixels hold, and whether the map is
// positive, negative or mixed. It is the text alternative of every relevance
// heatmap (src/components/heatmap.ts): a reader who cannot see the colours
// learns what the figure shows.

export interface RelevanceSummary {
  /** The part of the photo: "upper left", "top centre", "centre", "right side", ...; two parts when the relevance is split ("upper left and the right side"). */
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

/** Which of the nine parts (row-major, 0 = upper left) holds (x, y). */
function partOf(x: number, y: number): number {
  return 3 * Math.min(2, Math.max(0, Math.floor(y * 3))) + Math.min(2, Math.max(0, Math.floor(x * 3)));
}

/** The part's name (partOf's numbering). */
function partName(part: number): string {
  return regionName((part % 3 + 0.5) / 3, (Math.floor(part / 3) + 0.5) / 3);
}

/**
 * Where the top pixels are: the part of their centre of mass (an object that
 * fills one side of the photo is named by that side, not by one of its
 * corners). When that part itself holds under a quarter of them, the centre
 * of mass lies between places (two spots, on the left and on the right, have
 * theirs in the empty centre): the two parts that hold the most are named instead.
 */
function placeName(x: number, y: number, parts: Float64Array, held: number): string {
  const centre = partOf(x, y);
  if (parts[centre] >= held / 4) return regionName(x, y);
  const [first, second] = [...parts.keys()].sort((a, b) => parts[b] - parts[a] || a - b);
  return `${partName(first)} and the ${partName(second)}`;
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
  // What the top pixels hold in each of the nine parts (3 x 3) of the photo.
  const parts = new Float64Array(9);
  for (let p = 0; p < n; p++) {
    if (abs[p] < threshold || (abs[p] === threshold && ties-- <= 0)) continue;
    const x = (p % size) + 0.5;
    const y = Math.floor(p / size) + 0.5;
    held += abs[p];
    sx += abs[p] * x;
    sy += abs[p] * y;
    parts[partOf(x / size, y / size)] += abs[p];
  }
  const region = held > 0 ? placeName(sx / held / size, sy / held / size, parts, held) : "centre";
  const share = held / total;
  const negativeShare = negative / total;
  const sign = negativeShare < 0.1 ? "positive" : negativeShare > 0.9 ? "negative" : "mixed";
  const percent = (x: number) => `${Math.round(100 * x)}%`;
  const signText = sign === "mixed" ? `mixed: ${percent(negativeShare)} of the relevance is negative` : `mostly ${sign}`;
  const text = `Relevance concentrates in the ${region} of the photo: the top ${percent(topFraction)} of pixels hold ${percent(share)} of the total. The map is ${signText}.`;
  return {region, share, negativeShare, sign, text};
}
