// "Take it home": the toolbar under every live figure (chapter.ts adds it to
// each figure it makes), so a reader can put the figure in a report:
// - PNG: the figure's maps at full resolution with a colour key and a caption
//   (figure-export.ts); SVG (and the PNG) of its charts;
// - CSV and JSON: its numbers (maps, curves, AUCs) with the settings, the
//   photo, the explained class and the model that reproduce it
//   (src/lib/figure-record.ts, figure-csv.ts; `npm run explain -- --from
//   figure.json` recomputes it);
// - "Show as table": the numbers as tables with headers (figure-table.ts);
// - "Copy link": the address of this view (its hash holds the settings,
//   view-state.ts).
// Everything comes from the result the figure shows: nothing is recomputed.
// Figures drawn from fixed numbers (the build's statistics) bring their own
// files instead of a record (static-take-home.ts): their rows as CSV and JSON.
// The buttons are real buttons (keyboard, focus ring, names); they are
// disabled until the figure has a result. The status line says what happened
// (a polite live region).
// Test hooks: [data-testid="take-home"][data-figure] with buttons
// [data-action="png" | "svg" | "csv" | "json" | "table" | "link"];
// [data-testid="take-home-status"] (data-link: the link last copied).
import type {ModelInfo} from "../compute/contract.js";
import {buildFigureRecord, type FigurePhoto, type FigureRecord} from "../lib/figure-record.js";
import {recordToCsv} from "../lib/figure-csv.js";
import {summarizeCurve} from "../lib/curve-summary.js";
import {chartPng, chartSvg, figureCanvases, figureCharts, figurePng, GAP, saveBlob} from "./figure-export.js";
import {recordTables} from "./figure-table.js";

/** What the toolbar needs of a live figure and of its chapter. */
export interface TakeHomeSource {
  name: string;
  /** The figure element (the toolbar goes at its end). */
  element: HTMLElement;
  shown(): {result: unknown; params: unknown} | undefined;
  onShown(listener: () => void): void;
  model(): ModelInfo | null;
  photo(id: string): FigurePhoto | null;
  className(index: number): string;
  /** A figure's own downloads; absent: the live figure's record (figureRecord). */
  files?(): TakeHomeFiles | null;
  /** The figure is a table already: no "Show as table". */
  isTable?: boolean;
}

/** What the buttons download and show. */
export interface TakeHomeFiles {
  /** File name without extension. */
  stem: string;
  json: unknown;
  csv(): string;
  /** The SVG's title and description, the PNG's caption. */
  caption: string[];
  tables(): HTMLElement;
  /** The JSON is a figure record that `npm run explain -- --from` reads. */
  recomputable: boolean;
}

type Action = "png" | "svg" | "csv" | "json" | "table" | "link";

const BUTTONS: {action: Action; text: string; label: string}[] = [
  {action: "png", text: "PNG", label: "Download PNG image"},
  {action: "svg", text: "SVG", label: "Download SVG of the chart"},
  {action: "csv", text: "CSV", label: "Download CSV of the numbers"},
  {action: "json", text: "JSON", label: "Download JSON of the numbers and settings"},
  {action: "table", text: "Show as table", label: "Show as table"},
  {action: "link", text: "Copy link", label: "Copy link to this view"},
];

/** The figure's record from what it shows now. */
export function figureRecord(source: TakeHomeSource): FigureRecord | null {
  const shown = source.shown();
  if (!shown) return null;
  return buildFigureRecord({
    figure: source.name,
    page: location.pathname,
    link: location.href,
    // The live figure's own caption (panels inside it have theirs).
    caption: source.element.querySelector('[data-testid="figure-caption"]')?.textContent?.trim() ?? "",
    params: shown.params,
    result: shown.result,
    model: source.model(),
    photo: (id) => source.photo(id),
    className: (index) => source.className(index),
  });
}

/** The PNG's caption: what was computed, with which settings, on which photo, by which model. */
export function captionLines(record: FigureRecord): string[] {
  const settings = Object.entries(record.settings)
    .filter(([k]) => k !== "id" && k !== "ids")
    .map(([k, v]) => `${k} = ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
  const photo = record.photo ? `${record.photo.uploaded ? "the reader's photo" : record.photo.file} (${record.photo.className})` : "–";
  const classes = [record.explainedClass && `explained class: ${record.explainedClass.name}`, record.predictedClass && `predicted: ${record.predictedClass.name}`].filter(Boolean).join(", ");
  const m = record.model;
  return [
    `${record.figure}: ${record.caption}`,
    `Settings: ${settings || "–"}`,
    `Photo: ${photo}${classes ? `; ${classes}` : ""}`,
    `Model: ${m ? `${m.architecture}, ${m.classCount} classes, ${m.file} (sha256 ${m.sha256.slice(0, 16)}…, ${m.origin === "reader" ? "the reader's weights" : "the site's weights"})` : "–"}`,
    ...record.curves.map((c) => `${c.name}: ${summarizeCurve(c.scores, {auc: c.auc, metric: c.metric === "insertion" ? "insertion" : "deletion"}).text}`),
    `Explanation methods, live: ${record.link}`,
  ];
}

/** "occlusion-map-ILSVRC2012_val_00009111" (no extension). */
function fileStem(record: FigureRecord): string {
  const photo = record.photo ? `-${(record.photo.file ?? record.photo.id).replace(/\.[a-z]+$/i, "")}` : "";
  return `${record.figure}${photo}`.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** A live figure's downloads, from its record. */
function recordFiles(source: TakeHomeSource): TakeHomeFiles | null {
  const record = figureRecord(source);
  if (!record) return null;
  return {stem: fileStem(record), json: record, csv: () => recordToCsv(record), caption: captionLines(record), tables: () => recordTables(record), recomputable: true};
}

/** Adds the toolbar to a figure; returns it. */
export function attachTakeHome(source: TakeHomeSource): HTMLElement {
  return new TakeHomeBar(source).element;
}

class TakeHomeBar {
  readonly element = document.createElement("div");
  private readonly status = document.createElement("span");
  private readonly tables = document.createElement("div");
  private readonly buttons = new Map<Action, HTMLButtonElement>();

  constructor(private readonly source: TakeHomeSource) {
    const bar = this.element;
    bar.className = "take-home";
    bar.dataset.testid = "take-home";
    bar.dataset.figure = source.name;
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", `Take this figure home (${source.name})`);
    const intro = document.createElement("span");
    intro.className = "take-home__intro";
    intro.textContent = "Take it home:";
    this.status.className = "take-home__status";
    this.status.dataset.testid = "take-home-status";
    this.status.setAttribute("role", "status");
    this.tables.className = "take-home__tables";
    this.tables.hidden = true;
    this.tables.id = `take-home-tables-${source.name}`;
    for (const {action, text, label} of BUTTONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "take-home__button";
      button.dataset.action = action;
      button.textContent = text;
      if (label !== text) button.setAttribute("aria-label", label);
      button.disabled = true;
      button.addEventListener("click", () => void this.run(action).catch((e) => this.say(`Could not ${label.toLowerCase()}: ${e instanceof Error ? e.message : String(e)}`)));
      this.buttons.set(action, button);
    }
    this.button("table").setAttribute("aria-expanded", "false");
    this.button("table").setAttribute("aria-controls", this.tables.id);
    bar.append(intro, ...this.buttons.values(), this.status);
    source.element.append(bar, this.tables);
    source.onShown(() => this.refresh());
    this.refresh();
  }

  private button(action: Action): HTMLButtonElement {
    return this.buttons.get(action)!;
  }

  private body(): Element {
    return this.source.element.querySelector(".live-figure__body") ?? this.source.element;
  }

  private files(): TakeHomeFiles | null {
    return this.source.files ? this.source.files() : recordFiles(this.source);
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  /** Buttons on once a result is shown; SVG only for a figure with charts, PNG for one with pictures. */
  private refresh(): void {
    const ready = this.source.shown() !== undefined;
    for (const button of this.buttons.values()) button.disabled = !ready;
    const charts = figureCharts(this.body()).length;
    this.button("svg").hidden = charts === 0;
    this.button("png").hidden = charts === 0 && figureCanvases(this.body()).length === 0;
    this.button("table").hidden = this.source.isTable === true;
    if (!this.tables.hidden) this.showTables();
  }

  private showTables(): void {
    const files = this.files();
    this.tables.replaceChildren(...(files ? [files.tables()] : []));
  }

  private async run(action: Action): Promise<void> {
    const files = this.files();
    if (!files) return;
    const stem = files.stem;
    if (action === "json") {
      saveBlob(new Blob([JSON.stringify(files.json)], {type: "application/json"}), `${stem}.json`);
      this.say(`Saved ${stem}.json${files.recomputable ? `: recompute it with npm run explain -- --from ${stem}.json` : ""}`);
    } else if (action === "csv") {
      saveBlob(new Blob([files.csv()], {type: "text/csv"}), `${stem}.csv`);
      this.say(`Saved ${stem}.csv`);
    } else if (action === "png") {
      saveBlob(await this.png(files.caption), `${stem}.png`);
      this.say(`Saved ${stem}.png`);
    } else if (action === "svg") {
      const lines = files.caption;
      saveBlob(new Blob([chartSvg(figureCharts(this.body()), {title: lines[0], describe: lines.slice(1).join("\n")})], {type: "image/svg+xml"}), `${stem}.svg`);
      this.say(`Saved ${stem}.svg`);
    } else if (action === "table") {
      this.toggleTables();
    } else if (action === "link") {
      await this.copyLink();
    }
  }

  /** The figure's pictures (maps, with their charts, key and caption), or its charts alone. */
  private png(caption: string[]): Promise<Blob> {
    const body = this.body();
    if (figureCanvases(body).length) return figurePng(body, caption);
    const charts = figureCharts(body);
    const width = Math.max(...charts.map((svg) => svg.width.baseVal.value));
    const height = charts.reduce((h, svg, k) => h + svg.height.baseVal.value + (k ? GAP : 0), 0);
    return chartPng(chartSvg(charts), width, height);
  }

  private toggleTables(): void {
    const open = this.tables.hidden;
    const button = this.button("table");
    this.tables.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Hide table" : "Show as table";
    if (open) this.showTables();
    else this.tables.replaceChildren();
  }

  private async copyLink(): Promise<void> {
    const link = location.href;
    this.status.dataset.link = link;
    try {
      await navigator.clipboard.writeText(link);
      this.say(`Link copied: ${link}`);
    } catch {
      // No clipboard (permission refused, insecure context): show it to copy by hand.
      this.say(`Copy this link: ${link}`);
    }
  }
}
