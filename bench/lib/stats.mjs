// @ts-check
// Percentiles and formatting shared by the benchmarks.

/**
 * Returns the p50, p95, p99 and max of `samples`, in their unit.
 *
 * @param {number[]} samples
 */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (/** @type {number} */ q) =>
    sorted.length === 0
      ? NaN
      : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    count: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
  };
}

/** @param {number} value @param {number} digits */
export function fixed(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** Returns `value / floor` as "2.3x". @param {number} value @param {number} floor */
export function ratio(value, floor) {
  return floor > 0 && Number.isFinite(value)
    ? `${(value / floor).toFixed(1)}x`
    : "n/a";
}
