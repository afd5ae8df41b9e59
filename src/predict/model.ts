/**
 * The trained model artefact: versioned JSON, validated by a zod schema and sealed with a
 * SHA-256 checksum of its canonical JSON, so a truncated, edited or bit-rotted artefact is
 * refused rather than silently scoring nonsense. Stored in the backup repository by an activity.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BadInputError, IntegrityError } from '../common/errors';
import { formatZodError } from '../common/zod-errors';
import { SeriesScorer, seriesScorerConfigSchema, seriesScorerStateSchema } from './detectors/scorer';

export const PREDICT_MODEL_KIND = 'lepton-dr.predict-model';
export const PREDICT_MODEL_VERSION = 1;

/** Where a series' preprocessing stands: the next bucket to emit and the last observation (for forward fill). */
export const cursorSchema = z
  .object({
    nextT: z.number().finite().nullable(),
    lastValue: z.number().finite().nullable(),
    lastObservedT: z.number().finite().nullable(),
  })
  .strict();
export type Cursor = z.infer<typeof cursorSchema>;

export const seriesModelSchema = z
  .object({
    scorer: seriesScorerConfigSchema,
    /** Scorer state after the training history (the model starts warm). */
    state: seriesScorerStateSchema,
    cursor: cursorSchema,
    stats: z
      .object({
        from: z.number().finite().nullable(),
        to: z.number().finite().nullable(),
        points: z.number().int().nonnegative(),
        missing: z.number().int().nonnegative(),
        filled: z.number().int().nonnegative(),
        /** Season length found in training, in steps (0: none). */
        period: z.number().int().nonnegative(),
        /** Fraction of scored training points at or above the warning level. */
        alarmRate: z.number().min(0).max(1),
      })
      .strict(),
  })
  .strict();
export type SeriesModel = z.infer<typeof seriesModelSchema>;

const modelBodyShape = {
  kind: z.literal(PREDICT_MODEL_KIND),
  version: z.literal(PREDICT_MODEL_VERSION),
  createdAt: z.string().datetime(),
  stepMs: z.number().positive(),
  maxFillSteps: z.number().int().nonnegative(),
  series: z.record(z.string().min(1), seriesModelSchema),
};
export const predictModelBodySchema = z.object(modelBodyShape).strict();
export const predictModelSchema = z.object({ ...modelBodyShape, checksum: z.string().regex(/^[0-9a-f]{64}$/) }).strict();
export type PredictModelBody = z.infer<typeof predictModelBodySchema>;
export type PredictModel = z.infer<typeof predictModelSchema>;

/** JSON with object keys sorted at every level (stable input for hashing). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}

function checksumOf(body: PredictModelBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** Adds the checksum to a model body. */
export function sealModel(body: PredictModelBody): PredictModel {
  const parsed = predictModelBodySchema.parse(body);
  return { ...parsed, checksum: checksumOf(parsed) };
}

/** Serialises a model (canonical JSON, so equal models give equal bytes). */
export function serialiseModel(model: PredictModel): string {
  return canonicalJson(model);
}

/**
 * Loads a model from JSON text or a parsed value. Refuses (BadInputError) anything that is not
 * valid JSON, a different kind or version, or fails the schema; refuses (IntegrityError) a
 * checksum mismatch; and checks that every series' state restores.
 */
export function loadModel(input: string | unknown): PredictModel {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new BadInputError(`predict model: not JSON (${(err as Error).message})`);
    }
  }
  const head = z.object({ kind: z.unknown(), version: z.unknown() }).passthrough().safeParse(raw);
  if (!head.success) throw new BadInputError('predict model: not an object');
  if (head.data.kind !== PREDICT_MODEL_KIND) throw new BadInputError(`predict model: kind ${JSON.stringify(head.data.kind)} is not ${PREDICT_MODEL_KIND}`);
  if (head.data.version !== PREDICT_MODEL_VERSION) {
    throw new BadInputError(`predict model: version ${JSON.stringify(head.data.version)} is not supported (expected ${PREDICT_MODEL_VERSION})`);
  }
  const r = predictModelSchema.safeParse(raw);
  if (!r.success) throw new BadInputError(`invalid predict model: ${formatZodError(r.error)}`);
  const { checksum, ...body } = r.data;
  if (checksumOf(body) !== checksum) throw new IntegrityError('predict model: checksum mismatch (corrupted or edited artefact)');
  for (const [name, s] of Object.entries(r.data.series)) {
    try {
      SeriesScorer.restore(s.scorer, s.state);
    } catch (err) {
      throw new BadInputError(`predict model: series ${name}: state does not restore (${(err as Error).message})`);
    }
  }
  return r.data;
}
