import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * Where V8 keeps the compiled code of the modules a process loads: $NODE_COMPILE_CACHE when set,
 * else the user's cache folder ($XDG_CACHE_HOME or ~/.cache), never the repository.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NODE_COMPILE_CACHE) return env.NODE_COMPILE_CACHE;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'lepton-dr', 'compile-cache');
}

/**
 * Run first by every entry point (the bundles' launchers in dist/bundle/ load it before the
 * bundle): the next start reuses the compiled code of the bundle and of the Temporal SDK instead
 * of compiling them again, which takes a good part of the start-up off a short run such as a
 * no-change backup. A cache that cannot be written is skipped silently by Node;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
module.enableCompileCache?.(compileCacheDir());
