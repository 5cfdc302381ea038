// Decoding the reader's photo in the browser (steps 1 to 3 of upload.ts):
// checks on the file and its header, the browser's decoder (createImageBitmap,
// or an <img> element where that fails), the pre-shrink, and reading the
// pixels back from a canvas. Everything after that is photo-pixels.ts.
import {readImageHeader, type ImageHeader} from "./image-header.js";
import {compositeOverBlack, conversionNotes, MAX_FILE_BYTES, MAX_PIXELS, preshrinkSize, toPhotoLayout, toPhotoPixels, uploadId, UploadError, type UploadedPhoto} from "./photo-pixels.js";

/** A decode that takes longer than this is given up with a message, not left spinning. */
const DECODE_TIMEOUT_MS = 60_000;
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
