// Waiting for the event loop's next turn, for code that must let input
// events, timers and painting through (the CPU backends' reads, the paint
// queue of the figures).

/** A macrotask later (MessageChannel: not clamped like nested setTimeout). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
