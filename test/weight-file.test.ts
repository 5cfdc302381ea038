// Reading any weight file (src/lib/weight-file.ts): the format sniffed from
// the bytes, and every WeightsError kind with a message that says what is
// wrong and what to do: not-resnet, shape-mismatch, corrupt,
// unsupported-dtype, code-in-pickle (a crafted pickle that asks for
// os.system), too-large.
import {describe, expect, it} from "vitest";
import {readPth} from "../src/lib/pth.js";
import {inferArchitecture} from "../src/lib/resnet-architecture.js";
import {writeSafetensors} from "../src/lib/safetensors.js";
import {readWeightFile, sniffWeightFormat} from "../src/lib/weight-file.js";
import {WeightsError, type WeightsErrorKind} from "../src/lib/weights-error.js";
import {pthOf, tinyArchitecture, tinyStateDict} from "./helpers/tiny-resnet.js";
import {concat, float32Storage, legacyCheckpoint, pickle, zipCheckpoint, type Py} from "./helpers/torch-save.js";
import {zipSync} from "fflate";

const ARCH = tinyArchitecture("basic", [1, 1], [2, 4], 3);
const sd = tinyStateDict(ARCH);

function errorOf(f: () => unknown): {kind: WeightsErrorKind; message: string} {
  try {
    f();
  } catch (e) {
    if (e instanceof WeightsError) return {kind: e.kind, message: e.message};
    throw e;
  }
  throw new Error("did not throw");
}

/** A zip .pth whose data.pkl is `pkl`. */
const zipWith = (pkl: Uint8Array) => zipSync({"archive/data.pkl": pkl, "archive/version": new TextEncoder().encode("3\n")});

describe("readWeightFile", () => {
  it("sniffs the format from the bytes and reads .pth (zip and legacy) and .safetensors to the same tensors", () => {
    const pth = pthOf(sd);
    const safe = writeSafetensors(sd);
    const legacy = legacyCheckpoint([{name: "w", storage: "0", shape: [2]}], [float32Storage("0", [1, 2])]);
    expect([sniffWeightFormat(pth), sniffWeightFormat(safe), sniffWeightFormat(legacy)]).toEqual(["pth-zip", "safetensors", "pth-legacy"]);
    const a = readWeightFile(pth).tensors;
    const b = readWeightFile(safe).tensors;
    // num_batches_tracked: read from the .pth (an int64 buffer), ignored by the model.
    expect([...a.keys()].filter((k) => !k.endsWith("num_batches_tracked"))).toEqual([...sd.keys()]);
    for (const [name, t] of sd) {
      expect(Array.from(a.get(name)!.data)).toEqual(Array.from(t.data));
      expect(Array.from(b.get(name)!.data)).toEqual(Array.from(t.data));
    }
    expect(readWeightFile(legacy).format).toBe("pth-legacy");
  });

  it("not-resnet and shape-mismatch: the architecture check on what was read", () => {
    const other = new Map(sd);
    other.delete("layer2.0.downsample.1.running_var");
    const e = errorOf(() => inferArchitecture(readWeightFile(writeSafetensors(other)).tensors));
    expect(e.kind).toBe("not-resnet");
    expect(e.message).toMatch(/first missing key is layer2\.0\.downsample\.1\.running_var/);
    const bad = new Map(sd);
    bad.set("fc.bias", {shape: [4], data: new Float32Array(4)});
    const s = errorOf(() => inferArchitecture(readWeightFile(pthOf(bad)).tensors));
    expect(s.kind).toBe("shape-mismatch");
    expect(s.message).toMatch(/fc\.bias has shape \[4\], expected \[3\]/);
  });

  it("corrupt: a truncated zip or safetensors header, an empty or random file", () => {
    const pth = pthOf(sd);
    for (const cut of [10, pth.length >> 1, pth.length - 30]) {
      const e = errorOf(() => readWeightFile(pth.subarray(0, cut)));
      expect(e.kind).toBe("corrupt");
      expect(e.message).toMatch(/truncated|damaged|not a zip/);
    }
    const safe = writeSafetensors(sd);
    for (const cut of [4, 20, 200]) {
      const e = errorOf(() => readWeightFile(safe.subarray(0, cut)));
      expect(e.kind).toBe("corrupt");
    }
    expect(errorOf(() => readWeightFile(new Uint8Array(0))).message).toMatch(/empty/);
    expect(errorOf(() => readWeightFile(new TextEncoder().encode("<html>404</html>"))).kind).toBe("corrupt");
  });

  it("unsupported-dtype: a quantized or complex storage in a .pth, an integer weight in a .safetensors", () => {
    const q: Py = {dict: [["w", {call: {global: ["torch._utils", "_rebuild_tensor_v2"]}, args: [{persid: {tuple: ["storage", {global: ["torch", "QInt8Storage"]}, "0", "cpu", 4]}}, 0, {tuple: [4]}, {tuple: [1]}, false, null]}]]};
    const e = errorOf(() => readWeightFile(zipWith(pickle(q))));
    expect(e.kind).toBe("unsupported-dtype");
    expect(e.message).toMatch(/QInt8Storage.*only float32, float16 and bfloat16.*model\.float\(\)/);
    const ints = new Map([["w", {shape: [2], data: Float32Array.from([1, 2])}]]);
    const file = writeSafetensors(ints);
    // Relabel the F32 tensor as I32 (same size): an integer weight.
    const text = new TextDecoder().decode(file);
    const relabeled = new TextEncoder().encode(text.replace('"F32"', '"I32"'));
    expect(errorOf(() => readWeightFile(relabeled)).kind).toBe("unsupported-dtype");
  });

  it("code-in-pickle: refuses os.system by GLOBAL + REDUCE and by STACK_GLOBAL, a pickled module, in either .pth format", () => {
    const system: Py = {call: {global: ["os", "system"]}, args: ["echo pwned"]};
    for (const file of [zipWith(pickle(system)), zipWith(pickle({dict: [["w", system]]})), concat([pickle(0x1950a86a20f9469cfc6cn), pickle(1001), pickle({dict: []}), pickle(system)])]) {
      const e = errorOf(() => readWeightFile(file));
      expect(e.kind).toBe("code-in-pickle");
      expect(e.message).toMatch(/asks for os\.system.*only tensors are read.*state_dict\(\)/);
    }
    // Protocol 4: PROTO 4, "os", "system", STACK_GLOBAL, "echo pwned", TUPLE1, REDUCE, STOP.
    const str = (s: string) => [0x8c, s.length, ...new TextEncoder().encode(s)];
    const stackGlobal = Uint8Array.from([0x80, 4, ...str("os"), ...str("system"), 0x93, ...str("echo pwned"), 0x85, 0x52, 0x2e]);
    expect(errorOf(() => readPth(zipWith(stackGlobal))).kind).toBe("code-in-pickle");
    // torch.save(model) pickles the module's class: refused before anything is built.
    const model: Py = {call: {global: ["torchvision.models.resnet", "ResNet"]}, args: []};
    expect(errorOf(() => readWeightFile(zipWith(pickle(model)))).message).toMatch(/torchvision\.models\.resnet\.ResNet/);
    // What a state_dict needs still reads (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter, storages).
    expect(readPth(zipCheckpoint([{name: "w", storage: "0", shape: [2], parameter: true}], [float32Storage("0", [1, 2])])).get("w")!.shape).toEqual([2]);
  });

  it("too-large: refused before decoding, for the file itself and for its decoded float32 tensors", () => {
    const pth = pthOf(sd, {half: true});
    const safe = writeSafetensors(sd, {dtype: "F16"});
    const floats = [...sd.values()].reduce((n, t) => n + t.data.length, 0) * 4;
    for (const file of [pth, safe]) {
      expect(errorOf(() => readWeightFile(file, {memoryBudget: file.length - 1})).message).toMatch(/^the weight file is .* kB, over the .* kB memory budget/);
      const e = errorOf(() => readWeightFile(file, {memoryBudget: file.length + floats / 2}));
      expect(e.kind).toBe("too-large");
      expect(e.message).toMatch(/as float32.*raise the memory budget/);
      expect(readWeightFile(file, {memoryBudget: 3 * file.length + 2 * floats}).tensors.size).toBeGreaterThan(0);
    }
  });
});
