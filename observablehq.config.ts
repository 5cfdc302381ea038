// Observable Framework configuration: https://observablehq.com/framework/config
// Everything is served from this site: no CDN (the default Google Fonts
// stylesheet is turned off, npm: imports are not used; tfjs comes from the
// esbuild bundle in src/_bundle, see scripts/bundle-runtime.ts).
export default {
  title: "Explanation methods, live",
  root: "src",
  // Where the site is built (tests read the same variable; see test/e2e/helpers.ts).
  output: process.env.EXPLAIN_DIST ?? "dist",
  // Chapters in reading order (Dataset-wide results stays last).
  pages: [
    {name: "Dataset and model", path: "/pages/dataset-and-model"},
    {name: "Occlusion", path: "/pages/occlusion"},
    {name: "Gradient norm", path: "/pages/gradient-norm"},
    {name: "Gradient x input", path: "/pages/gradient-x-input"},
    {name: "Integrated gradients", path: "/pages/integrated-gradients"},
    {name: "GradCAM", path: "/pages/grad-cam"},
    {name: "Deletion score", path: "/pages/deletion-score"},
    {name: "Side by side", path: "/pages/side-by-side"},
    {name: "Judging explanations", path: "/pages/judging-explanations"},
    {name: "Sanity checks", path: "/pages/sanity-checks"},
    {name: "Dataset-wide results", path: "/pages/dataset-wide-results"},
  ],
  globalStylesheets: [],
  style: "style.css",
  // An empty icon: no request for /favicon.ico. The script names and labels
  // what the pages make at run time for screen readers and keyboards
  // (src/components/accessible-dom.ts); the template's own gaps are mended
  // after the build (scripts/accessible-html.ts, the postbuild script).
  head: `<link rel="icon" href="data:,">\n<script type="module" src="/components/accessible-dom.js"></script>`,
  footer: "Explanation methods, live · computed in your browser with TensorFlow.js",
  search: false,
  toc: true,
  pager: true,
  cleanUrls: true,
};
