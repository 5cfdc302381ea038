// A dataset of image folders, `DIR/<class folder>/*.{jpg,jpeg,png}`, and
// its classes in the model's logit order:
//  - `DIR/classes.json` when present: the folders that are classes, in logit
//    order, each with the name the pages show (see parseClassesJson);
//  - else, when the folders are Imagenette's WordNet ids: Imagenette's ten
//    classes in the handout's order, named as in src/shared/imagenette-classes.json
//    (folders missing from the disk keep their logit row, so a partial copy
//    still lines up with a 10-class model);
//  - else every folder is a class, named as the folder, in code-point order
//    (the same on every machine and locale).
// A class's `wnid` is its folder name (Imagenette's folders are WordNet ids,
// hence the field's name in the files the site and the statistics write).
import fs from "node:fs";
import path from "node:path";
import imagenette from "../../shared/imagenette-classes.json" with {type: "json"};
import type {ImagenetteClass} from "../../lib/weights.js";

export type DatasetClass = ImagenetteClass;

export interface Dataset {
  /** The folder, absolute. */
  dir: string;
  /** Where the classes came from. */
  source: "imagenette" | "classes.json" | "folders";
  /** In logit order; `index` is the logit row, `wnid` the folder. */
  classes: DatasetClass[];
}

/** Imagenette's ten classes in the handout's order, as the weights manifest and the gallery store them. */
export const IMAGENETTE_CLASSES: DatasetClass[] = imagenette.classes.map(({wnid, name}, index) => ({index, wnid, name}));

/** The ImageNet head rows of Imagenette's classes, in the handout's order. */
export const IMAGENETTE_HEAD_ROWS: number[] = imagenette.classes.map((c) => c.imagenetIndex);

const WNID = /^n\d{8}$/;
export const IMAGE_FILE = /\.(jpe?g|png)$/i;
export const CLASSES_FILE = "classes.json";

/** Code-point order: the same on every machine and locale. */
export const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** True when `classes` are Imagenette's ten, folders and order (whatever their display names). */
export function isImagenette(classes: readonly DatasetClass[]): boolean {
  return classes.length === IMAGENETTE_CLASSES.length && classes.every((c, i) => c.wnid === IMAGENETTE_CLASSES[i].wnid);
}

/** The sub-folders of `dir` that can be classes (not hidden), in code-point order. */
export function classFolders(dir: string): string[] {
  return fs
    .readdirSync(dir, {withFileTypes: true})
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => d.name)
    .sort(byCodePoint);
}

/**
 * The classes of `dir` (see the top of this file). Errors say what is wrong
 * and what to do; `onWarn` gets folders that are left out.
 */
export function readDataset(dir: string, options: {onWarn?: (message: string) => void} = {}): Dataset {
  const warn = options.onWarn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const abs = path.resolve(dir);
  const folders = classFolders(abs);
  const classesFile = path.join(abs, CLASSES_FILE);
  if (fs.existsSync(classesFile)) {
    const classes = parseClassesJson(fs.readFileSync(classesFile, "utf8"), classesFile, folders);
    const listed = new Set(classes.map((c) => c.wnid));
    const extra = folders.filter((f) => !listed.has(f));
    if (extra.length) warn(`ignoring folder(s) of ${abs} not listed in ${CLASSES_FILE}: ${extra.join(", ")}`);
    return {dir: abs, source: "classes.json", classes};
  }
  const known = new Set(IMAGENETTE_CLASSES.map((c) => c.wnid));
  if (folders.some((f) => known.has(f)) && folders.every((f) => WNID.test(f))) {
    const unknown = folders.filter((f) => !known.has(f));
    if (unknown.length) warn(`ignoring ${unknown.map((f) => path.join(abs, f)).join(", ")}: not one of the 10 Imagenette class folders (${[...known].join(", ")})`);
    return {dir: abs, source: "imagenette", classes: IMAGENETTE_CLASSES};
  }
  return {dir: abs, source: "folders", classes: folders.map((wnid, index) => ({index, wnid, name: wnid}))};
}

/**
 * `classes.json`: the class folders in the model's logit order, with the
 * names the pages show. Either a list,
 *   [{"folder": "fish", "name": "tench"}, {"folder": "dog"}, ...]
 * (a missing name is the folder's), optionally as {"classes": [...]}, or an
 * object from folder to name, {"fish": "tench", "dog": "springer"}, whose
 * key order is the logit order (keys that look like numbers are refused:
 * JavaScript would reorder them). Every folder listed must exist
 * (`folders`; pass null to skip that check).
 */
export function parseClassesJson(text: string, file: string, folders: readonly string[] | null): DatasetClass[] {
  const form = `a list [{"folder": "fish", "name": "tench"}, ...] in the model's logit order, or an object {"fish": "tench", ...}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON (${(e as Error).message}): it must be ${form}`);
  }
  if (value && typeof value === "object" && !Array.isArray(value) && Array.isArray((value as {classes?: unknown}).classes)) value = (value as {classes: unknown[]}).classes;
  let entries: {folder: unknown; name: unknown}[];
  if (Array.isArray(value)) {
    entries = value.map((item, i) => {
      if (typeof item === "string") return {folder: item, name: item};
      if (!item || typeof item !== "object") throw new Error(`${file}: entry ${i + 1} is not an object: it must be ${form}`);
      const {folder, name} = item as {folder?: unknown; name?: unknown};
      return {folder, name: name ?? folder};
    });
  } else if (value && typeof value === "object") {
    const keys = Object.keys(value);
    const numeric = keys.filter((k) => /^\d+$/.test(k));
    if (numeric.length) throw new Error(`${file}: folder names that are numbers (${numeric.slice(0, 3).join(", ")}) lose their order in a JSON object: use the list form [{"folder": "${numeric[0]}", "name": "..."}, ...]`);
    entries = keys.map((folder) => ({folder, name: (value as Record<string, unknown>)[folder]}));
  } else {
    throw new Error(`${file} must be ${form}`);
  }
  if (entries.length === 0) throw new Error(`${file} lists no class: it must be ${form}`);
  const seen = new Set<string>();
  const onDisk = folders ? new Set(folders) : null;
  return entries.map(({folder, name}, index) => {
    if (typeof folder !== "string" || folder === "") throw new Error(`${file}: entry ${index + 1} has no folder (a non-empty string): it must be ${form}`);
    if (typeof name !== "string" || name.trim() === "") throw new Error(`${file}: the name of "${folder}" must be a non-empty string`);
    if (seen.has(folder)) throw new Error(`${file} lists the folder "${folder}" twice: each class once, in the model's logit order`);
    seen.add(folder);
    if (onDisk && !onDisk.has(folder)) throw new Error(`${file} lists "${folder}", but ${path.dirname(file)} has no such folder (it has: ${[...onDisk].join(", ") || "none"})`);
    return {index, wnid: folder, name: name.trim()};
  });
}

/**
 * The message of a model whose head does not fit the dataset: how many
 * outputs it has, how many classes the folder has, and what to do.
 */
export function headMismatchMessage(weightsFile: string, rows: number, dataset: {dir?: string; classes: readonly DatasetClass[]}): string {
  const n = dataset.classes.length;
  const where = dataset.dir ? ` in ${dataset.dir}` : "";
  const names = dataset.classes.map((c) => c.wnid).slice(0, 12).join(", ") + (n > 12 ? ", …" : "");
  return (
    `the model's head does not match the classes: ${path.basename(weightsFile)} has ${rows} outputs (fc.weight has ${rows} rows), ` +
    `the images${where} have ${n} class${n === 1 ? "" : "es"} (${names}). ` +
    `Use a model trained on these ${n} classes (its head must have ${n} outputs, in the order of ${CLASSES_FILE} or, without it, of the folder names in code-point order), ` +
    `or point EXPLAIN_IMAGES (--images) at the images the model was trained for. ` +
    `(A 1000-class torchvision ImageNet model is accepted only with Imagenette's wnid folders.)`
  );
}
