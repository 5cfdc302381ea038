// The reader's model for the rest of the tab's session, like the uploaded
// photo (upload-storage.ts): which model is in use (its ModelInfo and class
// names, a few KB) in this tab's sessionStorage, so every chapter opens
// with it, and the file itself (up to hundreds of MB, too large for
// sessionStorage) in IndexedDB, keyed by its sha256. Only the model in use
// is kept: storing another, or going back to the site's, deletes it. A new
// tab starts with the site's model (sessionStorage is per tab).
import type {GalleryMeta, ModelInfo} from "../compute/contract.js";
import type {ClassNamesSource} from "./class-names.js";

/** sessionStorage key of the model in use. */
export const MODEL_STORAGE_KEY = "explanation-methods-live:model";
const DB_NAME = "explanation-methods-live";
const STORE = "models";

/** What sessionStorage keeps of the reader's model. */
export interface StoredModel {
  version: 1;
  info: ModelInfo;
  classNames: string[];
  namesSource: ClassNamesSource;
}

/** The stored model in a JSON, or null if missing or damaged. */
export function parseStoredModel(json: string | null | undefined): StoredModel | null {
  if (!json) return null;
  try {
    const s = JSON.parse(json) as Partial<StoredModel>;
    const info = s.info;
    if (s.version !== 1 || !info || typeof info.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(info.sha256)) return null;
    if (!Array.isArray(s.classNames) || s.classNames.length !== info.classCount || !s.classNames.every((n) => typeof n === "string")) return null;
    return {version: 1, info: {...info, origin: "reader"}, classNames: s.classNames, namesSource: s.namesSource ?? "file"};
  } catch {
    return null;
  }
}

function session(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

/** The reader's model in use in this tab, or null (the site's). */
export function storedModel(): StoredModel | null {
  try {
    return parseStoredModel(session()?.getItem(MODEL_STORAGE_KEY));
  } catch {
    return null;
  }
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") return reject(new Error("this browser has no IndexedDB"));
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB could not be opened"));
  });
}

async function transaction<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await openDb();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted (storage full?)"));
    });
  } finally {
    db.close();
  }
}

/**
 * Keeps `file` (a Blob: IndexedDB stores it without reading it into memory)
 * as the model in use. Returns false if it could not be stored: it then
 * lives on this page only.
 */
export async function storeModel(model: StoredModel, file: Blob): Promise<boolean> {
  try {
    await transaction("readwrite", (store) => {
      store.clear();
      store.put(file, model.info.sha256);
    });
    session()?.setItem(MODEL_STORAGE_KEY, JSON.stringify(model));
    return true;
  } catch {
    return false;
  }
}

/** The stored file's bytes, or null if it is gone (storage cleared). */
export async function storedModelBytes(sha256: string): Promise<ArrayBuffer | null> {
  const blob = await transaction<Blob>("readonly", (store) => store.get(sha256) as IDBRequest<Blob>);
  return blob ? blob.arrayBuffer() : null;
}

/** Back to the site's model: forgets the reader's (both stores). */
export async function forgetModel(): Promise<void> {
  try {
    session()?.removeItem(MODEL_STORAGE_KEY);
  } catch {
    // storage disabled: nothing was kept
  }
  try {
    await transaction("readwrite", (store) => store.clear());
  } catch {
    // no IndexedDB: nothing was kept
  }
}

/**
 * The class names of the model in use on this page: the reader's model's
 * (stored) replace the gallery's in place, so every class picker and
 * prediction shows them. Idempotent; the photos' true classes (each image's
 * className) are untouched. Returns the stored model, or null.
 */
export function applyStoredClassNames(gallery: GalleryMeta): StoredModel | null {
  const stored = storedModel();
  if (!stored) return null;
  const same = gallery.classes.length === stored.classNames.length && gallery.classes.every((c, i) => c.name === stored.classNames[i]);
  if (!same) gallery.classes.splice(0, gallery.classes.length, ...stored.classNames.map((name, index) => ({index, wnid: "", name})));
  return stored;
}
