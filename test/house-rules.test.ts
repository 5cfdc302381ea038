// Size rules of the code, measured with the TypeScript compiler: a file in
// src/components or src/compute (module or stylesheet) stays under 400 lines, and a function
// (declaration, method, accessor, constructor, arrow or function expression)
// anywhere in src stays under 80 lines, so each can be read whole. Parsers of
// binary formats are the exception: one loop over a format's opcodes or
// records reads better whole than cut into pieces; they are named below with
// the reason, and the list must name functions that exist.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import {describe, expect, it} from "vitest";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const MAX_MODULE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

/** Functions allowed over MAX_FUNCTION_LINES: "file:name", and why. */
const PARSERS: Record<string, string> = {
  "src/lib/pickle.ts:unpickleAt": "the pickle virtual machine: one switch over the opcodes PyTorch's files use",
};

/** Files under `dir` (relative to the repository) whose names end in one of `extensions`, build outputs left out. */
function sourceFiles(dir: string, extensions: string[]): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), {withFileTypes: true})) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!entry.name.startsWith(".") && entry.name !== "_bundle") out.push(...sourceFiles(rel, extensions));
    } else if (extensions.some((extension) => entry.name.endsWith(extension))) out.push(rel);
  }
  return out;
}

const tsFiles = (dir: string) => sourceFiles(dir, [".ts"]);

const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

interface FunctionSize {
  file: string;
  name: string;
  line: number;
  lines: number;
}

/** Every function with a body in `file`, with its length in lines (from its first token, comments before it not counted). */
function functionSizes(file: string): FunctionSize[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
  const sizes: FunctionSize[] = [];
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node, context: string) => {
    let name = context;
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      name = functionName(node, source) ?? `${context || "<anonymous>"} (inner function)`;
      const first = lineOf(node.getStart(source));
      sizes.push({file, name, line: first, lines: lineOf(node.getEnd()) - first + 1});
    }
    ts.forEachChild(node, (child) => visit(child, name));
  };
  visit(source, "");
  return sizes;
}

function functionName(node: ts.SignatureDeclaration, source: ts.SourceFile): string | null {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(source);
  return null;
}

describe("house rules: sizes", () => {
  it(`no module in src/components or src/compute over ${MAX_MODULE_LINES} lines`, () => {
    // Every file of the two rooms: modules, stylesheets, scripts.
    const files = [...sourceFiles("src/components", [".ts", ".css", ".js"]), ...sourceFiles("src/compute", [".ts", ".css", ".js"])];
    expect(files.length).toBeGreaterThan(20);
    const long = files.map((file) => ({file, lines: lineCount(fs.readFileSync(path.join(ROOT, file), "utf8"))})).filter(({lines}) => lines > MAX_MODULE_LINES);
    expect(long, long.map(({file, lines}) => `${file}: ${lines} lines`).join("\n")).toEqual([]);
  });

  const sizes = tsFiles("src").flatMap(functionSizes);

  it(`no function in src over ${MAX_FUNCTION_LINES} lines, parsers aside`, () => {
    const long = sizes.filter((s) => s.lines > MAX_FUNCTION_LINES && !(`${s.file}:${s.name}` in PARSERS));
    expect(long, long.map((s) => `${s.file}:${s.line} ${s.name}: ${s.lines} lines`).join("\n")).toEqual([]);
  });

  it("the parsers allowed to be longer exist", () => {
    for (const key of Object.keys(PARSERS)) expect(sizes.some((s) => `${s.file}:${s.name}` === key), key).toBe(true);
  });

  it("the measure sees declarations, methods, arrows and inner functions, and counts their lines", () => {
    const file = "example.ts"; // parsed from the text below, not read from disk
    const text = [
      "export function outer(): number {", // 1
      "  const inner = () => {", // 2
      "    return 1;", // 3
      "  };", // 4
      "  return inner();", // 5
      "}", // 6
      "class A {", // 7
      "  method(): void {}", // 8
      "}", // 9
    ].join("\n");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && "body" in node && node.body) {
        const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        found.push(`${functionName(node, source)}:${lines}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    expect(found).toEqual(["outer:6", "inner:3", "method:1"]);
  });
});
