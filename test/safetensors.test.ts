// The .safetensors reader and writer (src/lib/safetensors.ts) and the
// float16 / bfloat16 conversions (src/lib/dtypes.ts).
import {describe, expect, it} from "vitest";
import {bfloat16ToFloat32, float16ToFloat32, floatToBfloat16, floatToHalf, halfToFloat} from "../src/lib/dtypes.js";
import type {NamedTensors} from "../src/lib/pth.js";
import {looksLikeSafetensors, readSafetensors, readSafetensorsHeader, writeSafetensors} from "../src/lib/safetensors.js";
import {WeightsError} from "../src/lib/weights-error.js";

const tensors: NamedTensors = new Map([
  ["conv.weight", {shape: [2, 1, 2, 2], data: Float32Array.from([0, 1, -2, 3.5, 1e-3, -7, 0.1, 65504])}],
  ["fc.bias", {shape: [3], data: Float32Array.from([0.5, -0.25, 100])}],
  ["scalar", {shape: [], data: Float32Array.from([42])}],
]);

/** A file with a hand-written header (and `data` as the data section). */
function withHeader(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function kindOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof WeightsError) return `${e.kind}: ${e.message}`;
    throw e;
  }
  return "no error";
}

describe("dtypes", () => {
  it("float16: every one of the 65,536 values survives float32 and back; specials and subnormals exact", () => {
    for (let h = 0; h < 65536; h++) {
      const v = halfToFloat(h);
      if (Number.isNaN(v)) expect(Number.isNaN(halfToFloat(floatToHalf(v)))).toBe(true);
      else expect(floatToHalf(v)).toBe(h);
    }
    expect([halfToFloat(0x7c00), halfToFloat(0xfc00), halfToFloat(0x0001), halfToFloat(0x3c00)]).toEqual([Infinity, -Infinity, 2 ** -24, 1]);
    const bytes = new Uint8Array(Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x8000]).buffer);
    expect(Array.from(float16ToFloat32(bytes, 4))).toEqual([1, -2, 2 ** -24, -0]);
  });

  it("float16 rounds to nearest even, overflows to infinity, underflows to 0", () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie: to even (1)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: to even (1 + 2^-9)
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -26)).toBe(0);
    expect(floatToHalf(3 * 2 ** -26)).toBe(0x0001);
  });

  it("bfloat16: the upper half of a float32, rounded to nearest even", () => {
    expect(floatToBfloat16(1)).toBe(0x3f80);
    expect(floatToBfloat16(-3)).toBe(0xc040);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie: to even
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    const bytes = new Uint8Array(Uint16Array.from([0x3f80, 0xc040, 0x7f80]).buffer);
    expect(Array.from(bfloat16ToFloat32(bytes, 3))).toEqual([1, -3, Infinity]);
  });
});

describe("safetensors", () => {
  it("round-trips float32 exactly, in order, with a header padded to 8 bytes and its metadata", () => {
    const file = writeSafetensors(tensors, {metadata: {format: "pt"}});
    expect(looksLikeSafetensors(file)).toBe(true);
    const header = readSafetensorsHeader(file);
    expect(header.dataStart % 8).toBe(0);
    expect(header.metadata).toEqual({format: "pt"});
    const got = readSafetensors(file);
    expect([...got.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) {
      expect(got.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(got.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it("reads float16 and bfloat16 as the values they round to", () => {
    for (const dtype of ["F16", "BF16"] as const) {
      const got = readSafetensors(writeSafetensors(tensors, {dtype}));
      const round = dtype === "F16" ? (v: number) => halfToFloat(floatToHalf(v)) : (v: number) => new Float32Array(new Uint32Array([floatToBfloat16(v) << 16]).buffer)[0];
      for (const [name, t] of tensors) expect(Array.from(got.get(name)!.data)).toEqual(Array.from(t.data, round));
    }
  });

  it("skips integer num_batches_tracked buffers, drops a module. prefix, refuses other integer or float8 tensors", () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setFloat32(8, 2.5, true);
    const file = withHeader({"module.bn.num_batches_tracked": {dtype: "I64", shape: [], data_offsets: [0, 8]}, "module.bn.weight": {dtype: "F32", shape: [1], data_offsets: [8, 12]}, pad: {dtype: "F32", shape: [1], data_offsets: [12, 16]}}, data);
    expect([...readSafetensors(file).keys()]).toEqual(["bn.weight", "pad"]);
    expect(readSafetensors(file).get("bn.weight")!.data[0]).toBe(2.5);
    expect(kindOf(() => readSafetensors(withHeader({w: {dtype: "I32", shape: [2], data_offsets: [0, 8]}}, data)))).toMatch(/^unsupported-dtype: tensor w is I32: only F32, F16 and BF16/);
    expect(kindOf(() => readSafetensors(withHeader({w: {dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4]}}, data)))).toMatch(/^unsupported-dtype/);
  });

  it("says the file is corrupt: truncated, a bad header length, JSON or offsets", () => {
    const file = writeSafetensors(tensors);
    expect(kindOf(() => readSafetensorsHeader(file.subarray(0, 5)))).toMatch(/^corrupt: .*shorter than the 8-byte header length/);
    expect(kindOf(() => readSafetensorsHeader(file.subarray(0, 40)))).toMatch(/^corrupt: .*the header says it is \d+ bytes long/);
    expect(kindOf(() => readSafetensors(file.subarray(0, file.length - 4)))).toMatch(/^corrupt: .*tensor scalar lies at bytes/);
    expect(kindOf(() => readSafetensorsHeader(withHeader("{not json")))).toMatch(/^corrupt: .*not valid JSON/);
    expect(kindOf(() => readSafetensorsHeader(withHeader("[1, 2]")))).toMatch(/^corrupt: .*not a JSON object/);
    expect(kindOf(() => readSafetensorsHeader(withHeader({w: {dtype: "F32", shape: [3], data_offsets: [0, 8]}}, new Uint8Array(8))))).toMatch(/^corrupt: tensor w spans 8 bytes, its shape \[3\] of F32 needs 12|corrupt: .*tensor w spans 8 bytes/);
    expect(kindOf(() => readSafetensorsHeader(withHeader({w: {dtype: "F32", shape: [2]}})))).toMatch(/^corrupt: .*lacks a dtype, shape or data_offsets/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(kindOf(() => readSafetensorsHeader(huge))).toMatch(/^corrupt/);
    expect(looksLikeSafetensors(huge)).toBe(false);
  });
});
