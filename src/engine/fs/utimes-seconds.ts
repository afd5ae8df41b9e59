/**
 * The seconds value to hand fs.utimes for a nanosecond timestamp. utimes takes a double, which
 * cannot hold today's nanoseconds (its step is about 240 ns) and which newer Node.js versions
 * truncate rather than round; aiming at the middle of the microsecond makes every version land
 * on the right microsecond.
 */
export function utimesSeconds(ns: string | bigint): number {
  return (Number(BigInt(ns) / 1000n) + 0.5) / 1e6;
}
