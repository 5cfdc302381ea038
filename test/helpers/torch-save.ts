// Writes synthetic PyTorch checkpoints byte by byte, following torch.save's
// two formats exactly, so the .pth reader can be tested without torch:
// - a small pickle writer (protocol 2, the opcodes CPython's pickler emits:
//   PROTO, GLOBAL, BINPUT/BINGET memo, MARK/TUPLE, REDUCE, SETITEMS, BUILD,
//   BINPERSID, BININT*, LONG1, BINFLOAT, BINUNICODE, NEWTRUE/NEWFALSE, NONE);
// - the zip format (`archive/data.pkl` + `archive/data/<key>`, stored or
//   deflated) and the legacy sequential format (magic, protocol version,
//   sys info, the state_dict pickle, storage keys, raw storages).
import {zipSync, type Zippable} from "fflate";

/** A Python value to pickle. */
export type Py =
  | null
  | boolean
  | number // int when integral, else float
  | bigint
  | string
  | Py[] // list
  | {tuple: Py[]}
  | {float: number}
  | {dict: [Py, Py][]}
  | {global: [string, string]}
  /** callable(*args), then optional SETITEMS and BUILD(state), like `__reduce__`. */
  | {call: Py; args: Py[]; items?: [Py, Py][]; state?: Py}
  | {persid: Py};

class PickleWriter {
  private bytes: number[] = [];
  private memo = new Map<string, number>();
  private u8(...b: number[]) { this.bytes.push(...b); }
  private u32(v: number) { this.u8(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff); }
  private text(s: string) { this.u8(...new TextEncoder().encode(s)); }

  int(v: number | bigint): void {
    if (typeof v === "number" && v >= 0 && v < 256) this.u8(0x4b, v); // BININT1
    else if (typeof v === "number" && v >= 0 && v < 65536) this.u8(0x4d, v & 0xff, v >> 8); // BININT2
    else if (typeof v === "number" && v >= -(2 ** 31) && v < 2 ** 31) { this.u8(0x4a); this.u32(v); } // BININT
    else {
      // LONG1: little-endian two's complement, as few bytes as possible.
      let n = BigInt(v);
      const out: number[] = [];
      for (;;) {
        out.push(Number(n & 0xffn));
        n >>= 8n;
        const sign = out[out.length - 1] & 0x80;
        if ((n === 0n && !sign) || (n === -1n && sign)) break;
      }
      this.u8(0x8a, out.length, ...out);
    }
  }

  write(v: Py): void {
    if (v === null) this.u8(0x4e);
    else if (v === true) this.u8(0x88);
    else if (v === false) this.u8(0x89);
    else if (typeof v === "bigint") this.int(v);
    else if (typeof v === "number") {
      if (Number.isInteger(v)) this.int(v);
      else this.float(v);
    } else if (typeof v === "string") {
      const b = new TextEncoder().encode(v);
      this.u8(0x58); // BINUNICODE
      this.u32(b.length);
      this.u8(...b);
      this.put();
    } else if (Array.isArray(v)) {
      this.u8(0x5d); // EMPTY_LIST
      this.put();
      if (v.length) {
        this.u8(0x28); // MARK
        v.forEach((x) => this.write(x));
        this.u8(0x65); // APPENDS
      }
    } else if ("tuple" in v) {
      const t = v.tuple;
      if (t.length === 0) this.u8(0x29);
      else {
        if (t.length > 3) this.u8(0x28);
        t.forEach((x) => this.write(x));
        this.u8(t.length === 1 ? 0x85 : t.length === 2 ? 0x86 : t.length === 3 ? 0x87 : 0x74);
      }
    } else if ("float" in v) this.float(v.float);
    else if ("dict" in v) {
      this.u8(0x7d); // EMPTY_DICT
      this.put();
      this.setItems(v.dict);
    } else if ("global" in v) {
      const key = v.global.join(".");
      const at = this.memo.get(key);
      if (at !== undefined) {
        if (at < 256) this.u8(0x68, at); // BINGET
        else { this.u8(0x6a); this.u32(at); } // LONG_BINGET
        return;
      }
      this.u8(0x63); // GLOBAL
      this.text(`${v.global[0]}\n${v.global[1]}\n`);
      this.memo.set(key, this.put());
    } else if ("call" in v) {
      this.write(v.call);
      this.write({tuple: v.args});
      this.u8(0x52); // REDUCE
      this.put();
      if (v.items) this.setItems(v.items);
      if (v.state !== undefined) {
        this.write(v.state);
        this.u8(0x62); // BUILD
      }
    } else if ("persid" in v) {
      this.write(v.persid);
      this.u8(0x51); // BINPERSID
    }
  }

  private float(x: number) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false); // BINFLOAT is big-endian
    this.u8(0x47, ...b);
  }

  private setItems(items: [Py, Py][]) {
    if (!items.length) return;
    this.u8(0x28); // MARK
    for (const [k, val] of items) { this.write(k); this.write(val); }
    this.u8(0x75); // SETITEMS
  }

  /** BINPUT the top of the stack; returns its memo index. */
  private put(): number {
    const index = this.memoCount++;
    if (index < 256) this.u8(0x71, index);
    else { this.u8(0x72); this.u32(index); }
    return index;
  }
  private memoCount = 0;

  finish(): Uint8Array {
    return Uint8Array.from([0x80, 2, ...this.bytes, 0x2e]); // PROTO 2 ... STOP
  }
}

export function pickle(v: Py): Uint8Array {
  const w = new PickleWriter();
  w.write(v);
  return w.finish();
}

export type StorageType = "FloatStorage" | "DoubleStorage" | "HalfStorage" | "LongStorage" | "IntStorage" | "ByteStorage" | "BFloat16Storage";

export interface StorageSpec {
  key: string;
  type: StorageType;
  /** Raw little-endian bytes. */
  bytes: Uint8Array;
  numel: number;
}

export interface TensorSpec {
  name: string;
  storage: string; // key
  offset?: number;
  shape: number[];
  /** Default: contiguous. */
  stride?: number[];
  /** Wrap in torch._utils._rebuild_parameter (an nn.Parameter). */
  parameter?: boolean;
}

export function contiguousStride(shape: number[]): number[] {
  return shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
}

export const float32Storage = (key: string, values: ArrayLike<number>): StorageSpec => {
  const data = Float32Array.from(values);
  return {key, type: "FloatStorage", bytes: new Uint8Array(data.buffer), numel: data.length};
};

const ORDERED_DICT: Py = {global: ["collections", "OrderedDict"]};

function tensorPy(t: TensorSpec, storages: Map<string, StorageSpec>, legacy: boolean): Py {
  const s = storages.get(t.storage);
  if (!s) throw new Error(`no storage ${t.storage}`);
  // zip format: ('storage', type, key, location, numel); legacy adds view_metadata (None).
  const pid: Py[] = ["storage", {global: ["torch", s.type]}, s.key, "cpu", s.numel];
  if (legacy) pid.push(null);
  const tensor: Py = {
    call: {global: ["torch._utils", "_rebuild_tensor_v2"]},
    args: [{persid: {tuple: pid}}, t.offset ?? 0, {tuple: t.shape}, {tuple: t.stride ?? contiguousStride(t.shape)}, false, {call: ORDERED_DICT, args: []}],
  };
  return t.parameter ? {call: {global: ["torch._utils", "_rebuild_parameter"]}, args: [tensor, true, {call: ORDERED_DICT, args: []}]} : tensor;
}

/** A state_dict as torch pickles it: an OrderedDict with a `_metadata` attribute (BUILD state). */
export function stateDictPy(tensors: TensorSpec[], storages: StorageSpec[], legacy: boolean, wrap?: string): Py {
  const byKey = new Map(storages.map((s) => [s.key, s]));
  const sd: Py = {
    call: ORDERED_DICT,
    args: [],
    items: tensors.map((t) => [t.name, tensorPy(t, byKey, legacy)] as [Py, Py]),
    state: {dict: [["_metadata", {call: ORDERED_DICT, args: [], items: [["", {dict: [["version", 1]]}]]}]]},
  };
  return wrap ? {dict: [[wrap, sd], ["epoch", 3]]} : sd;
}

export interface CheckpointOptions {
  /** Wrap the state_dict: {wrap: state_dict, epoch: 3}. */
  wrap?: string;
}

/** torch.save(..., _use_new_zipfile_serialization=True); `level` 0 = stored (torch's own), >0 = deflated. */
export function zipCheckpoint(tensors: TensorSpec[], storages: StorageSpec[], level: 0 | 6 = 0, options: CheckpointOptions = {}): Uint8Array {
  const files: Zippable = {
    "archive/data.pkl": [pickle(stateDictPy(tensors, storages, false, options.wrap)), {level}],
    "archive/byteorder": [new TextEncoder().encode("little"), {level}],
    "archive/version": [new TextEncoder().encode("3\n"), {level}],
  };
  for (const s of storages) files[`archive/data/${s.key}`] = [s.bytes, {level}];
  return zipSync(files);
}

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** torch.save(..., _use_new_zipfile_serialization=False). */
export function legacyCheckpoint(tensors: TensorSpec[], storages: StorageSpec[], options: CheckpointOptions = {}): Uint8Array {
  const sysInfo: Py = {dict: [["protocol_version", 1001], ["little_endian", true], ["type_sizes", {dict: [["short", 2], ["int", 4], ["long", 4]]}]]};
  const parts: Uint8Array[] = [
    pickle(LEGACY_MAGIC),
    pickle(1001),
    pickle(sysInfo),
    pickle(stateDictPy(tensors, storages, true, options.wrap)),
    pickle(storages.map((s) => s.key)),
  ];
  for (const s of storages) {
    const numel = new Uint8Array(8);
    new DataView(numel.buffer).setBigInt64(0, BigInt(s.numel), true);
    parts.push(numel, s.bytes);
  }
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
