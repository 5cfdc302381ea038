// Downloads for the Node side (loaders, CLI, tests): one file over HTTP(S)
// with progress on stderr, checksums computed while it streams, written to a
// temporary file and renamed only once complete and verified, so an
// interrupted or corrupt download never leaves a file that looks complete.
// Also: hashing and checking files already on disk, and streaming the
// `val/<wnid>/*.JPEG` members out of an Imagenette .tgz.
import {createHash, randomBytes} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import {Parser, type ReadEntry} from "tar";

/** What a file must match; every field given is checked. */
export interface Expected {
  size?: number;
  sha256?: string;
  /** torchvision's convention: the file name carries the first hex digits of the sha256. */
  sha256Prefix?: string;
  md5?: string;
  /** fastai's check (fastai/data/checks.txt): md5 of the first 2**20 bytes. */
  md5First1MiB?: string;
}

export interface Digests {
  size: number;
  sha256: string;
  md5: string;
  md5First1MiB: string;
}

/** Where progress and warnings go: process.stderr by default. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

const MiB = 1 << 20;

class Hasher {
  private sha256 = createHash("sha256");
  private md5 = createHash("md5");
  private head = createHash("md5");
  size = 0;
  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.md5.update(chunk);
    if (this.size < MiB) this.head.update(chunk.subarray(0, MiB - this.size));
    this.size += chunk.length;
  }
  digest(): Digests {
    return {size: this.size, sha256: this.sha256.digest("hex"), md5: this.md5.digest("hex"), md5First1MiB: this.head.digest("hex")};
  }
}

/** Size, sha256, md5 and fastai's md5 of the first MiB of a file (streamed). */
export async function hashFile(file: string): Promise<Digests> {
  const hasher = new Hasher();
  for await (const chunk of fs.createReadStream(file, {highWaterMark: MiB})) hasher.update(chunk as Buffer);
  return hasher.digest();
}

/** The ways `digests` fails `expected`; empty when it matches. */
export function checksumProblems(digests: Digests, expected: Expected): string[] {
  const problems: string[] = [];
  if (expected.size !== undefined && digests.size !== expected.size) problems.push(`size ${digests.size} bytes, expected ${expected.size}`);
  if (expected.sha256 && digests.sha256 !== expected.sha256.toLowerCase()) problems.push(`sha256 ${digests.sha256}, expected ${expected.sha256}`);
  if (expected.sha256Prefix && !digests.sha256.startsWith(expected.sha256Prefix.toLowerCase())) {
    problems.push(`sha256 ${digests.sha256.slice(0, 16)}..., expected it to start with ${expected.sha256Prefix}`);
  }
  if (expected.md5 && digests.md5 !== expected.md5.toLowerCase()) problems.push(`md5 ${digests.md5}, expected ${expected.md5}`);
  if (expected.md5First1MiB && digests.md5First1MiB !== expected.md5First1MiB.toLowerCase()) {
    problems.push(`md5 of the first MiB ${digests.md5First1MiB}, expected ${expected.md5First1MiB}`);
  }
  return problems;
}

export function hasChecks(expected: Expected): boolean {
  return Boolean(expected.sha256 || expected.sha256Prefix || expected.md5 || expected.md5First1MiB);
}

/** `<file>.sha256`, in `sha256sum` format: records the digest of a download that had no published checksum. */
export function sidecarPath(file: string): string {
  return `${file}.sha256`;
}

export function readSidecar(file: string): string | undefined {
  try {
    return /^[0-9a-f]{64}/.exec(fs.readFileSync(sidecarPath(file), "utf8"))?.[0];
  } catch {
    return undefined;
  }
}

export function writeSidecar(file: string, sha256: string): void {
  fs.writeFileSync(sidecarPath(file), `${sha256}  ${path.basename(file)}\n`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / 1024 / MiB).toFixed(2)} GiB`;
}

/** Progress lines: bytes, percent (when the size is known) and rate. A terminal gets one updating line. */
export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private lastDecile = -1;
  constructor(private readonly label: string, private readonly total: number, private readonly out: Output) {}

  update(bytes: number, final = false): void {
    const now = Date.now();
    const decile = this.total ? Math.floor((bytes / this.total) * 10) : -1;
    // Not a terminal: a line per 10% (the 100% line is the final one) or every 5 s.
    const due = final || (this.out.isTTY ? now - this.lastPrint >= 250 : now - this.lastPrint >= 5000 || (decile > this.lastDecile && decile < 10));
    if (!due) return;
    this.lastPrint = now;
    this.lastDecile = decile;
    const seconds = Math.max((now - this.start) / 1000, 1e-3);
    const size = this.total ? `${formatBytes(bytes)} / ${formatBytes(this.total)} (${((bytes / this.total) * 100).toFixed(1)}%)` : formatBytes(bytes);
    const line = `${this.label}: ${size}, ${formatBytes(Math.round(bytes / seconds))}/s${final ? `, ${seconds.toFixed(1)} s` : ""}`;
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    else this.out.write(`${line}\n`);
  }
}

export interface DownloadOptions {
  expected?: Expected;
  /** Appended to every error: what the user can do instead (copy the file to ..., set ...). */
  fix?: string;
  out?: Output;
  /** Abort when no byte arrives for this long (default 60 s). */
  stallTimeoutMs?: number;
}

function describeError(e: unknown): string {
  const err = e as Error & {cause?: Error & {code?: string}; code?: string};
  const cause = err.cause ? ` (${err.cause.code ?? err.cause.message})` : err.code ? ` (${err.code})` : "";
  return `${err.message ?? String(e)}${cause}`;
}

/** Removes `<dest>.part-*` left by a killed download more than 10 minutes ago. */
function removeStaleParts(dest: string): void {
  const dir = path.dirname(dest);
  const prefix = `${path.basename(dest)}.part-`;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!name.startsWith(prefix)) continue;
    const file = path.join(dir, name);
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > 10 * 60_000) fs.rmSync(file, {recursive: true, force: true});
    } catch {
      // Another process may have just renamed or removed it.
    }
  }
}

/**
 * Downloads `url` to `dest`: streams to `<dest>.part-<pid>-<random>`, checks
 * the Content-Length and `expected`, then renames. On any failure the partial
 * file is deleted and the error says what happened and `fix`.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<Digests> {
  const {expected = {}, fix = "", out = process.stderr, stallTimeoutMs = 60_000} = options;
  const suffix = fix ? ` ${fix}` : "";
  fs.mkdirSync(path.dirname(dest), {recursive: true});
  removeStaleParts(dest);
  const tmp = `${dest}.part-${process.pid}-${randomBytes(4).toString("hex")}`;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${stallTimeoutMs / 1000} s`)), stallTimeoutMs);
  };
  let file: fs.promises.FileHandle | undefined;
  let received = 0;
  try {
    arm();
    let response: Response;
    try {
      response = await fetch(url, {signal: controller.signal, redirect: "follow"});
    } catch (e) {
      throw new Error(`cannot download ${url}: ${describeError(e)}. Is the network reachable?${suffix}`);
    }
    if (!response.ok || !response.body) {
      throw new Error(`cannot download ${url}: HTTP ${response.status} ${response.statusText}.${suffix}`);
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    const total = Number.isFinite(length) && length > 0 ? length : expected.size ?? 0;
    out.write(`downloading ${url}\n  -> ${dest}\n`);
    const progress = new Progress(`  ${path.basename(dest)}`, total, out);
    const hasher = new Hasher();
    file = await fs.promises.open(tmp, "w");
    const reader = response.body.getReader();
    try {
      for (;;) {
        const {done, value} = await reader.read();
        if (done) break;
        arm();
        hasher.update(value);
        await file.write(value);
        received += value.length;
        progress.update(received);
      }
    } catch (e) {
      const reason = controller.signal.aborted ? describeError(controller.signal.reason) : describeError(e);
      throw new Error(`download of ${url} broke off after ${formatBytes(received)}${total ? ` of ${formatBytes(total)}` : ""}: ${reason}. Nothing was kept; run again to retry.${suffix}`);
    }
    progress.update(received, true);
    if (Number.isFinite(length) && received !== length) {
      throw new Error(`download of ${url} is incomplete: ${received} of ${length} bytes. Nothing was kept; run again to retry.${suffix}`);
    }
    const digests = hasher.digest();
    const problems = checksumProblems(digests, expected);
    if (problems.length) {
      throw new Error(`download of ${url} does not match its checksum: ${problems.join("; ")}. It was deleted; run again to retry (if it fails again, the file on the server changed).${suffix}`);
    }
    await file.sync();
    await file.close();
    file = undefined;
    fs.renameSync(tmp, dest);
    return digests;
  } finally {
    clearTimeout(timer);
    if (file) await file.close().catch(() => {});
    fs.rmSync(tmp, {force: true});
  }
}

/** `<top>/val/<wnid>/<name>.JPEG` inside an Imagenette archive (train/ and the CSVs are skipped). */
const VAL_MEMBER = /^(?:\.\/)?[^/]+\/val\/(n\d{8})\/([^/]+\.jpe?g)$/i;

/**
 * Streams `val/<wnid>/*.JPEG` out of an Imagenette .tgz (node zlib + tar's
 * parser) into `destDir/<wnid>/`, nothing else; returns the number of files.
 * Member paths are matched against a strict pattern and rebuilt, so an
 * archive cannot write outside `destDir`.
 */
export async function extractImagenetteVal(archive: string, destDir: string): Promise<number> {
  fs.mkdirSync(destDir, {recursive: true});
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      filter: (p, entry) => (entry as ReadEntry).type === "File" && VAL_MEMBER.test(p),
      onReadEntry: (entry: ReadEntry) => {
        const [, wnid, name] = VAL_MEMBER.exec(entry.path)!;
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => {
          try {
            fs.mkdirSync(path.join(destDir, wnid), {recursive: true});
            fs.writeFileSync(path.join(destDir, wnid, name), Buffer.concat(chunks));
            count++;
          } catch (e) {
            reject(e);
          }
        });
      },
    });
    const fail = (e: Error) => reject(new Error(`cannot extract ${archive}: ${e.message}. The archive is corrupt: delete it and download it again.`));
    parser.on("error", fail);
    parser.on("end", () => resolve());
    const gunzip = zlib.createGunzip();
    gunzip.on("error", fail);
    const input = fs.createReadStream(archive);
    input.on("error", fail);
    input.pipe(gunzip).pipe(parser as unknown as NodeJS.WritableStream);
  });
  return count;
}
