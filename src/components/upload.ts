// The reader's own photo ("bring your own image"): decoded and resized in the
// browser, never sent anywhere, and then treated like one more gallery photo,
// so every chapter's methods and the deletion score work on it unchanged.
//
// How a file becomes the model's 224 x 224 x 3 bytes (decodePhoto):
//
// 1. Checks before anything is decoded: an empty file, a file over
//    MAX_FILE_BYTES, and (from the file's header, see readImageHeader) an
//    image over MAX_PIXELS are refused with a message; the header also says
//    what needs converting (grayscale, 16 bits, CMYK, animation).
// 2. The browser decodes it (createImageBitmap on the file; an <img> element
//    if that fails, e.g. an SVG). Whatever the format, the result is what the
//    browser would show: 8-bit sRGB (16-bit PNGs reduced to 8 bits, CMYK and
//    embedded colour profiles converted to sRGB, grayscale copied to R = G = B),
//    the first frame of an animation (the HTML spec's rule for
//    createImageBitmap and for drawing an <img> that is not on screen), and
//    the EXIF orientation applied, so the photo stands the way the reader sees
//    it. (The build's loader follows PIL instead and ignores EXIF orientation;
//    the dataset's photos carry none.)
// 3. A photo whose longer side exceeds PRESHRINK = 3 x 224 = 672 pixels is
//    first shrunk by the browser (resizeQuality "high": smooth, antialiased)
//    to 672 on its longer side, keeping its proportions. TensorFlow's
//    resize_with_pad does not antialias: from a 4000-pixel photo it would keep
//    one pixel in 18 and alias badly. Up to a factor of 3 it is what the
//    dataset itself went through (Imagenette's 320-pixel photos, about
//    320 x 480, shrink by 2.1), so photos of that size take exactly the
//    dataset's path. This also bounds the pixels read back to 672^2.
// 4. Transparency is composited over black: transparent parts become 0, the
//    same black as the padding, the occlusion patches and the deletion, so
//    they carry no information for any method.
// 5. resizeWithPadUint8 from src/lib/resize-with-pad.ts, the code the build's
//    loader runs on the dataset (TensorFlow's resize_with_pad, float32,
//    rounded half to even): a photo of at most PRESHRINK pixels comes out
//    exactly as the loader would make it from the same decoded pixels.
//
// The photo then gets an id "upload-<hash of its 224x224 pixels>" (a valid
// view-state `image` value; a different photo gets a different id, so the
// pages' caches of explanations never mix two photos) and is registered as
// the last entry of the page's gallery metadata with label -1 and the class
// name "your photo (true class unknown)" (syncUpload): `gallery.images[i]`,
// `galleryIndex` and `photoPixels` (image-picker.ts) and the session's
// photo(id)/tensor(id) all find it. It is kept in sessionStorage (about
// 200 KB of base64) so the next chapter in this tab opens on it; a page
// that finds no stored photo falls back to the gallery's first photo.
//
// The jobs live in their own modules, re-exported here: the header
// (image-header.ts), the pure pixel steps (photo-pixels.ts), the decoding in
// the browser (photo-decode.ts), the storage (upload-storage.ts); the gallery
// entry and lookups are shared with the compute worker (src/shared/gallery-data.ts).
// Everything except decodePhoto is plain TypeScript without the DOM (tested
// in Node: test/upload.test.ts).
import {withUpload, type GalleryMeta} from "../shared/gallery-data.js";
import {currentUpload} from "./upload-storage.js";

export {UPLOAD_CLASS_NAME, UPLOAD_ID_PATTERN} from "../shared/gallery-data.js";
export {readImageHeader, type ImageHeader} from "./image-header.js";
export {compositeOverBlack, conversionNotes, fnv1a, MAX_FILE_BYTES, MAX_PIXELS, PHOTO_SIZE, PRESHRINK, preshrinkSize, toPhotoLayout, toPhotoPixels, uploadId, UploadError, type UploadedPhoto} from "./photo-pixels.js";
export {decodePhoto} from "./photo-decode.js";
export {currentUpload, fromBase64, parseStoredPhoto, serializePhoto, setCurrentUpload, toBase64, UPLOAD_STORAGE_KEY, uploadPixels} from "./upload-storage.js";

/**
 * Puts the current upload (if any) as the last entry of `gallery.images`,
 * replacing an earlier upload, so gallery indices and class names work for it
 * like for any gallery photo. Idempotent; returns the upload's index or -1.
 */
export function syncUpload(gallery: GalleryMeta): number {
  const photo = currentUpload();
  const images = withUpload(gallery.images, photo?.id);
  // In place: the page's cells hold this array.
  if (images !== gallery.images) gallery.images.splice(0, gallery.images.length, ...images);
  return photo ? gallery.images.length - 1 : -1;
}
