// What screen readers and keyboards need from the parts that pages make at
// run time, where the libraries that make them leave it out. Loaded on every
// page from the config's head (observablehq.config.ts); the page template
// itself is mended at build time (scripts/accessible-html.ts).
//  - Observable Inputs' slider is a number box (labelled) and a range input
//    (unlabelled): the range input gets the slider's label as its name.
//  - Plot names its mark groups (<g aria-label="line">); a name on a <g> is
//    allowed only with a role, so they get role="group", as browsers already
//    expose them.
//  - A code block or a wide table that scrolls sideways must be reachable
//    with the keyboard to scroll it: every <pre> and every table's scrolling
//    wrapper (.judge-table) joins the tab order.
//  - Observable Inputs' table keeps an empty header over its selection
//    column when rows cannot be selected: a column with nothing in it, hidden
//    from screen readers.
// It watches the document and mends what appears, once per element.

function mend(root: ParentNode): void {
  for (const range of root.querySelectorAll<HTMLInputElement>('form input[type="range"]:not([aria-label]):not([aria-labelledby])')) {
    const label = range.closest("form")?.querySelector("label");
    const name = label?.textContent?.trim();
    if (name) range.setAttribute("aria-label", name);
  }
  for (const group of root.querySelectorAll("svg g[aria-label]:not([role])")) group.setAttribute("role", "group");
  for (const scroller of root.querySelectorAll<HTMLElement>("pre:not([tabindex]), .judge-table:not([tabindex])")) scroller.tabIndex = 0;
  for (const th of root.querySelectorAll("form table th:empty:not([aria-hidden])")) th.setAttribute("aria-hidden", "true");
}

/** Mends the page now and after each batch of changes (the selectors skip what is mended already). */
export function mendPage(): void {
  mend(document);
  new MutationObserver(() => mend(document)).observe(document.body, {childList: true, subtree: true});
}

if (typeof document !== "undefined") {
  if (document.body) mendPage();
  else addEventListener("DOMContentLoaded", mendPage, {once: true});
}
