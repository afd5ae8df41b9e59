/** Run `count` indexed jobs with at most `limit` in flight (deterministic: plain promises). */
export async function fanOut(count: number, limit: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}
