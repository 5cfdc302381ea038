// The gallery as data: the shape the build's loaders write (src/data) and
// the browser reads, and the reader's uploaded photo as one more entry of it.
// The page (src/components) and the compute worker (src/compute) both keep a
// copy of the gallery; both add an upload and look photos up through these
// functions, so the two copies cannot disagree. The loaders import the types
// only. Pure TypeScript: no DOM, no tfjs.
import type {ImagenetteClass} from "../lib/weights.js";

export interface GalleryImage {
  /** File name, e.g. ILSVRC2012_val_00009111.JPEG (unique across classes). */
  id: string;
  wnid: string;
  /** True class index (handout order). */
  label: number;
  className: string;
  /** One of the reference images in ../shared/fixtures. */
  fixture: boolean;
  /**
   * Only in the browser: the reader's own photo (src/components/upload.ts),
   * added to the page's and the worker's copy of the gallery with label -1
   * (true class unknown).
   */
  uploaded?: boolean;
}

export interface GalleryMeta {
  size: number;
  classes: ImagenetteClass[];
  selection: string;
  images: GalleryImage[];
}

/** The class name of the reader's uploaded photo: its true class is not known, so no page can say the model is right or wrong. */
export const UPLOAD_CLASS_NAME = "your photo (true class unknown)";
/** Ids of uploaded photos: "upload-" and 8 hex digits of a hash of their pixels. */
export const UPLOAD_ID_PATTERN = /^upload-[0-9a-f]{8}$/;

/** The gallery entry of an uploaded photo: label -1, true class unknown. */
export function uploadEntry(id: string): GalleryImage {
  return {id, wnid: "", label: -1, className: UPLOAD_CLASS_NAME, fixture: false, uploaded: true};
}

/**
 * The gallery's images with the upload `id` as the last entry (replacing any
 * earlier upload), or with no upload if `id` is undefined. Returns `images`
 * itself when it already is so, a new array otherwise.
 */
export function withUpload(images: readonly GalleryImage[], id: string | undefined): readonly GalleryImage[] {
  const uploads = images.filter((image) => image.uploaded);
  const last = images[images.length - 1];
  if (id === undefined ? uploads.length === 0 : uploads.length === 1 && last?.uploaded && last.id === id) return images;
  const gallery = images.filter((image) => !image.uploaded);
  return id === undefined ? gallery : [...gallery, uploadEntry(id)];
}

/** Index of a photo in the gallery (an upload included), or 0 (the first photo) if it is not there. */
export function photoIndex(gallery: GalleryMeta, id: string): number {
  const i = gallery.images.findIndex((image) => image.id === id);
  return i < 0 ? 0 : i;
}

/**
 * The uint8 RGB pixels (HWC) of gallery photo `index`: an upload's own
 * pixels (from `uploadPixels`), else its slice of the gallery's pixels.
 */
export function photoAt(gallery: GalleryMeta, pixels: Uint8Array, index: number, uploadPixels: (id: string) => Uint8Array | undefined): Uint8Array {
  const image = gallery.images[index];
  const uploaded = image?.uploaded ? uploadPixels(image.id) : undefined;
  if (uploaded) return uploaded;
  const n = gallery.size * gallery.size * 3;
  return pixels.subarray(index * n, (index + 1) * n);
}
