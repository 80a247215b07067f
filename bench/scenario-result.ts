/**
 * The shape every scenario's result takes in bench/results/<timestamp>.json, whatever produced it,
 * so that the floors check, the history line and the report read every scenario the same way.
 */
import type { FloorCheck, ScenarioError } from './check-floors.js';
import type { Spread } from './spread.js';

/** A measured figure: min/median/max over the repeats, with its unit (`records/s`, `ms`, `MiB`…). */
export interface Figure extends Spread {
  unit: string;
}

/**
 * A ratio against a baseline measured in the same run on the same data, repeat by repeat:
 * `of` / `to`. Above 1 the measured side is faster.
 */
export interface Ratio extends Spread {
  /** The figure measured (numerator). */
  of: string;
  /** The same-run baseline (denominator). */
  to: string;
}

export interface ScenarioResult {
  scenario: string;
  /** Throughputs, latencies, sizes: by name, e.g. `pipeline.documentsPerSecond`, `write.p95Ms`. */
  figures: Record<string, Figure>;
  ratios: Record<string, Ratio>;
  /**
   * Peak resident set (VmHWM / maxRSS) of each process measured, in MiB, by role
   * (`scenario` for the child that ran it, `worker-1`… for pipeline workers).
   */
  peakRssMiB: Record<string, number>;
  /**
   * CPU seconds (user + system, the process's own counters) per 100,000 records of each process
   * measured, by the same roles: far less sensitive to a shared machine's load than records/s.
   */
  cpuSecondsPer100k?: Record<string, number>;
  /**
   * The figures worth following over commits (bench/results/history.jsonl keeps these and every
   * ratio); by default the first eight throughputs (`…/s`).
   */
  headline?: string[];
  /** Wall time of the whole scenario, setup included. */
  seconds: number;
  /** Sizes and settings the figures came from. */
  setup?: Record<string, unknown>;
  /** Anything else the scenario reports, kept as it is. */
  details?: unknown;
}

/** One bench run: what bench/results/<timestamp>.json holds. */
export interface BenchRun {
  at: string;
  quick: boolean;
  machine: {
    hostname: string;
    os: string;
    cpu: string;
    cores: number;
    memoryGiB: number;
    freeMemoryGiB: number;
  };
  node: string;
  commit?: { id: string; dirty: boolean };
  /** The scenarios asked for, in order. */
  chosen: string[];
  scenarios: Record<string, ScenarioResult>;
  /** Scenarios that gave no result, and why. */
  errors: Record<string, ScenarioError>;
  /** Scenarios run a second time because a floor or ceiling failed in the first run. */
  confirmations?: Record<string, ScenarioResult>;
  floors: FloorCheck[];
}
