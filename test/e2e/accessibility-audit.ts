// The accessibility audit of one page, once its figures are ready: one take-home
// toolbar per figure (live or static), axe-core with the rules tagged wcag2a,
// wcag2aa, wcag21a, wcag21aa, wcag22aa and best-practice (the first figure's
// table open, so that it is audited too) must find nothing, and at 200% zoom
// (640 CSS pixels wide) the page must not scroll sideways (screenshot in
// test-artifacts/zoom-200-<page>.png). accessibility.test.ts audits the pages
// that nothing else computes; a page whose figures another file computes
// anyway is audited there, once they are ready (AUDITED_ELSEWHERE), so that
// no chapter computes twice for it.
import {createRequire} from "node:module";
import {expect} from "vitest";
import type {Page} from "playwright-core";
import {screenshot} from "./helpers.js";
import {METHOD_CHAPTERS} from "./handout-helpers.js";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

/**
 * Rules a page may break, by page path, with the reason. Every entry must be
 * argued in the README's accessibility section; none is needed today.
 */
const EXCEPTIONS: Record<string, {rule: string; reason: string}[]> = {};

/** Pages audited by the e2e file that computes their figures anyway (file under test/e2e/), at that file's settings. */
export const AUDITED_ELSEWHERE: Record<string, string> = {
  ...Object.fromEntries(METHOD_CHAPTERS.map((name) => [`/pages/${name}`, "handout-pages.test.ts"])),
  "/pages/judging-explanations": "judging.test.ts",
};

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: {target: string[]; failureSummary?: string}[];
}

/** axe-core's violations on the page, for the tags above. */
async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({path: AXE});
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as {axe: {run: (ctx: Document, options: object) => Promise<{violations: AxeViolation[]}>}}).axe;
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({target: n.target.map(String), failureSummary: n.failureSummary}))}));
  }, TAGS);
}

/** One line per rule: id, impact, count, a few elements and why. */
function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} elements): ${v.help}\n${v.nodes.slice(0, 4).map((n) => `    ${n.target.join(" ")}: ${(n.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 240)}`).join("\n")}`)
    .join("\n");
}

/**
 * Audits `page` (the site's page at `path`, its figures ready): toolbars,
 * axe-core, then 200% zoom (the table still open). Leaves the page as it found it: the table closed
 * again, the viewport restored.
 */
export async function auditAccessibility(page: Page, path: string): Promise<void> {
  // Every figure, live or drawn from the build's statistics, has its take-home toolbar (take-home.ts, static-take-home.ts); the first one's table is open for the audit.
  const {toolbars, figures} = await page.evaluate(() => ({toolbars: document.querySelectorAll('[data-testid="take-home"]').length, figures: document.querySelectorAll("figure.live-figure, figure.static-figure").length}));
  expect(toolbars, `${path}: toolbars`).toBe(figures);
  const tableToggle = '[data-testid="take-home"] [data-action="table"]';
  if (toolbars) {
    await page.click(tableToggle);
    await page.waitForSelector('[data-testid="figure-tables"] table');
  }
  const allowed = new Set((EXCEPTIONS[path] ?? []).map((e) => e.rule));
  const violations = (await axeViolations(page)).filter((v) => !allowed.has(v.id));
  console.log(`${path}: ${violations.length ? describeViolations(violations) : "no accessibility violations"}`);
  expect(violations.map((v) => `${v.id} x${v.nodes.length}`), describeViolations(violations)).toEqual([]);
  // 200% zoom of a 1280-pixel window: 640 CSS pixels. Text and figures
  // reflow; only code blocks and wide tables scroll, inside themselves.
  const viewport = page.viewportSize();
  await page.setViewportSize({width: 640, height: 900});
  await page.waitForTimeout(300);
  const {scrollWidth, clientWidth} = await page.evaluate(() => ({scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth}));
  await screenshot(page, `zoom-200-${path === "/" ? "index" : path.split("/").pop()}.png`);
  expect(scrollWidth, `${path}: the page's width at 640 CSS pixels`).toBeLessThanOrEqual(clientWidth);
  if (viewport) await page.setViewportSize(viewport);
  if (toolbars) await page.click(tableToggle);
}
