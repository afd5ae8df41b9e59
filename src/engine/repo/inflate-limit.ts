/**
 * The most bytes one stored object may inflate to: a signed document, a tree blob's JSON, or a
 * compressed blob. Storage is written by others too, and a few KiB of zstd or gzip can claim
 * gigabytes (2 KiB of zstd inflate to 64 MiB of zeros): every inflate in the repository passes
 * this as its output limit, and a length declared above it is refused before anything is
 * inflated, so a hostile or corrupt object costs at most this much instead of a worker's memory.
 * Writers refuse to store more, so whatever was written can be read. Real objects stay far below
 * it: a batch's result for a 1 TiB file is about 160 MB, a blob at most the chunker's maximum.
 */
export const MAX_INFLATED_BYTES = 1024 ** 3;

export const inflateLimitText = `${MAX_INFLATED_BYTES / 1024 ** 3} GiB`;
