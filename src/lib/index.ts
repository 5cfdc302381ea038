// Everything the browser runtime bundle exposes from the library.
export * from "./pth.js";
export * from "./resnet18.js";
export * from "./weights.js";
export * from "./explanation.js";
export * from "./image.js";
export * from "./occlusion.js";
export * from "./gradient.js";
export * from "./integrated-gradients.js";
export * from "./grad-cam.js";
export * from "./deletion.js";
export * from "./methods.js";
export * from "./protocol.js";
export * from "./statistics.js";
export * from "./blur.js";
