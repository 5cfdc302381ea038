// The page's current upload: in memory and in this tab's sessionStorage (about
// 200 KB of base64), so the next chapter opens on it. A stored photo is
// checked (version, id, size, hash) before it is used.
import {UPLOAD_ID_PATTERN} from "../shared/gallery-data.js";
import {PHOTO_SIZE, uploadId, type UploadedPhoto} from "./photo-pixels.js";

/** sessionStorage key of the current upload. */
export const UPLOAD_STORAGE_KEY = "explanation-methods-live:upload";

/** An UploadedPhoto as sessionStorage keeps it: the pixels in base64. */
type StoredPhoto = Omit<UploadedPhoto, "pixels"> & {version: 1; pixels: string};

export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** The JSON kept in sessionStorage. */
export function serializePhoto(photo: UploadedPhoto): string {
  const stored: StoredPhoto = {version: 1, id: photo.id, name: photo.name, width: photo.width, height: photo.height, format: photo.format, notes: photo.notes, pixels: toBase64(photo.pixels)};
  return JSON.stringify(stored);
}

/** The photo in a stored JSON, or undefined if it is missing, damaged or from another version. */
export function parseStoredPhoto(json: string | null | undefined): UploadedPhoto | undefined {
  if (!json) return undefined;
  try {
    const s = JSON.parse(json) as Partial<StoredPhoto>;
    if (s.version !== 1 || typeof s.id !== "string" || !UPLOAD_ID_PATTERN.test(s.id) || typeof s.pixels !== "string") return undefined;
    const pixels = fromBase64(s.pixels);
    if (pixels.length !== PHOTO_SIZE * PHOTO_SIZE * 3 || uploadId(pixels) !== s.id) return undefined;
    const size = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : PHOTO_SIZE);
    return {
      id: s.id,
      name: typeof s.name === "string" ? s.name.slice(0, 300) : "",
      width: size(s.width),
      height: size(s.height),
      format: typeof s.format === "string" ? s.format.slice(0, 10) : "",
      notes: Array.isArray(s.notes) ? s.notes.filter((n): n is string => typeof n === "string").slice(0, 10) : [],
      pixels,
    };
  } catch {
    return undefined;
  }
}

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined; // storage disabled: the upload lives on this page only
  }
}

let current: UploadedPhoto | undefined;
let restored = false;

/** The current upload: set on this page, or restored from this tab's sessionStorage. */
export function currentUpload(): UploadedPhoto | undefined {
  if (!restored) {
    restored = true;
    try {
      current ??= parseStoredPhoto(storage()?.getItem(UPLOAD_STORAGE_KEY));
    } catch {
      current = undefined;
    }
  }
  return current;
}

/**
 * Makes `photo` the current upload (undefined: forgets it) and keeps it in
 * sessionStorage for the other chapters. Returns false if it could not be
 * stored (storage full or disabled): it then lives on this page only.
 */
export function setCurrentUpload(photo: UploadedPhoto | undefined): boolean {
  restored = true;
  current = photo;
  try {
    const s = storage();
    if (!s) return false;
    if (photo) s.setItem(UPLOAD_STORAGE_KEY, serializePhoto(photo));
    else s.removeItem(UPLOAD_STORAGE_KEY);
    return true;
  } catch {
    return false;
  }
}

/** The pixels of the current upload if `id` is its id. */
export function uploadPixels(id: string | undefined): Uint8Array | undefined {
  const photo = currentUpload();
  return photo && photo.id === id ? photo.pixels : undefined;
}
