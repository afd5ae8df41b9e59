/**
 * fn over items, up to `depth` in flight, yielded in input order: a reader of many small objects
 * waits for one round trip at a time instead of one per object. Results come in order, a failure where its
 * item is reached; a consumer that stops early leaves the fetches under way to finish unobserved.
 */
export async function* readAhead<T, R>(items: readonly T[], depth: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && inFlight.length < Math.max(1, depth)) {
      const p = fn(items[next++]);
      // handled from the start: a later item may fail while an earlier one is awaited
      p.catch(() => undefined);
      inFlight.push(p);
    }
  };
  for (fill(); inFlight.length; fill()) yield await (inFlight.shift() as Promise<R>);
}
