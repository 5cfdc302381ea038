// The names of the reader's model's classes, shown by the class pickers,
// the predictions and the captions: from the reader's names file (a JSON
// array of names, or one name per line), else ImageNet's 1000 names for a
// 1000-class head, else "class 0" … "class N-1". Pure TypeScript (tested in
// Node: test/class-names.test.ts).

/** Where the names came from, for the control's message. */
export type ClassNamesSource = "file" | "imagenet" | "numbered";

export class ClassNamesError extends Error {
  override readonly name = "ClassNamesError";
}

/**
 * The names in a names file: a JSON array of strings (or of objects with a
 * `name`, like the site's weights.json classes), else one name per line
 * (blank lines at the end ignored; a "#" line is a comment). Throws a
 * ClassNamesError if it holds no names or not `classCount` of them.
 */
export function parseClassNames(text: string, classCount: number): string[] {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  let names: string[];
  if (trimmed.startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      throw new ClassNamesError(`the names file starts like JSON but is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!Array.isArray(json)) throw new ClassNamesError("the names file is not a JSON array");
    names = json.map((entry, i) => {
      const name = typeof entry === "string" ? entry : typeof entry === "object" && entry && typeof (entry as {name?: unknown}).name === "string" ? (entry as {name: string}).name : null;
      if (name === null) throw new ClassNamesError(`entry ${i} of the names file is not a name (a string, or an object with a "name")`);
      return name;
    });
  } else {
    names = trimmed.split(/\r?\n/).map((line) => line.trim()).filter((line) => !line.startsWith("#"));
  }
  if (!names.length || (names.length === 1 && names[0] === "")) throw new ClassNamesError("the names file holds no names");
  if (names.length !== classCount) throw new ClassNamesError(`the names file has ${names.length} names, the model has ${classCount} classes: give one name per class, in the order of the model's outputs`);
  return names.map((name, i) => name.slice(0, 200) || `class ${i}`);
}

/** The class names for a model with `classCount` classes and no names file: ImageNet's for 1000, else numbered. */
export function defaultClassNames(classCount: number, imagenet: readonly string[] | null): {names: string[]; source: ClassNamesSource} {
  if (classCount === 1000 && imagenet?.length === 1000) return {names: [...imagenet], source: "imagenet"};
  return {names: Array.from({length: classCount}, (_, i) => `class ${i}`), source: "numbered"};
}
