// Half-precision floats to float32 and back. Weights may ship as float16 or
// bfloat16 (half the download); the model always computes in float32, so
// readers widen them here. The narrowing direction is for writers (tests,
// tools). Little-endian bytes, as in .pth storages and .safetensors.

/** float16 bits -> its float32 value (exact: every float16 is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

let halfTable: Float32Array | null = null;

/** `count` little-endian float16 values at the start of `raw` as float32. */
export function float16ToFloat32(raw: Uint8Array, count: number): Float32Array {
  // A 256 KiB table of all 65,536 values: a ResNet-50 (25M weights) widens in ~0.1 s.
  if (!halfTable) halfTable = Float32Array.from({length: 65536}, (_, h) => halfToFloat(h));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = halfTable[view.getUint16(2 * i, true)];
  return out;
}

/** `count` little-endian bfloat16 values at the start of `raw` as float32 (the upper 16 bits of a float32). */
export function bfloat16ToFloat32(raw: Uint8Array, count: number): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

/** float32 -> bfloat16 bits, rounded to nearest even (as torch's `.to(torch.bfloat16)`). */
export function floatToBfloat16(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40; // NaN stays a (quiet) NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 -> float16 bits, rounded to nearest even; overflow to infinity, underflow through subnormals to 0. */
export function floatToHalf(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal: shift the implicit 1 in, round to nearest even.
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let m = mantissa >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mantissa >>> 13;
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}
