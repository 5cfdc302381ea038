// What the loaders do when the inputs are wrong: missing, truncated or
// mismatched weights, the wrong architecture, a 1000-class torchvision
// checkpoint, broken image folders, and downloads (no network, checksum
// mismatch, interrupted, cache reuse) against a local server on 127.0.0.1.
import {createHash, randomBytes} from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import * as tar from "tar";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadCheckpoint} from "../src/data/node/model.js";
import {IMAGENETTE_IMAGENET_INDICES, resnet18Shapes} from "../src/lib/resnet18.js";
import {listImagenette, readImage224, readImages, resolveImagenetteVal, resolveWeightsFile, type ImagenetteEntry} from "../src/data/node/sources.js";
import {SHARED, WEIGHTS} from "./helpers/fixtures.js";
import {closedPortUrl, startServer, type TestServer} from "./helpers/http-server.js";
import {float32Storage, zipCheckpoint, type StorageSpec, type TensorSpec} from "./helpers/torch-save.js";

const VAL = path.join(SHARED, "imagenette2", "val");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let tmp: string;
let n = 0;
/** A fresh folder under the test's temp dir. */
const fresh = (name: string) => {
  const dir = path.join(tmp, `${n++}-${name}`);
  fs.mkdirSync(dir, {recursive: true});
  return dir;
};
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "explain-faults-"));
});
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

/** A checkpoint with the given shapes; all tensors view one storage (fc rows get their own, row r = r). */
function syntheticCheckpoint(shapes: Map<string, number[]>): Uint8Array {
  const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const maxNumel = Math.max(...[...shapes.values()].map(numel));
  const storages: StorageSpec[] = [float32Storage("0", new Float32Array(maxNumel).fill(0.01))];
  const tensors: TensorSpec[] = [];
  for (const [name, shape] of shapes) {
    if (name === "fc.weight" || name === "fc.bias") {
      const rows = shape[0];
      const cols = name === "fc.weight" ? shape[1] : 1;
      storages.push(float32Storage(name, Float32Array.from({length: rows * cols}, (_, i) => Math.floor(i / cols))));
      tensors.push({name, storage: name, shape});
    } else {
      tensors.push({name, storage: "0", shape});
    }
  }
  return zipCheckpoint(tensors, storages);
}

/** torchvision resnet34's state_dict shapes (BasicBlock, [3, 4, 6, 3]). */
function resnet34Shapes(): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const bn = (p: string, c: number) => ["weight", "bias", "running_mean", "running_var"].forEach((k) => shapes.set(`${p}.${k}`, [c]));
  shapes.set("conv1.weight", [64, 3, 7, 7]);
  bn("bn1", 64);
  let cin = 64;
  [[64, 3], [128, 4], [256, 6], [512, 3]].forEach(([c, blocks], stage) => {
    for (let b = 0; b < blocks; b++) {
      const p = `layer${stage + 1}.${b}`;
      shapes.set(`${p}.conv1.weight`, [c, b === 0 ? cin : c, 3, 3]);
      bn(`${p}.bn1`, c);
      shapes.set(`${p}.conv2.weight`, [c, c, 3, 3]);
      bn(`${p}.bn2`, c);
      if (b === 0 && cin !== c) {
        shapes.set(`${p}.downsample.0.weight`, [c, cin, 1, 1]);
        bn(`${p}.downsample.1`, c);
      }
    }
    cin = c;
  });
  shapes.set("fc.weight", [1000, 512]);
  shapes.set("fc.bias", [1000]);
  return shapes;
}

describe("weights faults (loadCheckpoint)", () => {
  it("missing file: names EXPLAIN_WEIGHTS and ../shared/models", () => {
    expect(() => loadCheckpoint(path.join(tmp, "none.pth"))).toThrow(/weights file not found: .*none\.pth.*shared\/models.*EXPLAIN_WEIGHTS/);
  });

  it("truncated file (no model card): says it is truncated", () => {
    const dir = fresh("truncated");
    const bytes = fs.readFileSync(WEIGHTS);
    const file = path.join(dir, "resnet18-imagenette.pth");
    fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    expect(() => loadCheckpoint(file)).toThrow(/cannot read .*: .*truncated/);
  });

  it("empty and random files: clear errors", () => {
    const dir = fresh("junk");
    fs.writeFileSync(path.join(dir, "empty.pth"), "");
    fs.writeFileSync(path.join(dir, "random.pth"), randomBytes(5000));
    expect(() => loadCheckpoint(path.join(dir, "empty.pth"))).toThrow(/empty/);
    expect(() => loadCheckpoint(path.join(dir, "random.pth"))).toThrow(/cannot read .*random\.pth/);
  });

  it("sha256 different from the model card beside it: corrupt, copy again", () => {
    const dir = fresh("card");
    const file = path.join(dir, "resnet18-imagenette.pth");
    fs.copyFileSync(WEIGHTS, file);
    const card = JSON.parse(fs.readFileSync(WEIGHTS.replace(/\.pth$/, ".json"), "utf8"));
    fs.writeFileSync(path.join(dir, "resnet18-imagenette.json"), JSON.stringify({...card, sha256: "0".repeat(64)}));
    expect(() => loadCheckpoint(file)).toThrow(/model card says 0{64}: the file is corrupt or truncated/);
  });

  it("a ResNet-34 state_dict: read as a ResNet-34; one with a tensor missing: the first missing key, with the fix", () => {
    const dir = fresh("resnet34");
    const file = path.join(dir, "resnet34.pth");
    fs.writeFileSync(file, syntheticCheckpoint(resnet34Shapes()));
    expect(loadCheckpoint(file).architecture).toMatchObject({name: "resnet34", block: "basic", blocks: [3, 4, 6, 3]});
    const shapes = resnet34Shapes();
    shapes.delete("layer3.4.bn2.running_var");
    fs.writeFileSync(file, syntheticCheckpoint(shapes));
    expect(() => loadCheckpoint(file)).toThrow(/not a ResNet state_dict: the first missing key is layer3\.4\.bn2\.running_var.*torchvision or timm ResNet/);
  });

  it("a ResNet-18 with a block too many in a stage: the first key that block lacks", () => {
    const dir = fresh("resnet18-extra");
    const file = path.join(dir, "resnet18-extra.pth");
    const shapes = resnet18Shapes(10);
    shapes.set("layer1.2.conv1.weight", [64, 64, 3, 3]);
    fs.writeFileSync(file, syntheticCheckpoint(shapes));
    expect(() => loadCheckpoint(file)).toThrow(/not a ResNet state_dict: the first missing key is layer1\.2\.bn1\.weight/);
  });

  it("a 1000-class torchvision checkpoint: hash prefix in the name checked both ways, head reduced to the 10 rows", () => {
    const dir = fresh("torchvision");
    const bytes = syntheticCheckpoint(resnet18Shapes(1000));
    const good = path.join(dir, `resnet18-${sha256(bytes).slice(0, 8)}.pth`);
    fs.writeFileSync(good, bytes);
    const c = loadCheckpoint(good);
    expect(c.head).toBe("imagenet-1000");
    expect(c.stateDict.get("fc.weight")!.shape).toEqual([10, 512]);
    const w = c.stateDict.get("fc.weight")!.data;
    expect(IMAGENETTE_IMAGENET_INDICES.map((_, i) => w[i * 512])).toEqual(IMAGENETTE_IMAGENET_INDICES);
    expect(Array.from(c.stateDict.get("fc.bias")!.data)).toEqual(IMAGENETTE_IMAGENET_INDICES);

    const wrongPrefix = sha256(bytes).startsWith("00000000") ? "11111111" : "00000000";
    const bad = path.join(dir, `resnet18-${wrongPrefix}.pth`);
    fs.writeFileSync(bad, bytes);
    expect(() => loadCheckpoint(bad)).toThrow(new RegExp(`its name promises ${wrongPrefix}: the download is corrupt`));
  });
});

describe("image folder faults", () => {
  const realJpegs = () => fs.readdirSync(path.join(VAL, "n01440764")).sort().slice(0, 3).map((f) => path.join(VAL, "n01440764", f));

  it("missing folder: error names EXPLAIN_IMAGES and ../shared/imagenette2/val", async () => {
    expect(() => listImagenette(path.join(tmp, "no-such-dir"))).toThrow(/image folder not found.*EXPLAIN_IMAGES.*shared\/imagenette2\/val/);
    await expect(resolveImagenetteVal({env: {EXPLAIN_IMAGES: path.join(tmp, "no-such-dir")}})).rejects.toThrow(/does not exist.*<wnid>\/\*\.JPEG/);
  });

  it("an empty class folder: a warning naming it, the other images listed", () => {
    const dir = fresh("empty-class");
    fs.mkdirSync(path.join(dir, "n01440764"));
    for (const f of realJpegs()) fs.copyFileSync(f, path.join(dir, "n01440764", path.basename(f)));
    fs.mkdirSync(path.join(dir, "n03000684"));
    const warnings: string[] = [];
    expect(listImagenette(dir, {onWarn: (m) => warnings.push(m)})).toHaveLength(3);
    expect(warnings.join("\n")).toMatch(/class folder .*n03000684 \(chain saw\) holds no \.JPEG images/);
  });

  it("corrupt JPEGs among good ones: skipped with a warning naming each, a count at the end", async () => {
    const dir = fresh("corrupt");
    fs.mkdirSync(path.join(dir, "n01440764"));
    const good = realJpegs();
    for (const f of good) fs.copyFileSync(f, path.join(dir, "n01440764", path.basename(f)));
    fs.writeFileSync(path.join(dir, "n01440764", "garbage.JPEG"), randomBytes(3000));
    const bytes = fs.readFileSync(good[0]);
    fs.writeFileSync(path.join(dir, "n01440764", "truncated.JPEG"), bytes.subarray(0, bytes.length >> 1));
    const list = listImagenette(dir, {onWarn: () => {}});
    expect(list).toHaveLength(5);

    const lines: string[] = [];
    const out = {write: (s: string) => lines.push(s)};
    const {images, skipped} = await readImages(list, {out});
    expect(images.map((i) => path.basename(i.entry.file))).toEqual(good.map((f) => path.basename(f)));
    for (const i of images) expect(i.pixels.length).toBe(224 * 224 * 3);
    expect(skipped.map((s) => path.basename(s.entry.file)).sort()).toEqual(["garbage.JPEG", "truncated.JPEG"]);
    const text = lines.join("");
    expect(text).toMatch(/warning: skipping .*garbage\.JPEG: cannot decode/);
    expect(text).toMatch(/warning: skipping .*truncated\.JPEG: cannot decode/);
    expect(text).toMatch(/skipped 2 of 5 image\(s\)/);

    const seen: string[] = [];
    await readImages(list, {out, onSkip: (e: ImagenetteEntry) => seen.push(path.basename(e.file))});
    expect(seen.sort()).toEqual(["garbage.JPEG", "truncated.JPEG"]);
  });

  it("only corrupt files: an error", async () => {
    const dir = fresh("all-corrupt");
    fs.mkdirSync(path.join(dir, "n01440764"));
    fs.writeFileSync(path.join(dir, "n01440764", "a.JPEG"), "nope");
    const list = listImagenette(dir, {onWarn: () => {}});
    await expect(readImages(list, {out: {write: () => {}}})).rejects.toThrow(/none of the 1 image\(s\) could be decoded/);
  });
});

describe("downloads (local server on 127.0.0.1)", () => {
  let server: TestServer;
  let weights: Uint8Array;
  let weightsName: string;
  let tgz: Uint8Array;
  let log: string[];
  const out = {write: (s: string) => log.push(s)};
  const env = (cache: string, extra: Record<string, string>) => ({EXPLAIN_SOURCE: "download", EXPLAIN_CACHE: cache, ...extra});

  beforeAll(async () => {
    weights = randomBytes(300_000);
    weightsName = `resnet18-${sha256(weights).slice(0, 8)}.pth`;
    // A small Imagenette-like archive: val/ (a 224x224 JPEG and a 320x480 one), train/ and a CSV that must be left out.
    const root = fresh("tgz-src");
    const top = path.join(root, "imagenette2-320");
    const real = fs.readdirSync(path.join(VAL, "n01440764")).sort()[0];
    fs.mkdirSync(path.join(top, "val", "n01440764"), {recursive: true});
    fs.mkdirSync(path.join(top, "val", "n02102040"), {recursive: true});
    fs.mkdirSync(path.join(top, "train", "n01440764"), {recursive: true});
    fs.copyFileSync(path.join(VAL, "n01440764", real), path.join(top, "val", "n01440764", real));
    fs.copyFileSync(path.join(VAL, "n01440764", real), path.join(top, "train", "n01440764", "n01440764_1.JPEG"));
    const wide = Buffer.alloc(320 * 480 * 3, 180);
    await sharp(wide, {raw: {width: 480, height: 320, channels: 3}}).jpeg({quality: 95}).toFile(path.join(top, "val", "n02102040", "wide.JPEG"));
    fs.writeFileSync(path.join(top, "noisy_imagenette.csv"), "path,noisy_labels_0\n");
    const file = path.join(root, "mini.tgz");
    tar.c({gzip: true, cwd: root, sync: true, file, portable: true}, ["imagenette2-320"]);
    tgz = fs.readFileSync(file);
    server = await startServer({
      [`/${weightsName}`]: {body: weights},
      "/resnet18-00000000.pth": {body: weights},
      [`/cut/${weightsName}`]: {body: weights, cutAfter: 20_000},
      "/mini.tgz": {body: tgz},
      "/imagenette2-320.tgz": {body: tgz},
      "/not-a-tgz.tgz": {body: weights},
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("no network: the error names the file to copy into the cache and EXPLAIN_WEIGHTS / EXPLAIN_IMAGES", async () => {
    const cache = fresh("cache-offline");
    const e1 = env(cache, {EXPLAIN_WEIGHTS_URL: await closedPortUrl("/resnet18-f37072fd.pth"), EXPLAIN_IMAGES_URL: await closedPortUrl("/imagenette2-320.tgz")});
    log = [];
    await expect(resolveWeightsFile({env: e1, out})).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/resnet18-f37072fd\.pth: .*ECONNREFUSED.*copy it to .*resnet18-f37072fd\.pth.*EXPLAIN_WEIGHTS/,
    );
    await expect(resolveImagenetteVal({env: e1, out})).rejects.toThrow(/cannot download .*ECONNREFUSED.*copy it to .*imagenette2-320\.tgz.*EXPLAIN_IMAGES/);
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  it("auto without ../shared downloads; progress on the output; the cache is reused (one request)", async () => {
    const cache = fresh("cache-weights");
    const e = {EXPLAIN_SHARED: path.join(tmp, "no-shared"), EXPLAIN_CACHE: cache, EXPLAIN_WEIGHTS_URL: `${server.origin}/${weightsName}`};
    log = [];
    const file = await resolveWeightsFile({env: e, out});
    expect(file).toBe(path.join(cache, weightsName));
    expect(Buffer.compare(fs.readFileSync(file), Buffer.from(weights))).toBe(0);
    const text = log.join("");
    expect(text).toMatch(/downloading http:\/\/127\.0\.0\.1:\d+\/resnet18-/);
    expect(text).toMatch(/\d+(\.\d)? KiB \/ 293\.0 KiB \(100\.0%\), [\d.]+ (B|KiB|MiB|GiB)\/s/);
    expect(server.hits.get(`/${weightsName}`)).toBe(1);
    expect(fs.readdirSync(cache).sort()).toEqual([weightsName, `${weightsName}.sha256`]);

    log = [];
    expect(await resolveWeightsFile({env: e, out})).toBe(file);
    expect(server.hits.get(`/${weightsName}`)).toBe(1);
    expect(log.join("")).not.toMatch(/downloading/);

    // A cached file that no longer matches is downloaded again.
    fs.writeFileSync(file, "damaged");
    log = [];
    expect(await resolveWeightsFile({env: e, out})).toBe(file);
    expect(log.join("")).toMatch(/fails its check.*downloading again/);
    expect(server.hits.get(`/${weightsName}`)).toBe(2);
    expect(Buffer.compare(fs.readFileSync(file), Buffer.from(weights))).toBe(0);
  });

  it("checksum mismatch (hash prefix in the name, or EXPLAIN_WEIGHTS_SHA256): rejected, nothing kept", async () => {
    const cache = fresh("cache-mismatch");
    log = [];
    await expect(resolveWeightsFile({env: env(cache, {EXPLAIN_WEIGHTS_URL: `${server.origin}/resnet18-00000000.pth`}), out})).rejects.toThrow(
      /does not match its checksum: sha256 [0-9a-f]{16}\.\.\., expected it to start with 00000000\. It was deleted/,
    );
    await expect(
      resolveWeightsFile({env: env(cache, {EXPLAIN_WEIGHTS_URL: `${server.origin}/${weightsName}`, EXPLAIN_WEIGHTS_SHA256: "ab".repeat(32)}), out}),
    ).rejects.toThrow(/does not match its checksum: sha256 [0-9a-f]{64}, expected (ab){32}/);
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  it("interrupted download (server closes mid-body): an error, no file left in the cache", async () => {
    const cache = fresh("cache-cut");
    log = [];
    await expect(resolveWeightsFile({env: env(cache, {EXPLAIN_WEIGHTS_URL: `${server.origin}/cut/${weightsName}`}), out})).rejects.toThrow(
      /download of .* broke off after .*KiB of 293\.0 KiB: .*Nothing was kept; run again to retry\..*EXPLAIN_WEIGHTS/,
    );
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  it("images: downloads the .tgz, extracts only val/<wnid>/*.JPEG, resizes the 320x480 one with pad, reuses the cache", async () => {
    const cache = fresh("cache-images");
    const e = env(cache, {EXPLAIN_IMAGES_URL: `${server.origin}/mini.tgz`, EXPLAIN_IMAGES_SHA256: sha256(tgz)});
    log = [];
    const val = await resolveImagenetteVal({env: e, out});
    expect(val).toBe(path.join(cache, "mini", "val"));
    expect(log.join("")).toMatch(/downloading .*mini\.tgz[\s\S]*100\.0%[\s\S]*extracting val\/[\s\S]*extracted 2 images/);
    expect(fs.readdirSync(val).sort()).toEqual(["n01440764", "n02102040"]);
    expect(fs.readdirSync(path.join(cache, "mini")).sort()).toEqual(["val", "val.complete.json"]);
    const warnings: string[] = [];
    const list = listImagenette(val, {onWarn: (m) => warnings.push(m)});
    expect(list.map((x) => `${x.wnid}/${path.basename(x.file)}`)).toEqual([expect.stringMatching(/^n01440764\/.*\.JPEG$/), "n02102040/wide.JPEG"]);
    expect(warnings.join("\n")).toMatch(/no folder for .*n02979186/);
    const wide = await readImage224(list[1].file);
    expect(wide.subarray(0, 37 * 224 * 3).every((v) => v === 0)).toBe(true);
    expect(wide.subarray(186 * 224 * 3).every((v) => v === 0)).toBe(true);
    expect(wide.subarray(37 * 224 * 3, 186 * 224 * 3).every((v) => Math.abs(v - 180) <= 2)).toBe(true);

    log = [];
    expect(await resolveImagenetteVal({env: e, out})).toBe(val);
    expect(server.hits.get("/mini.tgz")).toBe(1);
    expect(log.join("")).toBe("");

    // Extracted folder gone: extracted again from the cached archive, no new request.
    fs.rmSync(val, {recursive: true});
    log = [];
    expect(await resolveImagenetteVal({env: e, out})).toBe(val);
    expect(server.hits.get("/mini.tgz")).toBe(1);
    expect(log.join("")).toMatch(/extracting/);
    expect(fs.readdirSync(path.join(val, "n02102040"))).toEqual(["wide.JPEG"]);
  });

  it("images under the real name are checked against fastai's size and md5: a different file is rejected", async () => {
    const cache = fresh("cache-real-name");
    log = [];
    await expect(resolveImagenetteVal({env: env(cache, {EXPLAIN_IMAGES_URL: `${server.origin}/imagenette2-320.tgz`}), out})).rejects.toThrow(
      new RegExp(`does not match its checksum: size ${tgz.length} bytes, expected 341663724; .*md5 of the first MiB`),
    );
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  it("images with no published checksum: sha256 recorded on first download and checked on reuse", async () => {
    const cache = fresh("cache-tofu");
    const e = env(cache, {EXPLAIN_IMAGES_URL: `${server.origin}/mini.tgz`});
    log = [];
    await resolveImagenetteVal({env: e, out});
    expect(log.join("")).toMatch(/no published checksum .*recorded its sha256/);
    expect(fs.readFileSync(path.join(cache, "mini.tgz.sha256"), "utf8")).toBe(`${sha256(tgz)}  mini.tgz\n`);
    // The archive changes under the recorded sha256: refetched on the next extraction.
    fs.rmSync(path.join(cache, "mini", "val"), {recursive: true});
    fs.appendFileSync(path.join(cache, "mini.tgz"), "x");
    log = [];
    await resolveImagenetteVal({env: e, out});
    expect(log.join("")).toMatch(/fails its check.*downloading again/);
    expect(server.hits.get("/mini.tgz")).toBe(3); // 1 from the previous test
  });

  it("an archive that is not a .tgz: extraction fails, nothing extracted", async () => {
    const cache = fresh("cache-notgz");
    log = [];
    await expect(
      resolveImagenetteVal({env: env(cache, {EXPLAIN_IMAGES_URL: `${server.origin}/not-a-tgz.tgz`, EXPLAIN_IMAGES_SHA256: sha256(weights)}), out}),
    ).rejects.toThrow(/cannot extract .*not-a-tgz\.tgz: .*corrupt: delete it and download it again/);
    expect(fs.existsSync(path.join(cache, "not-a-tgz"))).toBe(false);
  });
});
