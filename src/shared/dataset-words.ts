// The words the pages use for the site's classes, built from the classes the
// build wrote (gallery.json's `classes`, the same as weights.json's), so
// that no page names a class the data does not have: "the ten classes",
// "tench, English springer, …" on Imagenette, "the three classes", "fish,
// dog and radio" on a dataset of one's own. Imagenette's own facts (its
// glosses, its rows in ImageNet's head) come from imagenette-classes.json
// and only when the classes are Imagenette's. Pure TypeScript: pages get it
// through the page bundle (src/components/page-runtime.ts), loaders and
// tests import it directly.
import imagenette from "./imagenette-classes.json" with {type: "json"};
import {listWords, numberWord} from "./words.js";

export {listWords, numberWord};

interface ClassLike {
  wnid: string;
  name: string;
}

export interface ImagenetteRow {
  index: number;
  wnid: string;
  name: string;
  /** "a fish", "a dog", or none. */
  gloss?: string;
  /** The class's row in torchvision's 1,000-class ImageNet head. */
  imagenetIndex: number;
}

export interface DatasetWords {
  /** The classes are Imagenette's ten, in the handout's order (the pages then say so, and may name them). */
  imagenette: boolean;
  count: number;
  /** "ten", "three", "25". */
  countWord: string;
  /** The class names in logit order. */
  names: string[];
  /** "tench, English springer, … and parachute". */
  list: string;
  /** Two class names for an example sentence (the same name twice when there is one class). */
  examples: [string, string];
  /** Imagenette's table (gloss and ImageNet index), only when `imagenette`. */
  imagenetteRows: ImagenetteRow[] | null;
}

/** True when `classes` are Imagenette's ten folders in the handout's order. */
export function isImagenetteClasses(classes: readonly ClassLike[]): boolean {
  return classes.length === imagenette.classes.length && classes.every((c, i) => c.wnid === imagenette.classes[i].wnid);
}

export function datasetWords(classes: readonly ClassLike[]): DatasetWords {
  const names = classes.map((c) => c.name);
  const isImagenette = isImagenetteClasses(classes);
  return {
    imagenette: isImagenette,
    count: classes.length,
    countWord: numberWord(classes.length),
    names,
    list: listWords(names),
    // Imagenette's cover sentence has always said "church" or "parachute": a building and an object, not two animals.
    examples: isImagenette ? [names[4], names[9]] : [names[0] ?? "", names[1] ?? names[0] ?? ""],
    imagenetteRows: isImagenette ? imagenette.classes.map((c, index) => ({index, ...c, name: names[index]})) : null,
  };
}
