/**
 * Time-to-limit forecaster ("disk full in 4 h").
 *
 * A least-squares line over the last `windowPoints` samples (running sums over a ring buffer,
 * O(1) per sample), made robust by winsorising each new sample against the current fit
 * (prediction ± clip * residual scale) before it enters the window, so isolated spikes do not
 * tilt the trend. The line is extrapolated to `limit`:
 *
 *   eta = (limit - level_now) / slope        (when moving towards the limit; 0 once crossed)
 *   confidence = fill * significance * horizon, where
 *     fill = min(1, points / windowPoints)
 *     significance = 1 - exp(-max(0, |t| - 2) / 4), t = slope / stderr(slope)
 *     horizon = min(1, horizonSpans * windowSpan / eta)   (far extrapolations are doubted)
 *   risk = confidence * urgency, urgency = 1 / (1 + (eta / (1.25 * leadTime))^4)
 *
 * urgency is 0.71 when eta equals the lead time and 0.5 at 1.25 x the lead time, so a clear
 * trend (confidence > 0.7) crosses the warning level (0.5) before eta falls below the lead time.
 *
 * Level shifts (`shiftPoints` samples in a row beyond the band on one side): towards the limit
 * the history moves with the shift, away from it the window restarts; samples staying beyond the
 * band on the safe side void the line's confidence. A seasonal forecast (seasonal-growth.ts) sees
 * a daily cycle; the risk is the higher of the two. Measured by `lepton-dr predict forecast-eval`.
 */
import type { Explanation, StreamingDetector } from './detector';
import { fmt, fmtDuration } from './detector';
import type { Sample } from '../series';
import { SeasonalGrowth } from './seasonal-growth';
import { trendConfigSchema, trendStateSchema } from './trend-config';
import type { Forecast, TrendConfig, TrendConfigInput, TrendState } from './trend-config';

const NO_FORECAST: Forecast = { etaMs: Infinity, confidence: 0, risk: 0, level: NaN, slopePerHour: 0, forecast: NaN };

export class TimeToLimitForecaster implements StreamingDetector<TrendState> {
  readonly kind = 'trend';
  readonly config: TrendConfig;
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private count = 0;
  private head = 0;
  private lastT = NaN;
  private lastScore = 0;
  /** The last sample's forecast, as fields: a Forecast object is made only when one is asked for (forecast()). */
  private readonly cur: { -readonly [K in keyof Forecast]: Forecast[K] } = { ...NO_FORECAST };
  private last: Forecast | null = NO_FORECAST;
  // running sums over the window, times relative to `ref` in hours
  private ref = NaN;
  private st = 0;
  private sv = 0;
  private stt = 0;
  private stv = 0;
  private svv = 0;
  private sinceRebase = 0;
  private readonly f = { a: 0, b: 0, sd: 0, sxx: 0, n: 0 };
  private readonly season: SeasonalGrowth | null;
  // the current run of samples beyond the clip band: side, and their times, unclipped values and residuals
  private run: { side: number; times: number[]; values: number[]; residuals: number[] } = { side: 0, times: [], values: [], residuals: [] };

  constructor(config: TrendConfigInput) {
    this.config = trendConfigSchema.parse(config);
    this.times = new Float64Array(this.config.windowPoints);
    this.values = new Float64Array(this.config.windowPoints);
    const c = this.config;
    this.season = c.seasonMs ? new SeasonalGrowth(c.seasonMs, c.seasonBins, c.seasonMemory) : null;
  }

  private rebase(): void {
    const w = this.config.windowPoints;
    const n = Math.min(this.count, w);
    this.ref = n ? this.times[(this.head - n + w) % w]! : NaN;
    this.st = this.sv = this.stt = this.stv = this.svv = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.head - n + k + w) % w;
      const t = (this.times[i]! - this.ref) / 3600_000;
      const v = this.values[i]!;
      this.st += t;
      this.sv += v;
      this.stt += t * t;
      this.stv += t * v;
      this.svv += v * v;
    }
    this.sinceRebase = 0;
  }

  /**
   * Least-squares fit of the window into `this.f` (intercept at `ref`, slope per hour, residual
   * std, sxx); false when the window cannot be fitted. One reused object: this runs twice per
   * sample and allocating it was a tenth of the scorer's time.
   */
  private fit(): boolean {
    const n = Math.min(this.count, this.config.windowPoints);
    if (n < 3) return false;
    const mt = this.st / n;
    const mv = this.sv / n;
    const sxx = this.stt - n * mt * mt;
    if (!(sxx > 0)) return false;
    const sxy = this.stv - n * mt * mv;
    const syy = this.svv - n * mv * mv;
    const f = this.f;
    f.b = sxy / sxx;
    f.a = mv - f.b * mt;
    f.sd = Math.sqrt(Math.max(0, syy - f.b * sxy) / Math.max(1, n - 2));
    f.sxx = sxx;
    f.n = n;
    return true;
  }

  update(sample: Sample): number {
    const { t } = sample;
    let v = sample.v;
    if (!Number.isFinite(v) || !Number.isFinite(t)) return this.lastScore;
    const cfg = this.config;
    const w = cfg.windowPoints;
    if (Number.isNaN(this.ref)) this.ref = t;
    this.season?.observe(t, v);
    // winsorise against the current fit
    if (this.count >= cfg.minPoints) {
      if (this.fit()) {
        const f = this.f;
        const pred = f.a + f.b * ((t - this.ref) / 3600_000);
        const band = cfg.clip * Math.max(f.sd, 1e-9 * (Math.abs(pred) + 1));
        const side = v > pred + band ? 1 : v < pred - band ? -1 : 0;
        if (cfg.shiftPoints > 0 && this.trackRun(side, t, v, v - pred, cfg.shiftPoints)) {
          this.afterShift(t);
          return this.lastScore;
        }
        if (side > 0) v = pred + band;
        else if (side < 0) v = pred - band;
      }
    }
    // slide the window
    if (this.count >= w) {
      const ot = (this.times[this.head]! - this.ref) / 3600_000;
      const ov = this.values[this.head]!;
      this.st -= ot;
      this.sv -= ov;
      this.stt -= ot * ot;
      this.stv -= ot * ov;
      this.svv -= ov * ov;
    }
    this.times[this.head] = t;
    this.values[this.head] = v;
    this.head = (this.head + 1) % w;
    this.count++;
    const th = (t - this.ref) / 3600_000;
    this.st += th;
    this.sv += v;
    this.stt += th * th;
    this.stv += th * v;
    this.svv += v * v;
    if (++this.sinceRebase >= w) this.rebase();
    this.lastT = t;
    this.lastScore = this.compute(t);
    return this.lastScore;
  }

  /** Extends (or restarts) the run of out-of-band samples; true when it has become a level shift. */
  private trackRun(side: number, t: number, v: number, residual: number, shiftPoints: number): boolean {
    if (side === 0 && this.run.side === 0) return false;
    const run = this.run;
    if (side !== run.side) {
      // in place: a run starts and ends on most noisy samples near the band
      run.side = side;
      run.times.length = run.values.length = run.residuals.length = 0;
    }
    if (side === 0) return false;
    this.run.times.push(t);
    this.run.values.push(v);
    this.run.residuals.push(residual);
    return this.run.times.length >= shiftPoints;
  }

  /**
   * A level shift ends at t: towards the limit the history moves by the run's median residual
   * (the run enters unclipped); away from it the window keeps only the run.
   */
  private afterShift(t: number): void {
    const run = this.run;
    this.run = { side: 0, times: [], values: [], residuals: [] };
    const w = this.config.windowPoints;
    const n = Math.min(this.count, w);
    const inWindow = run.times.length - 1; // the run's earlier samples, already in the window (clipped)
    const keptTimes: number[] = [];
    const keptValues: number[] = [];
    const towards = (this.config.direction === 'up' ? 1 : -1) * run.side > 0;
    const sorted = [...run.residuals].sort((a, b) => a - b);
    const offset = sorted[Math.floor(sorted.length / 2)]!;
    if (towards) {
      this.season?.shift(offset);
      for (let k = 0; k < n - inWindow; k++) {
        const i = (this.head - n + k + w) % w;
        keptTimes.push(this.times[i]!);
        keptValues.push(this.values[i]! + offset);
      }
    }
    keptTimes.push(...run.times);
    keptValues.push(...run.values);
    const start = Math.max(0, keptTimes.length - w);
    for (let k = start; k < keptTimes.length; k++) {
      this.times[(k - start) % w] = keptTimes[k]!;
      this.values[(k - start) % w] = keptValues[k]!;
    }
    this.count = keptTimes.length - start;
    this.head = this.count % w;
    this.rebase();
    this.lastT = t;
    this.lastScore = this.compute(t);
  }

  /** Sets the forecast at `now` (`this.cur`) and returns its risk. */
  private compute(now: number): number {
    const cfg = this.config;
    if (this.count < cfg.minPoints || !this.fit()) {
      this.last = NO_FORECAST;
      Object.assign(this.cur, NO_FORECAST);
      return 0;
    }
    const f = this.f;
    const th = (now - this.ref) / 3600_000;
    const level = f.a + f.b * th;
    const sign = cfg.direction === 'up' ? 1 : -1;
    const gap = sign * (cfg.limit - level);
    const towards = sign * f.b;
    const leadH = cfg.leadTimeMs / 3600_000;
    const forecast = level + f.b * leadH;
    const se = f.sd / Math.sqrt(f.sxx);
    const tStat = se > 0 ? Math.abs(f.b) / se : f.b !== 0 ? Infinity : 0;
    const significance = 1 - Math.exp(-Math.max(0, tStat - 2) / 4);
    const fill = Math.min(1, f.n / cfg.windowPoints);
    let etaMs: number;
    if (gap <= 0) etaMs = 0;
    else if (towards > 0) etaMs = (gap / towards) * 3600_000;
    else etaMs = Infinity;
    const w = cfg.windowPoints;
    const oldest = this.times[(this.head - f.n + w) % w]!;
    const span = Math.max(0, now - oldest);
    const horizon = etaMs === 0 ? 1 : Number.isFinite(etaMs) ? Math.min(1, (cfg.horizonSpans * span) / etaMs) : 0;
    // samples staying beyond the band on the safe side (a cleanup under way) contradict the fitted trend
    const receding = this.run.side * sign < 0 && this.run.times.length >= 2;
    let confidence = gap <= 0 ? fill : receding ? 0 : fill * significance * horizon;
    let risk = Math.min(1, Math.max(0, confidence * this.urgency(etaMs)));
    if (this.season && gap > 0) {
      // the seasonal risk (confidence x urgency) cannot exceed its confidence: scan for the crossing only when that could win
      const seasonConfidence = this.season.confidence(sign);
      if (seasonConfidence > 0 && seasonConfidence > risk) {
        const seasonEta = this.season.etaMs(now, cfg.limit, sign, 4 * cfg.leadTimeMs);
        const seasonalRisk = seasonConfidence * this.urgency(seasonEta);
        if (seasonalRisk > risk) {
          risk = Math.min(1, seasonalRisk);
          etaMs = seasonEta;
          confidence = seasonConfidence;
        }
      }
    }
    const c = this.cur;
    c.etaMs = etaMs;
    c.confidence = confidence;
    c.risk = risk;
    c.level = level;
    c.slopePerHour = f.b;
    c.forecast = forecast;
    this.last = null;
    return risk;
  }

  private urgency(eta: number): number {
    return Number.isFinite(eta) ? 1 / (1 + (eta / (1.25 * this.config.leadTimeMs)) ** 4) : 0;
  }

  /** The forecast made at the last sample. */
  forecast(): Forecast {
    return (this.last ??= { ...this.cur });
  }

  explain(): Explanation | null {
    const f = this.cur;
    if (!(f.risk > 0)) return null;
    const cfg = this.config;
    const base = {
      detector: this.kind,
      feature: 'time-to-limit',
      score: f.risk,
      observed: f.level,
      expected: cfg.limit,
      forecast: f.forecast,
      etaMs: f.etaMs,
    };
    if (f.etaMs === 0) return { ...base, message: `${cfg.label} ${fmt(f.level)} has crossed the limit ${fmt(cfg.limit)}` };
    return {
      ...base,
      message: `${cfg.label} ${fmt(f.level)} ${f.slopePerHour >= 0 ? 'rising' : 'falling'} ${fmt(Math.abs(f.slopePerHour))}/h: reaches the limit ${fmt(cfg.limit)} in ~${fmtDuration(f.etaMs)} (confidence ${fmt(f.confidence)})`,
    };
  }

  state(): TrendState {
    const w = this.config.windowPoints;
    const n = Math.min(this.count, w);
    const times: number[] = [];
    const values: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = (this.head - n + k + w) % w;
      times.push(this.times[i]!);
      values.push(this.values[i]!);
    }
    return {
      times,
      values,
      count: this.count,
      lastScore: this.lastScore,
      lastT: Number.isNaN(this.lastT) ? null : this.lastT,
      sums: {
        ref: Number.isNaN(this.ref) ? null : this.ref,
        st: this.st,
        sv: this.sv,
        stt: this.stt,
        stv: this.stv,
        svv: this.svv,
        sinceRebase: this.sinceRebase,
      },
      ...(this.run.side !== 0
        ? { run: { side: this.run.side, times: [...this.run.times], values: [...this.run.values], residuals: [...this.run.residuals] } }
        : {}),
      ...(this.season ? { season: this.season.state() } : {}),
    };
  }

  static restore(config: TrendConfigInput, state: unknown): TimeToLimitForecaster {
    const st = trendStateSchema.parse(state);
    const d = new TimeToLimitForecaster(config);
    const w = d.config.windowPoints;
    if (st.times.length !== st.values.length || st.times.length > w) throw new RangeError('trend state: window does not match the configuration');
    st.times.forEach((t, k) => {
      d.times[k % w] = t;
      d.values[k % w] = st.values[k]!;
    });
    d.head = st.times.length % w;
    d.count = Math.max(st.count, st.times.length);
    d.lastT = st.lastT ?? NaN;
    const m = st.sums;
    d.ref = m.ref ?? NaN;
    d.st = m.st;
    d.sv = m.sv;
    d.stt = m.stt;
    d.stv = m.stv;
    d.svv = m.svv;
    d.sinceRebase = m.sinceRebase;
    if (st.run) d.run = { side: st.run.side, times: [...st.run.times], values: [...st.run.values], residuals: [...st.run.residuals] };
    if (d.season && st.season) d.season.restore(st.season);
    if (st.lastT !== null) d.compute(st.lastT);
    d.lastScore = st.lastScore;
    return d;
  }
}
