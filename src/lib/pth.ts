// Reads PyTorch checkpoints written by `torch.save` into named float32
// tensors. Both formats are supported: the zip archive (`<prefix>/data.pkl`
// + raw storages `<prefix>/data/<key>`, torch >= 1.6) and the legacy
// sequential format (magic, protocol, sys info, pickle, storage keys, raw
// storages). Pure TypeScript: works in Node and the browser.
import {PyObject, unpickleAt, type PickleHooks} from "./pickle.js";
import {isZip, ZipArchive} from "./zip.js";

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
export type NamedTensors = Map<string, NamedTensor>;

type StorageDtype = "float32" | "float64" | "float16" | "bfloat16" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

const STORAGE_DTYPES: Record<string, StorageDtype> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};
const BYTES_PER_ELEMENT: Record<StorageDtype, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

class StorageType {
  constructor(readonly dtype: StorageDtype) {}
}

/** A storage whose bytes are fetched on first use. */
class Storage {
  private cache: Float32Array | null = null;
  constructor(readonly dtype: StorageDtype, private readonly fetch: () => Uint8Array, readonly numel: number) {}
  values(): Float32Array {
    if (!this.cache) this.cache = decodeStorage(this.fetch(), this.dtype, this.numel);
    return this.cache;
  }
}

class TensorRef {
  constructor(readonly storage: Storage, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
  toNamedTensor(): NamedTensor {
    const src = this.storage.values();
    const size = this.shape.reduce((a, b) => a * b, 1);
    if (this.offset + maxIndex(this.shape, this.stride) >= src.length && size > 0) {
      throw new Error("tensor runs past its storage: the checkpoint is truncated or corrupt");
    }
    const contiguous = this.stride.every((s, i) => s === this.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    if (contiguous) return {shape: this.shape, data: src.slice(this.offset, this.offset + size)};
    // Non-contiguous (e.g. a transposed view): gather element by element.
    const data = new Float32Array(size);
    const index = new Array(this.shape.length).fill(0);
    for (let n = 0; n < size; n++) {
      let at = this.offset;
      for (let d = 0; d < index.length; d++) at += index[d] * this.stride[d];
      data[n] = src[at];
      for (let d = index.length - 1; d >= 0; d--) {
        if (++index[d] < this.shape[d]) break;
        index[d] = 0;
      }
    }
    return {shape: this.shape, data};
  }
}

function maxIndex(shape: number[], stride: number[]): number {
  return shape.reduce((acc, n, i) => acc + (n - 1) * stride[i], 0);
}

function decodeStorage(raw: Uint8Array, dtype: StorageDtype, numel: number): Float32Array {
  const bytes = BYTES_PER_ELEMENT[dtype];
  if (raw.length < numel * bytes) {
    throw new Error(`storage holds ${raw.length} bytes, expected ${numel * bytes}: the checkpoint is truncated or corrupt`);
  }
  // Copy so the typed-array views below are aligned.
  const buf = raw.slice(0, numel * bytes).buffer;
  const view = new DataView(buf);
  switch (dtype) {
    case "float32": return new Float32Array(buf);
    case "float64": return Float32Array.from(new Float64Array(buf));
    case "int64": return Float32Array.from(new BigInt64Array(buf), (v) => Number(v));
    case "int32": return Float32Array.from(new Int32Array(buf));
    case "int16": return Float32Array.from(new Int16Array(buf));
    case "int8": return Float32Array.from(new Int8Array(buf));
    case "uint8": case "bool": return Float32Array.from(new Uint8Array(buf));
    case "float16": return Float32Array.from({length: numel}, (_, i) => halfToFloat(view.getUint16(2 * i, true)));
    case "bfloat16": {
      const out = new Float32Array(numel);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) outBits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function torchHooks(loadStorage: (dtype: StorageDtype, key: string, numel: number) => Storage): PickleHooks {
  return {
    resolveGlobal(module, name) {
      if (module === "torch" && name in STORAGE_DTYPES) return () => new StorageType(STORAGE_DTYPES[name]);
      if (module === "torch._utils" && name === "_rebuild_tensor_v2") {
        return (storage: unknown, offset: unknown, shape: unknown, stride: unknown) =>
          new TensorRef(storage as Storage, offset as number, shape as number[], stride as number[]);
      }
      if (module === "torch._utils" && name === "_rebuild_parameter") return (data: unknown) => data;
      if (module === "collections" && name === "OrderedDict") return () => new Map();
      if (module === "torch" && name === "device") return (d: unknown) => d;
      return (...args: unknown[]) => new PyObject(module, name, args);
    },
    persistentLoad(pid) {
      const [kind, type, key, , numel] = pid as [string, unknown, string, string, number];
      if (kind !== "storage") throw new Error(`unknown persistent id kind ${kind}`);
      // The pickle names the storage class either as a GLOBAL we turned into a
      // factory or, in newer torch, as a dtype object; both resolve here.
      const storageType = typeof type === "function" ? (type as () => StorageType)() : type;
      if (!(storageType instanceof StorageType)) throw new Error("unsupported storage type in checkpoint");
      return loadStorage(storageType.dtype, String(key), numel);
    },
  };
}

/** Reads a `torch.save`d state_dict (or a dict holding one) into named float32 tensors. */
export function readPth(bytes: Uint8Array): NamedTensors {
  if (bytes.length === 0) throw new Error("the checkpoint file is empty: download it again");
  const root = isZip(bytes) ? readZipCheckpoint(bytes) : readLegacyCheckpoint(bytes);
  return collectTensors(root);
}

function readZipCheckpoint(bytes: Uint8Array): unknown {
  const zip = new ZipArchive(bytes);
  const pkl = zip.names().find((n) => n.endsWith("data.pkl"));
  if (!pkl) throw new Error("the zip has no data.pkl: it is not a torch.save checkpoint");
  const prefix = pkl.slice(0, -"data.pkl".length);
  // One Storage per key: tensors that view the same storage share its decoded values.
  const storages = new Map<string, Storage>();
  const hooks = torchHooks((dtype, key, numel) => {
    let storage = storages.get(key);
    if (!storage) storages.set(key, (storage = new Storage(dtype, () => zip.read(`${prefix}data/${key}`), numel)));
    return storage;
  });
  return unpickleAt(zip.read(pkl), hooks, 0).value;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6c;

function readLegacyCheckpoint(bytes: Uint8Array): unknown {
  const plain: PickleHooks = {resolveGlobal: (m, n) => (...args: unknown[]) => new PyObject(m, n, args)};
  let pos = 0;
  let magic: unknown;
  try {
    ({value: magic, end: pos} = unpickleAt(bytes, plain, 0));
  } catch {
    throw new Error("not a PyTorch checkpoint (neither a zip archive nor the legacy torch.save format)");
  }
  // The pickle reader turns the 80-bit LONG1 into the nearest double, as does this literal.
  if (magic !== LEGACY_MAGIC) {
    throw new Error("not a PyTorch checkpoint (neither a zip archive nor the legacy torch.save format: bad magic number)");
  }
  let protocol: unknown;
  ({value: protocol, end: pos} = unpickleAt(bytes, plain, pos)); // protocol version
  if (protocol !== 1001) throw new Error(`unsupported legacy torch.save protocol version ${String(protocol)} (expected 1001)`);
  ({end: pos} = unpickleAt(bytes, plain, pos)); // sys info
  const storages = new Map<string, {dtype: StorageDtype; numel: number; storage: Storage}>();
  let dataStart = -1;
  const offsets = new Map<string, number>();
  const hooks = torchHooks((dtype, key, numel) => {
    let entry = storages.get(key);
    if (!entry) {
      const storage = new Storage(dtype, () => {
        const at = offsets.get(key);
        if (at === undefined) throw new Error(`storage ${key} missing from checkpoint`);
        return bytes.subarray(at, at + numel * BYTES_PER_ELEMENT[dtype]);
      }, numel);
      entry = {dtype, numel, storage};
      storages.set(key, entry);
    }
    return entry.storage;
  });
  const main = unpickleAt(bytes, hooks, pos);
  const keys = unpickleAt(bytes, plain, main.end);
  dataStart = keys.end;
  // Raw storages follow in the order of `keys`, each prefixed by its int64 element count.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = dataStart;
  for (const key of keys.value as string[]) {
    const entry = storages.get(key);
    if (at + 8 > bytes.length) throw new Error("the checkpoint is truncated: download it again");
    const numel = Number(view.getBigInt64(at, true));
    at += 8;
    offsets.set(key, at);
    const elementBytes = entry ? BYTES_PER_ELEMENT[entry.dtype] : 4;
    at += numel * elementBytes;
    if (at > bytes.length) throw new Error("the checkpoint is truncated: download it again");
  }
  return main.value;
}

function collectTensors(root: unknown): NamedTensors {
  let dict = root;
  // Training checkpoints often wrap the weights: {"state_dict": ...} or {"model": ...}.
  if (dict instanceof Map) {
    for (const key of ["state_dict", "model", "model_state_dict"]) {
      if (dict.get(key) instanceof Map) { dict = dict.get(key); break; }
    }
  }
  if (!(dict instanceof Map)) throw new Error("the checkpoint does not hold a state_dict (a mapping of names to tensors)");
  const out: NamedTensors = new Map();
  for (const [name, value] of dict) {
    if (value instanceof TensorRef) out.set(String(name).replace(/^module\./, ""), value.toNamedTensor());
  }
  if (out.size === 0) throw new Error("the checkpoint's state_dict holds no tensors");
  return out;
}
