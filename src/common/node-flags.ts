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
