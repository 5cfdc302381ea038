// The pages' compute functions run in the compute worker, shipped as source
// text: nothing would type-check them on their way there. This test does.
// It takes the ```js blocks of every chapter (src/pages/*.md), finds the
// functions the figures ship (`compute:` of a live figure, the first
// argument of `.stream()` / `.run()`, and the functions in their `uses`),
// and compiles each against its types in src/compute/scope.ts with the
// TypeScript compiler (checkJs, one program for all pages): a compute
// function as a ComputeFunction, a used function as a UsedFunction, with the
// figure's `uses` typed from the page. A misspelt name of the scope
// (`worker.withImgae`, `lib: {occlusoin}`) or a name that stayed on the page
// is a type error, shown here with its page and line.
//
// It also checks that the page runtime bundle (src/components/page-runtime.ts,
// bundled to src/_bundle/runtime.js) holds no TensorFlow.js: tfjs belongs in
// the compute worker.
import {build} from "esbuild";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import {describe, expect, it} from "vitest";
import {compileCompute, type WorkerNames} from "../src/compute/scope.js";
import {JOB_SOURCE} from "./e2e/compute-pages.js";

const root = path.resolve(import.meta.dirname, "..");
const pagesDir = path.join(root, "src", "pages");

interface Figure {
  /** The shipped compute function's name on the page. */
  compute: string;
  /** uses: name in the scope -> the page's function (or null: a value). */
  uses: Map<string, string | null>;
}

interface Page {
  name: string;
  /** Top-level functions of the page's js blocks: name -> source text. */
  functions: Map<string, string>;
  figures: Figure[];
}

/** The ```js blocks of a page (with or without `echo`). */
function jsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```js[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

function usesOf(options: ts.Expression | undefined): Map<string, string | null> {
  const uses = new Map<string, string | null>();
  if (!options || !ts.isObjectLiteralExpression(options)) return uses;
  const property = options.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === "uses");
  if (!property) return uses;
  if (!ts.isPropertyAssignment(property) || !ts.isObjectLiteralExpression(property.initializer)) throw new Error(`uses must be an object literal: ${property.getText()}`);
  for (const p of property.initializer.properties) {
    if (ts.isShorthandPropertyAssignment(p)) uses.set(p.name.text, p.name.text);
    else if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) {
      if (ts.isIdentifier(p.initializer)) uses.set(p.name.text, p.initializer.text);
      else if (ts.isObjectLiteralExpression(p.initializer)) uses.set(p.name.text, null);
      else throw new Error(`a use is a function of the page or {value}: ${p.getText()}`);
    } else throw new Error(`unexpected entry in uses: ${p.getText()}`);
  }
  return uses;
}

/** A page's top-level functions and the figures that ship them. */
function readPage(file: string): Page {
  const functions = new Map<string, string>();
  const figures: Figure[] = [];
  for (const block of jsBlocks(fs.readFileSync(file, "utf8"))) {
    const source = ts.createSourceFile("block.js", block, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
    for (const statement of source.statements) {
      if (ts.isFunctionDeclaration(statement) && statement.name) functions.set(statement.name.text, statement.getText(source));
      if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) {
          if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) functions.set(d.name.text, d.initializer.getText(source));
        }
      }
    }
    const visit = (node: ts.Node): void => {
      // chapter.live({compute: f, uses: {...}, ...})
      if (ts.isObjectLiteralExpression(node)) {
        const compute = node.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === "compute");
        if (compute && ts.isPropertyAssignment(compute) && ts.isIdentifier(compute.initializer)) figures.push({compute: compute.initializer.text, uses: usesOf(node)});
      }
      // client.stream(f, args, {uses}) and client.run(f, params, {uses})
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ["stream", "run"].includes(node.expression.name.text)) {
        const [fn, , options] = node.arguments;
        if (fn && ts.isIdentifier(fn)) figures.push({compute: fn.text, uses: usesOf(options)});
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return {name: path.basename(file), functions, figures};
}

/** A function's source as an expression (a declaration becomes a named function expression). */
const asExpression = (source: string) => `(${source})`;

/**
 * The checkJs module for one page: each shipped function as a constant with
 * its type from scope.ts (JSDoc @satisfies: the parameters get their types,
 * the function keeps its own). `rename` replaces text of a function's source
 * (the negative cases below).
 */
function checkModule(page: Page, rename: (source: string) => string = (s) => s): {text: string; lines: string[]} {
  const scope = "import(\"../compute/scope.js\")";
  const lines = ["// @ts-check"];
  const missing = (name: string) => {
    throw new Error(`${page.name}: a figure ships ${name}, which is not a top-level function of the page`);
  };
  const valuesOf = (figure: Figure) => `{${[...figure.uses].filter(([, fn]) => fn === null).map(([name]) => `${name}: any`).join("; ")}}`;
  // Used functions first (the figures' types name them), with the values of the first figure that passes them.
  const used = new Map<string, Figure>();
  for (const figure of page.figures) for (const fn of figure.uses.values()) if (fn !== null && !used.has(fn)) used.set(fn, figure);
  for (const [fn, figure] of used) {
    const source = page.functions.get(fn) ?? missing(fn);
    lines.push(`/** @satisfies {${scope}.UsedFunction<${valuesOf(figure)}>} */`, `const ${fn} = ${asExpression(rename(source))};`);
  }
  page.figures.forEach((figure, k) => {
    const source = page.functions.get(figure.compute) ?? missing(figure.compute);
    const uses = [...figure.uses].map(([name, fn]) => `${name}: ${fn === null ? "any" : `${scope}.Bound<typeof ${fn}>`}`).join("; ");
    lines.push(`/** @satisfies {${scope}.ComputeFunction<{${uses}}>} */`, `const figure${k}_${figure.compute} = ${asExpression(rename(source))};`);
  });
  lines.push("export {};");
  return {text: lines.join("\n"), lines};
}

/**
 * "Argument of type Tensor<Rank> is not assignable to parameter of type
 * Tensor4D" and the like: tfjs's ranks, which plain JavaScript does not
 * track (`tf.tensor4d(...).div(255)` is a Tensor<Rank> to TypeScript). Every
 * other error counts: unknown names, unknown properties, wrong arity.
 */
const ASSIGNABILITY = new Set([2322, 2345]);

/** Type errors of the given virtual modules (next to the pages, so `../compute/scope.js` resolves), as "file:line: message". */
function typeErrors(modules: Map<string, string>): Map<string, string[]> {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: [],
    allowJs: true,
    checkJs: true,
    // Names and properties are the point: the chapters' JavaScript is not written for strict TypeScript.
    strict: false,
    noImplicitAny: false,
    skipLibCheck: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    esModuleInterop: true,
  };
  const files = new Map([...modules].map(([name, text]) => [path.join(pagesDir, name), text]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) => (files.has(file) ? ts.createSourceFile(file, files.get(file)!, language, true, ts.ScriptKind.JS) : getSourceFile(file, language, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => files.has(file) || fileExists(file);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => files.get(file) ?? readFile(file);
  const program = ts.createProgram([...files.keys()], options, host);
  const errors = new Map<string, string[]>();
  for (const [file] of files) {
    const source = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].filter((d) => !ASSIGNABILITY.has(d.code));
    errors.set(path.basename(file), diagnostics.map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
      return `${path.basename(file)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}\n    ${source.text.split("\n")[line]?.slice(0, 160)}`;
    }));
  }
  return errors;
}

const pages = fs.readdirSync(pagesDir).filter((f) => f.endsWith(".md")).sort().map((f) => readPage(path.join(pagesDir, f)));
const shipping = pages.filter((p) => p.figures.length);

describe("the pages' compute functions against the worker's scope (src/compute/scope.ts)", () => {
  it("finds the shipped functions of every chapter with live figures", () => {
    const counts = Object.fromEntries(shipping.map((p) => [p.name, p.figures.length]));
    // Every chapter that creates a live figure or streams from the worker ships something.
    for (const page of pages) {
      const text = fs.readFileSync(path.join(pagesDir, page.name), "utf8");
      if (/chapter\.live\(|\.stream\(|\.run\(/.test(text)) expect(page.figures.length, page.name).toBeGreaterThan(0);
    }
    expect(counts["occlusion.md"]).toBe(2);
    expect(counts["judging-explanations.md"]).toBe(5);
    expect(counts["dataset-and-model.md"]).toBe(1);
    expect(shipping.length).toBeGreaterThanOrEqual(9);
  });

  // The pages, and the same pages with one name misspelt in each way a reader could: if these were not caught, the check would prove nothing.
  const typos: {what: string; page: string; from: string; to: string; expected: RegExp}[] = [
    {what: "a method of the worker's session", page: "occlusion.md", from: "worker.withImage(", to: "worker.withImgae(", expected: /Property 'withImgae' does not exist/},
    {what: "a library function taken from the scope", page: "grad-cam.md", from: "lib: {gradCam,", to: "lib: {gradCAM,", expected: /Property 'gradCAM' does not exist/},
    {what: "a name of the page, not passed to the worker", page: "side-by-side.md", from: "worker.gallery.images", to: "gallery.images", expected: /Cannot find name 'gallery'/},
    {what: "a used function's scope", page: "judging-explanations.md", from: "worker.explain(", to: "worker.explian(", expected: /Property 'explian' does not exist/},
    {what: "a use the figure does not pass", page: "sanity-checks.md", from: "uses: {buildStageModel, jobs}", to: "uses: {buildStageModel, jobs, stageModels}", expected: /Property 'stageModels' does not exist/},
  ];

  it(`type-checks every shipped function; ${typos.length} misspelt copies fail with the misspelt name`, () => {
    const modules = new Map<string, string>();
    for (const page of shipping) modules.set(`${page.name}.compute.js`, checkModule(page).text);
    // The tests' own compute function (test/e2e/compute-pages.ts), shipped like a page's.
    modules.set("e2e-jobs.compute.js", checkModule({name: "e2e jobs", functions: new Map([["jobs", JOB_SOURCE]]), figures: [{compute: "jobs", uses: new Map()}]}).text);
    for (const [k, typo] of typos.entries()) {
      const page = shipping.find((p) => p.name === typo.page)!;
      let replaced = 0;
      const module = checkModule(page, (source) => (source.includes(typo.from) ? (replaced++, source.replace(typo.from, typo.to)) : source));
      expect(replaced, `${typo.page} has "${typo.from}"`).toBeGreaterThan(0);
      modules.set(`typo-${k}.compute.js`, module.text);
    }
    const t0 = performance.now();
    const errors = typeErrors(modules);
    console.log(`compute functions of ${shipping.length} pages (${shipping.reduce((n, p) => n + p.figures.length, 0)} figures) type-checked in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const page of shipping) expect(errors.get(`${page.name}.compute.js`), page.name).toEqual([]);
    expect(errors.get("e2e-jobs.compute.js"), "JOB_SOURCE of test/e2e/compute-pages.ts").toEqual([]);
    for (const [k, typo] of typos.entries()) {
      const found = errors.get(`typo-${k}.compute.js`)!;
      expect(found.some((e) => typo.expected.test(e)), `${typo.what} (${typo.page}: ${typo.to}): ${found.join("\n") || "no error"}`).toBe(true);
    }
  });
});

describe("compileCompute: how the worker calls a shipped function", () => {
  const names = {worker: {name: "worker"}, curves: {}, tf: {}, model: {}, trainedWeights: {}, lib: {double: (x: number) => 2 * x}} as unknown as WorkerNames;
  const context = {signal: new AbortController().signal, onProgress: () => {}, partial: () => {}};

  it("passes (params, context, scope); a used function gets the scope first, values arrive as they are", async () => {
    const uses = {
      twice: {source: "({lib: {double}, uses: {OFFSET}}, x) => double(x) + OFFSET"},
      OFFSET: {value: 1},
    };
    const fn = compileCompute({source: "async ({x}, {signal}, {worker, uses: {twice, OFFSET}}) => ({y: twice(x), offset: OFFSET, worker: worker.name, aborted: signal.aborted})"}, uses, names);
    expect(await fn({x: 20}, context)).toEqual({y: 41, offset: 1, worker: "worker", aborted: false});
  });

  it("says where the names are when a function uses one it was not given, and names a syntax error", async () => {
    const free = compileCompute({source: "async () => model.logits()"}, {}, names);
    await expect(free(null, context)).rejects.toThrow(/model is not defined in the compute worker: a compute function sees only its parameters/);
    expect(() => compileCompute({source: "async ({x} => x"}, {}, names)).toThrow(/the compute function could not be compiled in the worker/);
    expect(() => compileCompute({source: "async () => 1"}, {helper: {source: "(scope, => 1"}}, names)).toThrow(/`helper` \(in uses\) could not be compiled/);
  });
});

describe("the page runtime bundle", () => {
  it("holds no TensorFlow.js (pages compute in the worker)", async () => {
    const result = await build({
      entryPoints: [path.join(root, "src", "components", "page-runtime.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      write: false,
      metafile: true,
      external: ["observablehq:stdlib"],
      logLevel: "silent",
      outfile: "runtime.js",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => input.includes("@tensorflow"))).toEqual([]);
    expect(inputs.some((input) => input.endsWith("src/compute/client.ts")), "the compute client is in the bundle").toBe(true);
    const bytes = result.outputFiles[0].contents.length;
    console.log(`page runtime: ${(bytes / 1024).toFixed(1)} KB from ${inputs.length} modules`);
  });
});
