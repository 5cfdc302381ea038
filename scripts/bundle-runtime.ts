// Bundles the browser code that needs TensorFlow.js with esbuild, and copies
// the tfjs wasm binaries next to it:
//  - src/components/page-runtime.ts -> src/_bundle/runtime.js, the module pages
//    import: the compute service's client and the library's plain values and
//    functions, without tfjs (checked below);
//  - src/compute/worker.ts -> src/_bundle/compute-worker.js, the compute
//    worker: tfjs with its WebGPU and wasm backends, the library, the engine.
// Framework's own npm bundling breaks tfjs (seedrandom: "alea is not a
// function"), so pages import these files instead of tfjs. Runs before
// `build` and `dev` (npm pre-scripts); `npm run bundle` runs it alone.
import {build} from "esbuild";
import fs from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "src", "_bundle");
const require = createRequire(import.meta.url);

const t0 = performance.now();
fs.mkdirSync(outDir, {recursive: true});

const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  logLevel: "warning",
  metafile: true,
} as const;

const results = await Promise.all([
  build({
    ...common,
    entryPoints: [path.join(root, "src", "components", "page-runtime.ts")],
    outfile: path.join(outDir, "runtime.js"),
    // Framework resolves these itself (FileAttachment paths must stay literal).
    external: ["observablehq:stdlib"],
  }),
  // Self-contained: a worker imports nothing (and the page's fallback imports it as a module).
  build({...common, entryPoints: [path.join(root, "src", "compute", "worker.ts")], outfile: path.join(outDir, "compute-worker.js")}),
]);

// The pages' bundle must not carry tfjs (1 MB the pages never run): a value
// import of a module that imports tfjs, however indirect, would pull it in.
const tfjsInPages = Object.keys(results[0].metafile.inputs).filter((input) => input.includes("@tensorflow"));
if (tfjsInPages.length) throw new Error(`src/_bundle/runtime.js would contain TensorFlow.js (${tfjsInPages[0]}, ...): src/components/page-runtime.ts may export only modules without tfjs`);

// Types for editors: the bundle exports what page-runtime.ts exports.
fs.writeFileSync(path.join(outDir, "runtime.d.ts"), `export * from "../components/page-runtime.js";\n`);

const wasmDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
const wasmFiles = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];
for (const file of wasmFiles) fs.copyFileSync(path.join(wasmDir, file), path.join(outDir, file));

const sizes = results.map((r) => (Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0) / 1e6).toFixed(2));
console.error(`bundle: src/_bundle/runtime.js (${sizes[0]} MB), compute-worker.js (${sizes[1]} MB) + ${wasmFiles.length} wasm files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
