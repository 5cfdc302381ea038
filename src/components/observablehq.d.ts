// Types for the parts of Observable Framework's standard library that the
// TypeScript components use. Framework resolves "observablehq:stdlib" itself
// (in pages, and in the runtime bundle where esbuild leaves it external).
declare module "observablehq:stdlib" {
  export interface FileAttachmentHandle {
    readonly name: string;
    readonly href: string;
    url(): Promise<string>;
    json(): Promise<any>;
    text(): Promise<string>;
    arrayBuffer(): Promise<ArrayBuffer>;
    blob(): Promise<Blob>;
  }
  /** The argument must be a literal path, relative to the calling module. */
  export function FileAttachment(name: string): FileAttachmentHandle;
}
