// The files of the upload fault suite ("not an image, zero bytes,
// 8000x8000 pixels, 16-bit PNG, grayscale, CMYK JPEG, PNG with alpha,
// animated GIF"), plus a few more edge cases, written with sharp into a
// folder. Used by test/upload.test.ts (Node) and test/e2e/upload.test.ts
// (the same files uploaded in Chromium).
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";

/** A smooth, non-symmetric RGB pattern (w x h x 3), so a resize, a flip or a channel swap shows. */
export function pattern(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      out[i] = Math.round((255 * x) / Math.max(1, width - 1));
      out[i + 1] = Math.round((255 * y) / Math.max(1, height - 1));
      out[i + 2] = Math.round(128 + 100 * Math.sin((x + 2 * y) / 23));
    }
  }
  return out;
}

/**
 * The pattern with vertical stripes 2 pixels wide (dark, light) on the right
 * half: detail far finer than 224 pixels can show. A smooth shrink turns it
 * into an even grey; resize_with_pad alone (bilinear, no antialiasing) picks a
 * few columns and shows false coarse stripes (aliasing).
 */
export function striped(width: number, height: number): Uint8Array {
  const out = pattern(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = width >> 1; x < width; x++) {
      const v = (x >> 1) & 1 ? 230 : 25;
      out.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return out;
}

export interface UploadFiles {
  dir: string;
  /** Plain text with an image-like name. */
  text: string;
  /** Zero bytes. */
  empty: string;
  /** 8000 x 8000 JPEG: the smooth pattern, with fine stripes on its right half (see `striped`). */
  huge: string;
  /** 12000 x 12000 PNG: over the 100-megapixel limit. */
  tooLarge: string;
  /** 300 x 200 RGB PNG, 16 bits per channel; its 8-bit version is `deep8`. */
  deep: string;
  deep8: Uint8Array;
  /** 300 x 200 grayscale 8-bit PNG. */
  gray: string;
  /** 300 x 200 grayscale JPEG. */
  grayJpeg: string;
  /** 300 x 200 CMYK JPEGs made from `pattern(300, 200)`: without a colour profile, and with libvips' CMYK profile embedded. */
  cmyk: string;
  cmykIcc: string;
  /** 224 x 224 RGBA PNG: left third alpha 0, middle alpha 128, right third opaque; colour `alphaColour`. */
  alpha: string;
  alphaRgba: Uint8Array;
  /** 64 x 48 animated GIF: a red frame, then a blue one. */
  animated: string;
  /** 2000 x 1 PNG: too thin for 224 x 224. */
  thin: string;
  /** 480 x 320 RGB PNG of the pattern (lossless: the browser must give exactly these pixels). */
  wide: string;
  /** 150 x 400 RGB PNG (portrait, upscaled). */
  tall: string;
}

export async function writeUploadFiles(dir: string): Promise<UploadFiles> {
  fs.mkdirSync(dir, {recursive: true});
  const at = (name: string) => path.join(dir, name);
  const raw = (data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4) => sharp(data, {raw: {width, height, channels}});

  const text = at("notes.jpg");
  fs.writeFileSync(text, "These are my notes, not a photo.\n");
  const empty = at("empty.png");
  fs.writeFileSync(empty, new Uint8Array(0));

  const huge = at("huge-8000x8000.jpg");
  if (!fs.existsSync(huge)) await raw(striped(8000, 8000), 8000, 8000, 3).jpeg({quality: 90}).toFile(huge);
  const tooLarge = at("too-large-12000x12000.png");
  if (!fs.existsSync(tooLarge)) await sharp({create: {width: 12000, height: 12000, channels: 3, background: {r: 40, g: 120, b: 200}}}).png({compressionLevel: 9}).toFile(tooLarge);

  const deep8 = pattern(300, 200);
  const deep16 = Uint16Array.from(deep8, (v, i) => v * 257 + (i % 7) * 20); // low byte varies: not just 8 bits padded
  const deep = at("deep-16bit.png");
  await raw(deep16, 300, 200, 3).toColourspace("rgb16").png().toFile(deep);

  const grayValues = Uint8Array.from({length: 300 * 200}, (_, i) => (i % 300) * 0.8 + Math.floor(i / 300) * 0.1);
  const gray = at("gray.png");
  await raw(grayValues, 300, 200, 1).toColourspace("b-w").png().toFile(gray);
  const grayJpeg = at("gray.jpg");
  await raw(grayValues, 300, 200, 1).toColourspace("b-w").jpeg({quality: 95}).toFile(grayJpeg);

  const cmyk = at("cmyk.jpg");
  await raw(pattern(300, 200), 300, 200, 3).toColourspace("cmyk").jpeg({quality: 95}).toFile(cmyk);
  const cmykIcc = at("cmyk-icc.jpg");
  await raw(pattern(300, 200), 300, 200, 3).withIccProfile("cmyk").jpeg({quality: 95}).toFile(cmykIcc);

  const alphaRgba = new Uint8Array(224 * 224 * 4);
  for (let y = 0; y < 224; y++) {
    for (let x = 0; x < 224; x++) {
      const i = (y * 224 + x) * 4;
      alphaRgba.set([200, 60, 30, x < 75 ? 0 : x < 150 ? 128 : 255], i);
    }
  }
  const alpha = at("alpha.png");
  await raw(alphaRgba, 224, 224, 4).png().toFile(alpha);

  const frames = new Uint8Array(64 * 96 * 3);
  for (let p = 0; p < 64 * 96; p++) frames.set(p < 64 * 48 ? [255, 0, 0] : [0, 0, 255], p * 3);
  const animated = at("animated.gif");
  await sharp(frames, {raw: {width: 64, height: 96, channels: 3, pageHeight: 48}}).gif({delay: [500, 500], loop: 0}).toFile(animated);

  const thin = at("thin-2000x1.png");
  await raw(pattern(2000, 1), 2000, 1, 3).png().toFile(thin);
  const wide = at("wide-480x320.png");
  await raw(pattern(480, 320), 480, 320, 3).png().toFile(wide);
  const tall = at("tall-150x400.png");
  await raw(pattern(150, 400), 150, 400, 3).png().toFile(tall);

  return {dir, text, empty, huge, tooLarge, deep, deep8, gray, grayJpeg, cmyk, cmykIcc, alpha, alphaRgba, animated, thin, wide, tall};
}
