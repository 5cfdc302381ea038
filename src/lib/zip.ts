// A minimal ZIP reader for the archives written by `torch.save` (and other
// ordinary zips): reads the central directory, supports stored and deflated
// entries. Pure TypeScript, no DOM, no Node APIs.
import {inflateSync} from "fflate";
import {WeightsError} from "./weights-error.js";

export interface ZipEntry {
  name: string;
  method: number; // 0 = stored, 8 = deflate
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_EOCD_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readCentralDirectory();
  }

  private readCentralDirectory(): void {
    const {view, bytes} = this;
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
    let eocd = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
      if (view.getUint32(i, true) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new WeightsError("corrupt", "not a zip archive (no end-of-central-directory record): the file is truncated or is not a torch.save checkpoint");
    let count = view.getUint16(eocd + 10, true);
    let offset = view.getUint32(eocd + 16, true);
    // ZIP64: torch writes it for large archives.
    const locator = eocd - 20;
    if (locator >= 0 && view.getUint32(locator, true) === ZIP64_EOCD_LOCATOR_SIGNATURE) {
      const zip64Eocd = Number(view.getBigUint64(locator + 8, true));
      count = Number(view.getBigUint64(zip64Eocd + 32, true));
      offset = Number(view.getBigUint64(zip64Eocd + 48, true));
    }
    const decoder = new TextDecoder();
    for (let n = 0; n < count; n++) {
      if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL_SIGNATURE) {
        throw new WeightsError("corrupt", "corrupt zip central directory: the file is truncated or damaged");
      }
      const method = view.getUint16(offset + 10, true);
      let compressedSize = view.getUint32(offset + 20, true);
      let size = view.getUint32(offset + 24, true);
      const nameLength = view.getUint16(offset + 28, true);
      const extraLength = view.getUint16(offset + 30, true);
      const commentLength = view.getUint16(offset + 32, true);
      let localHeaderOffset = view.getUint32(offset + 42, true);
      const name = decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
      // ZIP64 extra field carries the real sizes/offset when the 32-bit ones are 0xffffffff.
      let extra = offset + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = view.getUint16(extra, true);
        const length = view.getUint16(extra + 2, true);
        if (id === 0x0001) {
          let p = extra + 4;
          if (size === 0xffffffff) { size = Number(view.getBigUint64(p, true)); p += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = Number(view.getBigUint64(p, true)); p += 8; }
          if (localHeaderOffset === 0xffffffff) { localHeaderOffset = Number(view.getBigUint64(p, true)); }
        }
        extra += 4 + length;
      }
      this.entries.set(name, {name, method, compressedSize, size, localHeaderOffset});
      offset = extraEnd + commentLength;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw new WeightsError("corrupt", `zip entry not found: ${name}`);
    const {view, bytes} = this;
    const at = entry.localHeaderOffset;
    if (view.getUint32(at, true) !== LOCAL_SIGNATURE) throw new WeightsError("corrupt", `corrupt zip entry ${name}`);
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const end = start + entry.compressedSize;
    if (end > bytes.length) throw new WeightsError("corrupt", `zip entry ${name} runs past the end of the file: the file is truncated (re-download it)`);
    const raw = bytes.subarray(start, end);
    if (entry.method === 0) return raw;
    if (entry.method === 8) return inflateSync(raw, {out: new Uint8Array(entry.size)});
    throw new WeightsError("corrupt", `zip entry ${name} uses unsupported compression method ${entry.method}`);
  }
}
