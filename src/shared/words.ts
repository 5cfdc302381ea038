// Numbers and lists in words, for sentences about the classes ("the three
// classes", "fish, dog and radio"). No imports: browser components import it
// as it is (dataset-words.ts, which reads a JSON file, reaches pages through
// the page bundle).

const SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/** "three" for 3, up to twelve; digits (with a thousands comma) above. */
export function numberWord(n: number): string {
  return Number.isInteger(n) && n >= 0 && n < SMALL.length ? SMALL[n] : n.toLocaleString("en-US");
}

/** "a", "a and b", "a, b and c". */
export function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}
