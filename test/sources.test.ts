// Sources configuration, resize-with-pad (TensorFlow's semantics, checked on
// hand-computed cases), image decoding and the Imagenette folder listing.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import * as tf from "@tensorflow/tfjs";
import {resizeBilinear, resizeWithPad, resizeWithPadLayout, resizeWithPadUint8, toUint8} from "../src/data/node/resize-with-pad.js";
import {
  IMAGENETTE_320,
  IMAGENETTE_WNIDS,
  listImagenette,
  PROJECT_ROOT,
  readImage224,
  resolveImagenetteVal,
  resolveWeightsFile,
  sourcesConfig,
  TORCHVISION_RESNET18,
} from "../src/data/node/sources.js";
import {fixture, index, SHARED} from "./helpers/fixtures.js";

const VAL = path.join(SHARED, "imagenette2", "val");
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "explain-sources-"));
});
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

describe("resizeWithPadLayout (tf.image.resize_with_pad, float32 like TensorFlow)", () => {
  // Expected values computed with numpy float32, following image_ops_impl.py.
  it.each([
    [320, 480, {resizedHeight: 149, resizedWidth: 224, top: 37, left: 0}],
    [480, 320, {resizedHeight: 224, resizedWidth: 149, top: 0, left: 37}],
    // Padding comes from the float size: floor((224 - 134.4) / 2) = 44, not (224 - 134) / 2 = 45.
    [300, 500, {resizedHeight: 134, resizedWidth: 224, top: 44, left: 0}],
    // float32: 256 / (256 / 224) = 223.99998 -> 223 columns, as TensorFlow does.
    [200, 256, {resizedHeight: 174, resizedWidth: 223, top: 24, left: 0}],
    [320, 426, {resizedHeight: 168, resizedWidth: 224, top: 27, left: 0}],
    [320, 427, {resizedHeight: 167, resizedWidth: 224, top: 28, left: 0}],
    [224, 224, {resizedHeight: 224, resizedWidth: 224, top: 0, left: 0}],
  ])("%i x %i", (h, w, layout) => {
    expect(resizeWithPadLayout(h, w, 224, 224)).toEqual(layout);
  });

  it("refuses sizes that shrink to nothing and bad arguments", () => {
    expect(() => resizeWithPadLayout(1, 1000, 224)).toThrow(/aspect ratio/);
    expect(() => resizeWithPadLayout(0, 10, 224)).toThrow(/positive integer/);
  });
});

describe("resizeWithPad / resizeBilinear on hand-computed cases", () => {
  it("2x4 -> 4x4: no resize (ratio 1), one zero row above and below", () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const {data, layout} = resizeWithPad(src, 2, 4, 1, 4, 4);
    expect(layout).toEqual({resizedHeight: 2, resizedWidth: 4, top: 1, left: 0});
    expect(Array.from(data)).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
  });

  it("2x4 -> 2x2: downsample to 1x2 (half-pixel centres average 2x2 blocks), zero row below", () => {
    const src = Float32Array.from([0, 2, 4, 6, 8, 10, 12, 14]);
    const {data, layout} = resizeWithPad(src, 2, 4, 1, 2, 2);
    expect(layout).toEqual({resizedHeight: 1, resizedWidth: 2, top: 0, left: 0});
    expect(Array.from(data)).toEqual([5, 9, 0, 0]);
  });

  it("3x3 -> 6x6 upsample with half-pixel centres and clamped edges", () => {
    // 1-D: src = (y + 0.5) / 2 - 0.5 -> [-0.25, 0.25, 0.75, 1.25, 1.75, 2.25]:
    // [a, b, c] -> [a, a+(b-a)/4, a+3(b-a)/4, b+(c-b)/4, b+3(c-b)/4, c].
    // Channel 0: 12*i + 4*j (separable: F[y] + G[x]); channel 1: one bright centre pixel.
    const src = new Float32Array(3 * 3 * 2);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) src[(i * 3 + j) * 2] = 12 * i + 4 * j;
    src[(1 * 3 + 1) * 2 + 1] = 16;
    const out = resizeWithPad(src, 3, 3, 2, 6, 6).data;
    const F = [0, 3, 9, 15, 21, 24];
    const G = [0, 1, 3, 5, 7, 8];
    const W = [0, 0.25, 0.75, 0.75, 0.25, 0];
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 6; x++) {
        expect(out[(y * 6 + x) * 2]).toBe(F[y] + G[x]);
        expect(out[(y * 6 + x) * 2 + 1]).toBe(16 * W[y] * W[x]);
      }
    }
  });

  it("320x480 -> 224x224: 149 resized rows at 37, zero rows above and below, full width", () => {
    const h = 320, w = 480;
    const src = new Uint8Array(h * w * 3);
    for (let p = 0; p < h * w; p++) src.set([200, 100, 50], p * 3);
    const out = resizeWithPadUint8(src, h, w, 3, 224, 224);
    expect(out.length).toBe(224 * 224 * 3);
    const row = (y: number) => Array.from(out.subarray(y * 224 * 3, (y + 1) * 224 * 3));
    for (let y = 0; y < 224; y++) {
      const inside = y >= 37 && y < 37 + 149;
      expect(new Set(row(y).map((v, i) => (inside ? v - [200, 100, 50][i % 3] : v)))).toEqual(new Set([0]));
    }
  });

  // tfjs computes the source coordinates in float64, TensorFlow (and we) in
  // float32: on 0..255 data that moves values by up to ~1e-3.
  it("matches tfjs resizeBilinear(halfPixelCenters) on random data within float rounding", () => {
    let seed = 7;
    const src = Float32Array.from({length: 37 * 53 * 3}, () => ((seed = (seed * 16807) % 2147483647) % 256));
    for (const [oh, ow] of [[23, 31], [80, 101], [37, 53]]) {
      const ours = resizeBilinear(src, 37, 53, 3, oh, ow);
      const theirs = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(src, [37, 53, 3]), [oh, ow], false, true).dataSync());
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
      expect(max).toBeLessThan(2e-3);
    }
  });

  it("rounds half to even (like tf.round), clips to [0, 255]; other roundings on request", () => {
    const v = [0.5, 1.5, 2.5, 2.4999, 2.5001, -3, 300, 254.5, NaN];
    expect(Array.from(toUint8(v))).toEqual([0, 2, 2, 2, 3, 0, 255, 254, 0]);
    expect(Array.from(toUint8(v, "half-up"))).toEqual([1, 2, 3, 2, 3, 0, 255, 255, 0]);
    expect(Array.from(toUint8(v, "truncate"))).toEqual([0, 1, 2, 2, 2, 0, 255, 254, 0]);
  });
});

describe("readImage224", () => {
  it("decodes the fixture images bit-exactly like the reference", async () => {
    const images = fixture("images");
    const list = listImagenette(VAL, {onWarn: () => {}});
    for (const [i, name] of index.meta.images.entries()) {
      const entry = list.find((e) => path.basename(e.file) === name)!;
      const pixels = await readImage224(entry.file);
      expect(Buffer.compare(Buffer.from(pixels), Buffer.from(images.data.subarray(i * 150528, (i + 1) * 150528) as Uint8Array))).toBe(0);
    }
  });

  it("resizes a non-224 JPEG with pad, exactly as resizeWithPad on its decoded pixels", async () => {
    const h = 320, w = 480;
    const raw = new Uint8Array(h * w * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([(x * 255) / w, (y * 255) / h, 128], (y * w + x) * 3);
    const file = path.join(tmp, "wide.jpg");
    await sharp(raw, {raw: {width: w, height: h, channels: 3}}).jpeg({quality: 95}).toFile(file);
    const decoded = await sharp(file).raw().toBuffer();
    const pixels = await readImage224(file);
    expect(Buffer.compare(Buffer.from(pixels), Buffer.from(resizeWithPadUint8(new Uint8Array(decoded), h, w, 3, 224)))).toBe(0);
    expect(pixels.subarray(0, 37 * 224 * 3).every((v) => v === 0)).toBe(true);
    expect(pixels.subarray(186 * 224 * 3).every((v) => v === 0)).toBe(true);
    expect(pixels.subarray(37 * 224 * 3, 186 * 224 * 3).some((v) => v > 0)).toBe(true);
  });

  it("grayscale becomes R=G=B, alpha is dropped (not composited), CMYK becomes RGB", async () => {
    const gray = Uint8Array.from({length: 224 * 224}, (_, i) => i % 251);
    const grayFile = path.join(tmp, "gray.jpg");
    await sharp(gray, {raw: {width: 224, height: 224, channels: 1}}).toColourspace("b-w").jpeg().toFile(grayFile);
    expect(await sharp(grayFile).metadata()).toMatchObject({space: "b-w", channels: 1});
    const grayDecoded = await sharp(grayFile).toColourspace("b-w").raw().toBuffer();
    expect(grayDecoded.length).toBe(224 * 224);
    const g = await readImage224(grayFile);
    for (let p = 0; p < 224 * 224; p++) {
      expect(g[p * 3]).toBe(grayDecoded[p]);
      expect(g[p * 3 + 1]).toBe(grayDecoded[p]);
      expect(g[p * 3 + 2]).toBe(grayDecoded[p]);
    }

    const rgba = new Uint8Array(224 * 224 * 4);
    for (let p = 0; p < 224 * 224; p++) rgba.set([10, 20, 30, p % 2 ? 0 : 128], p * 4);
    const pngFile = path.join(tmp, "alpha.png");
    await sharp(rgba, {raw: {width: 224, height: 224, channels: 4}}).png().toFile(pngFile);
    const a = await readImage224(pngFile);
    for (let p = 0; p < 224 * 224; p++) expect([a[p * 3], a[p * 3 + 1], a[p * 3 + 2]]).toEqual([10, 20, 30]);

    const red = new Uint8Array(224 * 224 * 3);
    for (let p = 0; p < 224 * 224; p++) red.set([220, 20, 20], p * 3);
    const cmykFile = path.join(tmp, "cmyk.jpg");
    await sharp(red, {raw: {width: 224, height: 224, channels: 3}}).toColourspace("cmyk").jpeg().toFile(cmykFile);
    expect((await sharp(cmykFile).metadata()).space).toBe("cmyk");
    const c = await readImage224(cmykFile);
    expect(c.length).toBe(224 * 224 * 3);
    expect(c[0]).toBeGreaterThan(150);
    expect(c[1]).toBeLessThan(90);
    expect(c[2]).toBeLessThan(90);
  });

  it("names the file it cannot decode", async () => {
    const bad = path.join(tmp, "bad.JPEG");
    fs.writeFileSync(bad, "not a jpeg at all");
    await expect(readImage224(bad)).rejects.toThrow(/cannot decode .*bad\.JPEG/);
    await expect(readImage224(path.join(tmp, "nope.JPEG"))).rejects.toThrow(/image not found/);
  });
});

describe("listImagenette", () => {
  it("lists the shared validation split sorted by wnid then file name, with labels", () => {
    const warnings: string[] = [];
    const list = listImagenette(VAL, {onWarn: (m) => warnings.push(m)});
    expect(warnings).toEqual([]);
    const manifest = fs.readFileSync(path.join(SHARED, "imagenette2", "MANIFEST.tsv"), "utf8").trim().split("\n").slice(1);
    expect(list.length).toBe(manifest.length);
    const key = (e: {wnid: string; file: string}) => `${e.wnid}/${path.basename(e.file)}`;
    const keys = list.map(key);
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(list.map((e) => e.id)).size).toBe(list.length);
    for (const e of list) {
      expect(IMAGENETTE_WNIDS[e.label].wnid).toBe(e.wnid);
      expect(e.name).toBe(IMAGENETTE_WNIDS[e.label].name);
      expect(path.isAbsolute(e.file)).toBe(true);
    }
  });

  it("warns about unknown folders, stray files, empty and missing class folders; keeps ids unique", () => {
    const dir = path.join(tmp, "layout");
    const [a, b] = fs.readdirSync(path.join(VAL, "n01440764")).sort();
    for (const [wnid, name] of [["n01440764", a], ["n01440764", b], ["n03888257", a]]) {
      fs.mkdirSync(path.join(dir, wnid), {recursive: true});
      fs.copyFileSync(path.join(VAL, "n01440764", name), path.join(dir, wnid, name));
    }
    fs.mkdirSync(path.join(dir, "n02102040")); // empty class folder
    fs.mkdirSync(path.join(dir, "n99999999")); // unknown
    fs.writeFileSync(path.join(dir, "README.txt"), "");
    fs.writeFileSync(path.join(dir, "n01440764", "notes.txt"), "");
    fs.writeFileSync(path.join(dir, "n01440764", ".DS_Store"), "");
    const warnings: string[] = [];
    const list = listImagenette(dir, {onWarn: (m) => warnings.push(m)});
    expect(list.map((e) => [e.wnid, path.basename(e.file), e.label])).toEqual([
      ["n01440764", a, 0],
      ["n01440764", b, 0],
      ["n03888257", a, 9],
    ]);
    const stem = a.replace(/\.JPEG$/i, "");
    expect(list.map((e) => e.id)).toEqual([`n01440764/${stem}`, b.replace(/\.JPEG$/i, ""), `n03888257/${stem}`]);
    const all = warnings.join("\n");
    expect(all).toMatch(/n99999999/);
    expect(all).toMatch(/README\.txt/);
    expect(all).toMatch(/n02102040.*no \.JPEG images/);
    expect(all).toMatch(/1 file\(s\) in .*n01440764/);
    expect(all).toMatch(/no folder for .*n02979186 \(cassette player\)/);
    expect(all).not.toMatch(/DS_Store/);
  });

  it("fails with the fix when the folder is missing or holds no images", () => {
    expect(() => listImagenette(path.join(tmp, "missing"))).toThrow(/image folder not found: .*missing.*EXPLAIN_IMAGES/);
    const empty = path.join(tmp, "empty");
    fs.mkdirSync(path.join(empty, "n01440764"), {recursive: true});
    expect(() => listImagenette(empty, {onWarn: () => {}})).toThrow(/no Imagenette images in .*EXPLAIN_IMAGES/);
  });
});

describe("sourcesConfig and the shared/explicit sources", () => {
  it("defaults: auto, ../shared beside the project, <project>/.cache, the real URLs", () => {
    expect(sourcesConfig({})).toEqual({
      mode: "auto",
      sharedDir: path.resolve(PROJECT_ROOT, "../shared"),
      cacheDir: path.join(PROJECT_ROOT, ".cache"),
      weights: undefined,
      images: undefined,
      weightsUrl: TORCHVISION_RESNET18.url,
      imagesUrl: IMAGENETTE_320.url,
      weightsSha256: undefined,
      imagesSha256: undefined,
    });
    expect(TORCHVISION_RESNET18.url).toBe("https://download.pytorch.org/models/resnet18-f37072fd.pth");
    expect(TORCHVISION_RESNET18.expected.sha256.startsWith("f37072fd")).toBe(true);
    expect(IMAGENETTE_320.url).toBe("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-320.tgz");
  });

  it("rejects unknown modes and malformed checksums", () => {
    expect(() => sourcesConfig({EXPLAIN_SOURCE: "cloud"})).toThrow(/auto, shared, download/);
    expect(() => sourcesConfig({EXPLAIN_WEIGHTS_SHA256: "f37072fd"})).toThrow(/64 hex/);
  });

  it("auto uses ../shared when present", async () => {
    const env = {EXPLAIN_SHARED: SHARED};
    expect(await resolveWeightsFile({env})).toBe(path.join(SHARED, "models", "resnet18-imagenette.pth"));
    expect(await resolveImagenetteVal({env})).toBe(VAL);
  });

  it("explicit EXPLAIN_WEIGHTS / EXPLAIN_IMAGES win, and must exist", async () => {
    const weights = path.join(SHARED, "models", "resnet18-imagenette.pth");
    expect(await resolveWeightsFile({env: {EXPLAIN_WEIGHTS: weights, EXPLAIN_SOURCE: "download"}})).toBe(weights);
    expect(await resolveImagenetteVal({env: {EXPLAIN_IMAGES: VAL, EXPLAIN_SOURCE: "download"}})).toBe(VAL);
    await expect(resolveWeightsFile({env: {EXPLAIN_WEIGHTS: path.join(tmp, "x.pth")}})).rejects.toThrow(/EXPLAIN_WEIGHTS=.*x\.pth does not exist/);
    await expect(resolveImagenetteVal({env: {EXPLAIN_IMAGES: path.join(tmp, "none")}})).rejects.toThrow(/EXPLAIN_IMAGES=.*none does not exist/);
  });

  it("EXPLAIN_SOURCE=shared without the shared files says what to do", async () => {
    const env = {EXPLAIN_SOURCE: "shared", EXPLAIN_SHARED: path.join(tmp, "no-shared")};
    await expect(resolveWeightsFile({env})).rejects.toThrow(/resnet18-imagenette\.pth is missing.*EXPLAIN_WEIGHTS.*EXPLAIN_SOURCE=download/);
    await expect(resolveImagenetteVal({env})).rejects.toThrow(/imagenette2\/val is missing.*EXPLAIN_IMAGES.*EXPLAIN_SOURCE=download/);
  });
});
