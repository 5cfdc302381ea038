// The reader's own model, page side without a browser: class names (JSON,
// lines, ImageNet's default, "class i"), the memory budget, the stored
// model's checks, and the control's state machine (model-switcher.ts)
// driven by a fake compute client. The browser side is
// test/e2e/own-model.test.ts.
import {describe, expect, it} from "vitest";
import {ClassNamesError, defaultClassNames, parseClassNames} from "../src/components/class-names.js";
import {fileTooLarge, modelMemoryBudget} from "../src/components/model-memory.js";
import {parseStoredModel, type StoredModel} from "../src/components/model-storage.js";
import {describeLoadError, ModelSwitcher, type ModelClient, type SwitcherDeps} from "../src/components/model-switcher.js";
import type {ModelInfo} from "../src/compute/contract.js";

const SHA = "ab".repeat(32);
const SITE: ModelInfo = {architecture: "resnet18", classCount: 10, blocks: [2, 2, 2, 2], features: 512, sha256: "cd".repeat(32), file: "resnet18-imagenette.pth", origin: "site"};

describe("class names", () => {
  it("reads a JSON array of names, or of objects with a name", () => {
    expect(parseClassNames('["cat", "dog", "fox"]', 3)).toEqual(["cat", "dog", "fox"]);
    expect(parseClassNames('[{"index": 0, "name": "cat"}, {"name": "dog"}]', 2)).toEqual(["cat", "dog"]);
  });
  it("reads one name per line (CRLF, a byte-order mark, comments, a final newline)", () => {
    expect(parseClassNames("\uFEFFcat\r\ndog\n# a comment\nfox\n", 3)).toEqual(["cat", "dog", "fox"]);
  });
  it("refuses a wrong count, bad JSON, an empty file and non-names, saying why", () => {
    expect(() => parseClassNames("cat\ndog", 3)).toThrow(/2 names, the model has 3 classes/);
    expect(() => parseClassNames("[1, 2", 2)).toThrow(ClassNamesError);
    expect(() => parseClassNames("", 2)).toThrow(/no names/);
    expect(() => parseClassNames("[1, 2]", 2)).toThrow(/entry 0/);
  });
  it("defaults to ImageNet's names for 1000 classes, else class i", () => {
    const imagenet = Array.from({length: 1000}, (_, i) => `n${i}`);
    expect(defaultClassNames(1000, imagenet)).toEqual({names: imagenet, source: "imagenet"});
    expect(defaultClassNames(3, imagenet)).toEqual({names: ["class 0", "class 1", "class 2"], source: "numbered"});
    expect(defaultClassNames(1000, null).names[999]).toBe("class 999");
  });
});

describe("memory budget", () => {
  it("takes a quarter of deviceMemory, else of the JS heap limit, else 1 GB", () => {
    expect(modelMemoryBudget({deviceMemory: 8})).toBe(2 * 2 ** 30);
    expect(modelMemoryBudget({jsHeapSizeLimit: 4 * 2 ** 30})).toBe(2 ** 30);
    expect(modelMemoryBudget({})).toBe(2 ** 30);
  });
  it("says when a file is over it", () => {
    expect(fileTooLarge(100, 200)).toBeNull();
    expect(fileTooLarge(300 * 2 ** 20, 200 * 2 ** 20)).toMatch(/300 MB, over the 200 MB/);
  });
});

describe("stored model", () => {
  const model: StoredModel = {version: 1, info: {...SITE, sha256: SHA, origin: "reader", classCount: 2}, classNames: ["a", "b"], namesSource: "file"};
  it("round-trips and refuses damaged entries", () => {
    expect(parseStoredModel(JSON.stringify(model))).toEqual(model);
    expect(parseStoredModel(JSON.stringify({...model, classNames: ["a"]}))).toBeNull();
    expect(parseStoredModel(JSON.stringify({...model, info: {...model.info, sha256: "x"}}))).toBeNull();
    expect(parseStoredModel("{")).toBeNull();
    expect(parseStoredModel(null)).toBeNull();
  });
});

/** A fake compute client: loadModel answers with `answer` (or throws it), and records what it was sent. */
function fakeClient(answer: ModelInfo | Error) {
  const sent: {file: string; bytes: number; maxDecodedBytes: number}[] = [];
  let siteCalls = 0;
  const client: ModelClient = {
    async loadModel(bytes, file, {maxDecodedBytes, onProgress}) {
      sent.push({file, bytes: bytes.byteLength, maxDecodedBytes});
      onProgress?.(1, 3, "reading the weights");
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async useSiteModel() {
      siteCalls++;
      return SITE;
    },
  };
  return {client, sent, siteCalls: () => siteCalls};
}

function deps(client: ModelClient, extra: Partial<SwitcherDeps> = {}) {
  const changes: (StoredModel | null)[] = [];
  const stored: StoredModel[] = [];
  let forgotten = 0;
  const d: SwitcherDeps = {
    client,
    budget: 1000,
    imagenetNames: async () => Array.from({length: 1000}, (_, i) => `imagenet ${i}`),
    store: async (model) => (stored.push(model), true),
    forget: async () => void forgotten++,
    storedBytes: async () => new ArrayBuffer(4),
    changed: (model) => void changes.push(model),
    ...extra,
  };
  return {d, changes, stored, forgotten: () => forgotten};
}

const file = (name: string, bytes: number | string) => Object.assign(new Blob([typeof bytes === "string" ? bytes : new Uint8Array(bytes)]), {name});

describe("the control's state machine", () => {
  it("loads a model: loading with progress, then the reader's model in use, stored, the page told", async () => {
    const info: ModelInfo = {architecture: "resnet50", classCount: 1000, blocks: [3, 4, 6, 3], features: 2048, sha256: SHA, file: "r50.safetensors", origin: "reader"};
    const fake = fakeClient(info);
    const {d, changes, stored} = deps(fake.client);
    const switcher = new ModelSwitcher(d, null);
    const phases: string[] = [];
    switcher.onChange((s) => phases.push(s.phase + (s.progress ? `:${s.progress.done}/${s.progress.total}` : "")));
    expect(switcher.state.phase).toBe("site");
    await switcher.load(file("r50.safetensors", 16));
    expect(phases[0]).toBe("loading:0/4");
    expect(phases).toContain("loading:2/4");
    expect(switcher.state.phase).toBe("reader");
    expect(switcher.state.message).toMatch(/resnet50, 1000 classes \(ImageNet's names\), sha256 abababababab/);
    expect(fake.sent).toEqual([{file: "r50.safetensors", bytes: 16, maxDecodedBytes: 1000}]);
    expect(stored[0].classNames[999]).toBe("imagenet 999");
    expect(changes).toEqual([stored[0]]);
  });

  it("uses a names file chosen first; numbers the classes without one", async () => {
    const info: ModelInfo = {architecture: "resnet18", classCount: 3, blocks: [2, 2, 2, 2], features: 512, sha256: SHA, file: "m.pth", origin: "reader"};
    const withNames = deps(fakeClient(info).client);
    const a = new ModelSwitcher(withNames.d, null);
    await a.chooseNames(file("names.txt", "cat\ndog\nfox\n"));
    await a.load(file("m.pth", 8));
    expect(withNames.stored[0].classNames).toEqual(["cat", "dog", "fox"]);
    const numbered = deps(fakeClient(info).client);
    await new ModelSwitcher(numbered.d, null).load(file("m.pth", 8));
    expect(numbered.stored[0].classNames).toEqual(["class 0", "class 1", "class 2"]);
  });

  it("an error from the worker: a message naming the problem, the model in use kept, nothing stored", async () => {
    const error = Object.assign(new Error("not a ResNet state_dict: the first missing key is conv1.weight"), {name: "WeightsError:not-resnet"});
    const active: StoredModel = {version: 1, info: {...SITE, sha256: SHA, origin: "reader"}, classNames: Array.from({length: 10}, (_, i) => `c${i}`), namesSource: "file"};
    const {d, changes, stored} = deps(fakeClient(error).client);
    const switcher = new ModelSwitcher(d, active);
    await switcher.load(file("bert.pth", 8));
    expect(switcher.state.phase).toBe("error");
    expect(switcher.state.message).toMatch(/“bert.pth” was not loaded: it is not a ResNet .*conv1\.weight.*unchanged/);
    expect(switcher.state.active).toBe(active);
    expect(switcher.settled).toBe("reader");
    expect(stored).toEqual([]);
    expect(changes).toEqual([]);
  });

  it("a file over the budget is refused before it is read or sent", async () => {
    const fake = fakeClient(SITE);
    const {d} = deps(fake.client, {budget: 10});
    const switcher = new ModelSwitcher(d, null);
    await switcher.load(file("huge.pth", 11));
    expect(switcher.state.phase).toBe("error");
    expect(switcher.state.message).toMatch(/too large|over the/);
    expect(fake.sent).toEqual([]);
  });

  it("back to the handout's model: the site's model, storage forgotten, the page told", async () => {
    const fake = fakeClient(SITE);
    const active: StoredModel = {version: 1, info: {...SITE, sha256: SHA, origin: "reader"}, classNames: Array.from({length: 10}, (_, i) => `c${i}`), namesSource: "numbered"};
    const {d, changes, forgotten} = deps(fake.client);
    const switcher = new ModelSwitcher(d, active);
    expect(switcher.state.phase).toBe("reader");
    await switcher.reset();
    expect(fake.siteCalls()).toBe(1);
    expect(forgotten()).toBe(1);
    expect(switcher.state).toMatchObject({phase: "site", active: null});
    expect(changes).toEqual([null]);
  });

  it("words every kind of weights error", () => {
    for (const [kind, words] of [["shape-mismatch", /wrong shape/], ["corrupt", /damaged or truncated/], ["unsupported-dtype", /number type/], ["code-in-pickle", /only tensors are read/], ["too-large", /too large/]] as const) {
      expect(describeLoadError("m.pth", Object.assign(new Error("x"), {name: `WeightsError:${kind}`}))).toMatch(words);
    }
  });
});
