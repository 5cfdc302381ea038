// The reader's own photo, Node side: the pure steps of
// src/components/upload.ts and the resize-with-pad it shares with the build's
// loader. The browser side (decoding, the picker, the pages) is
// test/e2e/upload.test.ts.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import {afterAll, beforeAll, beforeEach, describe, expect, it, vi} from "vitest";
import * as libResize from "../src/lib/resize-with-pad.js";
import * as libImage from "../src/lib/image.js";
import * as nodeResize from "../src/data/node/resize-with-pad.js";
import {readImage224} from "../src/data/node/sources.js";
import type {GalleryMeta} from "../src/compute/contract.js";
import {
  compositeOverBlack,
  conversionNotes,
  fnv1a,
  fromBase64,
  MAX_PIXELS,
  parseStoredPhoto,
  preshrinkSize,
  PRESHRINK,
  readImageHeader,
  serializePhoto,
  toBase64,
  toPhotoPixels,
  UPLOAD_CLASS_NAME,
  UPLOAD_STORAGE_KEY,
  uploadId,
  UploadError,
  type UploadedPhoto,
} from "../src/components/upload.js";
import {pattern, writeUploadFiles, type UploadFiles} from "./helpers/upload-files.js";

let tmp: string;
let files: UploadFiles;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "explain-upload-"));
  files = await writeUploadFiles(tmp);
});
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

const head = (file: string) => readImageHeader(new Uint8Array(fs.readFileSync(file).subarray(0, 1 << 20)));

describe("resize with pad: one implementation for the loader and the upload", () => {
  it("the loader's module re-exports the library's functions (no second copy)", () => {
    for (const name of ["resizeWithPad", "resizeWithPadLayout", "resizeWithPadUint8", "resizeBilinear", "toUint8"] as const) {
      expect(nodeResize[name]).toBe(libResize[name]);
      expect(libImage[name]).toBe(libResize[name]);
    }
  });

  it("toPhotoPixels on sharp's decoded pixels is bit-identical to the loader's readImage224 (wide, tall, upscaled, 224, tiny)", async () => {
    const cases: [number, number][] = [[480, 320], [320, 480], [150, 400], [100, 37], [224, 224], [672, 500], [1, 1], [3, 2]];
    for (const [w, h] of cases) {
      const file = path.join(tmp, `case-${w}x${h}.png`);
      await sharp(pattern(w, h), {raw: {width: w, height: h, channels: 3}}).png().toFile(file);
      const decoded = new Uint8Array(await sharp(file).raw().toBuffer());
      const upload = toPhotoPixels(decoded, w, h);
      const loader = await readImage224(file);
      expect(upload.length, `${w}x${h}`).toBe(224 * 224 * 3);
      expect(Buffer.compare(Buffer.from(upload), Buffer.from(loader)), `${w}x${h}`).toBe(0);
    }
  });

  it("a 224 x 224 photo comes through unchanged; a 480 x 320 one gets black bands above and below", () => {
    const square = pattern(224, 224);
    expect(Buffer.compare(Buffer.from(toPhotoPixels(square, 224, 224)), Buffer.from(square))).toBe(0);
    const wide = toPhotoPixels(pattern(480, 320), 480, 320);
    const {top, resizedHeight} = libResize.resizeWithPadLayout(320, 480, 224);
    expect(top).toBe(37);
    expect(wide.subarray(0, top * 224 * 3).every((v) => v === 0)).toBe(true);
    expect(wide.subarray((top + resizedHeight) * 224 * 3).every((v) => v === 0)).toBe(true);
    expect(wide.subarray(top * 224 * 3, (top + resizedHeight) * 224 * 3).some((v) => v > 0)).toBe(true);
  });

  it("a shape too thin for 224 x 224 is an UploadError that says so", () => {
    expect(() => toPhotoPixels(new Uint8Array(2000 * 3), 2000, 1, "“thin.png”")).toThrow(UploadError);
    expect(() => toPhotoPixels(new Uint8Array(2000 * 3), 2000, 1, "“thin.png”")).toThrow(/“thin.png” is 2000 × 1 pixels: too thin .* less than one pixel high/);
    expect(() => toPhotoPixels(new Uint8Array(3 * 2000), 1, 2000)).toThrow(/less than one pixel wide/);
  });
});

describe("readImageHeader: format, size and conversions before decoding", () => {
  it("reads the fault files' headers", () => {
    expect(head(files.text)).toEqual({format: ""});
    expect(readImageHeader(new Uint8Array(0))).toEqual({format: ""});
    expect(head(files.huge)).toMatchObject({format: "JPEG", width: 8000, height: 8000, colour: "rgb", bitDepth: 8});
    expect(head(files.tooLarge)).toMatchObject({format: "PNG", width: 12000, height: 12000});
    expect(head(files.deep)).toMatchObject({format: "PNG", width: 300, height: 200, bitDepth: 16, colour: "rgb", alpha: false});
    expect(head(files.gray)).toMatchObject({format: "PNG", colour: "gray", bitDepth: 8});
    expect(head(files.grayJpeg)).toMatchObject({format: "JPEG", width: 300, height: 200, colour: "gray"});
    expect(head(files.cmyk)).toMatchObject({format: "JPEG", width: 300, height: 200, colour: "cmyk"});
    expect(head(files.cmykIcc)).toMatchObject({format: "JPEG", width: 300, height: 200, colour: "cmyk"}); // SOF after ~1 MB of ICC profile
    expect(head(files.alpha)).toMatchObject({format: "PNG", width: 224, height: 224, alpha: true});
    expect(head(files.animated)).toMatchObject({format: "GIF", width: 64, height: 48, animated: true});
    expect(head(files.wide)).toMatchObject({format: "PNG", width: 480, height: 320, alpha: false});
    expect(head(files.wide).animated).toBeUndefined();
  });

  it("WebP (lossy, lossless, alpha, animated), single-frame GIF, palette PNG with tRNS, AVIF, TIFF, BMP, SVG", async () => {
    const rgb = sharp(pattern(40, 30), {raw: {width: 40, height: 30, channels: 3}});
    const bytes = async (s: ReturnType<typeof sharp>) => new Uint8Array(await s.toBuffer());
    expect(readImageHeader(await bytes(rgb.clone().webp()))).toMatchObject({format: "WebP", width: 40, height: 30});
    expect(readImageHeader(await bytes(rgb.clone().webp({lossless: true})))).toMatchObject({format: "WebP", width: 40, height: 30});
    expect(readImageHeader(await bytes(rgb.clone().ensureAlpha(0.5).webp()))).toMatchObject({format: "WebP", width: 40, height: 30, alpha: true});
    const twoFrames = Uint8Array.from({length: 40 * 60 * 3}, (_, i) => (i < 40 * 30 * 3 ? 90 : 200)); // two different frames
    expect(readImageHeader(await bytes(sharp(twoFrames, {raw: {width: 40, height: 60, channels: 3, pageHeight: 30}}).webp({delay: [100, 100]})))).toMatchObject({format: "WebP", width: 40, height: 30, animated: true});
    const gif = readImageHeader(await bytes(rgb.clone().gif()));
    expect(gif).toMatchObject({format: "GIF", width: 40, height: 30});
    expect(gif.animated).toBeUndefined();
    expect(readImageHeader(await bytes(rgb.clone().ensureAlpha(0).png({palette: true})))).toMatchObject({format: "PNG", colour: "palette", alpha: true});
    expect(readImageHeader(await bytes(rgb.clone().avif()))).toMatchObject({format: "AVIF"});
    expect(readImageHeader(await bytes(rgb.clone().tiff()))).toMatchObject({format: "TIFF"});
    // A 3 x 2 BMP written by hand (sharp has no BMP writer): the header is what matters.
    const bmp = new Uint8Array(54 + 2 * 12);
    bmp.set([0x42, 0x4d]);
    new DataView(bmp.buffer).setInt32(18, 3, true);
    new DataView(bmp.buffer).setInt32(22, -2, true); // top-down rows
    expect(readImageHeader(bmp)).toMatchObject({format: "BMP", width: 3, height: 2});
    expect(readImageHeader(new TextEncoder().encode('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'))).toMatchObject({format: "SVG"});
  });

  it("a JPEG with EXIF before its frame header and a truncated file never throw", async () => {
    const withExif = new Uint8Array(await sharp(pattern(64, 32), {raw: {width: 64, height: 32, channels: 3}}).withMetadata({orientation: 6}).jpeg().toBuffer());
    expect(readImageHeader(withExif)).toMatchObject({format: "JPEG", width: 64, height: 32});
    const full = new Uint8Array(fs.readFileSync(files.huge).subarray(0, 4096));
    for (const n of [1, 2, 3, 5, 11, 20, 100]) expect(() => readImageHeader(full.subarray(0, n))).not.toThrow();
    expect(readImageHeader(full.subarray(0, 3)).format).toBe("JPEG");
    const gifBytes = new Uint8Array(fs.readFileSync(files.animated));
    for (let n = 0; n < gifBytes.length; n += 7) expect(() => readImageHeader(gifBytes.subarray(0, n))).not.toThrow();
  });
});

describe("conversion steps", () => {
  it("compositeOverBlack: opaque pixels exact, transparent ones black, partial ones scaled by alpha", () => {
    const rgba = Uint8Array.from([200, 60, 30, 255, 200, 60, 30, 0, 200, 60, 30, 128, 255, 255, 255, 1]);
    const {rgb, transparent} = compositeOverBlack(rgba);
    expect(Array.from(rgb)).toEqual([200, 60, 30, 0, 0, 0, 100, 30, 15, 1, 1, 1]);
    expect(transparent).toBe(true);
    const opaque = compositeOverBlack(Uint8Array.from([1, 2, 3, 255]));
    expect(Array.from(opaque.rgb)).toEqual([1, 2, 3]);
    expect(opaque.transparent).toBe(false);
  });

  it("preshrinkSize: at most PRESHRINK on the longer side, proportions kept, never 0", () => {
    expect(PRESHRINK).toBe(672);
    expect(preshrinkSize(8000, 8000)).toEqual({width: 672, height: 672});
    expect(preshrinkSize(4032, 3024)).toEqual({width: 672, height: 504});
    expect(preshrinkSize(3024, 4032)).toEqual({width: 504, height: 672});
    expect(preshrinkSize(672, 300)).toEqual({width: 672, height: 300});
    expect(preshrinkSize(320, 480)).toEqual({width: 320, height: 480}); // Imagenette's 320-pixel size: untouched
    expect(preshrinkSize(320, 700)).toEqual({width: 307, height: 672});
    expect(preshrinkSize(100000, 3)).toEqual({width: 672, height: 1});
    expect(MAX_PIXELS).toBe(100_000_000);
  });

  it("conversionNotes name what was converted, and nothing for a plain square RGB photo", () => {
    expect(conversionNotes({format: "JPEG", colour: "rgb", bitDepth: 8}, {width: 224, height: 224, transparent: false})).toEqual([]);
    const notes = conversionNotes({format: "GIF", colour: "gray", animated: true, bitDepth: 16}, {width: 8000, height: 4000, shrunkTo: {width: 672, height: 336}, transparent: true});
    expect(notes.join("\n")).toMatch(/first frame/);
    expect(notes.join("\n")).toMatch(/R = G = B/);
    expect(notes.join("\n")).toMatch(/16 bits per channel: reduced to 8/);
    expect(notes.join("\n")).toMatch(/composited over black/);
    expect(notes.join("\n")).toMatch(/shrunk smoothly to 672 × 336/);
    expect(notes.join("\n")).toMatch(/bands above and below/);
    expect(conversionNotes({format: "JPEG", colour: "cmyk"}, {width: 200, height: 300, transparent: false}).join("\n")).toMatch(/CMYK: converted to RGB[^]*bands left and right/);
  });

  it("ids: 'upload-' + FNV-1a of the pixels, valid as the view's image key, different for different photos", () => {
    expect(fnv1a(new Uint8Array(0))).toBe("811c9dc5");
    expect(fnv1a(new TextEncoder().encode("a"))).toBe("e40c292c"); // FNV-1a test vector
    const a = pattern(224, 224);
    const b = a.slice();
    b[1000] ^= 1;
    expect(uploadId(a)).toMatch(/^upload-[0-9a-f]{8}$/);
    expect(uploadId(a)).toMatch(/^[\w.\-]{0,200}$/); // view-state.ts's pattern for `image`
    expect(uploadId(a)).not.toBe(uploadId(b));
  });
});

function photo(pixels = pattern(224, 224)): UploadedPhoto {
  return {id: uploadId(pixels), name: "cat.jpg", width: 4032, height: 3024, format: "JPEG", notes: ["larger than 672 pixels: first shrunk smoothly to 672 × 504"], pixels};
}

describe("keeping the upload for the next chapter (sessionStorage)", () => {
  it("base64 round trip of all byte values", () => {
    const all = Uint8Array.from({length: 70000}, (_, i) => (i * 7) % 256);
    expect(Buffer.compare(Buffer.from(fromBase64(toBase64(all))), Buffer.from(all))).toBe(0);
    expect(toBase64(all)).toBe(Buffer.from(all).toString("base64"));
  });

  it("serialize / parse round trip; about 200 KB", () => {
    const p = photo();
    const json = serializePhoto(p);
    expect(json.length).toBeLessThan(210_000);
    const back = parseStoredPhoto(json)!;
    expect(back).toMatchObject({id: p.id, name: p.name, width: 4032, height: 3024, format: "JPEG", notes: p.notes});
    expect(Buffer.compare(Buffer.from(back.pixels), Buffer.from(p.pixels))).toBe(0);
  });

  it("a missing, damaged, tampered or foreign entry is ignored (the page falls back to the gallery)", () => {
    const json = serializePhoto(photo());
    const obj = JSON.parse(json);
    expect(parseStoredPhoto(null)).toBeUndefined();
    expect(parseStoredPhoto("")).toBeUndefined();
    expect(parseStoredPhoto("{not json")).toBeUndefined();
    expect(parseStoredPhoto(json.slice(0, 5000))).toBeUndefined();
    expect(parseStoredPhoto(JSON.stringify({...obj, version: 2}))).toBeUndefined();
    expect(parseStoredPhoto(JSON.stringify({...obj, id: "upload-00000000"}))).toBeUndefined(); // pixels do not match the id
    expect(parseStoredPhoto(JSON.stringify({...obj, id: "../../etc"}))).toBeUndefined();
    expect(parseStoredPhoto(JSON.stringify({...obj, pixels: toBase64(new Uint8Array(100))}))).toBeUndefined();
    expect(parseStoredPhoto(JSON.stringify({...obj, pixels: "%%%"}))).toBeUndefined();
  });
});

describe("the upload as a gallery entry (what the pages see)", () => {
  const gallery = (): GalleryMeta => ({
    size: 224,
    classes: [{index: 0, name: "tench", wnid: "n01440764", imagenetIndex: 0} as never, {index: 1, name: "English springer", wnid: "n02102040", imagenetIndex: 217} as never],
    selection: "test",
    images: [
      {id: "a.JPEG", wnid: "n01440764", label: 0, className: "tench", fixture: false},
      {id: "b.JPEG", wnid: "n02102040", label: 1, className: "English springer", fixture: false},
    ],
  });
  const pixels = new Uint8Array(2 * 224 * 224 * 3).map((_, i) => (i < 224 * 224 * 3 ? 10 : 20));
  let store: Map<string, string>;

  beforeEach(() => {
    vi.resetModules(); // a fresh page: module state (the current upload) starts empty
    store = new Map();
    vi.stubGlobal("sessionStorage", {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    });
  });
  afterAll(() => vi.unstubAllGlobals());

  it("an upload becomes the last entry (label -1, true class unknown); index, pixels and class name resolve; forgetting removes it", async () => {
    const upload = await import("../src/components/upload.js");
    const picker = await import("../src/components/image-picker.js");
    const g = gallery();
    const p = photo();
    expect(upload.setCurrentUpload(p)).toBe(true);
    expect(store.has(UPLOAD_STORAGE_KEY)).toBe(true);
    const i = picker.galleryIndex(g, p.id);
    expect(i).toBe(2);
    expect(g.images[i]).toEqual({id: p.id, wnid: "", label: -1, className: UPLOAD_CLASS_NAME, fixture: false, uploaded: true});
    expect(picker.photoPixels(g, pixels, i)).toBe(p.pixels);
    expect(picker.photoPixels(g, pixels, 1)[0]).toBe(20);
    expect(picker.galleryIndex(g, "b.JPEG")).toBe(1);
    // Idempotent; a second upload replaces the first.
    upload.syncUpload(g);
    upload.syncUpload(g);
    expect(g.images.filter((im) => im.uploaded)).toHaveLength(1);
    const other = photo(pattern(224, 224).map((v) => 255 - v));
    upload.setCurrentUpload(other);
    expect(picker.galleryIndex(g, other.id)).toBe(2);
    expect(picker.galleryIndex(g, p.id)).toBe(0); // the old upload is gone: first photo
    expect(g.images).toHaveLength(3);
    // No accuracy can count it: its label is no class.
    expect(g.classes.some((c) => c.index === g.images[2].label)).toBe(false);
    upload.setCurrentUpload(undefined);
    expect(store.has(UPLOAD_STORAGE_KEY)).toBe(false);
    expect(picker.galleryIndex(g, other.id)).toBe(0);
    expect(g.images).toHaveLength(2);
  });

  it("the next chapter (a fresh module, same tab storage) finds the stored upload; without it, the first gallery photo", async () => {
    const p = photo();
    store.set(UPLOAD_STORAGE_KEY, serializePhoto(p));
    const picker = await import("../src/components/image-picker.js");
    const g = gallery();
    const i = picker.galleryIndex(g, p.id);
    expect(g.images[i].className).toBe(UPLOAD_CLASS_NAME);
    expect(Buffer.compare(Buffer.from(picker.photoPixels(g, pixels, i)), Buffer.from(p.pixels))).toBe(0);

    vi.resetModules();
    store.clear();
    const fresh = await import("../src/components/image-picker.js");
    const g2 = gallery();
    expect(fresh.galleryIndex(g2, p.id)).toBe(0);
    expect(g2.images).toHaveLength(2);

    vi.resetModules();
    store.set(UPLOAD_STORAGE_KEY, "{broken");
    const damaged = await import("../src/components/image-picker.js");
    const g3 = gallery();
    expect(damaged.galleryIndex(g3, p.id)).toBe(0);
    expect(g3.images).toHaveLength(2);
  });

  it("storage that throws (disabled, full) leaves the upload on this page only", async () => {
    vi.stubGlobal("sessionStorage", {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => {},
    });
    const upload = await import("../src/components/upload.js");
    const picker = await import("../src/components/image-picker.js");
    const g = gallery();
    expect(picker.galleryIndex(g, "x")).toBe(0);
    const p = photo();
    expect(upload.setCurrentUpload(p)).toBe(false);
    expect(picker.galleryIndex(g, p.id)).toBe(2);
  });
});

describe("the gallery's upload entry: one implementation for the page and the compute worker", () => {
  const base = (): GalleryMeta => ({size: 2, classes: [{index: 0, wnid: "n0", name: "tench"}] as GalleryMeta["classes"], selection: "", images: [
    {id: "a.JPEG", wnid: "n0", label: 0, className: "tench", fixture: false},
    {id: "b.JPEG", wnid: "n0", label: 0, className: "tench", fixture: false},
  ]});

  it("withUpload adds, replaces and removes the upload as the last entry, and returns the same array when nothing changes", async () => {
    const {withUpload, uploadEntry} = await import("../src/shared/gallery-data.js");
    const g = base();
    const one = withUpload(g.images, "upload-0000000a");
    expect(one).not.toBe(g.images);
    expect(one.map((im) => im.id)).toEqual(["a.JPEG", "b.JPEG", "upload-0000000a"]);
    expect(one[2]).toEqual(uploadEntry("upload-0000000a"));
    expect(one[2]).toEqual({id: "upload-0000000a", wnid: "", label: -1, className: UPLOAD_CLASS_NAME, fixture: false, uploaded: true});
    expect(withUpload(one, "upload-0000000a")).toBe(one);
    const two = withUpload(one, "upload-0000000b");
    expect(two.map((im) => im.id)).toEqual(["a.JPEG", "b.JPEG", "upload-0000000b"]);
    const none = withUpload(two, undefined);
    expect(none.map((im) => im.id)).toEqual(["a.JPEG", "b.JPEG"]);
    expect(withUpload(none, undefined)).toBe(none);
    expect(g.images).toHaveLength(2); // pure: the input is untouched
  });

  it("photoIndex and photoAt: an unknown id is the first photo; an upload has its own pixels, the others their slice", async () => {
    const {photoAt, photoIndex, withUpload} = await import("../src/shared/gallery-data.js");
    const g = base();
    g.images = [...withUpload(g.images, "upload-0000000a")];
    const galleryPixels = Uint8Array.from({length: 2 * 12}, (_, i) => i);
    const own = new Uint8Array(12).fill(99);
    const uploads = (id: string) => (id === "upload-0000000a" ? own : undefined);
    expect(photoIndex(g, "b.JPEG")).toBe(1);
    expect(photoIndex(g, "upload-0000000a")).toBe(2);
    expect(photoIndex(g, "missing")).toBe(0);
    expect(photoAt(g, galleryPixels, 1, uploads)).toEqual(galleryPixels.subarray(12, 24));
    expect(photoAt(g, galleryPixels, 2, uploads)).toBe(own);
    expect(photoAt(g, galleryPixels, 0, uploads)[0]).toBe(0);
  });
});
