// The models of the sanity-check chapter's stages (cascading randomization,
// src/lib/randomization.ts), in the compute worker: the trained model (the
// worker's, never disposed here) and at most one randomized model alive. A
// ResNet-18 holds ~45 MB of weights on the backend, so moving to another
// stage disposes the previous randomized one. The worker runs one request at
// a time, so no running method ever sees its model disposed.
import type {ResNet} from "../lib/index.js";

export interface StageModel {
  model: ResNet;
  /** Milliseconds to draw the random weights and build the model (0: already there). */
  buildMs: number;
}

export class StageModels {
  private current: {stage: number; model: ResNet} | null = null;
  /** Milliseconds each stage's model took to build, the last time it was built. */
  readonly buildTimes = new Map<number, number>();

  /** `build(stage)`: a new model of that stage (the page's randomizedStateDict + ResNet). */
  constructor(private readonly trainedModel: ResNet, private readonly build: (stage: number) => ResNet) {}

  /** Whether `stage`'s model is there without building. */
  ready(stage: number): boolean {
    return stage === 0 || this.current?.stage === stage;
  }

  /** The model of `stage` (0: the trained one). Disposes the previous randomized model. */
  async get(stage: number): Promise<StageModel> {
    if (stage === 0) return {model: this.trainedModel, buildMs: 0};
    if (this.current?.stage === stage) return {model: this.current.model, buildMs: 0};
    this.release();
    // The build is synchronous (~1-2 s of JavaScript): let the progress message go out first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const t0 = performance.now();
    const model = this.build(stage);
    // The same backend as the trained model's: the same batches (padded on a GPU, so no new programs).
    model.batchPolicy = this.trainedModel.batchPolicy;
    const buildMs = performance.now() - t0;
    this.buildTimes.set(stage, buildMs);
    this.current = {stage, model};
    return {model, buildMs};
  }

  /** Frees the randomized model's tensors (the trained model stays). */
  release(): void {
    this.current?.model.dispose();
    this.current = null;
  }
}

