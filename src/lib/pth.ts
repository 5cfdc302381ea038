// Reads PyTorch checkpoints written by `torch.save` into named float32
// tensors. Both formats are supported: the zip archive (`<prefix>/data.pkl`
// + raw storages `<prefix>/data/<key>`, torch >= 1.6) and the legacy
// sequential format (magic, protocol, sys info, pickle, storage keys, raw
// storages). Pure TypeScript: works in Node and the browser.
//
// Safety: a pickle can name any Python callable and ask for it to be called
// (that is how `torch.save(model)` stores a whole module, and how a crafted
// file runs `os.system`). This reader never runs Python, and it refuses a
// pickle that names anything outside what tensors need (ALLOWED_GLOBALS),
// rather than carrying on with an opaque object: only tensors are read.
import {bfloat16ToFloat32, float16ToFloat32} from "./dtypes.js";
import {unpickleAt, type PickleHooks} from "./pickle.js";
import {WeightsError} from "./weights-error.js";
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
      throw new WeightsError("corrupt", "tensor runs past its storage: the checkpoint is truncated or corrupt");
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
    throw new WeightsError("corrupt", `storage holds ${raw.length} bytes, expected ${numel * bytes}: the checkpoint is truncated or corrupt (download or save it again)`);
  }
  if (dtype === "float16") return float16ToFloat32(raw, numel);
  if (dtype === "bfloat16") return bfloat16ToFloat32(raw, numel);
  // Copy so the typed-array views below are aligned.
  const buf = raw.slice(0, numel * bytes).buffer;
  switch (dtype) {
    case "float32": return new Float32Array(buf);
    case "float64": return Float32Array.from(new Float64Array(buf));
    case "int64": return Float32Array.from(new BigInt64Array(buf), (v) => Number(v));
    case "int32": return Float32Array.from(new Int32Array(buf));
    case "int16": return Float32Array.from(new Int16Array(buf));
    case "int8": return Float32Array.from(new Int8Array(buf));
    case "uint8": case "bool": return Float32Array.from(new Uint8Array(buf));
  }
}

/** The globals a state_dict's pickle may name: tensor and storage rebuilders, OrderedDict, the storage types. */
const ALLOWED_GLOBALS = new Set(["torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "collections.OrderedDict", "torch.device", ...Object.keys(STORAGE_DTYPES).map((n) => `torch.${n}`)]);

function refuseGlobal(module: string, name: string): never {
  if (module === "torch" && name.endsWith("Storage")) {
    throw new WeightsError("unsupported-dtype", `the checkpoint holds a ${name} tensor: only float32, float16 and bfloat16 weights (and integer buffers) are read. Convert the model with model.float() and save its state_dict again.`);
  }
  throw new WeightsError("code-in-pickle", `the checkpoint's pickle asks for ${module}.${name}, which would run code when loaded in Python: refused, only tensors are read. Save the weights alone, torch.save(model.state_dict(), path), or as .safetensors.`);
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
      if (!ALLOWED_GLOBALS.has(`${module}.${name}`)) refuseGlobal(module, name);
      throw new Error(`unhandled allowed global ${module}.${name}`);
    },
    persistentLoad(pid) {
      const [kind, type, key, , numel] = pid as [string, unknown, string, string, number];
      if (kind !== "storage") throw new WeightsError("corrupt", `unknown persistent id kind ${kind}: the checkpoint is corrupt or not a torch.save file`);
      // The pickle names the storage class either as a GLOBAL we turned into a
      // factory or, in newer torch, as a dtype object; both resolve here.
      const storageType = typeof type === "function" ? (type as () => StorageType)() : type;
      if (!(storageType instanceof StorageType)) throw new WeightsError("unsupported-dtype", "unsupported storage type in checkpoint: only float32, float16 and bfloat16 weights are read. Convert the model with model.float() and save its state_dict again.");
      return loadStorage(storageType.dtype, String(key), numel);
    },
  };
}

export interface ReadPthOptions {
  /**
   * Refuse (WeightsError "too-large") before decoding any storage when the
   * float32 storages and tensors would take more than this many bytes. The
   * pickle is read first (small): it gives every tensor's size.
   */
  maxDecodedBytes?: number;
}

/** Reads a `torch.save`d state_dict (or a dict holding one) into named float32 tensors. */
export function readPth(bytes: Uint8Array, options: ReadPthOptions = {}): NamedTensors {
  if (bytes.length === 0) throw new WeightsError("corrupt", "the checkpoint file is empty: download it again");
  const root = isZip(bytes) ? readZipCheckpoint(bytes) : readLegacyCheckpoint(bytes);
  return collectTensors(root, options);
}

function readZipCheckpoint(bytes: Uint8Array): unknown {
  const zip = new ZipArchive(bytes);
  const pkl = zip.names().find((n) => n.endsWith("data.pkl"));
  if (!pkl) throw new WeightsError("corrupt", "the zip has no data.pkl: it is not a torch.save checkpoint");
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
  const plain: PickleHooks = {resolveGlobal: refuseGlobal};
  let pos = 0;
  let magic: unknown;
  try {
    ({value: magic, end: pos} = unpickleAt(bytes, plain, 0));
  } catch (e) {
    if (e instanceof WeightsError && e.kind === "code-in-pickle") throw e;
    throw new WeightsError("corrupt", "not a PyTorch checkpoint (neither a zip archive nor the legacy torch.save format)");
  }
  // The pickle reader turns the 80-bit LONG1 into the nearest double, as does this literal.
  if (magic !== LEGACY_MAGIC) {
    throw new WeightsError("corrupt", "not a PyTorch checkpoint (neither a zip archive nor the legacy torch.save format: bad magic number)");
  }
  let protocol: unknown;
  ({value: protocol, end: pos} = unpickleAt(bytes, plain, pos)); // protocol version
  if (protocol !== 1001) throw new WeightsError("corrupt", `unsupported legacy torch.save protocol version ${String(protocol)} (expected 1001)`);
  ({end: pos} = unpickleAt(bytes, plain, pos)); // sys info
  const storages = new Map<string, {dtype: StorageDtype; numel: number; storage: Storage}>();
  let dataStart = -1;
  const offsets = new Map<string, number>();
  const hooks = torchHooks((dtype, key, numel) => {
    let entry = storages.get(key);
    if (!entry) {
      const storage = new Storage(dtype, () => {
        const at = offsets.get(key);
        if (at === undefined) throw new WeightsError("corrupt", `storage ${key} missing from checkpoint`);
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
    if (at + 8 > bytes.length) throw new WeightsError("corrupt", "the checkpoint is truncated: download it again");
    const numel = Number(view.getBigInt64(at, true));
    at += 8;
    offsets.set(key, at);
    const elementBytes = entry ? BYTES_PER_ELEMENT[entry.dtype] : 4;
    at += numel * elementBytes;
    if (at > bytes.length) throw new WeightsError("corrupt", "the checkpoint is truncated: download it again");
  }
  return main.value;
}

function collectTensors(root: unknown, {maxDecodedBytes = Infinity}: ReadPthOptions): NamedTensors {
  let dict = root;
  // Training checkpoints often wrap the weights: {"state_dict": ...} or {"model": ...}.
  if (dict instanceof Map) {
    for (const key of ["state_dict", "model", "model_state_dict"]) {
      if (dict.get(key) instanceof Map) { dict = dict.get(key); break; }
    }
  }
  if (!(dict instanceof Map)) throw new WeightsError("not-resnet", "the checkpoint does not hold a state_dict (a mapping of names to tensors): save it with torch.save(model.state_dict(), path)");
  const refs = [...dict.values()].filter((v): v is TensorRef => v instanceof TensorRef);
  const decoded = 4 * ([...new Set(refs.map((r) => r.storage))].reduce((n, s) => n + s.numel, 0) + refs.reduce((n, r) => n + r.shape.reduce((a, b) => a * b, 1), 0));
  if (decoded > maxDecodedBytes) {
    throw new WeightsError("too-large", `the checkpoint's tensors take ${byteSize(decoded)} as float32, over the ${byteSize(maxDecodedBytes)} allowed: use a smaller model, or raise the memory budget.`);
  }
  const out: NamedTensors = new Map();
  for (const [name, value] of dict) {
    if (value instanceof TensorRef) out.set(String(name).replace(/^module\./, ""), value.toNamedTensor());
  }
  if (out.size === 0) throw new WeightsError("not-resnet", "the checkpoint's state_dict holds no tensors");
  return out;
}

/** A size in words: "3.2 kB", "46.8 MB", "233 MB". */
export function byteSize(bytes: number): string {
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(bytes < 1e8 ? 1 : 0)} MB`;
}
