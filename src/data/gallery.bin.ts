// The gallery's pixels: uint8 [N,224,224,3] RGB (HWC), in the order of
// gallery.json.
import {galleryImages, galleryPixels, runLoader} from "./_loaders.js";

await runLoader("gallery.bin", async () => galleryPixels((await galleryImages()).files));
