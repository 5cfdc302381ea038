// The chapters' figure declarations (src/compute/chapters.ts), which the
// compute engine's warm-up reads: every live figure of every chapter in the
// site's configuration is declared (so a new chapter or figure cannot be
// forgotten), every chapter with live figures has something to warm up, and
// every declared step runs (on wasm, in Node, at 64 x 64: the network is
// fully convolutional) and leaves no tensor behind.
import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import config from "../observablehq.config.js";
import {CHAPTER_FIGURES} from "../src/compute/chapters.js";
import {chapterName, chapterWarmUp, type WarmUpStep} from "../src/compute/warm-up.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {setup, smallFixtureImage} from "./helpers/model.js";

/** The live figures a page declares: the `name` of each `.live({name: ...})`. */
function liveFigures(chapterPath: string): string[] {
  const markdown = fs.readFileSync(path.join(config.root, `${chapterPath}.md`), "utf8");
  return [...markdown.matchAll(/\.live\(\{\s*name:\s*"([^"]+)"/g)].map((match) => match[1]);
}

const chapters = config.pages.map((page) => ({path: page.path, name: chapterName(page.path), figures: liveFigures(page.path)}));

describe("chapter figure declarations", () => {
  it("finds the pages' live figures (the parser sees them)", () => {
    expect(chapters.filter((c) => c.figures.length > 0).length).toBeGreaterThanOrEqual(9);
    expect(chapters.find((c) => c.name === "judging-explanations")?.figures.length).toBe(5);
  });

  it.each(chapters)("$path: every live figure is declared, in page order, and nothing else", ({name, figures}) => {
    expect((CHAPTER_FIGURES[name] ?? []).map((figure) => figure.name)).toEqual(figures);
  });

  it("declares only chapters of the site", () => {
    expect(Object.keys(CHAPTER_FIGURES).filter((name) => !chapters.some((c) => c.name === name))).toEqual([]);
  });

  it.each(chapters.filter((c) => c.figures.length > 0))("$path: has a warm-up, and each figure without one says why", ({path: chapterPath, name}) => {
    expect(chapterWarmUp(chapterPath).length).toBeGreaterThan(0);
    for (const figure of CHAPTER_FIGURES[name]) if (!figure.warmUp.length) expect(figure.note, figure.name).toBeTruthy();
  });

  it("finds a chapter's warm-up by its path in any form, each step once", () => {
    const steps = chapterWarmUp("/pages/side-by-side").map((s) => s.label);
    expect(chapterWarmUp("side-by-side.html").map((s) => s.label)).toEqual(steps);
    expect(chapterWarmUp("side-by-side").map((s) => s.label)).toEqual(steps);
    expect(new Set(steps).size).toBe(steps.length);
    expect(chapterWarmUp("/pages/dataset-and-model")).toEqual([]);
    expect(chapterWarmUp("/pages/no-such-chapter")).toEqual([]);
  });
});

describe("every warm-up step runs (wasm, 64 x 64)", () => {
  let tf: typeof TF;
  let model: ResNet18;
  beforeAll(async () => ({tf, model} = await setup()));

  // Each distinct step once (chapters share steps: the five maps, the curves).
  const steps = new Map<string, WarmUpStep>();
  for (const {path: chapterPath} of chapters) for (const step of chapterWarmUp(chapterPath)) if (!steps.has(step.label)) steps.set(step.label, step);

  it.each([...steps.values()].map((step) => [step.label, step] as const))("%s", async (_label, step) => {
    const image = smallFixtureImage(0);
    try {
      await step.run({model, image, signal: new AbortController().signal}); // constants of first calls
      const before = tf.memory().numTensors;
      await step.run({model, image, signal: new AbortController().signal});
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      image.dispose();
    }
  });

  it("a step stops between batches once its signal is aborted", async () => {
    const image = smallFixtureImage(0);
    const controller = new AbortController();
    controller.abort(new DOMException("a request arrived", "AbortError"));
    try {
      await expect(chapterWarmUp("occlusion")[0].run({model, image, signal: controller.signal})).rejects.toThrow("a request arrived");
    } finally {
      image.dispose();
    }
  });
});
