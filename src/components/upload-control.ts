// The picker's part for the reader's own photo (image-picker.ts): the file
// button, what happens to the photo (in words), a status line, the file
// handler that decodes a picked or dropped file (upload.ts), and dropping
// files onto the picker. Test hooks: see image-picker.ts.
import {decodePhoto, MAX_PIXELS, PRESHRINK, setCurrentUpload, UploadError, type UploadedPhoto} from "./upload.js";
import type {GalleryMeta} from "../shared/gallery-data.js";
import {numberWord} from "../shared/words.js";

export type UploadControl = ReturnType<typeof uploadControl>;

/** The upload part of the picker: the file button, what happens to the photo, and a status line. */
export function uploadControl(classCount: number) {
  const element = document.createElement("div");
  element.className = "image-picker__upload";
  element.dataset.testid = "image-upload-drop";
  const row = document.createElement("div");
  row.className = "image-picker__upload-row";
  const pick = document.createElement("label");
  pick.className = "image-picker__upload-button";
  const input = document.createElement("input");
  input.type = "file";
  input.accept = "image/*";
  input.dataset.testid = "image-upload-input";
  // Chromium opens a file input's chooser on Enter only when the input itself
  // is visible; this one is invisible over its label, which looks like a
  // button: Enter must open it as Space does.
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    input.click();
  });
  pick.append(input, "Use your own photo…");
  const hint = document.createElement("span");
  hint.className = "image-picker__upload-hint";
  hint.textContent = "or drop an image file here. It stays in your browser.";
  const forget = document.createElement("button");
  forget.type = "button";
  forget.textContent = "forget my photo";
  forget.dataset.testid = "image-upload-forget";
  forget.hidden = true;
  row.append(pick, hint, forget);

  const details = document.createElement("details");
  details.className = "image-picker__upload-details";
  const summary = document.createElement("summary");
  summary.textContent = "What happens to your photo";
  const list = document.createElement("ul");
  for (const line of [
    "It never leaves your browser: it is decoded and resized on this device, and the page sends no request with it. It is kept in this tab's session storage, so the other chapters open on it, until you close the tab or press “forget my photo”.",
    `It is resized with padding to 224 × 224 by the same code that prepared the gallery (TensorFlow's resize_with_pad): longer side 224 pixels, black bands on the shorter one. A photo larger than ${PRESHRINK} pixels is first shrunk smoothly by the browser to ${PRESHRINK}, because resize_with_pad does not smooth and would alias over larger factors.`,
    "Transparent parts become black, the same black as the padding, the occlusion patches and the deleted pixels: to the methods, black is “nothing there”.",
    "An animated image gives its first frame. Grayscale, CMYK, 16-bit and colour-profiled images become ordinary 8-bit RGB, as your browser displays them, and the photo is turned upright as your photo viewer shows it (EXIF orientation).",
    `Accepted: whatever your browser can show (JPEG, PNG, GIF, WebP, BMP, AVIF), up to ${MAX_PIXELS / 1e6} megapixels and 100 MB. Anything else gets a message and the photo shown does not change.`,
    `The model knows only its ${numberWord(classCount)} classes, and the true class of your photo is unknown: the chapters show what the model predicts and why, but cannot say whether it is right.`,
  ]) {
    const li = document.createElement("li");
    li.textContent = line;
    list.append(li);
  }
  details.append(summary, list);

  const message = document.createElement("p");
  message.className = "image-picker__upload-message";
  message.dataset.testid = "image-upload-message";
  message.dataset.state = "idle";
  message.setAttribute("role", "status");
  message.setAttribute("aria-live", "polite");
  element.append(row, message, details);

  const say = (state: "idle" | "working" | "ok" | "error", text: string) => {
    message.dataset.state = state;
    message.textContent = text;
    input.disabled = state === "working";
  };
  return {element, input, forget, say};
}

/**
 * What happens to a file the reader picks or drops: decoded (upload.ts),
 * made the current upload, and handed to `use`; a message says how it went.
 * Of overlapping attempts only the last one counts.
 */
export function uploadHandler(upload: UploadControl, gallery: GalleryMeta, use: (photo: UploadedPhoto) => void): (file: File | undefined, extra?: string) => Promise<void> {
  let attempt = 0;
  return async (file, extra = "") => {
    if (!file) {
      upload.say("error", "Drop an image file (a link or text from another page cannot be used: save the image first).");
      return;
    }
    const mine = ++attempt;
    upload.say("working", `Reading ${file.name ? `“${file.name}”` : "the file"} in your browser…`);
    let photo: UploadedPhoto;
    try {
      photo = await decodePhoto(file);
    } catch (e) {
      if (mine !== attempt) return;
      const message = e instanceof UploadError ? e.message : `${file.name ? `“${file.name}”` : "The file"} could not be read as an image (${e instanceof Error ? e.message : String(e)}).`;
      upload.say("error", `${message} The photo shown is unchanged.`);
      return;
    }
    if (mine !== attempt) return;
    const stored = setCurrentUpload(photo);
    const done = `Now showing your photo “${photo.name || photo.id}” (${photo.width} × ${photo.height}${photo.format ? ` ${photo.format}` : ""}), resized with pad to ${gallery.size} × ${gallery.size}`;
    const notes = photo.notes.length ? `: ${photo.notes.join("; ")}.` : ".";
    const keep = stored ? "" : " This browser would not store it, so the other chapters will not open on it.";
    upload.say("ok", done + notes + extra + keep);
    use(photo);
  };
}

/** Files dropped anywhere on `root` go to `onFiles`; the element is marked while files are dragged over it. */
export function acceptDroppedFiles(root: HTMLElement, onFiles: (files: File[]) => void): void {
  let depth = 0;
  const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes("Files");
  root.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    root.classList.add("image-picker--drop");
  });
  root.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
  });
  root.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) root.classList.remove("image-picker--drop");
  });
  root.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    root.classList.remove("image-picker--drop");
    onFiles([...(e.dataTransfer?.files ?? [])]);
  });
}
