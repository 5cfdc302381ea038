// What a "removed" pixel becomes in the deletion and insertion metrics: the
// substrate. Deleting a pixel replaces it by the substrate's pixel; inserting
// a pixel puts the photo's pixel back onto the substrate.
//  - black: 0 in every channel (the handout's deletion);
//  - mean: the ImageNet mean colour INPUT_MEAN in every pixel, which the
//    model's normalization ((x - mean) / std) maps to exactly 0: the "zero"
//    of the network's input, as in the RISE paper (Petsiuk et al. 2018);
//  - blur: a Gaussian-blurred copy of the photo (sigma 5 px, blur.ts), RISE's
//    substrate for insertion: colours and coarse layout stay, detail goes;
//  - road: ROAD's noisy linear imputation (road.ts): each removed pixel is
//    filled in from its neighbours. Unlike the others it is not one image:
//    it depends on which pixels are removed, so it is computed for each image
//    of a sequence (prepareImputed), and substrateImage does not offer it.
import * as tf from "@tensorflow/tfjs";
import {gaussianBlur} from "./blur.js";
import {INPUT_MEAN} from "./resnet.js";

/** The substrates that are one fixed image per photo (substrateImage). */
export const SUBSTRATE_NAMES = ["black", "mean", "blur"] as const;
export type SubstrateName = (typeof SUBSTRATE_NAMES)[number];

/** The substrates computed per image of a sequence from the pixels kept (road.ts). */
export const IMPUTED_SUBSTRATE_NAMES = ["road"] as const;
export type ImputedSubstrateName = (typeof IMPUTED_SUBSTRATE_NAMES)[number];

/** Every substrate of the deletion and insertion metrics: the fixed images, then the imputed ones. */
export const ALL_SUBSTRATE_NAMES = [...SUBSTRATE_NAMES, ...IMPUTED_SUBSTRATE_NAMES] as const;
export type AnySubstrateName = SubstrateName | ImputedSubstrateName;

export function isAnySubstrateName(name: string): name is AnySubstrateName {
  return (ALL_SUBSTRATE_NAMES as readonly string[]).includes(name);
}

export function checkAnySubstrate(name: string): AnySubstrateName {
  if (!isAnySubstrateName(name)) throw new RangeError(`unknown substrate ${JSON.stringify(name)}: use one of ${ALL_SUBSTRATE_NAMES.join(", ")}`);
  return name;
}

export function isSubstrateName(name: string): name is SubstrateName {
  return (SUBSTRATE_NAMES as readonly string[]).includes(name);
}

export function checkSubstrate(name: string): SubstrateName {
  if (!isSubstrateName(name)) throw new RangeError(`unknown substrate ${JSON.stringify(name)}: use one of ${SUBSTRATE_NAMES.join(", ")}`);
  return name;
}

/** The substrate of an [H,W,3] image in [0,1], same shape; the caller disposes it. */
export function substrateImage(image: tf.Tensor3D, substrate: SubstrateName): tf.Tensor3D {
  const [h, w, channels] = image.shape;
  switch (checkSubstrate(substrate)) {
    case "black":
      return tf.zeros([h, w, channels]) as tf.Tensor3D;
    case "mean":
      // float32 copies of the very constants the model subtracts: (mean - mean) / std is exactly 0.
      return tf.tidy(() => tf.tile(tf.tensor3d(INPUT_MEAN, [1, 1, channels]), [h, w, 1]) as tf.Tensor3D);
    case "blur":
      return gaussianBlur(image);
  }
}

/** Which way a sequence goes: deletion turns the photo into the substrate, insertion the substrate into the photo. */
export type MetricName = "deletion" | "insertion";
export const METRIC_NAMES = ["deletion", "insertion"] as const;

/**
 * Images `start .. start+count-1` of a deletion or insertion sequence onto
 * `substrate` ([H,W,3]). `stepOfPixel[i]` (1 .. S-1, from
 * deletionStepOfPixel) is the image from which pixel i is removed (deletion)
 * or present (insertion):
 *  - deletion: image s takes x where stepOfPixel > s, the substrate elsewhere;
 *  - insertion: image s takes x where stepOfPixel <= s, the substrate elsewhere.
 * So insertion image 0 is the substrate and image S-1 the photo, and every
 * pixel switches exactly once, at its step. Pixels are copied (tf.where), not
 * mixed arithmetically: each value is exactly the photo's or the substrate's.
 * `images`: the images to make instead of `start .. start+count-1` (a padded
 * batch repeats its last image, see batchItems).
 */
export function prepareSubstituted(metric: MetricName, image: tf.Tensor3D, substrate: tf.Tensor3D, stepOfPixel: Int32Array, start: number, count: number, images?: number[]): tf.Tensor4D {
  const [h, w] = image.shape;
  if (stepOfPixel.length !== h * w) throw new RangeError(`stepOfPixel has ${stepOfPixel.length} entries for a ${h}x${w} image`);
  const list = images ?? Array.from({length: count}, (_, k) => start + k);
  return tf.tidy(() => {
    const pixelStep = tf.tensor4d(stepOfPixel, [1, h, w, 1], "int32");
    const imageIndex = tf.tensor4d(Int32Array.from(list), [list.length, 1, 1, 1], "int32");
    const fromPhoto = metric === "deletion" ? tf.greater(pixelStep, imageIndex) : tf.lessEqual(pixelStep, imageIndex);
    return tf.where(fromPhoto, image.expandDims(0), substrate.expandDims(0)) as tf.Tensor4D;
  });
}
