// Reads and writes .safetensors files (Hugging Face's tensor format, also
// written by timm): an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}),
// then the tensors' raw little-endian bytes, offsets relative to their start.
// No code can hide in it, unlike a pickle. Tensors come out as float32.
import {bfloat16ToFloat32, float16ToFloat32, floatToBfloat16, floatToHalf} from "./dtypes.js";
import type {NamedTensors} from "./pth.js";
import {WeightsError} from "./weights-error.js";

/** safetensors' dtype names and their sizes in bytes. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8, F8_E4M3: 1, F8_E5M2: 1,
};
/** The dtypes read as weights (the model computes in float32 either way). */
const FLOAT_DTYPES = new Set(["F32", "F16", "BF16", "F64"]);
/** Headers are small (a ResNet-152: ~60 KB); anything past this is a damaged length field. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range in the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

/** Whether `bytes` starts like a safetensors file: a plausible header length followed by "{". */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return n >= 2 && n <= MAX_HEADER_BYTES && bytes[8] === 0x7b; // "{"
}

const corrupt = (what: string) =>
  new WeightsError("corrupt", `the .safetensors file is damaged or truncated: ${what}. Download or save it again (safetensors.torch.save_file(model.state_dict(), path)).`);

/** Parses and checks the header: every entry's dtype, shape and byte range, against the file's length. */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.length < 8) throw corrupt(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES || 8 + n > bytes.length) throw corrupt(`the header says it is ${n} bytes long, the file has ${bytes.length - 8} after the length`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", {fatal: true}).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw corrupt(`its header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw corrupt("its header is not a JSON object");
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const v = value as {dtype?: unknown; shape?: unknown; data_offsets?: unknown};
    if (typeof v !== "object" || v === null || typeof v.dtype !== "string" || !Array.isArray(v.shape) || !Array.isArray(v.data_offsets) || v.data_offsets.length !== 2) {
      throw corrupt(`the header's entry ${name} lacks a dtype, shape or data_offsets`);
    }
    const shape = v.shape as unknown[];
    const [begin, end] = v.data_offsets as unknown[];
    if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0) || !Number.isInteger(begin) || !Number.isInteger(end)) {
      throw corrupt(`the header's entry ${name} has a malformed shape or data_offsets`);
    }
    const size = DTYPE_BYTES[v.dtype];
    if (size !== undefined) {
      const numel = (shape as number[]).reduce((a, b) => a * b, 1);
      if ((end as number) - (begin as number) !== numel * size) throw corrupt(`tensor ${name} spans ${(end as number) - (begin as number)} bytes, its shape [${shape}] of ${v.dtype} needs ${numel * size}`);
    }
    if ((begin as number) < 0 || (end as number) < (begin as number) || (end as number) > dataLength) {
      throw corrupt(`tensor ${name} lies at bytes ${begin}..${end} of a data section of ${dataLength} bytes`);
    }
    entries.push({name, dtype: v.dtype, shape: shape as number[], begin: begin as number, end: end as number});
  }
  return {entries, metadata, dataStart};
}

/** Whether a tensor of this dtype is skipped rather than read: integer buffers (BatchNorm's num_batches_tracked). */
function skipped(entry: SafetensorsEntry): boolean {
  return !FLOAT_DTYPES.has(entry.dtype) && entry.name.endsWith("num_batches_tracked");
}

/** The float32 bytes the tensors will take once decoded (what the memory check of weight-file.ts counts). */
export function safetensorsDecodedBytes(header: SafetensorsHeader): number {
  return header.entries.filter((e) => !skipped(e)).reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1) * 4, 0);
}

/**
 * Reads every tensor as float32: F32, F16, BF16 (and F64) weights; integer
 * num_batches_tracked buffers are skipped; any other dtype throws a
 * WeightsError("unsupported-dtype"). Names keep their order in the header;
 * a "module." prefix (DataParallel) is dropped, as for .pth.
 */
export function readSafetensors(bytes: Uint8Array, header = readSafetensorsHeader(bytes)): NamedTensors {
  const out: NamedTensors = new Map();
  for (const entry of header.entries) {
    if (skipped(entry)) continue;
    if (!FLOAT_DTYPES.has(entry.dtype)) {
      throw new WeightsError("unsupported-dtype", `tensor ${entry.name} is ${entry.dtype}: only F32, F16 and BF16 weights are read. Convert the model with model.float() (or .half()) and save it again.`);
    }
    const raw = bytes.subarray(header.dataStart + entry.begin, header.dataStart + entry.end);
    const numel = entry.shape.reduce((a, b) => a * b, 1);
    out.set(entry.name.replace(/^module\./, ""), {shape: [...entry.shape], data: decode(raw, entry.dtype, numel)});
  }
  if (out.size === 0) throw new WeightsError("not-resnet", "the .safetensors file holds no weight tensors");
  return out;
}

function decode(raw: Uint8Array, dtype: string, numel: number): Float32Array {
  switch (dtype) {
    case "F16": return float16ToFloat32(raw, numel);
    case "BF16": return bfloat16ToFloat32(raw, numel);
    case "F64": return Float32Array.from(new Float64Array(raw.slice().buffer));
    default: return new Float32Array(raw.slice().buffer); // F32; the copy aligns it
  }
}

export type WrittenDtype = "F32" | "F16" | "BF16";

/**
 * A .safetensors file of `tensors`, stored as `dtype` (default F32; F16 and
 * BF16 round to nearest even). For tests and tools: the header is padded
 * with spaces to a multiple of 8 bytes, as the reference writer does.
 */
export function writeSafetensors(tensors: NamedTensors, {dtype = "F32", metadata}: {dtype?: WrittenDtype; metadata?: Record<string, string>} = {}): Uint8Array {
  const size = DTYPE_BYTES[dtype];
  const header: Record<string, unknown> = metadata ? {__metadata__: metadata} : {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = {dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length * size]};
    offset += t.data.length * size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    for (const v of t.data) {
      if (dtype === "F32") view.setFloat32(at, v, true);
      else view.setUint16(at, dtype === "F16" ? floatToHalf(v) : floatToBfloat16(v), true);
      at += size;
    }
  }
  return out;
}
