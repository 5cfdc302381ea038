// Where the model weights and the Imagenette images come from, for loaders,
// the CLI and tests. Chosen by environment variables (see `sourcesConfig` and
// README, "Data sources"):
//   EXPLAIN_SOURCE  auto (default) | shared | download
//   EXPLAIN_SHARED  the shared data folder (default ../shared beside the project)
//   EXPLAIN_WEIGHTS an explicit .pth (wins over EXPLAIN_SOURCE)
//   EXPLAIN_IMAGES  an explicit folder in the <wnid>/*.JPEG layout (wins too)
//   EXPLAIN_CACHE   where downloads go (default <project>/.cache)
//   EXPLAIN_WEIGHTS_URL, EXPLAIN_IMAGES_URL        other download URLs (mirrors, tests)
//   EXPLAIN_WEIGHTS_SHA256, EXPLAIN_IMAGES_SHA256  expected sha256 of those downloads
// auto: ../shared when it has the file, else download (torchvision's
// ImageNet ResNet-18 weights, fastai's imagenette2-320.tgz) into the cache.
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {checksumProblems, downloadFile, extractImagenetteVal, hasChecks, hashFile, readSidecar, writeSidecar, type Digests, type Expected, type Output} from "./download.js";

export {listImagenette, readImage224, readImages, iterateImages, IMAGENETTE_WNIDS, IMAGE_SIZE} from "./imagenette.js";
export type {ImagenetteEntry, DecodedImage, ListOptions, ReadImageOptions, ReadImagesOptions} from "./imagenette.js";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The shared data folder as configured when this module loaded (sourcesConfig() reads the environment at each call). */
export const SHARED_DIR = path.resolve(process.env.EXPLAIN_SHARED || path.join(PROJECT_ROOT, "../shared"));

/** torchvision's ImageNet ResNet-18 (`ResNet18_Weights.IMAGENET1K_V1`), 1000-class head. */
export const TORCHVISION_RESNET18 = {
  url: "https://download.pytorch.org/models/resnet18-f37072fd.pth",
  file: "resnet18-f37072fd.pth",
  expected: {
    size: 46830571,
    sha256: "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec",
  } satisfies Expected,
};

/** fastai's Imagenette, 320 px shortest side (train + val, 13,394 JPEGs). */
export const IMAGENETTE_320 = {
  url: "https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-320.tgz",
  file: "imagenette2-320.tgz",
  expected: {
    // fastai/data/checks.txt: [size, md5 of the first 2**20 bytes]
    size: 341663724,
    md5First1MiB: "1f1f74f133caff120e575856659b87a2",
    // torchvision.datasets.Imagenette: md5 of the whole archive
    md5: "3df6f0d01a2c9592104656642f5e78a3",
  } satisfies Expected,
};

/** Checksums of the known files, by file name (a mirror must serve identical bytes). */
const KNOWN: Record<string, Expected> = {
  [TORCHVISION_RESNET18.file]: TORCHVISION_RESNET18.expected,
  [IMAGENETTE_320.file]: IMAGENETTE_320.expected,
};

export type SourceMode = "auto" | "shared" | "download";

export interface SourcesConfig {
  mode: SourceMode;
  sharedDir: string;
  cacheDir: string;
  /** Explicit files/folders (EXPLAIN_WEIGHTS / EXPLAIN_IMAGES), absolute. */
  weights?: string;
  images?: string;
  weightsUrl: string;
  imagesUrl: string;
  weightsSha256?: string;
  imagesSha256?: string;
}

export type Env = Record<string, string | undefined>;

/** The configuration from environment variables (read at each call). */
export function sourcesConfig(env: Env = process.env): SourcesConfig {
  const mode = (env.EXPLAIN_SOURCE || "auto").toLowerCase();
  if (mode !== "auto" && mode !== "shared" && mode !== "download") {
    throw new Error(`EXPLAIN_SOURCE=${env.EXPLAIN_SOURCE} is not one of auto, shared, download`);
  }
  const sha = (name: string) => {
    const v = env[name]?.trim().toLowerCase();
    if (v && !/^[0-9a-f]{64}$/.test(v)) throw new Error(`${name} must be 64 hex digits (a sha256), got ${env[name]}`);
    return v || undefined;
  };
  return {
    mode,
    sharedDir: path.resolve(env.EXPLAIN_SHARED || path.join(PROJECT_ROOT, "../shared")),
    cacheDir: path.resolve(env.EXPLAIN_CACHE || path.join(PROJECT_ROOT, ".cache")),
    weights: env.EXPLAIN_WEIGHTS ? path.resolve(env.EXPLAIN_WEIGHTS) : undefined,
    images: env.EXPLAIN_IMAGES ? path.resolve(env.EXPLAIN_IMAGES) : undefined,
    weightsUrl: env.EXPLAIN_WEIGHTS_URL || TORCHVISION_RESNET18.url,
    imagesUrl: env.EXPLAIN_IMAGES_URL || IMAGENETTE_320.url,
    weightsSha256: sha("EXPLAIN_WEIGHTS_SHA256"),
    imagesSha256: sha("EXPLAIN_IMAGES_SHA256"),
  };
}

export interface SourceOptions {
  /** Environment to read instead of process.env (tests). */
  env?: Env;
  /** Progress and warnings (default process.stderr). */
  out?: Output;
  /** Abort a download when no byte arrives for this long (default 60 s). */
  stallTimeoutMs?: number;
}

/** Paths of the shared copies. */
export function sharedWeightsFile(cfg: SourcesConfig): string {
  return path.join(cfg.sharedDir, "models", "resnet18-imagenette.pth");
}
export function sharedImagesDir(cfg: SourcesConfig): string {
  return path.join(cfg.sharedDir, "imagenette2", "val");
}

function fileNameOf(url: string, fallback: string): string {
  try {
    const name = decodeURIComponent(path.posix.basename(new URL(url).pathname));
    return /^[\w.+-]+$/.test(name) ? name : fallback;
  } catch {
    throw new Error(`not a valid URL: ${url}`);
  }
}

/** What a download named `name` must match: a known file's checksums, EXPLAIN_*_SHA256, torchvision's hash prefix in the name. */
function expectedFor(name: string, sha256: string | undefined): Expected {
  const expected: Expected = {...KNOWN[name]};
  if (sha256) expected.sha256 = sha256;
  const prefix = /-([0-9a-f]{8,64})\.pth$/.exec(name)?.[1];
  if (prefix && !expected.sha256) expected.sha256Prefix = prefix;
  return expected;
}

/**
 * Checks a file already in the cache. With no published checksum, the sha256
 * recorded at its first download (`<file>.sha256`) is checked; a file without
 * either is accepted and its sha256 recorded (trust on first use).
 */
async function cachedFileOk(file: string, expected: Expected, out: Output): Promise<Digests | null> {
  const recorded = readSidecar(file);
  const checks: Expected = {...expected};
  if (!checks.sha256 && recorded) checks.sha256 = recorded;
  const digests = await hashFile(file);
  const problems = checksumProblems(digests, checks);
  if (problems.length) {
    out.write(`warning: cached ${file} fails its check (${problems.join("; ")}); deleting it and downloading again\n`);
    fs.rmSync(file, {force: true});
    fs.rmSync(`${file}.sha256`, {force: true});
    return null;
  }
  if (!hasChecks(checks)) out.write(`warning: no published checksum for ${file}; recording its sha256 ${digests.sha256} (checked on reuse)\n`);
  if (!recorded) writeSidecar(file, digests.sha256);
  return digests;
}

/** `dest` from the cache when it passes its checks, else downloaded from `url`. */
async function fetchToCache(url: string, dest: string, expected: Expected, fix: string, options: SourceOptions): Promise<Digests> {
  const out = options.out ?? process.stderr;
  const cached = fs.existsSync(dest) ? await cachedFileOk(dest, expected, out) : null;
  if (cached) return cached;
  const digests = await downloadFile(url, dest, {expected, fix, out, stallTimeoutMs: options.stallTimeoutMs});
  if (!hasChecks(expected)) out.write(`warning: no published checksum for ${url}; recorded its sha256 ${digests.sha256} in ${dest}.sha256 (checked on reuse)\n`);
  writeSidecar(dest, digests.sha256);
  return digests;
}

/**
 * Path of a ResNet-18 .pth to use: EXPLAIN_WEIGHTS, else the shared
 * resnet18-imagenette.pth (EXPLAIN_SOURCE=shared, or auto when it exists),
 * else torchvision's resnet18-f37072fd.pth downloaded into the cache
 * (checked: size and sha256) and reused from there.
 */
export async function resolveWeightsFile(options: SourceOptions = {}): Promise<string> {
  const cfg = sourcesConfig(options.env);
  if (cfg.weights) {
    if (!fs.existsSync(cfg.weights)) {
      throw new Error(`EXPLAIN_WEIGHTS=${cfg.weights} does not exist: set it to a torchvision ResNet-18 .pth (resnet18-imagenette.pth or resnet18-f37072fd.pth), or unset it to use ${sharedWeightsFile(cfg)} or the download.`);
    }
    return cfg.weights;
  }
  const shared = sharedWeightsFile(cfg);
  if (cfg.mode === "shared" || (cfg.mode === "auto" && fs.existsSync(shared))) {
    if (!fs.existsSync(shared)) {
      throw new Error(`EXPLAIN_SOURCE=shared but ${shared} is missing: put resnet18-imagenette.pth (and its .json card) there, set EXPLAIN_SHARED to the folder holding models/, set EXPLAIN_WEIGHTS to a .pth, or use EXPLAIN_SOURCE=download.`);
    }
    return shared;
  }
  const name = fileNameOf(cfg.weightsUrl, "weights.pth");
  const dest = path.join(cfg.cacheDir, name);
  const fix = `To work offline: download ${cfg.weightsUrl} elsewhere and copy it to ${dest}, or set EXPLAIN_WEIGHTS=/path/to/resnet18.pth (torchvision ResNet-18 state_dict), or put resnet18-imagenette.pth in ${path.dirname(shared)} (EXPLAIN_SHARED).`;
  await fetchToCache(cfg.weightsUrl, dest, expectedFor(name, cfg.weightsSha256), fix, options);
  return dest;
}

interface ExtractedMarker {
  url: string;
  archive: string;
  /** Digests of the archive the images came from. */
  digests: Digests;
  files: number;
}

/**
 * A directory in the Imagenette layout `<dir>/<wnid>/*.JPEG` (validation
 * split): EXPLAIN_IMAGES, else the shared imagenette2/val (EXPLAIN_SOURCE=shared,
 * or auto when it exists), else fastai's imagenette2-320.tgz downloaded into
 * the cache (checked), its val/ extracted once to <cache>/imagenette2-320/val
 * and reused from there.
 */
export async function resolveImagenetteVal(options: SourceOptions = {}): Promise<string> {
  const cfg = sourcesConfig(options.env);
  const out = options.out ?? process.stderr;
  if (cfg.images) {
    if (!fs.existsSync(cfg.images)) {
      throw new Error(`EXPLAIN_IMAGES=${cfg.images} does not exist: set it to a folder in the <wnid>/*.JPEG layout (e.g. an extracted imagenette2-320/val), or unset it to use ${sharedImagesDir(cfg)} or the download.`);
    }
    return cfg.images;
  }
  const shared = sharedImagesDir(cfg);
  if (cfg.mode === "shared" || (cfg.mode === "auto" && fs.existsSync(shared))) {
    if (!fs.existsSync(shared)) {
      throw new Error(`EXPLAIN_SOURCE=shared but ${shared} is missing: put the images there (<wnid>/*.JPEG), set EXPLAIN_SHARED to the folder holding imagenette2/, set EXPLAIN_IMAGES, or use EXPLAIN_SOURCE=download.`);
    }
    return shared;
  }
  const name = fileNameOf(cfg.imagesUrl, "imagenette.tgz");
  const archive = path.join(cfg.cacheDir, name);
  const root = path.join(cfg.cacheDir, name.replace(/(\.tar\.gz|\.tgz)$/i, "") || "imagenette");
  const val = path.join(root, "val");
  const markerFile = path.join(root, "val.complete.json");
  const expected = expectedFor(name, cfg.imagesSha256);
  // Reuse: extracted before, from an archive that satisfies today's checks.
  if (fs.existsSync(markerFile) && fs.existsSync(val)) {
    const marker = JSON.parse(fs.readFileSync(markerFile, "utf8")) as ExtractedMarker;
    const problems = marker.digests ? checksumProblems(marker.digests, expected) : ["no digests recorded"];
    if (problems.length === 0) return val;
    out.write(`warning: ${val} was extracted from another archive (${problems.join("; ")}); extracting again\n`);
  }
  fs.rmSync(markerFile, {force: true});
  const fix = `To work offline: download ${cfg.imagesUrl} elsewhere and copy it to ${archive}, or set EXPLAIN_IMAGES to a folder in the <wnid>/*.JPEG layout (e.g. an extracted imagenette2-320/val), or put the images in ${shared} (EXPLAIN_SHARED).`;
  const digests = await fetchToCache(cfg.imagesUrl, archive, expected, fix, options);
  const tmp = `${val}.part-${process.pid}`;
  fs.rmSync(tmp, {recursive: true, force: true});
  out.write(`extracting val/ from ${archive}\n  -> ${val}\n`);
  let files: number;
  try {
    files = await extractImagenetteVal(archive, tmp);
    if (files === 0) throw new Error(`${archive} holds no <top>/val/<wnid>/*.JPEG members: it is not an Imagenette archive. Delete it; check EXPLAIN_IMAGES_URL.`);
  } catch (e) {
    fs.rmSync(tmp, {recursive: true, force: true});
    try {
      fs.rmdirSync(root); // only if empty
    } catch {
      // keeps an earlier extraction's files
    }
    throw e;
  }
  if (fs.existsSync(markerFile) && fs.existsSync(val)) {
    // Another process (a parallel loader) finished the same extraction first: use its copy.
    fs.rmSync(tmp, {recursive: true, force: true});
    return val;
  }
  fs.rmSync(val, {recursive: true, force: true});
  fs.renameSync(tmp, val);
  const marker: ExtractedMarker = {url: cfg.imagesUrl, archive, digests, files};
  fs.writeFileSync(markerFile, JSON.stringify(marker, null, 2) + "\n");
  out.write(`extracted ${files} images\n`);
  return val;
}
