// Live figures: a figure that recomputes when its inputs change, off the
// critical path (a chapter's figures run `compute` in the compute worker,
// see chapter.ts; this file knows nothing of where it runs).
//
// - `update(params)` starts a computation; the previous one is aborted (its
//   AbortSignal fires, the library stops between batches) and the latest
//   setting wins: a result is painted only if no newer update came since.
// - The last result stays visible (dimmed) until the new one is ready; a
//   progress bar shows the methods' onProgress(done, total).
// - Slider drags are debounced (a few updates in a row start one computation).
// - All figures of a page share one queue: one computation at a time on the
//   TensorFlow.js backend, so the times in the captions are not inflated by
//   another figure computing at the same moment.
// - The caption under the figure says what was computed, how long it took
//   and where, e.g. "occlusion, S = 6: 2.1 s · wasm, 2 threads".
// - A heavy figure (`startOnClick`) waits for a click on a button before its
//   first computation; later changes recompute at once.
//   Test hooks: [data-testid="figure-caption"][data-figure="<name>"] with
//   data-state (idle | waiting | running | ready | error), data-ms,
//   data-backend (the backend's name), data-where (the caption's "where"),
//   data-params (JSON of the parameters of the result shown), data-partials
//   (partial results drawn for it), data-render-ms (the longest drawing of a
//   result or partial result so far); [data-testid="figure-start"] buttons.
// - A result's canvases are painted in the tasks after its elements are
//   drawn (a few at a time), and data-state becomes "ready" once they are.

import {collectPaints, paintInTasks} from "./paint-queue.js";

export interface LiveContext {
  /** Aborted when a newer update arrives. Pass it to the library's `signal`. */
  signal: AbortSignal;
  /** Pass as the library's `onProgress`; `label` overrides the status text. */
  onProgress: (done: number, total: number, label?: string) => void;
  /** Paints an intermediate result (progressive figures) with `renderPartial`, if still current. */
  partial: (value: unknown) => void;
}

export interface LiveOptions<P, R> {
  /** Name for tests and styles (data-figure). */
  name: string;
  /** The computation. Must honour `signal` (throw when it is aborted). */
  compute: (params: P, context: LiveContext) => Promise<R>;
  /** The figure body for a result. */
  render: (result: R, params: P) => Node;
  /** The figure body for a partial result (what `compute` passes to `partial`); default: nothing drawn. */
  renderPartial?: (value: any, params: P) => Node;
  /** What was computed, e.g. "occlusion, S = 6" (the caption adds time and backend). */
  describe: (result: R, params: P) => string;
  /** Where it computed, for the caption ("wasm, 2 threads"; the backend's name first), read when a computation ends. */
  backend: () => string;
  /** The model it computed with, for the caption ("resnet18, 10 classes, sha256 5f3a…"), read when a computation ends; none: not named. */
  model?: () => {text: string; sha256: string} | null;
  /**
   * A button label when this update must wait for a click before computing
   * (a heavy figure on a slow backend), else null. Asked until the first click.
   */
  startOnClick?: (params: P) => Promise<string | null>;
  /** Status text while computing (default: "computing…"). */
  working?: (params: P) => string;
  /** Milliseconds to wait for further updates before computing (default 150; the first update starts at once). */
  debounce?: number;
  /** Extra class on the figure. */
  className?: string;
  /**
   * The part of the parameters the computation depends on (default: all of
   * them). When only other parameters change (display options), the last
   * result is rendered again without recomputing.
   */
  computeKey?: (params: P) => unknown;
}

/** One computation at a time per page. */
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job);
  queue = run.catch(() => undefined);
  return run;
}

export class LiveFigure<P, R> {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly statusText: HTMLElement;
  private readonly caption: HTMLElement;
  private controller: AbortController | null = null;
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private lastParams: string | undefined;
  private last: {key: string; result: R; ms: number} | undefined;
  /** A heavy figure's button was clicked: it computes on every change from now on. */
  private armed = false;
  private partials = 0;
  /** The result on screen and its parameters: what a figure's downloads take home (take-home.ts). */
  private shownResult: {result: R; params: P} | undefined;
  private readonly shownListeners = new Set<() => void>();

  constructor(private readonly options: LiveOptions<P, R>) {
    const figure = document.createElement("figure");
    figure.className = `live-figure ${options.className ?? ""}`.trim();
    figure.dataset.figure = options.name;
    figure.dataset.state = "idle";

    this.status = document.createElement("div");
    this.status.className = "live-figure__status";
    this.bar = document.createElement("progress");
    this.bar.max = 1;
    this.statusText = document.createElement("span");
    this.status.append(this.bar, this.statusText);

    this.body = document.createElement("div");
    this.body.className = "live-figure__body";
    const placeholder = document.createElement("div");
    placeholder.className = "live-figure__placeholder";
    placeholder.textContent = "waiting for the model…";
    this.body.append(placeholder);

    this.caption = document.createElement("figcaption");
    this.caption.className = "live-figure__caption";
    this.caption.dataset.testid = "figure-caption";
    this.caption.dataset.figure = options.name;
    this.caption.dataset.state = "idle";
    this.caption.textContent = " ";
    // Screen readers hear the caption when it changes: once a figure is
    // ready, waits for a click or fails, not at each step of its progress
    // (the status line above, with the progress bar, is not announced).
    this.caption.setAttribute("aria-live", "polite");

    figure.append(this.status, this.body, this.caption);
    this.element = figure;
  }

  /** Recompute for `params` (latest wins). Identical params in a row are ignored. */
  update(params: P): void {
    const key = JSON.stringify(params);
    if (key === this.lastParams) return;
    this.lastParams = key;
    const generation = ++this.generation;
    const computeKey = JSON.stringify(this.options.computeKey ? this.options.computeKey(params) : params);
    if (this.last && this.last.key === computeKey) {
      // Only display options changed: draw the last result again.
      this.controller?.abort();
      this.controller = null;
      clearTimeout(this.timer);
      this.body.replaceChildren(this.options.render(this.last.result, params));
      this.shownResult = {result: this.last.result, params};
      this.finish(`${this.options.describe(this.last.result, params)}: ${formatMs(this.last.ms)} · ${this.options.backend()}`, this.last.ms, key);
      return;
    }
    this.controller?.abort();
    this.controller = null;
    clearTimeout(this.timer);
    this.setState("running");
    this.showStatus(this.options.working?.(params) ?? "computing…", 0, 0);
    const delay = this.started ? this.options.debounce ?? 150 : 0;
    this.started = true;
    this.timer = setTimeout(() => void this.run(params, generation, key, computeKey), delay);
  }

  private async run(params: P, generation: number, key: string, computeKey: string): Promise<void> {
    if (!this.armed && this.options.startOnClick) {
      const label = await this.options.startOnClick(params);
      if (generation !== this.generation) return;
      if (label !== null) {
        this.waitForClick(label, params, generation, key, computeKey);
        return;
      }
    }
    await exclusive(async () => {
      if (generation !== this.generation) return; // superseded while queued
      const controller = new AbortController();
      this.controller = controller;
      const current = () => generation === this.generation && !controller.signal.aborted;
      const context: LiveContext = {
        signal: controller.signal,
        onProgress: (done, total, label) => {
          if (current()) this.showStatus(label ?? this.options.working?.(params) ?? "computing…", done, total);
        },
        partial: (value) => {
          if (!current() || !this.options.renderPartial) return;
          this.draw(() => this.options.renderPartial!(value, params), current).catch((e) => console.error(`${this.options.name}: partial result:`, e));
          this.caption.dataset.partials = String(++this.partials);
        },
      };
      this.partials = 0;
      delete this.caption.dataset.partials;
      const t0 = performance.now();
      try {
        const result = await this.options.compute(params, context);
        const ms = performance.now() - t0;
        if (!current()) return;
        await this.draw(() => this.options.render(result, params), current);
        if (!current()) return;
        this.last = {key: computeKey, result, ms};
        this.shownResult = {result, params};
        this.finish(`${this.options.describe(result, params)}: ${formatMs(ms)} · ${this.options.backend()}`, ms, key);
      } catch (e) {
        if (controller.signal.aborted || generation !== this.generation) return; // superseded: not an error
        console.error(`${this.options.name}:`, e);
        this.fail(e);
      } finally {
        if (this.controller === controller) this.controller = null;
      }
    });
  }

  /**
   * Draws a result: the figure's elements now, its canvases' pixels in the
   * tasks that follow (paint-queue.ts), so that no drawing keeps the
   * page busy for long. Resolves once every canvas is painted (or a newer
   * drawing took over), and keeps the longest task of drawing in
   * data-render-ms (main-thread work per figure: bench:page reads it).
   */
  private async draw(render: () => Node, wanted: () => boolean): Promise<void> {
    const t0 = performance.now();
    const {drawn, paints} = collectPaints(render);
    this.body.replaceChildren(drawn);
    const elementsMs = performance.now() - t0;
    const paintMs = await paintInTasks(paints, {wanted});
    this.caption.dataset.renderMs = String(Math.max(Number(this.caption.dataset.renderMs ?? 0), Math.round(Math.max(elementsMs, paintMs))));
  }

  private waitForClick(label: string, params: P, generation: number, key: string, computeKey: string): void {
    this.status.classList.remove("live-figure__status--visible");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "live-figure__start";
    button.dataset.testid = "figure-start";
    button.dataset.figure = this.options.name;
    button.textContent = label;
    // Once: a second click (or a double click) must not queue the same
    // computation again; the button goes at once (the figure shows progress).
    button.addEventListener("click", () => {
      this.armed = true;
      button.disabled = true;
      if (generation !== this.generation) return;
      const placeholder = document.createElement("div");
      placeholder.className = "live-figure__placeholder";
      placeholder.textContent = "computing…";
      // The button goes: a keyboard's focus stays on the figure, not lost to the page's top.
      const focused = document.activeElement === button;
      this.body.replaceChildren(placeholder);
      if (focused) {
        this.element.tabIndex = -1;
        this.element.focus({preventScroll: true});
      }
      this.setState("running");
      this.showStatus(this.options.working?.(params) ?? "computing…", 0, 0);
      void this.run(params, generation, key, computeKey);
    }, {once: true});
    const wrap = document.createElement("div");
    wrap.className = "live-figure__placeholder live-figure__waiting";
    wrap.append(button);
    this.body.replaceChildren(wrap);
    this.caption.textContent = "computes when you ask: it takes several seconds without a GPU";
    this.setState("waiting");
    this.shownResult = undefined;
    for (const listener of this.shownListeners) listener();
  }

  private showStatus(text: string, done: number, total: number): void {
    this.status.classList.add("live-figure__status--visible");
    this.statusText.textContent = total > 0 ? `${text} ${done} / ${total}` : text;
    if (total > 0) this.bar.value = done / total;
    else this.bar.removeAttribute("value"); // indeterminate
  }

  private setState(state: "waiting" | "running" | "ready" | "error"): void {
    this.element.dataset.state = state;
    this.caption.dataset.state = state;
  }

  private finish(text: string, ms: number, params: string): void {
    this.status.classList.remove("live-figure__status--visible");
    const model = this.options.model?.() ?? null;
    this.caption.textContent = model ? `${text} · model ${model.text}` : text;
    if (model) this.caption.dataset.modelSha256 = model.sha256;
    this.caption.dataset.ms = ms.toFixed(0);
    const where = this.options.backend();
    this.caption.dataset.where = where;
    this.caption.dataset.backend = where.split(",")[0];
    this.caption.dataset.params = params;
    this.setState("ready");
    for (const listener of this.shownListeners) listener();
  }

  /** The result on screen and the parameters it was computed for; undefined before the first or after a failure. */
  shown(): {result: R; params: P} | undefined {
    return this.shownResult;
  }

  /** Calls `listener` each time a result is shown, or taken away by a failure. */
  onShown(listener: () => void): void {
    this.shownListeners.add(listener);
  }

  private fail(e: unknown): void {
    this.status.classList.remove("live-figure__status--visible");
    const message = document.createElement("div");
    message.className = "live-figure__error";
    message.setAttribute("role", "alert");
    message.textContent = `This figure could not be computed: ${e instanceof Error ? e.message : String(e)}`;
    this.body.replaceChildren(message);
    this.caption.textContent = `${this.options.name}: failed · ${this.options.backend()}`;
    this.setState("error");
    this.shownResult = undefined;
    for (const listener of this.shownListeners) listener();
  }

  /** Stops any computation (e.g. on `invalidation`). */
  dispose(): void {
    this.generation++;
    clearTimeout(this.timer);
    this.controller?.abort();
  }
}

export function liveFigure<P, R>(options: LiveOptions<P, R>): LiveFigure<P, R> {
  return new LiveFigure(options);
}

/** "84 ms", "13.2 s". */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
