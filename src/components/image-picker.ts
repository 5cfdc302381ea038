// The photo picker every chapter shares: a menu of the gallery by class and
// a strip of thumbnails. Its value is the photo's file name; it starts from
// the reader's view (URL hash or localStorage, see view-state.ts) and saves
// every choice there, so the next chapter opens on the same photo.
// Use as an Observable input: `const id = view(imagePicker(gallery, pixels))`.
// Test hooks: [data-testid="image-picker"] (value in data-value) and
// [data-testid="image-picker-thumb"][data-id].
import type {GalleryMeta} from "../data/_loaders.js";
import {rgbCanvas} from "./image-grid.js";
import {onViewChange, setView, useKeys, viewState} from "./view-state.js";

const THUMB = 56;

export interface ImagePicker extends HTMLElement {
  value: string;
}

/** Index of a photo in the gallery, or 0 (the first photo) if it is not there. */
export function galleryIndex(gallery: GalleryMeta, id: string): number {
  const i = gallery.images.findIndex((image) => image.id === id);
  return i < 0 ? 0 : i;
}

/** The uint8 RGB pixels (HWC) of gallery photo `index`. */
export function photoPixels(gallery: GalleryMeta, pixels: Uint8Array, index: number): Uint8Array {
  const n = gallery.size * gallery.size * 3;
  return pixels.subarray(index * n, (index + 1) * n);
}

export function imagePicker(gallery: GalleryMeta, pixels: Uint8Array, {label = "Photo"}: {label?: string} = {}): ImagePicker {
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
  const select = document.createElement("select");
  for (const c of gallery.classes) {
    const group = document.createElement("optgroup");
    group.label = c.name;
    for (const image of gallery.images.filter((im) => im.label === c.index)) {
      const option = document.createElement("option");
      option.value = image.id;
      option.textContent = `${c.name} · ${image.id.replace(/^ILSVRC2012_val_0*/, "#").replace(/\.JPEG$/i, "")}`;
      group.append(option);
    }
    if (group.childElementCount) select.append(group);
  }
  labelEl.append(title, select);
  const info = document.createElement("div");
  info.className = "image-picker__info";
  const nav = document.createElement("div");
  nav.className = "image-picker__nav";
  const prev = button("← previous", () => choose(gallery.images[(index() + gallery.images.length - 1) % gallery.images.length].id));
  const next = button("next →", () => choose(gallery.images[(index() + 1) % gallery.images.length].id));
  nav.append(prev, next);
  const text = document.createElement("div");
  text.append(labelEl, info, nav);
  head.append(current, text);

  const strip = document.createElement("div");
  strip.className = "image-picker__strip";
  strip.setAttribute("role", "listbox");
  strip.setAttribute("aria-label", "gallery photos");
  const thumbs = gallery.images.map((image, i) => {
    const b = thumbButton(gallery, pixels, i);
    b.dataset.testid = "image-picker-thumb";
    b.setAttribute("role", "option");
    b.addEventListener("click", () => choose(image.id));
    strip.append(b);
    return b;
  });
  root.append(head, strip);

  let value = "";
  const index = () => galleryIndex(gallery, value);

  function show(id: string): void {
    const i = galleryIndex(gallery, id);
    value = gallery.images[i].id;
    root.dataset.value = value;
    select.value = value;
    drawPhoto(current, photoPixels(gallery, pixels, i), gallery.size);
    const image = gallery.images[i];
    info.textContent = `true class: ${image.className}`;
    thumbs.forEach((t, k) => {
      t.classList.toggle("image-picker__thumb--selected", k === i);
      t.setAttribute("aria-selected", String(k === i));
    });
  }

  function choose(id: string): void {
    if (id === value) return;
    show(id);
    thumbs[index()].scrollIntoView({block: "nearest", inline: "nearest"});
    setView({image: value});
    root.dispatchEvent(new Event("input", {bubbles: true}));
  }

  select.addEventListener("change", () => choose(select.value));
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
  drawPhoto(c, photoPixels(gallery, pixels, i), gallery.size);
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
