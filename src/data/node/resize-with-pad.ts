// The loaders' resize-with-pad is the library's (src/lib/resize-with-pad.ts,
// pure TypeScript): the browser's photo upload runs the very same code, so
// an uploaded photo and a dataset photo are resized identically.
export * from "../../lib/resize-with-pad.js";
