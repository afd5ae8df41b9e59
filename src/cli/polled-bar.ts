import cliProgress from 'cli-progress';

export interface BarView {
  total: number;
  value: number;
  payload: Record<string, unknown>;
}

/**
 * Await a run's result while a progress bar on stderr follows a status query every 500 ms.
 * Query failures (run not picked up yet, or finished) just skip a frame.
 */
export async function awaitWithBar<T, S>(
  result: Promise<T>,
  o: { format: string; query: () => Promise<S>; view: (s: S) => BarView; onStatus?: (s: S) => void },
): Promise<T> {
  const bar = new cliProgress.SingleBar(
    { format: o.format, hideCursor: true, stream: process.stderr, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let finished = false;
  const poll = async () => {
    while (!finished) {
      try {
        const s = await o.query();
        const v = o.view(s);
        if (!started) {
          bar.start(v.total, v.value, v.payload);
          started = true;
        }
        bar.setTotal(v.total);
        bar.update(v.value, v.payload);
        o.onStatus?.(s);
      } catch {
        // not picked up by a worker yet, or finished: keep waiting for the result
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    finished = true;
    await polling;
    if (started) bar.stop();
  }
}
