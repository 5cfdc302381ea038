// An image file's header: its format, size in pixels and what will need
// converting (grayscale, 16 bits, CMYK, transparency, animation), read from
// the first bytes without decoding any pixels. The upload (upload.ts) refuses
// an image too large before the browser decodes it, and tells the reader what
// was converted. A parser of binary formats: small readers, one per format.

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
