// Where the model weights and the Imagenette images come from, for loaders,
// the CLI and tests. Default: ../shared beside the project (as in CI).
// TODO(sources): downloads of the real sources (torchvision weights,
// fastai imagenette2-320.tgz) with progress, checksum and cache.
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";

export const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
export const SHARED_DIR = process.env.EXPLAIN_SHARED ?? path.resolve(PROJECT_ROOT, "../shared");

/** Path of a ResNet-18 .pth to use. */
export async function resolveWeightsFile(): Promise<string> {
  if (process.env.EXPLAIN_WEIGHTS) return path.resolve(process.env.EXPLAIN_WEIGHTS);
  return path.join(SHARED_DIR, "models", "resnet18-imagenette.pth");
}

/** A directory in the Imagenette layout `<dir>/<wnid>/*.JPEG` (validation split). */
export async function resolveImagenetteVal(): Promise<string> {
  if (process.env.EXPLAIN_IMAGES) return path.resolve(process.env.EXPLAIN_IMAGES);
  return path.join(SHARED_DIR, "imagenette2", "val");
}

/** Decodes an image file to RGB uint8 224x224x3 (HWC), resized with pad like tf.image.resize_with_pad. */
export async function readImage224(file: string): Promise<Uint8Array> {
  const {data, info} = await sharp(fs.readFileSync(file)).removeAlpha().toColourspace("srgb").raw().toBuffer({resolveWithObject: true});
  if (info.width !== 224 || info.height !== 224) throw new Error(`TODO resize with pad: ${file} is ${info.width}x${info.height}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
