// The images on disk: listing a folder of class folders (Imagenette's
// `<wnid>/*.JPEG`, or any dataset: dataset.ts) deterministically, and decoding each image to the model's input,
// RGB uint8 224x224x3 (HWC), resized with pad like TensorFlow.
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import type {Output} from "./download.js";
import {resizeWithPadUint8, type Rounding} from "./resize-with-pad.js";
import {byCodePoint, CLASSES_FILE, IMAGE_FILE, IMAGENETTE_CLASSES, readDataset, type Dataset} from "./dataset.js";

export const IMAGE_SIZE = 224;

/** The 10 Imagenette classes in handout order (the model's logit order), from src/shared/imagenette-classes.json. */
export const IMAGENETTE_WNIDS: readonly {wnid: string; name: string}[] = IMAGENETTE_CLASSES.map(({wnid, name}) => ({wnid, name}));

export interface ImagenetteEntry {
  /** Absolute path of the image. */
  file: string;
  /** The file name without extension (e.g. ILSVRC2012_val_00009111); `<folder>/<name>` if two classes share a name. */
  id: string;
  /** The class folder (a WordNet id for Imagenette). */
  wnid: string;
  /** Class index in the model's logit order. */
  label: number;
  /** Class name (e.g. "tench"). */
  name: string;
}
/** An image of any dataset of class folders (the type kept its first name). */
export type DatasetEntry = ImagenetteEntry;

export interface ListOptions {
  /** Receives each warning (unknown folder, empty or missing class folder, ...). Default: a line on stderr. */
  onWarn?: (message: string) => void;
}

/**
 * Lists `dir/<class folder>/*.{jpg,jpeg,png}` (or the classes of `dataset`,
 * see dataset.ts) sorted by folder, then file name (code-point order).
 * Folders that are not classes and stray files are skipped with a warning;
 * a missing or empty class folder is a warning; a missing `dir` or one
 * without any image is an error that says what to do.
 */
export function listImagenette(dir: string, options: ListOptions & {dataset?: Dataset} = {}): ImagenetteEntry[] {
  const warn = options.onWarn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const fix = "Set EXPLAIN_IMAGES to a folder of class folders (<class>/*.jpg, e.g. an extracted imagenette2-320/val), put the images in ../shared/imagenette2/val, or use EXPLAIN_SOURCE=download (see README, Data sources).";
  if (!fs.existsSync(dir)) throw new Error(`image folder not found: ${dir}. ${fix}`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`not a folder: ${dir}. ${fix}`);
  const dataset = options.dataset ?? readDataset(dir, {onWarn: warn});
  const imagenette = dataset.source === "imagenette";
  const classes = new Map(dataset.classes.map((c) => [c.wnid, c]));
  const entries: ImagenetteEntry[] = [];
  const seen = new Set<string>();
  for (const child of fs.readdirSync(dir, {withFileTypes: true}).sort((a, b) => byCodePoint(a.name, b.name))) {
    if (child.name.startsWith(".") || child.name === CLASSES_FILE) continue;
    const cls = child.isDirectory() ? classes.get(child.name) : undefined;
    if (!cls) {
      // readDataset has already named the folders it leaves out.
      if (!child.isDirectory()) warn(`ignoring ${path.join(dir, child.name)}: not a class folder`);
      continue;
    }
    seen.add(cls.wnid);
    const classDir = path.join(dir, child.name);
    const files = fs.readdirSync(classDir, {withFileTypes: true}).filter((f) => !f.name.startsWith("."));
    const images = files.filter((f) => f.isFile() && IMAGE_FILE.test(f.name)).map((f) => f.name).sort(byCodePoint);
    const others = files.length - images.length;
    if (others > 0) warn(`ignoring ${others} file(s) in ${classDir} that are not .JPEG or .png images`);
    if (images.length === 0) warn(`class folder ${classDir} (${cls.name}) holds no .JPEG images`);
    for (const name of images) {
      entries.push({file: path.resolve(classDir, name), id: name.replace(IMAGE_FILE, ""), wnid: cls.wnid, label: cls.index, name: cls.name});
    }
  }
  const missing = dataset.classes.filter((c) => !seen.has(c.wnid));
  if (missing.length > 0 && entries.length > 0) {
    warn(`${dir} has no folder for ${missing.map((c) => `${c.wnid} (${c.name})`).join(", ")}`);
  }
  if (entries.length === 0) throw new Error(`no ${imagenette ? "Imagenette " : ""}images in ${dir}: expected class folders (<class>/*.JPEG, .jpg or .png). ${fix}`);
  // Ids must be unique: a name found in two classes gets its folder as prefix.
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
  for (const e of entries) if (counts.get(e.id)! > 1) e.id = `${e.wnid}/${e.id}`;
  return entries;
}

export interface ReadImageOptions {
  /** How resize-with-pad's float output becomes uint8 (default "half-even", like tf.round). */
  rounding?: Rounding;
}

/**
 * Decodes an image file to RGB uint8 224x224x3 (HWC), resized with pad like
 * `tf.image.resize_with_pad(image, 224, 224)`.
 * - Decoding: sharp/libvips (libjpeg-compatible, bit-exact with PIL and
 *   tf.io.decode_jpeg for baseline JPEGs); EXIF orientation is not applied and
 *   embedded ICC profiles are ignored, like PIL's `Image.open().convert("RGB")`
 *   and `tf.io.decode_jpeg(channels=3)`.
 * - Grayscale is replicated to R=G=B; CMYK is converted to sRGB (libvips'
 *   built-in CMYK profile: close to, not bit-exact with, PIL's conversion);
 *   16-bit images are scaled to 8 bits by libvips.
 * - Alpha (PNG/WebP) is dropped, not composited: colour values are kept as
 *   stored, like PIL's `convert("RGB")` and `decode_png(channels=3)`.
 * - 224x224 images are returned as decoded; others go through
 *   `resizeWithPad` (float32) and are rounded half-to-even, clipped to [0, 255].
 */
export async function readImage224(file: string, options: ReadImageOptions = {}): Promise<Uint8Array> {
  let decoded: {data: Buffer; info: {width: number; height: number; channels: number}};
  try {
    const input = sharp(fs.readFileSync(file), {failOn: "warning", ignoreIcc: true});
    const meta = await input.metadata();
    let pipeline = input.removeAlpha();
    // 8-bit grey and RGB are taken as decoded (sharp copies grey to R=G=B);
    // CMYK and 16-bit images go through libvips' colour conversion.
    if (meta.space === "cmyk") pipeline = pipeline.toColourspace("srgb");
    else if (meta.depth !== "uchar") pipeline = pipeline.toColourspace((meta.channels ?? 3) <= 2 ? "b-w" : "srgb");
    decoded = await pipeline.raw({depth: "uchar"}).toBuffer({resolveWithObject: true});
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`image not found: ${file}`);
    throw new Error(`cannot decode ${file}: ${(e as Error).message}`);
  }
  const {data, info} = decoded;
  let pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (info.channels === 1) {
    // Grey left as one channel: R = G = B = the decoded value, like PIL's convert("RGB") and decode_jpeg(channels=3).
    const rgb = new Uint8Array(pixels.length * 3);
    for (let i = 0; i < pixels.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = pixels[i];
    pixels = rgb;
  } else if (info.channels !== 3) {
    throw new Error(`cannot decode ${file}: ${info.channels} colour channels (expected grey or RGB)`);
  }
  return resizeWithPadUint8(pixels, info.height, info.width, 3, IMAGE_SIZE, IMAGE_SIZE, options.rounding);
}

export interface ReadImagesOptions extends ReadImageOptions {
  /** Called for each image that cannot be decoded (it is skipped). Default: a warning on stderr naming the file. */
  onSkip?: (entry: ImagenetteEntry, error: Error) => void;
  /** Where the default warnings and the final count go (default process.stderr). */
  out?: Output;
  /** Images decoded ahead (default 4). */
  prefetch?: number;
}

export interface DecodedImage {
  entry: ImagenetteEntry;
  /** RGB uint8 224x224x3 (HWC). */
  pixels: Uint8Array;
}

/**
 * Decodes the listed images in order, a few ahead. A corrupt or unreadable
 * file is skipped (onSkip; by default a warning on stderr naming it) and a
 * count of the skipped files is printed at the end; the other images are
 * still returned. If no image at all can be read, it throws.
 */
export async function* iterateImages(list: readonly ImagenetteEntry[], options: ReadImagesOptions = {}): AsyncGenerator<DecodedImage> {
  const out = options.out ?? process.stderr;
  const onSkip = options.onSkip ?? ((entry: ImagenetteEntry, error: Error) => out.write(`warning: skipping ${entry.file}: ${error.message}\n`));
  const prefetch = Math.max(1, options.prefetch ?? 4);
  const decode = (entry: ImagenetteEntry) =>
    readImage224(entry.file, options).then(
      (pixels) => ({entry, pixels}),
      (error: Error) => ({entry, error}),
    );
  const pending: ReturnType<typeof decode>[] = [];
  let next = 0;
  let skipped = 0;
  while (next < list.length || pending.length > 0) {
    while (next < list.length && pending.length < prefetch) pending.push(decode(list[next++]));
    const result = await pending.shift()!;
    if ("error" in result) {
      skipped++;
      onSkip(result.entry, result.error);
    } else {
      yield result;
    }
  }
  if (skipped > 0) {
    out.write(`warning: skipped ${skipped} of ${list.length} image(s) that could not be decoded\n`);
    if (skipped === list.length) throw new Error(`none of the ${list.length} image(s) could be decoded (first: ${list[0].file})`);
  }
}

/** All of `iterateImages` in one array, plus the skipped entries. */
export async function readImages(
  list: readonly ImagenetteEntry[],
  options: ReadImagesOptions = {},
): Promise<{images: DecodedImage[]; skipped: {entry: ImagenetteEntry; error: Error}[]}> {
  const skipped: {entry: ImagenetteEntry; error: Error}[] = [];
  const images: DecodedImage[] = [];
  const onSkip = options.onSkip;
  const out = options.out ?? process.stderr;
  for await (const image of iterateImages(list, {
    ...options,
    onSkip: (entry, error) => {
      skipped.push({entry, error});
      if (onSkip) onSkip(entry, error);
      else out.write(`warning: skipping ${entry.file}: ${error.message}\n`);
    },
  })) {
    images.push(image);
  }
  return {images, skipped};
}
