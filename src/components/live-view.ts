// An element that follows a store of results: the sanity checks' chart and
// table (SanityResults) and the judging chapter's table (JudgedMetrics) are
// redrawn as results arrive, while the figures that compute them go on.

/** What a live view follows: anything that announces its changes. */
export interface ChangingStore {
  /** Calls `listener` after each change; returns the function that stops it. */
  onChange(listener: () => void): () => void;
}

/**
 * An element that redraws `render()` whenever `store` changes, at most once
 * per animation frame (many results can arrive in one frame). Call `dispose`
 * when the page cell that made it is invalidated: it stops listening.
 */
export function liveView(store: ChangingStore, render: () => HTMLElement): {element: HTMLElement; dispose: () => void} {
  const element = document.createElement("div");
  let scheduled = false;
  let disposed = false;
  const unsubscribe = store.onChange(() => {
    if (scheduled || disposed) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      if (!disposed) element.replaceChildren(render());
    });
  });
  element.append(render());
  return {
    element,
    dispose: () => {
      disposed = true;
      unsubscribe();
    },
  };
}
