/** Settings, persisted state and forecast of the time-to-limit forecaster (trend.ts). */
import { z } from 'zod';
import { seasonalGrowthStateSchema } from './seasonal-growth';

export const trendConfigSchema = z
  .object({
    /** The value that must not be crossed (e.g. 0.95 for a disk 95 % full). */
    limit: z.number().finite(),
    /** 'up': trouble when the series rises to the limit; 'down': when it falls to it. */
    direction: z.enum(['up', 'down']).default('up'),
    /** Warn this long before the crossing. */
    leadTimeMs: z
      .number()
      .positive()
      .default(4 * 3600_000),
    windowPoints: z.number().int().min(3).default(120),
    minPoints: z.number().int().min(3).default(10),
    clip: z.number().positive().default(4),
    horizonSpans: z.number().positive().default(8),
    /**
     * A run of this many consecutive samples beyond the clip band, on the same side, is a level
     * shift rather than noise: towards the limit (a dataset lands) the window's history moves by
     * the shift, keeping the slope; away from it (a cleanup) the window restarts after the shift.
     * 0: no shift handling (every sample is only winsorised).
     */
    shiftPoints: z.union([z.literal(0), z.number().int().min(2)]).default(0),
    /** The period of a second, seasonal forecast (seasonal-growth.ts); the risk is the higher of the two. 0: none. */
    seasonMs: z.number().nonnegative().default(0),
    seasonBins: z.number().int().min(2).max(1440).default(48),
    /** Period-over-period differences remembered by the growth estimate. */
    seasonMemory: z.number().int().min(2).default(144),
    /** Name of the quantity in messages. */
    label: z.string().default('value'),
  })
  .strict();
export type TrendConfig = z.infer<typeof trendConfigSchema>;
export type TrendConfigInput = z.input<typeof trendConfigSchema>;

/** What a site's limits run with (site-config.ts) and `predict forecast-eval` measures; off in the bare schema. */
export const LIMIT_FORECAST_SETTINGS = { shiftPoints: 6, seasonMs: 86_400_000 } as const satisfies Partial<TrendConfigInput>;

export const trendStateSchema = z
  .object({
    times: z.array(z.number()),
    values: z.array(z.number()),
    /** Samples in the window's history (seen in total, unless a level shift away from the limit restarted it). */
    count: z.number().int().nonnegative(),
    lastScore: z.number(),
    lastT: z.number().nullable(),
    /** Running sums (times in hours from `ref`), kept exactly so a restored forecaster continues bit for bit. */
    sums: z
      .object({
        ref: z.number().nullable(),
        st: z.number(),
        sv: z.number(),
        stt: z.number(),
        stv: z.number(),
        svv: z.number(),
        sinceRebase: z.number().int().nonnegative(),
      })
      .strict(),
    /** The current run of samples beyond the clip band (shift handling). */
    run: z
      .object({ side: z.number().int().min(-1).max(1), times: z.array(z.number()), values: z.array(z.number()), residuals: z.array(z.number()) })
      .strict()
      .optional(),
    season: seasonalGrowthStateSchema.optional(),
  })
  .strict();
export type TrendState = z.infer<typeof trendStateSchema>;

export interface Forecast {
  /** Time until the limit is crossed from the last sample: 0 when already crossed, Infinity when not heading there. */
  readonly etaMs: number;
  readonly confidence: number;
  /** Risk in [0, 1] (the value `update` returned). */
  readonly risk: number;
  /** Fitted value at the last sample's time. */
  readonly level: number;
  /** Fitted slope, per hour. */
  readonly slopePerHour: number;
  /** Fitted value one lead time ahead. */
  readonly forecast: number;
}
