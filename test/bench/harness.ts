// Benchmark harness types and helpers. Each `test/bench/*.bench.ts` default-exports a function returning
// BenchResult rows; every row compares the project's code with a baseline measured in the same run, so the
// ratio (not the absolute figure, which is noise on a shared machine) is what the report is about.

export interface BenchResult {
  /** e.g. `image-resize: ms per image` */
  name: string;
  /** Unit of `project` and `baseline`, e.g. `ms/image`, `records/s`, `bytes`. */
  unit: string;
  project: number;
  baseline: number;
  /** What the baseline is, in a few words. */
  baselineLabel: string;
  /** true when a bigger figure is better (throughput); false for times and sizes. */
  higherIsBetter: boolean;
  /** Target ratio in the "better" direction (speed-up ≥ target, or share of floor ≥ target). */
  target?: { ratio: number; description: string };
  notes?: string;
}

export type Benchmark = () => Promise<BenchResult[]>;

/** Ratio in the "better" direction: >1 means the project beats the baseline. */
export function advantage(r: Pick<BenchResult, 'project' | 'baseline' | 'higherIsBetter'>): number {
  return r.higherIsBetter ? r.project / r.baseline : r.baseline / r.project;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times `a` and `b` alternately (A B A B ...) after a warm-up, so drift in machine speed hits both alike.
 * Returns the median milliseconds of each.
 */
export async function timeAlternating(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  rounds = 5,
): Promise<{ a: number; b: number }> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    await a();
    ta.push(performance.now() - t);
    t = performance.now();
    await b();
    tb.push(performance.now() - t);
  }
  return { a: median(ta), b: median(tb) };
}
