import module from 'node:module';

/**
 * Imported first by every entry point: V8 keeps the compiled code of the modules it loads (the
 * AWS SDK, zod, Temporal's client) in a cache on disk and reuses it on the next start, which
 * takes a good part of the start-up off a short run such as a no-change backup. A cache that
 * cannot be written is skipped silently by Node.
 */
module.enableCompileCache?.();
