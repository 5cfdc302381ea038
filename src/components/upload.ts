// The reader's own photo ("bring your own image"): decoded and resized in the
// browser, never sent anywhere, and then treated like one more gallery photo,
// so every chapter's methods and the deletion score work on it unchanged.
//
// How a file becomes the model's 224 x 224 x 3 bytes (decodePhoto):
//
// 1. Checks before anything is decoded: an empty file, a file over
//    MAX_FILE_BYTES, and (from the file's header, see readImageHeader) an
//    image over MAX_PIXELS are refused with a message; the header also says
//    what needs converting (grayscale, 16 bits, CMYK, animation).
// 2. The browser decodes it (createImageBitmap on the file; an <img> element
//    if that fails, e.g. an SVG). Whatever the format, the result is what the
//    browser would show: 8-bit sRGB (16-bit PNGs reduced to 8 bits, CMYK and
//    embedded colour profiles converted to sRGB, grayscale copied to R = G = B),
//    the first frame of an animation (the HTML spec's rule for
//    createImageBitmap and for drawing an <img> that is not on screen), and
//    the EXIF orientation applied, so the photo stands the way the reader sees
//    it. (The build's loader follows PIL instead and ignores EXIF orientation;
//    the dataset's photos carry none.)
// 3. A photo whose longer side exceeds PRESHRINK = 3 x 224 = 672 pixels is
//    first shrunk by the browser (resizeQuality "high": smooth, antialiased)
//    to 672 on its longer side, keeping its proportions. TensorFlow's
//    resize_with_pad does not antialias: from a 4000-pixel photo it would keep
//    one pixel in 18 and alias badly. Up to a factor of 3 it is what the
//    dataset itself went through (Imagenette's 320-pixel photos, about
//    320 x 480, shrink by 2.1), so photos of that size take exactly the
//    dataset's path. This also bounds the pixels read back to 672^2.
// 4. Transparency is composited over black: transparent parts become 0, the
//    same black as the padding, the occlusion patches and the deletion, so
//    they carry no information for any method.
// 5. resizeWithPadUint8 from src/lib/resize-with-pad.ts, the code the build's
//    loader runs on the dataset (TensorFlow's resize_with_pad, float32,
//    rounded half to even): a photo of at most PRESHRINK pixels comes out
//    exactly as the loader would make it from the same decoded pixels.
//
// The photo then gets an id "upload-<hash of its 224x224 pixels>" (a valid
// view-state `image` value; a different photo gets a different id, so the
// pages' caches of explanations never mix two photos) and is registered as
// the last entry of the page's gallery metadata with label -1 and the class
// name "your photo (true class unknown)" (syncUpload): `gallery.images[i]`,
// `galleryIndex` and `photoPixels` (image-picker.ts) and the session's
// photo(id)/tensor(id) all find it. It is kept in sessionStorage (about
// 200 KB of base64) so the next chapter in this tab opens on it; a page
// that finds no stored photo falls back to the gallery's first photo.
//
// Everything except decodePhoto is plain TypeScript without the DOM (tested
// in Node: test/upload.test.ts).
import type {GalleryImage, GalleryMeta} from "../compute/contract.js";
import {resizeWithPadLayout, resizeWithPadUint8, type PadLayout} from "../lib/resize-with-pad.js";

export const PHOTO_SIZE = 224;
/** Longer side above which the browser shrinks a photo (smoothly) before the exact resize with pad. */
export const PRESHRINK = 3 * PHOTO_SIZE;
/** Larger images are refused before decoding: 100 megapixels take 400 MB once decoded. */
export const MAX_PIXELS = 100_000_000;
/** Larger files are refused before reading. */
export const MAX_FILE_BYTES = 100 * 2 ** 20;
export {UPLOAD_CLASS_NAME, UPLOAD_ID_PATTERN} from "../compute/contract.js";
import {UPLOAD_CLASS_NAME, UPLOAD_ID_PATTERN} from "../compute/contract.js";
/** sessionStorage key of the current upload. */
export const UPLOAD_STORAGE_KEY = "explanation-methods-live:upload";
/** A decode that takes longer than this is given up with a message, not left spinning. */
const DECODE_TIMEOUT_MS = 60_000;

export interface UploadedPhoto {
  /** "upload-<8 hex digits>" (FNV-1a of `pixels`). */
  id: string;
  /** The file's name, for display only. */
  name: string;
  /** Size of the decoded image (after EXIF orientation), before any resizing. */
  width: number;
  height: number;
  /** Format from the file's header ("JPEG", "PNG", ...), or "" if unknown. */
  format: string;
  /** What was converted on the way, in words for the reader. */
  notes: string[];
  /** uint8 RGB (HWC), PHOTO_SIZE x PHOTO_SIZE. */
  pixels: Uint8Array;
}

/** A file the page cannot use; `message` is written for the reader. */
export class UploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UploadError";
  }
}

// ---------------------------------------------------------------------------
// The file's header: format, size and what will need converting, read from
// the first bytes without decoding any pixels.
// ---------------------------------------------------------------------------

export interface ImageHeader {
  format: "PNG" | "JPEG" | "GIF" | "WebP" | "BMP" | "AVIF" | "HEIC" | "TIFF" | "SVG" | "";
  width?: number;
  height?: number;
  /** Bits per channel (PNG, JPEG). */
  bitDepth?: number;
  colour?: "gray" | "rgb" | "palette" | "cmyk";
  /** The format declares transparency (PNG colour type or tRNS, WebP flag). */
  alpha?: boolean;
  /** More than one frame (GIF with two image blocks, APNG, animated WebP). */
  animated?: boolean;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const u16be = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u32be = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u16le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u24le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
const i32le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);

/**
 * Format, pixel size and conversions from the first bytes of an image file
 * (format "" if it is none of the known ones). Truncated headers give what
 * could be read. Never throws.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  try {
    return readHeader(bytes);
  } catch {
    return {format: ""};
  }
}

function readHeader(b: Uint8Array): ImageHeader {
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === "PNG") return pngHeader(b);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegHeader(b);
  if (b.length >= 10 && /^GIF8[79]a$/.test(ascii(b, 0, 6))) return gifHeader(b);
  if (b.length >= 16 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return webpHeader(b);
  if (b.length >= 26 && ascii(b, 0, 2) === "BM") return {format: "BMP", width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22))};
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp") {
    const brand = ascii(b, 8, 4);
    if (/^avi[fs]$/.test(brand)) return {format: "AVIF"};
    if (/^(heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand)) return {format: "HEIC"};
  }
  if (b.length >= 4 && (ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*")) return {format: "TIFF"};
  if (/<svg[\s>]/i.test(ascii(b, 0, Math.min(b.length, 1024)))) return {format: "SVG"};
  return {format: ""};
}

function pngHeader(b: Uint8Array): ImageHeader {
  // Signature (8), then the IHDR chunk: length, "IHDR", width, height, bit depth, colour type.
  const colourType = b[25];
  const header: ImageHeader = {
    format: "PNG",
    width: u32be(b, 16),
    height: u32be(b, 20),
    bitDepth: b[24],
    colour: colourType === 0 || colourType === 4 ? "gray" : colourType === 3 ? "palette" : "rgb",
    alpha: colourType === 4 || colourType === 6,
  };
  // Chunks before the image data: acTL (animated PNG), tRNS (transparency).
  for (let at = 8; at + 8 <= b.length; ) {
    const length = u32be(b, at);
    const type = ascii(b, at + 4, 4);
    if (type === "IDAT" || type === "IEND") break;
    if (type === "acTL" && at + 12 <= b.length && u32be(b, at + 8) > 1) header.animated = true;
    if (type === "tRNS") header.alpha = true;
    at += 12 + length;
  }
  return header;
}

function jpegHeader(b: Uint8Array): ImageHeader {
  const header: ImageHeader = {format: "JPEG"};
  for (let at = 2; at + 4 <= b.length; ) {
    if (b[at] !== 0xff) break;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = u16be(b, at + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, components.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      header.bitDepth = b[at + 4];
      header.height = u16be(b, at + 5);
      header.width = u16be(b, at + 7);
      const components = b[at + 9];
      // 4 components: CMYK or YCCK (Adobe APP14 says which); both become RGB in the browser.
      header.colour = components === 1 ? "gray" : components === 4 ? "cmyk" : "rgb";
      break;
    }
    if (marker === 0xda) break; // start of scan: no frame header before it
    at += 2 + length;
  }
  return header;
}

function gifHeader(b: Uint8Array): ImageHeader {
  const header: ImageHeader = {format: "GIF", width: u16le(b, 6), height: u16le(b, 8), colour: "palette"};
  // Walk the blocks after the logical screen descriptor and its colour table, counting image blocks.
  const packed = b[10];
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let frames = 0;
  const skipSubBlocks = () => {
    while (at < b.length && b[at] !== 0) at += b[at] + 1;
    at += 1;
  };
  while (at < b.length && frames < 2) {
    const block = b[at];
    if (block === 0x3b) break; // trailer
    if (block === 0x21) {
      // Extension: label, then data sub-blocks. A graphic control extension may declare transparency.
      if (b[at + 1] === 0xf9 && b[at + 3] & 1) header.alpha = true;
      at += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      frames++;
      const local = b[at + 9];
      at += 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
      at += 1; // LZW minimum code size
      skipSubBlocks();
    } else break;
  }
  if (frames > 1) header.animated = true;
  return header;
}

function webpHeader(b: Uint8Array): ImageHeader {
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8X" && b.length >= 30) {
    const flags = b[20];
    return {format: "WebP", width: u24le(b, 24) + 1, height: u24le(b, 27) + 1, alpha: !!(flags & 0x10), animated: !!(flags & 0x02)};
  }
  if (chunk === "VP8L" && b.length >= 25) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return {format: "WebP", width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: !!((bits >>> 28) & 1)};
  }
  if (chunk === "VP8 " && b.length >= 30) return {format: "WebP", width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff};
  return {format: "WebP"};
}

// ---------------------------------------------------------------------------
// Pure steps of the conversion (tested in Node).
// ---------------------------------------------------------------------------

/**
 * RGBA bytes as canvas getImageData returns them (not premultiplied) ->
 * RGB composited over black: round(value * alpha / 255). Fully opaque
 * pixels keep their values exactly, fully transparent ones become 0.
 */
export function compositeOverBlack(rgba: Uint8ClampedArray | Uint8Array): {rgb: Uint8Array; transparent: boolean} {
  const n = rgba.length / 4;
  const rgb = new Uint8Array(n * 3);
  let transparent = false;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3];
    if (a === 255) {
      rgb[3 * i] = rgba[4 * i];
      rgb[3 * i + 1] = rgba[4 * i + 1];
      rgb[3 * i + 2] = rgba[4 * i + 2];
    } else {
      transparent = true;
      rgb[3 * i] = Math.round((rgba[4 * i] * a) / 255);
      rgb[3 * i + 1] = Math.round((rgba[4 * i + 1] * a) / 255);
      rgb[3 * i + 2] = Math.round((rgba[4 * i + 2] * a) / 255);
    }
  }
  return {rgb, transparent};
}

/** The size the browser shrinks a width x height photo to before the exact resize (the same size if it is small enough). */
export function preshrinkSize(width: number, height: number, limit = PRESHRINK): {width: number; height: number} {
  const longer = Math.max(width, height);
  if (longer <= limit) return {width, height};
  const scale = limit / longer;
  return {width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale))};
}

/** FNV-1a (32 bits) as 8 hex digits. */
export function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** The id of an uploaded photo: "upload-" and the hash of its pixels. */
export function uploadId(pixels: Uint8Array): string {
  return `upload-${fnv1a(pixels)}`;
}

/**
 * Decoded RGB pixels (any size) -> the model's 224 x 224 bytes, with the
 * build loader's resize with pad. Throws an UploadError for a shape too thin
 * to resize (it would be less than one pixel across).
 */
export function toPhotoPixels(rgb: Uint8Array, width: number, height: number, name = "the photo"): Uint8Array {
  toPhotoLayout(width, height, name);
  return resizeWithPadUint8(rgb, height, width, 3, PHOTO_SIZE);
}

/** resizeWithPadLayout to 224 x 224, with an UploadError for the reader if the shape is too thin. */
export function toPhotoLayout(width: number, height: number, name = "the photo"): PadLayout {
  try {
    return resizeWithPadLayout(height, width, PHOTO_SIZE);
  } catch {
    throw new UploadError(`${name} is ${width} × ${height} pixels: too thin to fit into ${PHOTO_SIZE} × ${PHOTO_SIZE} (it would be less than one pixel ${width > height ? "high" : "wide"}). Crop it to a less extreme shape.`);
  }
}

/** Notes for the reader about what was converted, from the header and the decoding. */
export function conversionNotes(header: ImageHeader, {width, height, shrunkTo, transparent}: {width: number; height: number; shrunkTo?: {width: number; height: number}; transparent: boolean}): string[] {
  const notes: string[] = [];
  if (header.animated) notes.push("animated: the first frame is used");
  if (header.colour === "gray") notes.push("grayscale: copied to red, green and blue (R = G = B)");
  if (header.colour === "cmyk") notes.push("CMYK: converted to RGB by the browser (other programs may convert the colours a little differently)");
  if (header.bitDepth && header.bitDepth > 8) notes.push(`${header.bitDepth} bits per channel: reduced to 8 by the browser`);
  if (transparent) notes.push("transparent parts: composited over black, like the padding");
  if (shrunkTo) notes.push(`larger than ${PRESHRINK} pixels: first shrunk smoothly to ${shrunkTo.width} × ${shrunkTo.height}`);
  if (width !== height) {
    const layout = resizeWithPadLayout(height, width, PHOTO_SIZE);
    if (layout.top > 0 || layout.left > 0) notes.push(`padded with black ${layout.top > 0 ? "bands above and below" : "bands left and right"} to a square`);
  }
  return notes;
}

// ---------------------------------------------------------------------------
// Decoding in the browser.
// ---------------------------------------------------------------------------

const ACCEPTED = "JPEG, PNG, GIF, WebP, BMP or AVIF";
const HEADER_BYTES = 1 << 20;

/** File name in quotes, shortened for messages. */
function quoted(name: string): string {
  const short = name.length > 60 ? `${name.slice(0, 40)}…${name.slice(-15)}` : name;
  return `“${short || "the file"}”`;
}

function megapixels(w: number, h: number): string {
  return `${((w * h) / 1e6).toFixed(1)} megapixels`;
}

function tooLarge(name: string, width: number, height: number): UploadError {
  return new UploadError(`${quoted(name)} is ${width} × ${height} pixels (${megapixels(width, height)}); photos up to ${MAX_PIXELS / 1e6} megapixels are accepted. Shrink it first (the model only sees 224 × 224 anyway).`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new UploadError(message)), ms)))]).finally(() => clearTimeout(timer));
}

/** Loads an <img> from a blob URL: its natural size without decoding all of its pixels yet. */
function loadImageElement(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("not decodable"));
    img.src = url;
  });
}

/** RGBA of a bitmap or image drawn at width x height on a transparent canvas. */
function readRgba(source: CanvasImageSource, width: number, height: number): Uint8ClampedArray {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  if (!ctx) throw new UploadError("This browser gave no 2D canvas to read the photo's pixels from.");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

/**
 * A photo file -> an UploadedPhoto (see the top of this file). Throws
 * UploadError with a message for the reader when the file cannot be used.
 * Nothing is sent over the network: the file is read from memory.
 */
export async function decodePhoto(file: Blob & {name?: string}): Promise<UploadedPhoto> {
  const name = file.name ?? "";
  if (file.size === 0) throw new UploadError(`${quoted(name)} is empty (0 bytes). Choose a photo: ${ACCEPTED}.`);
  if (file.size > MAX_FILE_BYTES) throw new UploadError(`${quoted(name)} is ${(file.size / 2 ** 20).toFixed(0)} MB; files up to ${MAX_FILE_BYTES / 2 ** 20} MB are accepted.`);
  const header = readImageHeader(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer()));
  if (header.width && header.height && header.width * header.height > MAX_PIXELS) throw tooLarge(name, header.width, header.height);

  const notAnImage = () =>
    new UploadError(
      header.format === "HEIC" || header.format === "TIFF"
        ? `${quoted(name)} is a ${header.format} image, which this browser cannot decode: convert it to JPEG or PNG first.`
        : header.format
          ? `${quoted(name)} looks like a ${header.format} image but could not be decoded (damaged, or a variant this browser does not support). Choose another photo: ${ACCEPTED}.`
          : `${quoted(name)} is not an image: its content is in no format this browser can decode${/^image\//.test(file.type) ? ", whatever its name says" : ""}. Choose a photo: ${ACCEPTED}.`,
    );
  const url = URL.createObjectURL(file);
  try {
    const img = await withTimeout(loadImageElement(url), DECODE_TIMEOUT_MS, `${quoted(name)} took over a minute to open; try a smaller photo.`).catch((e) => {
      throw e instanceof UploadError ? e : notAnImage();
    });
    let width = img.naturalWidth;
    let height = img.naturalHeight;
    if (!width || !height) throw new UploadError(`${quoted(name)} has no size in pixels (an SVG without width and height?). Choose a photo: ${ACCEPTED}.`);
    if (width * height > MAX_PIXELS) throw tooLarge(name, width, height);
    toPhotoLayout(width, height, quoted(name)); // too thin: say so with the photo's own size
    const target = preshrinkSize(width, height);
    const shrink = target.width !== width || target.height !== height;

    // Decode off the main thread; give only the longer side, so the browser
    // keeps the proportions whatever orientation it applies.
    let rgba: Uint8ClampedArray;
    let decodedWidth: number;
    let decodedHeight: number;
    try {
      const options: ImageBitmapOptions = shrink ? {resizeQuality: "high", ...(width >= height ? {resizeWidth: target.width} : {resizeHeight: target.height})} : {};
      const bitmap = await withTimeout(createImageBitmap(file, options), DECODE_TIMEOUT_MS, `${quoted(name)} took over a minute to decode; try a smaller photo.`);
      try {
        decodedWidth = bitmap.width;
        decodedHeight = bitmap.height;
        if (!shrink) (width = decodedWidth), (height = decodedHeight);
        rgba = readRgba(bitmap, decodedWidth, decodedHeight);
      } finally {
        bitmap.close();
      }
    } catch (e) {
      if (e instanceof UploadError) throw e;
      // createImageBitmap refuses some images the <img> element shows (SVG): draw the element.
      ({width: decodedWidth, height: decodedHeight} = target);
      try {
        rgba = readRgba(img, decodedWidth, decodedHeight);
      } catch {
        throw notAnImage();
      }
    }
    const {rgb, transparent} = compositeOverBlack(rgba);
    const pixels = toPhotoPixels(rgb, decodedWidth, decodedHeight, quoted(name));
    const notes = conversionNotes(header, {width, height, shrunkTo: shrink ? {width: decodedWidth, height: decodedHeight} : undefined, transparent});
    return {id: uploadId(pixels), name, width, height, format: header.format, notes, pixels};
  } finally {
    URL.revokeObjectURL(url);
  }
}

// ---------------------------------------------------------------------------
// The page's current upload: in memory, in sessionStorage, in the gallery.
// ---------------------------------------------------------------------------

interface StoredPhoto {
  version: 1;
  id: string;
  name: string;
  width: number;
  height: number;
  format: string;
  notes: string[];
  pixels: string;
}

export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** The JSON kept in sessionStorage. */
export function serializePhoto(photo: UploadedPhoto): string {
  const stored: StoredPhoto = {version: 1, id: photo.id, name: photo.name, width: photo.width, height: photo.height, format: photo.format, notes: photo.notes, pixels: toBase64(photo.pixels)};
  return JSON.stringify(stored);
}

/** The photo in a stored JSON, or undefined if it is missing, damaged or from another version. */
export function parseStoredPhoto(json: string | null | undefined): UploadedPhoto | undefined {
  if (!json) return undefined;
  try {
    const s = JSON.parse(json) as Partial<StoredPhoto>;
    if (s.version !== 1 || typeof s.id !== "string" || !UPLOAD_ID_PATTERN.test(s.id) || typeof s.pixels !== "string") return undefined;
    const pixels = fromBase64(s.pixels);
    if (pixels.length !== PHOTO_SIZE * PHOTO_SIZE * 3 || uploadId(pixels) !== s.id) return undefined;
    const size = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : PHOTO_SIZE);
    return {
      id: s.id,
      name: typeof s.name === "string" ? s.name.slice(0, 300) : "",
      width: size(s.width),
      height: size(s.height),
      format: typeof s.format === "string" ? s.format.slice(0, 10) : "",
      notes: Array.isArray(s.notes) ? s.notes.filter((n): n is string => typeof n === "string").slice(0, 10) : [],
      pixels,
    };
  } catch {
    return undefined;
  }
}

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined; // storage disabled: the upload lives on this page only
  }
}

let current: UploadedPhoto | undefined;
let restored = false;

/** The current upload: set on this page, or restored from this tab's sessionStorage. */
export function currentUpload(): UploadedPhoto | undefined {
  if (!restored) {
    restored = true;
    try {
      current ??= parseStoredPhoto(storage()?.getItem(UPLOAD_STORAGE_KEY));
    } catch {
      current = undefined;
    }
  }
  return current;
}

/**
 * Makes `photo` the current upload (undefined: forgets it) and keeps it in
 * sessionStorage for the other chapters. Returns false if it could not be
 * stored (storage full or disabled): it then lives on this page only.
 */
export function setCurrentUpload(photo: UploadedPhoto | undefined): boolean {
  restored = true;
  current = photo;
  try {
    const s = storage();
    if (!s) return false;
    if (photo) s.setItem(UPLOAD_STORAGE_KEY, serializePhoto(photo));
    else s.removeItem(UPLOAD_STORAGE_KEY);
    return true;
  } catch {
    return false;
  }
}

/** The pixels of the current upload if `id` is its id. */
export function uploadPixels(id: string | undefined): Uint8Array | undefined {
  const photo = currentUpload();
  return photo && photo.id === id ? photo.pixels : undefined;
}

/** The gallery entry of an uploaded photo: label -1, true class unknown. */
export function uploadEntry(photo: UploadedPhoto): GalleryImage {
  return {id: photo.id, wnid: "", label: -1, className: UPLOAD_CLASS_NAME, fixture: false, uploaded: true};
}

/**
 * Puts the current upload (if any) as the last entry of `gallery.images`,
 * replacing an earlier upload, so gallery indices and class names work for it
 * like for any gallery photo. Idempotent; returns the upload's index or -1.
 */
export function syncUpload(gallery: GalleryMeta): number {
  const photo = currentUpload();
  const images = gallery.images;
  const last = images[images.length - 1];
  if (photo && last?.uploaded && last.id === photo.id && images.filter((im) => im.uploaded).length === 1) return images.length - 1;
  for (let i = images.length - 1; i >= 0; i--) if (images[i].uploaded) images.splice(i, 1);
  if (!photo) return -1;
  images.push(uploadEntry(photo));
  return images.length - 1;
}
