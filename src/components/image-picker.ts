// The photo picker every chapter shares: a menu of the gallery by class, a
// strip of thumbnails, and the reader's own photo (upload.ts: pick or drop a
// file; it is decoded and resized in the browser and never sent anywhere).
// Its value is the photo's id (a gallery file name, or "upload-<hash>"); it
// starts from the reader's view (URL hash or localStorage, see view-state.ts)
// and saves every choice there, so the next chapter opens on the same photo.
// Use as an Observable input: `const id = view(imagePicker(gallery, pixels))`.
//
// An uploaded photo is registered as the last entry of `gallery.images`
// (label -1, class name "your photo (true class unknown)"), so
// `gallery.images[galleryIndex(gallery, id)]` and `photoPixels` work for it
// like for any gallery photo, and the pages need no code of their own for it.
//
// Test hooks: [data-testid="image-picker"] (value in data-value),
// [data-testid="image-picker-thumb"][data-id], [data-testid="image-upload-input"]
// (the file input), [data-testid="image-upload-drop"] (the drop zone),
// [data-testid="image-upload-message"] (data-state: idle | working | ok | error),
// [data-testid="image-upload-forget"].
import {photoAt, photoIndex, type GalleryMeta} from "../shared/gallery-data.js";
import {rgbCanvas} from "./image-grid.js";
import {paintSoon} from "./paint-queue.js";
import {currentUpload, setCurrentUpload, syncUpload, uploadPixels} from "./upload.js";
import {acceptDroppedFiles, uploadControl, uploadHandler, type UploadControl} from "./upload-control.js";
import {onViewChange, setView, useKeys, viewState} from "./view-state.js";

const THUMB = 56;

export interface ImagePicker extends HTMLElement {
  value: string;
}

/** Index of a photo in the gallery (the reader's upload included), or 0 (the first photo) if it is not there. */
export function galleryIndex(gallery: GalleryMeta, id: string): number {
  syncUpload(gallery);
  return photoIndex(gallery, id);
}

/** The uint8 RGB pixels (HWC) of gallery photo `index` (the reader's upload: its own pixels). */
export function photoPixels(gallery: GalleryMeta, pixels: Uint8Array, index: number): Uint8Array {
  return photoAt(gallery, pixels, index, uploadPixels);
}

export function imagePicker(gallery: GalleryMeta, pixels: Uint8Array, {label = "Photo"}: {label?: string} = {}): ImagePicker {
  syncUpload(gallery);
  let value = "";
  const index = () => galleryIndex(gallery, value);
  const step = (by: number) => choose(gallery.images[(index() + gallery.images.length + by) % gallery.images.length].id);
  const parts = pickerParts(gallery, label, step);
  const {root} = parts;
  const strip = thumbStrip(parts, gallery, pixels, (id) => choose(id));
  const refresh = () => refreshUpload(parts, gallery, strip);
  refresh();

  function show(id: string): void {
    value = showPhoto(parts, gallery, pixels, strip.thumbs, id);
  }

  function choose(id: string): void {
    if (id === value) return;
    show(id);
    strip.thumbs[index()]?.scrollIntoView({block: "nearest", inline: "nearest"});
    setView({image: value});
    root.dispatchEvent(new Event("input", {bubbles: true}));
  }

  const useFile = uploadHandler(parts.upload, gallery, (photo) => {
    refresh();
    if (value === photo.id) show(photo.id); // the same photo again: nothing changes downstream
    else choose(photo.id);
  });
  parts.upload.input.addEventListener("change", () => {
    const file = parts.upload.input.files?.[0];
    parts.upload.input.value = ""; // so choosing the same file again fires "change" again
    void useFile(file);
  });
  parts.upload.forget.addEventListener("click", () => {
    const wasShown = gallery.images[index()]?.uploaded;
    setCurrentUpload(undefined);
    refresh();
    parts.upload.say("idle", "Your photo is forgotten: removed from this page and from this tab's storage.");
    if (wasShown) choose(gallery.images[0].id);
    else show(value);
  });
  acceptDroppedFiles(root, (files) => void useFile(files[0], files.length > 1 ? ` (${files.length} files were dropped; only the first is used.)` : ""));

  parts.select.addEventListener("change", () => choose(parts.select.value));
  Object.defineProperty(root, "value", {
    get: () => value,
    set: (id: string) => show(id),
  });

  useKeys("image");
  show(viewState().image);
  if (viewState().image !== value) setView({image: value});
  onViewChange((s, changed) => {
    if (changed.includes("image") && s.image !== value) choose(s.image);
  });
  return root;
}

/** The picker's elements: the current photo, the class menu, the info line, previous/next, the upload control. */
interface PickerParts {
  root: ImagePicker;
  current: HTMLCanvasElement;
  select: HTMLSelectElement;
  /** The menu's group for the reader's photo (in the menu only while there is one). */
  uploadGroup: HTMLOptGroupElement;
  info: HTMLElement;
  upload: UploadControl;
}

function pickerParts(gallery: GalleryMeta, label: string, step: (by: number) => void): PickerParts {
  const root = document.createElement("div") as unknown as ImagePicker;
  root.className = "image-picker";
  root.dataset.testid = "image-picker";
  const head = document.createElement("div");
  head.className = "image-picker__head";
  const current = document.createElement("canvas");
  current.className = "image-picker__current";
  current.width = current.height = gallery.size;
  const labelEl = document.createElement("label");
  labelEl.className = "image-picker__label";
  const title = document.createElement("span");
  title.textContent = label;
  const select = classMenu(gallery);
  const uploadGroup = document.createElement("optgroup");
  uploadGroup.label = "your photo";
  labelEl.append(title, select);
  const info = document.createElement("div");
  info.className = "image-picker__info";
  info.dataset.testid = "image-picker-info";
  const nav = document.createElement("div");
  nav.className = "image-picker__nav";
  nav.append(button("← previous", () => step(-1)), button("next →", () => step(1)));
  const upload = uploadControl(gallery.classes.length);
  const text = document.createElement("div");
  text.className = "image-picker__text";
  text.append(labelEl, info, nav, upload.element);
  head.append(current, text);
  root.append(head);
  return {root, current, select, uploadGroup, info, upload};
}

/** The gallery's photos by their true class (the dataset's names, whatever model computes), as a menu. */
function classMenu(gallery: GalleryMeta): HTMLSelectElement {
  const select = document.createElement("select");
  const labels = [...new Set(gallery.images.filter((im) => !im.uploaded).map((im) => im.label))];
  for (const label of labels) {
    const images = gallery.images.filter((im) => im.label === label && !im.uploaded);
    const name = images[0].className;
    const group = document.createElement("optgroup");
    group.label = name;
    for (const image of images) {
      const option = document.createElement("option");
      option.value = image.id;
      option.textContent = `${name} · ${image.id.replace(/^ILSVRC2012_val_0*/, "#").replace(/\.JPEG$/i, "")}`;
      group.append(option);
    }
    select.append(group);
  }
  return select;
}

/** The strip of thumbnails (indexed like gallery.images); `add(i)` appends photo i's. */
interface ThumbStrip {
  thumbs: HTMLButtonElement[];
  add(i: number): void;
}

function thumbStrip(parts: PickerParts, gallery: GalleryMeta, pixels: Uint8Array, choose: (id: string) => void): ThumbStrip {
  const element = document.createElement("div");
  element.className = "image-picker__strip";
  element.setAttribute("role", "listbox");
  element.setAttribute("aria-label", "gallery photos");
  const thumbs: HTMLButtonElement[] = [];
  const add = (i: number) => {
    const id = gallery.images[i].id;
    const b = thumbButton(gallery, pixels, i);
    b.dataset.testid = "image-picker-thumb";
    b.setAttribute("role", "option");
    b.addEventListener("click", () => choose(id));
    element.append(b);
    thumbs[i] = b;
  };
  gallery.images.forEach((image, i) => {
    if (!image.uploaded) add(i);
  });
  element.addEventListener("keydown", (e) => moveFocus(element, e));
  parts.root.append(element);
  return {thumbs, add};
}

/**
 * The strip is a listbox: one Tab stop (the chosen photo's thumbnail, see
 * showPhoto), the arrow keys, Home and End move among the thumbnails, and
 * Enter or Space chooses the one with the focus (it is a button). Moving
 * does not choose, so that passing over photos computes nothing.
 */
function moveFocus(strip: HTMLElement, e: KeyboardEvent): void {
  const buttons = [...strip.querySelectorAll<HTMLButtonElement>("button")];
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  if (at < 0 || e.altKey || e.ctrlKey || e.metaKey) return;
  const to = {ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1}[e.key];
  if (to === undefined) return;
  e.preventDefault();
  const next = buttons[Math.max(0, Math.min(buttons.length - 1, to))];
  for (const b of buttons) b.tabIndex = b === next ? 0 : -1;
  next.focus();
  next.scrollIntoView({block: "nearest", inline: "nearest"});
}

/** Menu entry and thumbnail of the current upload (the last gallery entry), after an upload or a "forget". */
function refreshUpload({select, uploadGroup, upload}: PickerParts, gallery: GalleryMeta, strip: ThumbStrip): void {
  const {thumbs} = strip;
  const last = thumbs[thumbs.length - 1];
  if (last?.classList.contains("image-picker__thumb--upload")) {
    last.remove();
    thumbs.pop();
  }
  uploadGroup.replaceChildren();
  uploadGroup.remove();
  const at = syncUpload(gallery);
  const photo = currentUpload();
  upload.forget.hidden = !photo;
  if (!photo || at < 0) return;
  const option = document.createElement("option");
  option.value = photo.id;
  option.textContent = `your photo · ${photo.name || photo.id}`;
  uploadGroup.append(option);
  select.append(uploadGroup);
  strip.add(at);
  thumbs[at].classList.add("image-picker__thumb--upload");
}

/** Shows photo `id` (the first photo if it is not in the gallery) as the current one; returns the id shown. */
function showPhoto({root, select, current, info}: PickerParts, gallery: GalleryMeta, pixels: Uint8Array, thumbs: HTMLButtonElement[], id: string): string {
  const i = galleryIndex(gallery, id);
  const image = gallery.images[i];
  root.dataset.value = image.id;
  select.value = image.id;
  drawPhoto(current, photoPixels(gallery, pixels, i), gallery.size);
  const photo = image.uploaded ? currentUpload() : undefined;
  info.textContent = photo
    ? `true class: unknown (your photo${photo.name ? ` “${photo.name}”` : ""}, ${photo.width} × ${photo.height} pixels)`
    : `true class: ${image.className}`;
  thumbs.forEach((t, k) => {
    t.classList.toggle("image-picker__thumb--selected", k === i);
    t.setAttribute("aria-selected", String(k === i));
    t.tabIndex = k === i ? 0 : -1; // the strip's one Tab stop: the chosen photo (moveFocus)
  });
  return image.id;
}

export interface ImageSetPicker extends HTMLElement {
  value: string[];
}

/**
 * Several photos at once (side by side): a strip of thumbnails that toggle,
 * at most `max`. Value: the chosen file names, in gallery order; saved in the
 * view under `compare`. Test hook: [data-testid="image-set-picker"].
 */
export function imageSetPicker(gallery: GalleryMeta, pixels: Uint8Array, {max = 3, label = "Compare with"}: {max?: number; label?: string} = {}): ImageSetPicker {
  const root = document.createElement("div") as unknown as ImageSetPicker;
  root.className = "image-picker image-picker--set";
  root.dataset.testid = "image-set-picker";
  syncUpload(gallery);
  const title = document.createElement("div");
  title.className = "image-picker__label";
  title.textContent = `${label} (up to ${max}; click to add or remove):`;
  const strip = document.createElement("div");
  strip.className = "image-picker__strip";
  let chosen = new Set<string>();
  const thumbs = gallery.images.map((image, i) => {
    const b = thumbButton(gallery, pixels, i);
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => {
      const next = new Set(chosen);
      if (next.has(image.id)) next.delete(image.id);
      else {
        if (next.size >= max) next.delete([...next][0]);
        next.add(image.id);
      }
      show([...next]);
      setView({compare: root.value});
      root.dispatchEvent(new Event("input", {bubbles: true}));
    });
    strip.append(b);
    return b;
  });
  function show(ids: string[]): void {
    const known = new Set(gallery.images.map((im) => im.id));
    chosen = new Set(ids.filter((id) => known.has(id)).slice(0, max));
    root.dataset.value = root.value.join(",");
    thumbs.forEach((t) => {
      const on = chosen.has(t.dataset.id!);
      t.classList.toggle("image-picker__thumb--selected", on);
      t.setAttribute("aria-pressed", String(on));
    });
  }
  Object.defineProperty(root, "value", {
    get: () => gallery.images.map((im) => im.id).filter((id) => chosen.has(id)),
    set: (ids: string[]) => show(ids),
  });
  root.append(title, strip);
  useKeys("compare");
  show(viewState().compare);
  onViewChange((s, changed) => {
    if (!changed.includes("compare")) return;
    show(s.compare);
    root.dispatchEvent(new Event("input", {bubbles: true}));
  });
  return root;
}

function button(text: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

/** A thumbnail button for gallery photo i (data-id = its file name). */
function thumbButton(gallery: GalleryMeta, pixels: Uint8Array, i: number): HTMLButtonElement {
  const image = gallery.images[i];
  const b = document.createElement("button");
  b.type = "button";
  b.className = "image-picker__thumb";
  b.dataset.id = image.id;
  b.title = `${image.className} · ${image.id}`;
  const c = document.createElement("canvas");
  c.width = c.height = THUMB;
  paintSoon(c, () => drawPhoto(c, photoPixels(gallery, pixels, i), gallery.size));
  b.append(c);
  return b;
}

/** Draws a uint8 RGB photo (side `size`) scaled into a canvas. */
function drawPhoto(canvas: HTMLCanvasElement, photo: Uint8Array, size: number): void {
  const full = rgbCanvas(photo, 0, size, size);
  const ctx = canvas.getContext("2d")!;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(full, 0, 0, canvas.width, canvas.height);
}
