// A few DOM elements in Node, enough for components that build elements and
// set their text, classes, attributes and data-* (live.ts): unit tests read
// them back without a browser. Not a DOM: no layout, no selectors, no events
// beyond addEventListener and dispatch.
export class FakeElement {
  readonly tagName: string;
  children: (FakeElement | string)[] = [];
  parent: FakeElement | null = null;
  readonly dataset: Record<string, string> = {};
  readonly attributes = new Map<string, string>();
  private readonly classes = new Set<string>();
  private readonly listeners = new Map<string, {fn: (e: unknown) => void; once: boolean}[]>();
  private text: string | null = null;
  [property: string]: unknown;

  constructor(tag: string) {
    this.tagName = tag.toUpperCase();
  }

  get className(): string {
    return [...this.classes].join(" ");
  }
  set className(value: string) {
    this.classes.clear();
    for (const c of value.split(/\s+/).filter(Boolean)) this.classes.add(c);
  }
  readonly classList = {
    add: (...names: string[]) => names.forEach((n) => this.classes.add(n)),
    remove: (...names: string[]) => names.forEach((n) => this.classes.delete(n)),
    toggle: (name: string, on = !this.classes.has(name)) => (on ? this.classes.add(name) : this.classes.delete(name), on),
    contains: (name: string) => this.classes.has(name),
  };

  get textContent(): string {
    return this.text ?? this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join("");
  }
  set textContent(value: string) {
    this.replaceChildren();
    this.text = value;
  }

  get isConnected(): boolean {
    return true;
  }

  append(...nodes: (FakeElement | string)[]): void {
    this.text = null;
    for (const node of nodes) {
      if (typeof node !== "string") node.parent = this;
      this.children.push(node);
    }
  }
  replaceChildren(...nodes: (FakeElement | string)[]): void {
    this.children = [];
    this.append(...nodes);
  }
  remove(): void {
    if (this.parent) this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = null;
  }

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }

  addEventListener(type: string, fn: (e: unknown) => void, options?: {once?: boolean}): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), {fn, once: Boolean(options?.once)}]);
  }
  dispatch(type: string): void {
    const listeners = this.listeners.get(type) ?? [];
    this.listeners.set(type, listeners.filter((l) => !l.once));
    for (const l of listeners) l.fn({type, target: this});
  }

  /** Every element below this one (depth first) that `test` accepts. */
  findAll(test: (e: FakeElement) => boolean): FakeElement[] {
    const found: FakeElement[] = [];
    for (const c of this.children) {
      if (typeof c === "string") continue;
      if (test(c)) found.push(c);
      found.push(...c.findAll(test));
    }
    return found;
  }
}

/** A `document` that makes FakeElements (install with vi.stubGlobal("document", fakeDocument())). */
export function fakeDocument(): {createElement(tag: string): FakeElement} {
  return {createElement: (tag) => new FakeElement(tag)};
}
