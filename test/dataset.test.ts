// Any dataset of image folders (src/data/node/dataset.ts): which folders are
// classes and in which order, classes.json and its errors, the model's head
// against the class count, the statistics' cache key, and the words the
// pages use for the classes (src/shared/dataset-words.ts).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {headMismatchMessage, IMAGENETTE_CLASSES, IMAGENETTE_HEAD_ROWS, parseClassesJson, readDataset} from "../src/data/node/dataset.js";
import {listImagenette} from "../src/data/node/imagenette.js";
import {loadCheckpoint} from "../src/data/node/model.js";
import {cacheKey} from "../src/data/node/stats.js";
import {DEFAULT_PROTOCOL_SETTINGS} from "../src/lib/protocol.js";
import {IMAGENETTE_IMAGENET_INDICES} from "../src/lib/resnet18.js";
import {identityProblems} from "../src/lib/stats-format.js";
import {datasetWords, listWords, numberWord} from "../src/shared/dataset-words.js";

const SHARED = path.resolve(import.meta.dirname, "../../shared");
const MODEL = path.join(SHARED, "models", "resnet18-imagenette.pth");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dataset-test-"));
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

/** A folder with the given class folders, each holding `files` (empty files: listing never decodes). */
function folder(name: string, classes: Record<string, string[]>, classesJson?: unknown): string {
  const dir = path.join(tmp, name);
  for (const [cls, files] of Object.entries(classes)) {
    fs.mkdirSync(path.join(dir, cls), {recursive: true});
    for (const f of files) fs.writeFileSync(path.join(dir, cls, f), "");
  }
  if (classesJson !== undefined) fs.writeFileSync(path.join(dir, "classes.json"), typeof classesJson === "string" ? classesJson : JSON.stringify(classesJson));
  return dir;
}

describe("folder discovery", () => {
  it("without classes.json: every folder is a class, named as the folder, in code-point order", () => {
    // Code-point order: upper case before lower case, "Z" before "a", "é" after "z", whatever the locale.
    const dir = folder("plain", {zebra: ["1.jpg"], Zulu: ["2.png"], apple: ["3.jpeg"], "éclair": ["4.JPG"], ".hidden": ["5.jpg"]});
    const dataset = readDataset(dir, {onWarn: () => {}});
    expect(dataset.source).toBe("folders");
    expect(dataset.classes).toEqual([
      {index: 0, wnid: "Zulu", name: "Zulu"},
      {index: 1, wnid: "apple", name: "apple"},
      {index: 2, wnid: "zebra", name: "zebra"},
      {index: 3, wnid: "éclair", name: "éclair"},
    ]);
    const list = listImagenette(dir, {onWarn: () => {}});
    expect(list.map((e) => [e.wnid, path.basename(e.file), e.label, e.name])).toEqual([
      ["Zulu", "2.png", 0, "Zulu"],
      ["apple", "3.jpeg", 1, "apple"],
      ["zebra", "1.jpg", 2, "zebra"],
      ["éclair", "4.JPG", 3, "éclair"],
    ]);
  });

  it("Imagenette's wnid folders: its ten classes in the handout's order, with their names, even when some are missing", () => {
    const dir = folder("imagenette", {n03888257: ["a.JPEG"], n01440764: ["b.JPEG"], n99999999: ["c.JPEG"]});
    const warnings: string[] = [];
    const dataset = readDataset(dir, {onWarn: (m) => warnings.push(m)});
    expect(dataset.source).toBe("imagenette");
    expect(dataset.classes).toEqual(IMAGENETTE_CLASSES);
    expect(dataset.classes.map((c) => c.name)).toEqual(["tench", "English springer", "cassette player", "chain saw", "church", "French horn", "garbage truck", "gas pump", "golf ball", "parachute"]);
    expect(warnings.join("\n")).toMatch(/n99999999.*not one of the 10 Imagenette class folders/);
    const list = listImagenette(dir, {dataset, onWarn: () => {}});
    expect(list.map((e) => [e.wnid, e.label])).toEqual([["n01440764", 0], ["n03888257", 9]]);
  });

  it("a wnid folder beside other names is an ordinary class folder", () => {
    const dataset = readDataset(folder("mixed", {n01440764: ["a.jpg"], dogs: ["b.jpg"]}), {onWarn: () => {}});
    expect(dataset.source).toBe("folders");
    expect(dataset.classes.map((c) => c.name)).toEqual(["dogs", "n01440764"]);
  });

  it("Imagenette's data file agrees with the library's ImageNet rows", () => {
    expect(IMAGENETTE_HEAD_ROWS).toEqual(IMAGENETTE_IMAGENET_INDICES);
  });
});

describe("classes.json", () => {
  it("the list form gives the logit order and the names; unlisted folders are left out with a warning", () => {
    const dir = folder("listed", {fish: ["1.jpg"], dog: ["2.jpg"], radio: ["3.jpg"], extra: ["4.jpg"]}, [
      {folder: "radio", name: "cassette player"},
      {folder: "fish", name: "tench"},
      {folder: "dog"},
    ]);
    const warnings: string[] = [];
    const dataset = readDataset(dir, {onWarn: (m) => warnings.push(m)});
    expect(dataset.source).toBe("classes.json");
    expect(dataset.classes).toEqual([
      {index: 0, wnid: "radio", name: "cassette player"},
      {index: 1, wnid: "fish", name: "tench"},
      {index: 2, wnid: "dog", name: "dog"},
    ]);
    expect(warnings.join("\n")).toMatch(/extra/);
    const list = listImagenette(dir, {dataset, onWarn: () => {}});
    expect(list.map((e) => [e.wnid, e.label])).toEqual([["dog", 2], ["fish", 1], ["radio", 0]]);
  });

  it("the object form (folder: name) and {classes: [...]} read the same", () => {
    const folders = ["a", "b"];
    const expected = [{index: 0, wnid: "b", name: "Bee"}, {index: 1, wnid: "a", name: "Ant"}];
    expect(parseClassesJson(JSON.stringify({b: "Bee", a: "Ant"}), "c.json", folders)).toEqual(expected);
    expect(parseClassesJson(JSON.stringify({classes: [{folder: "b", name: "Bee"}, {folder: "a", name: "Ant"}]}), "c.json", folders)).toEqual(expected);
  });

  it("errors name the file and what is wrong", () => {
    const folders = ["a", "b", "7"];
    const parse = (text: string) => () => parseClassesJson(text, "/x/classes.json", folders);
    expect(parse("{not json")).toThrow(/\/x\/classes\.json is not JSON/);
    expect(parse("[]")).toThrow(/lists no class/);
    expect(parse("42")).toThrow(/must be a list/);
    expect(parse(JSON.stringify([{name: "x"}]))).toThrow(/entry 1 has no folder/);
    expect(parse(JSON.stringify([{folder: "a", name: ""}]))).toThrow(/the name of "a" must be a non-empty string/);
    expect(parse(JSON.stringify(["a", "a"]))).toThrow(/lists the folder "a" twice/);
    expect(parse(JSON.stringify(["a", "c"]))).toThrow(/lists "c", but \/x has no such folder \(it has: a, b, 7\)/);
    expect(parse(JSON.stringify({"7": "seven", a: "A"}))).toThrow(/numbers \(7\) lose their order.*list form/);
  });
});

describe("the model's head against the classes", () => {
  it("the shared 10-class model on 3 classes: refused, saying both counts and what to do", () => {
    const classes = [{index: 0, wnid: "fish", name: "fish"}, {index: 1, wnid: "dog", name: "dog"}, {index: 2, wnid: "radio", name: "radio"}];
    expect(() => loadCheckpoint(MODEL, {classes, imagesDir: "/data/mine"})).toThrow(
      /head does not match the classes: resnet18-imagenette\.pth has 10 outputs .*\/data\/mine have 3 classes \(fish, dog, radio\)\. Use a model trained on these 3 classes .*classes\.json.*EXPLAIN_IMAGES/,
    );
    expect(headMismatchMessage("m.pth", 1000, {classes})).toMatch(/1000-class torchvision ImageNet model is accepted only with Imagenette's wnid folders/);
  });

  it("the shared model on Imagenette's classes loads as before", () => {
    const checkpoint = loadCheckpoint(MODEL, {classes: IMAGENETTE_CLASSES});
    expect(checkpoint.head).toBe("imagenette-10");
    expect(checkpoint.classes).toEqual(IMAGENETTE_CLASSES);
    expect(checkpoint.stateDict.get("fc.weight")!.shape).toEqual([10, 512]);
  });
});

describe("the statistics record the classes", () => {
  const settings = DEFAULT_PROTOCOL_SETTINGS;
  const three = [{index: 0, wnid: "fish", name: "fish"}, {index: 1, wnid: "dog", name: "dog"}, {index: 2, wnid: "radio", name: "radio"}];

  it("the cache key: Imagenette's as before, other classes add their own part", () => {
    const imagenette = cacheKey("ab".repeat(32), settings, IMAGENETTE_CLASSES);
    expect(imagenette).toMatch(/^abababababababab-o6-ig20-d10-p\d+-[0-9a-f]{6}$/);
    const mine = cacheKey("ab".repeat(32), settings, three);
    expect(mine.startsWith(imagenette + "-c3-")).toBe(true);
    expect(cacheKey("ab".repeat(32), settings, three.map((c) => (c.index === 1 ? {...c, name: "puppy"} : c)))).not.toBe(mine);
  });

  it("files with other classes are not comparable", () => {
    const base = {protocolVersion: 3, settings, model: {file: "m.pth", sha256: "0".repeat(64)}};
    expect(identityProblems({...base, classes: three}, "a.json", {...base, classes: three}, "b.json")).toEqual([]);
    expect(identityProblems({...base, classes: three}, "a.json", {...base, classes: IMAGENETTE_CLASSES}, "this site").join()).toMatch(/the classes differ: a\.json has 3 classes: fish, dog, radio; this site has 10 classes: n01440764 \(tench\)/);
  });
});

describe("the pages' words for the classes", () => {
  it("Imagenette: ten, its names, its table", () => {
    const words = datasetWords(IMAGENETTE_CLASSES);
    expect(words.imagenette).toBe(true);
    expect(words.countWord).toBe("ten");
    expect(words.list).toBe("tench, English springer, cassette player, chain saw, church, French horn, garbage truck, gas pump, golf ball and parachute");
    expect(words.examples).toEqual(["church", "parachute"]);
    expect(words.imagenetteRows?.[1]).toEqual({index: 1, wnid: "n02102040", name: "English springer", gloss: "a dog", imagenetIndex: 217});
  });

  it("another dataset: its own count and names, nothing of Imagenette", () => {
    const words = datasetWords([{wnid: "fish", name: "fish"}, {wnid: "dog", name: "dog"}, {wnid: "radio", name: "radio"}]);
    expect(words).toEqual({imagenette: false, count: 3, countWord: "three", names: ["fish", "dog", "radio"], list: "fish, dog and radio", examples: ["fish", "dog"], imagenetteRows: null});
    expect(JSON.stringify(Object.values(words))).not.toMatch(/tench|springer|Imagenette/i);
    // Imagenette's folders in another order are another model's classes.
    expect(datasetWords([...IMAGENETTE_CLASSES].reverse()).imagenette).toBe(false);
  });

  it("number words and lists", () => {
    expect([0, 1, 2, 12, 13, 1000].map(numberWord)).toEqual(["zero", "one", "two", "twelve", "13", "1,000"]);
    expect([[], ["a"], ["a", "b"], ["a", "b", "c"]].map(listWords)).toEqual(["", "a", "a and b", "a, b and c"]);
  });
});
