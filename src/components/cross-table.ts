// A table of methods against something else (metrics, randomization stages):
// its corner cell names both ("method \ metric"), rows are headed by a <th>.
// The sanity checks' Spearman table and the judging chapter's method x metric
// table are both built on it.

/** A header cell with its text (and a tooltip). */
export function headerCell(text: string, title?: string): HTMLTableCellElement {
  const th = document.createElement("th");
  th.textContent = text;
  if (title) th.title = title;
  return th;
}

/** An empty table with its header row started by the corner cell: fill `head` with the columns and `body` with rows. */
export function crossTable(className: string, testid: string, corner: string): {table: HTMLTableElement; head: HTMLTableRowElement; body: HTMLTableSectionElement} {
  const table = document.createElement("table");
  table.className = className;
  table.dataset.testid = testid;
  const head = table.createTHead().insertRow();
  head.append(headerCell(corner));
  return {table, head, body: table.createTBody()};
}
