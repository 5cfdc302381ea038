// The model's weights for the browser, part 1: the manifest (tensor names,
// shapes, byte offsets, classes, provenance). Part 2 is weights.bin.
import {runLoader, siteWeights} from "./_loaders.js";

await runLoader("weights.json", async () => JSON.stringify((await siteWeights()).manifest));
