//! Latency percentiles (nearest-rank method) over a bounded sample.

/// p50/p90/p99/max of a sample, in the sample's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// Number of values.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest value.
    pub max: u64,
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of sorted values: the smallest value such
/// that at least p % of the sample is ≤ it. `None` for an empty sample.
pub fn nearest_rank(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )] // sample sizes are far below 2^52; the rank is clamped to the sample
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Sorts `values` and computes the percentiles.
pub fn percentiles(values: &mut [u64]) -> Percentiles {
    values.sort_unstable();
    Percentiles {
        count: values.len(),
        p50: nearest_rank(values, 50.0).unwrap_or(0),
        p90: nearest_rank(values, 90.0).unwrap_or(0),
        p99: nearest_rank(values, 99.0).unwrap_or(0),
        max: values.last().copied().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_of_one_to_hundred() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 50.0), Some(50));
        assert_eq!(nearest_rank(&v, 90.0), Some(90));
        assert_eq!(nearest_rank(&v, 99.0), Some(99));
        assert_eq!(nearest_rank(&v, 100.0), Some(100));
    }

    #[test]
    fn small_samples() {
        // Wikipedia's nearest-rank example: {15, 20, 35, 40, 50}: p30 = 20, p40 = 20, p50 = 35.
        let v = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&v, 30.0), Some(20));
        assert_eq!(nearest_rank(&v, 40.0), Some(20));
        assert_eq!(nearest_rank(&v, 50.0), Some(35));
        assert_eq!(nearest_rank(&v, 100.0), Some(50));
        assert_eq!(nearest_rank(&[7], 1.0), Some(7));
        assert_eq!(nearest_rank(&[], 50.0), None);
    }

    #[test]
    fn percentiles_sorts_first() {
        let mut v = vec![9, 1, 5, 3, 7, 2, 8, 4, 6, 10];
        let p = percentiles(&mut v);
        assert_eq!(
            p,
            Percentiles {
                count: 10,
                p50: 5,
                p90: 9,
                p99: 10,
                max: 10
            }
        );
        assert_eq!(percentiles(&mut []), Percentiles::default());
    }
}
