/**
 * Figures measured several times: min, median and max of the repeats, and ratios between two of
 * them taken run by run (repeat i of A over repeat i of B, measured next to each other) so that a
 * burst of load from elsewhere on a shared machine moves both sides of a ratio together.
 */

export interface Spread {
  min: number;
  median: number;
  max: number;
  /** Every repeat, in the order measured. */
  runs: number[];
}

/** Rounds to 3 significant digits, for readable JSON. */
export function round3(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(digits));
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread() of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    min: round3(sorted[0]!),
    median: round3(median),
    max: round3(sorted[sorted.length - 1]!),
    runs: values.map(round3),
  };
}

/** The spread of `numerator[i] / denominator[i]` over the repeats. */
export function ratioSpread(numerator: readonly number[], denominator: readonly number[]): Spread {
  if (numerator.length !== denominator.length) throw new Error('ratioSpread() of unpaired repeats');
  return spread(numerator.map((value, i) => value / denominator[i]!));
}

/** A figure of `unit` from the repeats. */
export function figure(values: readonly number[], unit: string): Spread & { unit: string } {
  return { ...spread(values), unit };
}

/** The ratio `of` / `to`, repeat by repeat, naming both sides. */
export function ratioOf(
  numerator: readonly number[],
  denominator: readonly number[],
  of: string,
  to: string,
): Spread & { of: string; to: string } {
  return { ...ratioSpread(numerator, denominator), of, to };
}

/** The `p`-th percentile (0–100) of `values`, nearest rank; rounded to 3 significant digits. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile() of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return round3(sorted[rank - 1]!);
}
