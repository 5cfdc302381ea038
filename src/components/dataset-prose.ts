// The passages of the Dataset and model chapter that depend on the data:
// Imagenette's introduction, its class table and what the shared model does
// on it, or their general form for a dataset of one's own, so that no page
// names a class the data does not have. The words come from the build's
// classes (datasetWords in src/shared/dataset-words.ts, through the page
// bundle); this module only lays them out.
import type {DatasetWords} from "../shared/dataset-words.js";
import type {WeightsManifest} from "../lib/weights.js";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function block(htmlText: string): HTMLElement {
  const div = document.createElement("div");
  div.className = "dataset-prose";
  div.innerHTML = htmlText;
  return div;
}

/** The classes: where they come from, their table (logit order), and how the model's head matches them. */
export function classesSection(words: DatasetWords): HTMLElement {
  if (words.imagenetteRows) {
    const rows = words.imagenetteRows
      .map((c) => `<tr><td>${c.index}</td><td>${escape(c.name)}${c.gloss ? ` (${escape(c.gloss)})` : ""}</td><td><code>${c.wnid}</code></td><td>${c.imagenetIndex}</td></tr>`)
      .join("\n");
    return block(`<p><a href="https://www.image-net.org/">ImageNet</a> is the classic benchmark for image classification: over a million photos in 1,000 classes. Imagenette, put together by fast.ai, keeps ten of those classes that are easy for people to tell apart, which makes it small enough to train on and explain on ordinary hardware. Its training split has 9,469 photos and its validation split 3,925; everything shown in this report comes from the validation split, which the model never saw during training.</p>
<table class="classes">
  <thead><tr><th>Index</th><th>Class</th><th>ImageNet id (wnid)</th><th>ImageNet index</th></tr></thead>
  <tbody>
${rows}
  </tbody>
</table>
<p>The model in this report was trained on Imagenette alone, from scratch, with a final layer of exactly ten outputs, one per row of the table. It reaches about 85% top-1 accuracy on the validation split (84.7% of its 3,925 photos): good, but far from perfect, and its mistakes are as worth explaining as its successes.</p>
<p>A model trained on all of ImageNet can be used instead, without any retraining, by keeping only ten of its 1,000 outputs: those at the ImageNet indices in the last column. Two facts make this selection work:</p>
<ul>
<li><strong>Each output is computed on its own.</strong> The last layer turns one shared 512-number summary of the photo into one score (<em>logit</em>) per class, each with its own row of weights. Dropping the other 990 rows leaves the ten remaining logits exactly as they were.</li>
<li><strong>Softmax only cares about differences between logits.</strong> The probability of class <em>a</em> divided by that of class <em>b</em> is <code>exp(logit_a − logit_b)</code>, whichever other classes are present. A softmax over the ten kept logits is therefore the full model's belief <em>given that the photo shows one of these ten things</em>, and its winner is the most likely of the ten according to the full model.</li>
</ul>
<p>The site's weight loader accepts both kinds of checkpoint and reduces a 1,000-class head to these ten rows.</p>`);
  }
  const rows = words.names.map((name, index) => `<tr><td>${index}</td><td>${escape(name)}</td></tr>`).join("\n");
  return block(`<p>The photos of this site come from a dataset of ${words.countWord} classes: ${escape(words.list)}. Each class is a folder of photos; everything shown in this report comes from those folders.</p>
<table class="classes">
  <thead><tr><th>Index</th><th>Class</th></tr></thead>
  <tbody>
${rows}
  </tbody>
</table>
<p>The model in this report has a final layer of exactly ${words.countWord} output${words.count === 1 ? "" : "s"}, one per row of the table, in this order: the index is the row of the layer's weights that scores the class. Its accuracy on these photos is whatever the gallery below shows; with a handful of photos per class that is only a first impression.</p>`);
}

/** How the loaded weights' head relates to the classes (the sentence after the weights' file name). */
export function headDescription(source: WeightsManifest["source"], words: DatasetWords): string {
  if (source.head === "imagenet-1000") return `a 1,000-class ImageNet head reduced to the ${words.countWord} rows above`;
  return `a ${words.count}-class head`;
}

/** After the gallery: what its accuracy says, and (on Imagenette with the shared model) its one mistake. */
export function galleryNote(words: DatasetWords, source: WeightsManifest["source"]): HTMLElement {
  if (words.imagenette && source.head === "imagenette-10") {
    return block(`<p>A handful of photos is not a measurement: on the whole validation split this model is right about 85% of the time, so a gallery of this size may well come out a little higher or lower (this one comes out higher). Look for the red cards: in this gallery, this model gets one photo wrong, a hi-fi system with a cassette deck between two speakers and a tangle of cables, which it takes for a gas pump. Some mistakes are understandable (a photo that contains two of the classes, an unusual view), others are not; the next chapters ask the model which pixels it used, on the photos it gets right and on this one. Upload a photo of your own under any chapter's photo picker to find more.</p>`);
  }
  return block(`<p>A handful of photos is not a measurement: the accuracy over all the photos of each class may well come out higher or lower. Look for the red cards, the photos the model gets wrong. Some mistakes are understandable (a photo that contains two of the classes, an unusual view), others are not; the next chapters ask the model which pixels it used, on the photos it gets right and on those. Upload a photo of your own under any chapter's photo picker to find more.</p>`);
}

function inline(htmlText: string): HTMLElement {
  const span = document.createElement("span");
  span.innerHTML = htmlText;
  return span;
}

/**
 * Sentences of the other pages that name Imagenette's classes or the shared
 * model's measurements, each with its general form for another dataset.
 * Pages show them inline: `${passage(words, "sanity-opening")}`.
 */
const PASSAGES = {
  // Sanity checks: the chapter's first sentences.
  "sanity-opening": (w: DatasetWords) =>
    w.imagenette
      ? "Every map in the previous chapters looked plausible: it lit up the fish, the church, the dog. But a map can look plausible for the wrong reason. An edge detector also lights up the fish, and it knows nothing about fish."
      : `Every map in the previous chapters looked plausible: it lit up the ${escape(w.names[0])}, the ${escape(w.names[w.names.length - 1])}, the object the class is about. But a map can look plausible for the wrong reason. An edge detector also lights up the object, and it knows nothing about ${escape(w.names[0])} or anything else.`,
  // Sanity checks: what the cascade did to the shared model's maps on the gallery's first photo.
  "sanity-measured": (w: DatasetWords) =>
    w.imagenette
      ? "Then move down the network. On the first photo of the gallery (a tench, ILSVRC2012_val_00009111) we measured: GradCAM's ρ falls to −0.31 at stage 1 and stays between −0.52 and −0.09 after that (its map no longer marks the fish; the negative values mean it now tends to light up what the trained map left dark); occlusion's is still 0.54 and 0.43 at stages 1 and 2, drops to 0.00 at stage 3 and then jumps between −0.20 and 0.32 (a 6 × 6 grid of 36 numbers, smoothly interpolated: its ranking rests on few values, so its ρ is noisy); the gradient norm, gradient × input and integrated gradients stay between 0.22 and 0.66 for the whole cascade, 0.22, 0.42 and 0.43 when <em>every</em> weight is random. Their maps keep the outline and the texture of the photo: those come from the image (the input factor of gradient × input and integrated gradients) and from the architecture (convolutions and ReLUs pass edges through even with random weights), not from anything the model learned."
      : "Then move down the network, on the first photo of the gallery and on others. On the handout's own model and photos, GradCAM's ρ falls below zero from stage 1 on (its map no longer marks the object; negative values mean it now tends to light up what the trained map left dark), occlusion's holds for a stage or two and then jumps around zero (a coarse grid of few numbers, smoothly interpolated: its ranking rests on few values, so its ρ is noisy), while the gradient norm, gradient × input and integrated gradients stay clearly positive for the whole cascade, even when <em>every</em> weight is random. Check whether this model behaves the same. Maps that keep the outline and the texture of the photo get them from the image (the input factor of gradient × input and integrated gradients) and from the architecture (convolutions and ReLUs pass edges through even with random weights), not from anything the model learned.",
  // GradCAM: how coarse its grid is.
  "gradcam-coarse": (w: DatasetWords) =>
    w.imagenette ? `So GradCAM can say "the tench is in the lower middle", but not which fin,` : `So GradCAM can say "the ${escape(w.names[0])} is in the lower middle", but not which part of it,`,
  // Dataset-wide results: the site's weights beside the handout's.
  "weights-beside-handout": (w: DatasetWords, source?: WeightsManifest["source"]) =>
    source?.head === "imagenet-1000"
      ? `This site uses the same weights (<code>${escape(source.file)}</code>), keeping only the ten Imagenette logits.`
      : w.imagenette
        ? `This site uses <code>${escape(source?.file ?? "")}</code>, a ResNet-18 trained on Imagenette's ten classes only.`
        : `This site uses <code>${escape(source?.file ?? "")}</code>, a model for this site's ${w.countWord} classes (${escape(w.list)}).`,
  // Dataset-wide results: where the images come from.
  "split-beside-handout": (w: DatasetWords) =>
    w.imagenette
      ? "<strong>Split.</strong> The handout's images come from Imagenette's <em>train</em> split, which is part of ImageNet's training set: its model had learned from every one of those photos. Ours come from the <em>validation</em> split, which the model was not trained on."
      : "<strong>Data.</strong> The handout's photos come from another dataset, with other classes, than this site's: the two tables describe different tasks, so only the rankings of the methods can be compared.",
} satisfies Record<string, (w: DatasetWords, source?: WeightsManifest["source"]) => string>;

export type PassageName = keyof typeof PASSAGES;

/** A sentence or two of a page, in its Imagenette or general form (see PASSAGES). */
export function passage(words: DatasetWords, name: PassageName, source?: WeightsManifest["source"]): HTMLElement {
  return inline(PASSAGES[name](words, source));
}
