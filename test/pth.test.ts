// The .pth reader on synthetic checkpoints in both torch.save formats
// (written byte by byte by test/helpers/torch-save.ts), and its errors.
import {describe, expect, it} from "vitest";
import {readPth} from "../src/lib/pth.js";
import {
  concat,
  float32Storage,
  legacyCheckpoint,
  LEGACY_MAGIC,
  pickle,
  zipCheckpoint,
  type StorageSpec,
  type TensorSpec,
} from "./helpers/torch-save.js";
import {unzipSync, zipSync} from "fflate";

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// One float32 storage shared by a contiguous tensor, a transposed view and an
// offset view; other dtypes in their own storages.
const storages: StorageSpec[] = [
  float32Storage("0", [0, 1, 2, 3, 4, 5, 6, 7]),
  {key: "1", type: "DoubleStorage", bytes: bytesOf(Float64Array.from([1.5, -2.25, 1e-3])), numel: 3},
  // float16: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), -0
  {key: "2", type: "HalfStorage", bytes: bytesOf(Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000])), numel: 6},
  {key: "3", type: "LongStorage", bytes: bytesOf(BigInt64Array.from([0n, -1n, 123456789n, 2n ** 40n])), numel: 4},
  // bfloat16: 1, -3
  {key: "4", type: "BFloat16Storage", bytes: bytesOf(Uint16Array.from([0x3f80, 0xc040])), numel: 2},
];
const tensors: TensorSpec[] = [
  {name: "conv.weight", storage: "0", shape: [2, 4]},
  {name: "conv.weight_t", storage: "0", shape: [4, 2], stride: [1, 4]}, // transposed view
  {name: "conv.view", storage: "0", offset: 3, shape: [2, 2], stride: [1, 2]}, // offset + non-contiguous
  {name: "double", storage: "1", shape: [3]},
  {name: "half", storage: "2", shape: [2, 3]},
  {name: "long", storage: "3", shape: [4]},
  {name: "bfloat", storage: "4", shape: [2]},
  {name: "scalar", storage: "0", offset: 7, shape: [], stride: []},
  {name: "param", storage: "0", offset: 2, shape: [2], parameter: true},
];

function expectTensors(got: Map<string, {shape: number[]; data: Float32Array}>) {
  const arr = (name: string) => Array.from(got.get(name)!.data);
  expect([...got.keys()]).toEqual(tensors.map((t) => t.name));
  expect(got.get("conv.weight")!.shape).toEqual([2, 4]);
  expect(arr("conv.weight")).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(got.get("conv.weight_t")!.shape).toEqual([4, 2]);
  expect(arr("conv.weight_t")).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  expect(arr("conv.view")).toEqual([3, 5, 4, 6]);
  expect(arr("double")).toEqual([1.5, -2.25, Math.fround(1e-3)]);
  expect(arr("half")).toEqual([1, -2, 0.5, 65504, 2 ** -24, -0]);
  expect(Object.is(arr("half")[5], -0)).toBe(true);
  expect(arr("long")).toEqual([0, -1, Math.fround(123456789), 2 ** 40]); // float32 after reading
  expect(arr("bfloat")).toEqual([1, -3]);
  expect(got.get("scalar")!.shape).toEqual([]);
  expect(arr("scalar")).toEqual([7]);
  expect(arr("param")).toEqual([2, 3]);
}

describe("readPth, legacy (non-zip) torch.save format", () => {
  it("reads every tensor: views, strides, offsets, float16/float64/int64/bfloat16 storages", () => {
    expectTensors(readPth(legacyCheckpoint(tensors, storages)));
  });

  it("unwraps {'state_dict': ...} checkpoints", () => {
    const got = readPth(legacyCheckpoint(tensors, storages, {wrap: "state_dict"}));
    expect(Array.from(got.get("conv.weight")!.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("says the file is truncated when the storages are cut short", () => {
    const full = legacyCheckpoint(tensors, storages);
    for (const cut of [1, 8, 20]) {
      expect(() => readPth(full.subarray(0, full.length - cut))).toThrow(/truncated/);
    }
  });

  it("says the file is truncated when the pickle is cut short", () => {
    const full = legacyCheckpoint(tensors, storages);
    const headers = pickle(LEGACY_MAGIC).length + pickle(1001).length;
    expect(() => readPth(full.subarray(0, headers + 40))).toThrow(/truncated|ends early/);
  });

  it("rejects a pickle that does not start with torch's magic number", () => {
    expect(() => readPth(concat([pickle(5), pickle(1001)]))).toThrow(/not a PyTorch checkpoint/);
    expect(() => readPth(pickle("hello"))).toThrow(/not a PyTorch checkpoint/);
  });

  it("rejects a legacy file whose pickle holds no state_dict", () => {
    const parts = [pickle(LEGACY_MAGIC), pickle(1001), pickle({dict: []}), pickle([1, 2, 3]), pickle([])];
    expect(() => readPth(concat(parts))).toThrow(/does not hold a state_dict/);
  });
});

describe("readPth, zip format", () => {
  it("reads a stored zip (torch's own) and a deflate-compressed one identically", () => {
    expectTensors(readPth(zipCheckpoint(tensors, storages, 0)));
    const deflated = zipCheckpoint(tensors, storages, 6);
    expect(deflated[8]).toBe(8); // local header compression method: deflate
    expectTensors(readPth(deflated));
  });

  it("finds data.pkl under any archive prefix and strips DataParallel's module. prefix", () => {
    const pkl = unzipSync(zipCheckpoint([{name: "module.fc.bias", storage: "0", shape: [8]}], [storages[0]]));
    const renamed = zipSync({"my_model/data.pkl": pkl["archive/data.pkl"], "my_model/data/0": pkl["archive/data/0"]});
    expect([...readPth(renamed).keys()]).toEqual(["fc.bias"]);
  });

  it("explains a truncated zip, a zip without data.pkl, a missing storage", () => {
    const full = zipCheckpoint(tensors, storages, 0);
    expect(() => readPth(full.subarray(0, full.length - 10))).toThrow(/truncated/);
    expect(() => readPth(full.subarray(0, 200))).toThrow(/truncated/);
    expect(() => readPth(zipSync({"archive/readme.txt": new Uint8Array(3)}))).toThrow(/no data\.pkl/);
    const files = unzipSync(full);
    delete files["archive/data/1"];
    expect(() => readPth(zipSync(files))).toThrow(/archive\/data\/1/);
  });

  it("says when a storage is shorter than its tensors need", () => {
    const short: StorageSpec = {...float32Storage("0", [1, 2]), numel: 8};
    expect(() => readPth(zipCheckpoint([{name: "w", storage: "0", shape: [8]}], [short]))).toThrow(/truncated or corrupt/);
  });
});

describe("readPth, not a checkpoint", () => {
  it("empty file", () => {
    expect(() => readPth(new Uint8Array(0))).toThrow(/empty/);
  });

  it("random bytes (seeded), with and without a zip signature", () => {
    let seed = 12345;
    const random = (n: number) => Uint8Array.from({length: n}, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    for (let i = 0; i < 20; i++) {
      expect(() => readPth(random(1000))).toThrow(/not a PyTorch checkpoint|corrupt|truncated/);
    }
    const zipLike = concat([Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), random(1000)]);
    expect(() => readPth(zipLike)).toThrow(/not a zip archive|truncated/);
  });

  it("a negative length in the pickle is an error, not an endless loop", () => {
    // PROTO 2; BININT1 0; LONG4 with length -7 (would jump back to BININT1); and BINSTRING likewise.
    expect(() => readPth(Uint8Array.from([0x80, 2, 0x4b, 0, 0x8b, 0xf9, 0xff, 0xff, 0xff]))).toThrow(/not a PyTorch checkpoint/);
    const magic = pickle(LEGACY_MAGIC);
    const loop = concat([magic, Uint8Array.from([0x80, 2, 0x4b, 0, 0x54, 0xf9, 0xff, 0xff, 0xff])]);
    expect(() => readPth(loop)).toThrow(/corrupt pickle: negative length/);
  });

  it("a text file", () => {
    expect(() => readPth(new TextEncoder().encode("<html>404 Not Found</html>\n"))).toThrow(/not a PyTorch checkpoint/);
  });
});
