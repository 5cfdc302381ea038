// The pure steps that turn decoded pixels into the model's 224 x 224 x 3
// bytes (see upload.ts for the whole path): compositing over black, the
// browser's pre-shrink size, the build loader's resize with pad, the photo's
// id, and the notes for the reader. Plain TypeScript without the DOM (tested
// in Node: test/upload.test.ts).
import {resizeWithPadLayout, resizeWithPadUint8, type PadLayout} from "../lib/resize-with-pad.js";
import type {ImageHeader} from "./image-header.js";

export const PHOTO_SIZE = 224;
/** Longer side above which the browser shrinks a photo (smoothly) before the exact resize with pad. */
export const PRESHRINK = 3 * PHOTO_SIZE;
/** Larger images are refused before decoding: 100 megapixels take 400 MB once decoded. */
export const MAX_PIXELS = 100_000_000;
/** Larger files are refused before reading. */
export const MAX_FILE_BYTES = 100 * 2 ** 20;

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
