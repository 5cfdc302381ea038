// Reads the reference arrays in ../shared/fixtures (see its README).
import fs from "node:fs";
import path from "node:path";

export const SHARED = process.env.EXPLAIN_SHARED ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../shared");
export const FIXTURES = path.join(SHARED, "fixtures");
export const WEIGHTS = path.join(SHARED, "models", "resnet18-imagenette.pth");

interface ArrayInfo {
  file: string;
  dtype: "float32" | "float64" | "int32" | "uint8";
  shape: number[];
}
interface Index {
  meta: {images: string[]; [k: string]: unknown};
  arrays: Record<string, ArrayInfo>;
}

export const index: Index = JSON.parse(fs.readFileSync(path.join(FIXTURES, "index.json"), "utf8"));

const CONSTRUCTORS = {float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array};

export function fixture(name: string): {data: Float32Array | Float64Array | Int32Array | Uint8Array; shape: number[]} {
  const info = index.arrays[name];
  if (!info) throw new Error(`no fixture array ${name}`);
  const bytes = fs.readFileSync(path.join(FIXTURES, info.file));
  // Copy into a fresh, aligned buffer.
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return {data: new CONSTRUCTORS[info.dtype](buffer), shape: info.shape};
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Largest and smallest value of a (possibly huge) array: Math.max(...x) overflows the call stack past ~100k items. */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  return [lo, hi];
}
