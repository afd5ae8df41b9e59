/**
 * V8 flags of the processes that do the work: the worker (started by the supervisor, the image,
 * `lepton-dr worker` through bin/lepton-dr.js) and the bench's engine process. V8 lets the young
 * generation of every isolate grow to two 64 MiB halves on the main thread and 32 MiB on each
 * thread (Node 24; the worker has four isolates: main, workflow thread, chunk threads); short-lived
 * buffers and parsed objects then fill it before a scavenge frees them, and the pages stay
 * resident. Halves of 4 MiB lowered a worker's peak RSS over a full and a no-change backup from 415
 * to 284 MiB at no measured cost in time. Only the young generation is capped: the old generation,
 * which a large backup may need, keeps V8's limit.
 */
export const WORK_PROCESS_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * glibc malloc settings of the same processes (mallopt(3); other C libraries ignore them). A
 * buffer above the mmap threshold is its own mapping, returned to the system when freed; glibc
 * raises that threshold to the size of each such buffer freed (up to 32 MiB), after which packs,
 * 16 MiB reads and sealed tasks come from the heap arenas, and every thread allocating gets an
 * arena of its own (up to 8 per core), whose freed pages stay resident. A fixed 1 MiB threshold and
 * one arena lowered the engine's peak RSS for a full backup of the bench set (scale 1, 20,008
 * files, 768 MiB, two chunk threads) from 509-523 to 384-389 MiB and for its restore from 377-423
 * to 307-324 MiB, CPU within the noise (small allocations stay in each thread's cache).
 *
 * A fixed mmap threshold leaves the trim threshold at 128 KiB, so a freed chunk-sized buffer at the
 * top of the heap went back to the system and the next one faulted its pages in again: 4 MiB keeps
 * that much free heap mapped. One thread reading, sealing and packing 16 MiB tasks (in kept 18 MiB
 * buffers, since dropped: see the README's "Start-up and memory settings") faulted 2,000-3,700
 * pages per task at 128 KiB and about 500 at 4 MiB; a full backup of the bench set faulted 261,000
 * pages instead of 188,000, system time 3.6 s against 3.0 s.
 */
export const WORK_PROCESS_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '1048576',
  MALLOC_TRIM_THRESHOLD_: '4194304',
};

/** The environment of a work process started from `env`: WORK_PROCESS_ENV where `env` does not set them. */
export const workProcessEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...WORK_PROCESS_ENV, ...env });
