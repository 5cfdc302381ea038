// The library's `target` option for a value of the "explain the class" menu
// (src/components/target-picker.ts): -1, or anything that is not a class
// index, means the class the model predicts. Shared by the page and by
// compute functions in the worker (no imports: both can load it).

export function targetOption(target: number): number | undefined {
  return Number.isInteger(target) && target >= 0 ? target : undefined;
}
