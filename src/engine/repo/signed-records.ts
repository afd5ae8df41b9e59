import { z } from 'zod';
import { NotFoundError } from '../../common/errors';
import { readSignedJson, writeSignedJson, type SigningRepo } from './signed-doc';

/** Small JSON records kept as signed documents: what other layers (failover's traffic record) store in the repository. */
export function signedRecords(repo: SigningRepo): { writeJson(key: string, value: unknown): Promise<void>; readJson(key: string): Promise<unknown> } {
  return {
    writeJson: async (key, value) => void (await writeSignedJson(repo, key, value)),
    async readJson(key) {
      try {
        return await readSignedJson(repo, key, z.unknown());
      } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    },
  };
}
