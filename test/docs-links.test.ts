// The project's Markdown documentation (README.md, docs/, cluster/README.md):
// every relative link points at a file of the project, and a link to a
// heading (file.md#heading) at a heading that file has, by GitHub's anchor
// rule, so moving or renaming a section cannot silently break the README.
import fs from "node:fs";
import path from "node:path";
import {expect, it} from "vitest";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const DOCS = ["README.md", "cluster/README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Markdown without fenced code blocks and inline code, where links are not links. */
function prose(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchors for a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of markdown.replace(/```[\s\S]*?```/g, "").split("\n")) {
    const heading = /^#{1,6}\s+(.*?)\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading.toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** The broken relative links of `markdown`, a file at `file` (relative to the project). */
function brokenLinks(file: string, markdown: string, read: (file: string) => string | null): string[] {
  const broken: string[] = [];
  for (const [, target] of prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
    const [linked, anchor] = target.split("#", 2);
    const resolved = linked ? path.normalize(path.join(path.dirname(file), linked)) : file;
    const text = read(resolved);
    if (text === null) broken.push(`${target}: no file ${resolved}`);
    else if (anchor && resolved.endsWith(".md") && !anchors(text).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${resolved}`);
  }
  return broken;
}

const readProjectFile = (file: string): string | null => {
  const full = path.join(ROOT, file);
  if (!full.startsWith(ROOT + path.sep) || !fs.existsSync(full)) return null;
  return fs.statSync(full).isDirectory() ? "" : fs.readFileSync(full, "utf8");
};

it("finds a missing file and a missing heading (the check itself)", () => {
  const pages: Record<string, string> = {"docs/a.md": "# Title\n\n## Two words: `code`\n"};
  const read = (file: string) => pages[file] ?? null;
  expect(brokenLinks("README.md", "[ok](docs/a.md#two-words-code) [ok](docs/a.md#title)", read)).toEqual([]);
  expect(brokenLinks("README.md", "[x](docs/b.md) [y](docs/a.md#three) `[z](docs/none.md)`", read)).toEqual([
    "docs/b.md: no file docs/b.md",
    "docs/a.md#three: no heading #three in docs/a.md",
  ]);
});

it.each(DOCS)("%s: every relative link points at a file and heading of the project", (file) => {
  const markdown = readProjectFile(file)!;
  expect(markdown, file).not.toBeNull();
  expect(brokenLinks(file, markdown, readProjectFile)).toEqual([]);
});
