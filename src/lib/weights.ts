// The browser's weight format: one little-endian float32 blob plus a JSON
// manifest (names, shapes, byte offsets, classes, provenance). Fetching two
// files and slicing one ArrayBuffer is much faster than parsing a pickle.
import type {NamedTensors} from "./pth.js";

export interface ImagenetteClass {
  index: number;
  wnid: string;
  name: string;
}

export interface WeightsManifest {
  format: "explanation-methods-weights/1";
  /** The ResNet the tensors hold ("resnet18", "resnet50", ...: ResNetArchitecture.name); the worker reads the architecture from the tensors themselves. */
  architecture: string;
  classes: ImagenetteClass[];
  /** Where the weights came from: file name, sha256, which head rows were kept. */
  source: {file: string; sha256: string; head: "imagenette-10" | "imagenet-1000" | (string & {}); imagenetIndices?: number[]};
  tensors: {name: string; shape: number[]; offset: number; length: number}[];
  byteLength: number;
}

/** `meta.architecture`: default "resnet18" (the site's model). */
export function encodeWeights(tensors: NamedTensors, meta: Pick<WeightsManifest, "classes" | "source"> & {architecture?: string}): {manifest: WeightsManifest; data: Uint8Array} {
  const entries: WeightsManifest["tensors"] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    entries.push({name, shape: t.shape, offset, length: t.data.length});
    offset += t.data.length * 4;
  }
  const data = new Uint8Array(offset);
  const floats = new Float32Array(data.buffer);
  for (const [i, t] of [...tensors.values()].entries()) floats.set(t.data, entries[i].offset / 4);
  return {
    manifest: {format: "explanation-methods-weights/1", architecture: meta.architecture ?? "resnet18", classes: meta.classes, source: meta.source, tensors: entries, byteLength: offset},
    data,
  };
}

export function decodeWeights(manifest: WeightsManifest, buffer: ArrayBuffer): NamedTensors {
  if (manifest.format !== "explanation-methods-weights/1") throw new Error(`unknown weights format ${manifest.format}`);
  if (buffer.byteLength !== manifest.byteLength) {
    throw new Error(`weights file has ${buffer.byteLength} bytes, the manifest says ${manifest.byteLength}: rebuild the site (npm run build)`);
  }
  const out: NamedTensors = new Map();
  for (const {name, shape, offset, length} of manifest.tensors) {
    out.set(name, {shape, data: new Float32Array(buffer, offset, length)});
  }
  return out;
}
