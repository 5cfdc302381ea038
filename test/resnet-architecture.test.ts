// The architecture read from a state_dict's keys and shapes alone
// (src/lib/resnet-architecture.ts): torchvision's five depths, timm's
// (same keys), wide ResNets and any class count; and the errors, which name
// the first missing or unexpected key, or the shape expected and found.
import {describe, expect, it} from "vitest";
import {inferArchitecture, resnetShapes, standardArchitecture, blockPrefixes} from "../src/lib/resnet-architecture.js";
import {randomizationGroups, RANDOMIZATION_GROUPS} from "../src/lib/randomization-stages.js";
import {resnet18Shapes} from "../src/lib/resnet18.js";
import {WeightsError} from "../src/lib/weights-error.js";
import {tinyArchitecture} from "./helpers/tiny-resnet.js";

/** A state_dict with the shapes only (inference reads nothing else), with num_batches_tracked as torch saves it. */
function shapesOnly(shapes: Map<string, number[]>): Map<string, {shape: number[]}> {
  const out = new Map<string, {shape: number[]}>();
  for (const [name, shape] of shapes) {
    out.set(name, {shape});
    if (name.endsWith("running_var")) out.set(name.replace(/running_var$/, "num_batches_tracked"), {shape: []});
  }
  return out;
}

function thrown(f: () => unknown): WeightsError {
  try {
    f();
  } catch (e) {
    if (e instanceof WeightsError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("inferArchitecture", () => {
  // Parameter counts of torchvision's models (torchvision's docs), a check on the shapes written out independently.
  const PARAMETERS = {resnet18: 11_689_512, resnet34: 21_797_672, resnet50: 25_557_032, resnet101: 44_549_160, resnet152: 60_192_808};
  for (const [name, count] of Object.entries(PARAMETERS) as [keyof typeof PARAMETERS, number][]) {
    it(`reads torchvision's ${name} (1000 classes) back, with its parameter count ${count.toLocaleString("en")}`, () => {
      const shapes = resnetShapes(standardArchitecture(name, 1000));
      const params = [...shapes].filter(([k]) => !k.includes("running_")).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
      expect(params).toBe(count);
      const arch = inferArchitecture(shapesOnly(shapes));
      expect(arch).toEqual(standardArchitecture(name, 1000));
      expect(arch.name).toBe(name);
    });
  }

  it("reads any class count, the ResNet-18's shapes as before, and wide ResNets (wide_resnet50_2: 68,883,240 parameters)", () => {
    expect(inferArchitecture(shapesOnly(resnet18Shapes(10)))).toMatchObject({name: "resnet18", block: "basic", blocks: [2, 2, 2, 2], classCount: 10});
    expect(inferArchitecture(shapesOnly(resnetShapes(standardArchitecture("resnet50", 37))))).toMatchObject({name: "resnet50", classCount: 37});
    const wide = {...standardArchitecture("resnet50", 1000), widths: [128, 256, 512, 1024]};
    const shapes = resnetShapes(wide);
    const params = [...shapes].filter(([k]) => !k.includes("running_")).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
    expect(params).toBe(68_883_240);
    expect(inferArchitecture(shapesOnly(shapes))).toMatchObject({name: "resnet50-w128-256-512-1024", widths: [128, 256, 512, 1024], outChannels: [256, 512, 1024, 2048]});
  });

  it("reads tiny nets of any block counts and widths", () => {
    for (const arch of [tinyArchitecture("basic", [1, 2], [3, 5], 2), tinyArchitecture("bottleneck", [2, 1, 1], [2, 3, 4], 7, 8), tinyArchitecture("basic", [3, 4, 6, 3], [4, 8, 8, 16], 5)]) {
      expect(inferArchitecture(shapesOnly(resnetShapes(arch)))).toEqual(arch);
    }
  });

  it("names the first missing key, in torchvision's order", () => {
    const shapes = shapesOnly(resnetShapes(standardArchitecture("resnet34", 1000)));
    shapes.delete("layer2.1.bn2.running_mean");
    shapes.delete("layer3.0.downsample.0.weight");
    const e = thrown(() => inferArchitecture(shapes));
    expect(e.kind).toBe("not-resnet");
    expect(e.message).toMatch(/first missing key is layer2\.1\.bn2\.running_mean .*BasicBlock ResNet with \[3,4,6,3\] blocks.*torchvision or timm/);
    shapes.clear();
    shapes.set("encoder.weight", {shape: [3, 3]});
    expect(thrown(() => inferArchitecture(shapes)).message).toMatch(/first missing key is conv1\.weight/);
  });

  it("names the first unexpected key, in the file's order (a classifier other than fc, an extra block)", () => {
    const shapes = shapesOnly(resnetShapes(standardArchitecture("resnet18", 10)));
    shapes.set("head.weight", {shape: [10, 512]});
    shapes.set("aux.bias", {shape: [10]});
    const e = thrown(() => inferArchitecture(shapes));
    expect(e.kind).toBe("not-resnet");
    expect(e.message).toMatch(/first unexpected key is head\.weight/);
    // A gap in a stage: layer2.3 without layer2.2 reads as 4 blocks, and layer2.2 is missing.
    const gap = shapesOnly(resnetShapes(standardArchitecture("resnet18", 10)));
    gap.set("layer2.3.conv1.weight", {shape: [128, 128, 3, 3]});
    expect(thrown(() => inferArchitecture(gap)).message).toMatch(/first missing key is layer2\.2\.conv1\.weight/);
  });

  it("says which shape it expected and found", () => {
    const shapes = shapesOnly(resnetShapes(standardArchitecture("resnet50", 1000)));
    shapes.set("layer3.2.conv2.weight", {shape: [256, 256, 5, 5]});
    const e = thrown(() => inferArchitecture(shapes));
    expect(e.kind).toBe("shape-mismatch");
    expect(e.message).toMatch(/layer3\.2\.conv2\.weight has shape \[256, 256, 5, 5\], expected \[256, 256, 3, 3\] for a Bottleneck ResNet with \[3,4,6,3\] blocks/);
    const fc = shapesOnly(resnetShapes(standardArchitecture("resnet18", 10)));
    fc.set("fc.weight", {shape: [10, 2048]});
    expect(thrown(() => inferArchitecture(fc)).message).toMatch(/fc\.weight has shape \[10, 2048\], expected \[10, 512\]/);
  });
});

describe("randomization stages", () => {
  it("are one per block, top down, for any architecture; the ResNet-18's as before", () => {
    expect(randomizationGroups([2, 2, 2, 2])).toEqual([...RANDOMIZATION_GROUPS]);
    const groups = randomizationGroups([3, 4, 6, 3]);
    expect(groups).toHaveLength(18);
    expect(groups.slice(0, 3)).toEqual(["fc", "layer4.2", "layer4.1"]);
    expect(groups.slice(1, -1).reverse()).toEqual(blockPrefixes({blocks: [3, 4, 6, 3]}));
  });
});
