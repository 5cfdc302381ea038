// Results go to the page as transferred ArrayBuffers (moved, not copied) --
// except the buffers the worker keeps for later (its caches, the gallery's
// photos): moving those would empty them in the worker. Structured cloning
// copies those instead.

const kept = new WeakSet<ArrayBufferLike>();

/** Marks the buffers of every typed array in `value` as kept by the worker; returns `value`. */
export function retained<T>(value: T): T {
  visit(value, (buffer) => kept.add(buffer));
  return value;
}

/** The ArrayBuffers of `value`'s typed arrays that can be moved to the page (each once). */
export function transferables(value: unknown): Transferable[] {
  const out = new Set<ArrayBuffer>();
  visit(value, (buffer) => {
    if (!kept.has(buffer) && buffer instanceof ArrayBuffer && buffer.byteLength > 0) out.add(buffer);
  });
  return [...out];
}

function visit(value: unknown, found: (buffer: ArrayBufferLike) => void, seen = new Set<object>()): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return found(value.buffer);
  if (value instanceof ArrayBuffer) return found(value);
  if (value instanceof Map) {
    for (const [k, v] of value) visit(k, found, seen), visit(v, found, seen);
    return;
  }
  if (Array.isArray(value) || value instanceof Set) {
    for (const v of value) visit(v, found, seen);
    return;
  }
  for (const v of Object.values(value)) visit(v, found, seen);
}
