// Everything the browser runtime bundle exposes from the library.
export * from "./pth.js";
export * from "./resnet18.js";
export * from "./weights.js";
