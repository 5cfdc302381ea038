// Mends the parts of Framework's page template that fail WCAG 2.2 AA and
// that Framework offers no option for. Runs after `build` (npm post-script),
// on every .html file of the built site ($EXPLAIN_DIST or dist/):
//  - <html> gets lang="en" (screen readers pick the voice from it);
//  - the viewport meta no longer forbids zooming (maximum-scale=1);
//  - a "skip to the text" link comes first (the sidebar has a dozen links);
//  - the sidebar toggle, a checkbox drawn as an icon and named only by its
//    title, becomes a named toggle button (aria-pressed follows whether the
//    sidebar shows; a small script keeps it true);
//  - the sidebar's close label moves out of its <ol> (a list holds only <li>);
//  - the three <nav> landmarks (sidebar, contents, previous/next) get names.
// What the pages make at run time (sliders, charts, code) is mended in the
// page by src/components/accessible-dom.ts.
// Each rewrite must match exactly once per page where it applies: if a new
// Framework version changes its template, the build fails here instead of
// shipping the page unmended.
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.resolve(root, process.env.EXPLAIN_DIST ?? "dist");

/** Keeps the toggle's aria-pressed equal to "the sidebar shows" (checked, or undecided on a wide screen). */
const SYNC_TOGGLE = `<script>{const t=document.getElementById("observablehq-sidebar-toggle"),w=matchMedia("(min-width: calc(640px + 6rem + 272px))"),s=()=>t.setAttribute("aria-pressed",String(t.checked||(t.indeterminate&&w.matches)));t.addEventListener("change",s);w.addEventListener("change",s);s();}</script>`;

interface Rewrite {
  what: string;
  from: string | RegExp;
  to: string;
  /** Pages without this part of the template (e.g. no table of contents on the index). */
  optional?: boolean;
}

const REWRITES: Rewrite[] = [
  {what: "language", from: "<html>", to: `<html lang="en">`},
  {what: "zoom", from: `<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">`, to: `<meta name="viewport" content="width=device-width, initial-scale=1">`},
  {
    what: "sidebar toggle",
    from: `<input id="observablehq-sidebar-toggle" type="checkbox" title="Toggle sidebar">`,
    to: `<a class="skip-link" href="#observablehq-main">Skip to the text</a>\n<input id="observablehq-sidebar-toggle" type="checkbox" title="Show or hide the list of chapters" role="button" aria-pressed="false" aria-label="List of chapters" aria-controls="observablehq-sidebar">`,
  },
  {
    what: "sidebar",
    from: /<nav id="observablehq-sidebar">\n {2}<ol>\n {4}(<label id="observablehq-sidebar-close" for="observablehq-sidebar-toggle"><\/label>)\n/,
    to: `<nav id="observablehq-sidebar" aria-label="Chapters">\n  $1\n  <ol>\n`,
  },
  {what: "toggle state", from: /(<\/nav>\n<script>\{const e=document\.querySelector\("#observablehq-sidebar"\)[^\n]*<\/script>)/, to: `$1\n${SYNC_TOGGLE}`},
  {what: "contents", from: /(<aside id="observablehq-toc"[^>]*>\n)<nav>/, to: `$1<nav aria-label="Contents">`, optional: true},
  {what: "pager", from: `<footer id="observablehq-footer">\n<nav>`, to: `<footer id="observablehq-footer">\n<nav aria-label="Previous and next chapter">`},
];

function mend(html: string, file: string): string {
  for (const {what, from, to, optional} of REWRITES) {
    const count = typeof from === "string" ? html.split(from).length - 1 : (html.match(new RegExp(from.source, "g")) ?? []).length;
    if (count === 0 && optional) continue;
    if (count !== 1) throw new Error(`${file}: the ${what} of Framework's template was found ${count} times (expected once): has the template changed?`);
    html = html.replace(from, to);
  }
  return html;
}

function htmlFiles(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name.startsWith("_") ? [] : htmlFiles(p);
    return e.name.endsWith(".html") ? [p] : [];
  });
}

const files = htmlFiles(dist);
if (!files.length) throw new Error(`no .html files in ${dist}: build the site first`);
for (const file of files) {
  const html = fs.readFileSync(file, "utf8");
  if (html.includes(`<html lang="en">`)) continue; // mended already (a second run)
  fs.writeFileSync(file, mend(html, path.relative(root, file)));
}
console.log(`accessible-html: mended ${files.length} pages in ${path.relative(root, dist) || "."}`);
