// The one error every weight reader and the architecture check throw: its
// `kind` says what went wrong (for code: a page can say "this is not a ResNet"
// without parsing messages), its message says what is wrong and what to do.

export type WeightsErrorKind =
  /** The tensors are not a torchvision-style ResNet state_dict (a key missing or unexpected). */
  | "not-resnet"
  /** The keys are a ResNet's but a tensor has another shape than the architecture needs. */
  | "shape-mismatch"
  /** The file is truncated or damaged (zip, pickle or safetensors header). */
  | "corrupt"
  /** A tensor's element type is not float32, float16 or bfloat16 (nor an integer buffer we skip). */
  | "unsupported-dtype"
  /** The pickle asks for code to be run (a global outside the tensors' allowlist). */
  | "code-in-pickle"
  /** The file is larger than the memory budget allows to decode. */
  | "too-large";

export class WeightsError extends Error {
  override readonly name = "WeightsError";
  constructor(readonly kind: WeightsErrorKind, message: string) {
    super(message);
  }
}

/** Whether `e` is a WeightsError (of `kind`, if given). */
export function isWeightsError(e: unknown, kind?: WeightsErrorKind): e is WeightsError {
  return e instanceof WeightsError && (kind === undefined || e.kind === kind);
}
