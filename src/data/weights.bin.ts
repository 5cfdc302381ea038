// The model's weights for the browser, part 2: one little-endian float32 blob
// laid out as weights.json describes.
import {runLoader, siteWeights} from "./_loaders.js";

await runLoader("weights.bin", async () => (await siteWeights()).data);
