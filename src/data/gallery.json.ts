// The gallery's index: {size, classes, selection, images: [{id, wnid, label,
// className, fixture}]}, in the order of gallery.bin. See _loaders.ts for how
// the images are chosen.
import {galleryImages, runLoader} from "./_loaders.js";

await runLoader("gallery.json", async () => JSON.stringify((await galleryImages()).meta, null, 1));
