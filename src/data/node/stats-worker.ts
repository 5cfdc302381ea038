// One worker process of the dataset statistics: loads the model once, then
// runs the deletion protocol (with LeRF, insertion, sparseness and
// complexity) on each image the parent sends.
import {initTf} from "./tf.js";
import {loadModel} from "./model.js";
import {readImage224} from "./sources.js";
import {imageFromBytes} from "../../lib/image.js";
import {DeletionProtocol, type ProtocolSettings} from "../../lib/protocol.js";
import type {ImagenetteClass} from "../../lib/weights.js";

type Message = {type: "init"; weightsFile: string; classes: ImagenetteClass[]; settings: ProtocolSettings; batchSize: number} | {type: "image"; file: string} | {type: "exit"};

let protocol: DeletionProtocol | null = null;
const send = (m: object) => process.send!(m);

process.on("message", async (message: Message) => {
  try {
    if (message.type === "init") {
      await initTf("wasm");
      const {model} = loadModel(message.weightsFile, {classes: message.classes});
      protocol = new DeletionProtocol(model, message.settings, {batchSize: message.batchSize});
      send({type: "ready"});
    } else if (message.type === "image") {
      let pixels: Uint8Array;
      try {
        pixels = await readImage224(message.file);
      } catch (e) {
        return send({type: "skip", error: (e as Error).message});
      }
      const image = imageFromBytes(pixels);
      const t0 = performance.now();
      const result = await protocol!.run(image);
      image.dispose();
      send({type: "row", row: {predicted: result.predicted, confidence: result.confidence, auc: result.auc, metrics: result.metrics, seconds: (performance.now() - t0) / 1000}});
    } else if (message.type === "exit") {
      process.disconnect();
      process.exit(0);
    }
  } catch (e) {
    send({type: "fatal", error: (e as Error).stack ?? String(e)});
    process.exit(1);
  }
});
