import { BadInputError } from '../../common/errors';
import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from '../store/blob-store';
import type { BlobCodec } from './blob-codec';

/**
 * A view of the repository's store for documents other layers keep there (prediction models,
 * predictor state, metric batches): in an encrypted repository every object is sealed with the
 * repository's cipher like the data is (AES-256-GCM, so also authenticated); in a plain one it
 * is the store itself. Whole objects only.
 */
export function sealedStore(repo: { store: BlobStore; codec: BlobCodec }): BlobStore {
  const { store, codec } = repo;
  if (!codec.encrypted) return store;
  return {
    url: store.url,
    put: (key: string, body: Buffer, opts?: PutOptions) => store.put(key, codec.encode(body), opts?.createOnly ? { createOnly: true } : undefined),
    async get(key: string, range?: ByteRange): Promise<Buffer> {
      if (range) throw new BadInputError(`${key}: sealed objects are read whole`);
      return codec.decode(await store.get(key), key);
    },
    head: (key: string): Promise<ObjectInfo | undefined> => store.head(key),
    list: (prefix: string): Promise<ObjectInfo[]> => store.list(prefix),
    delete: (key: string): Promise<void> => store.delete(key),
  };
}
