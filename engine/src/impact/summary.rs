//! The sums of an impact: weighted tallies overall and per group, weighted quantiles
//! and a histogram of the changes of the amount — all in exact integers.

use std::collections::BTreeMap;

use super::Pair;

/// Weighted tallies: every count is a sum of weights in millionths (an unweighted
/// household weighs 1 = 1,000,000), every cost a sum of 0.0001 元 × weight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Households.
    pub households: i128,
    /// Eligible under the old version.
    pub eligible_before: i128,
    /// Eligible under the new version.
    pub eligible_after: i128,
    /// Eligible under the new version only.
    pub gain: i128,
    /// Eligible under the old version only.
    pub lose: i128,
    /// Households whose amount grew.
    pub amount_up: i128,
    /// Households whose amount shrank.
    pub amount_down: i128,
    /// Households that failed under either version (not in any other tally).
    pub errors: i128,
    /// The old amounts' sum (0.0001 元 × millionths).
    pub cost_before: i128,
    /// The new amounts' sum (0.0001 元 × millionths).
    pub cost_after: i128,
}

/// Tallies, quantiles and histogram of an impact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Every household.
    pub all: Tally,
    /// Per group code (an enumeration variant's index).
    pub groups: BTreeMap<u32, Tally>,
    /// Weighted quantiles (`min`, `p10`, `p25`, `median`, `p75`, `p90`, `max`) of the
    /// change of the amount (0.0001 元) among households whose amount changed.
    pub quantiles: Vec<(&'static str, i64)>,
    /// Ten equal bins from the smallest to the largest change: (low, high, weight).
    pub histogram: Vec<(i64, i64, i128)>,
    /// Whether households were weighted.
    pub weighted: bool,
}

/// One, in millionths.
pub(crate) const ONE: i64 = 1_000_000;

pub(crate) fn summarize(
    pairs: &[Pair],
    weights: Option<&[i64]>,
    groups: Option<&[u32]>,
) -> Summary {
    let mut all = Tally::default();
    let mut by: BTreeMap<u32, Tally> = BTreeMap::new();
    let mut changes: Vec<(i64, i64)> = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        let w = weights.and_then(|w| w.get(i).copied()).unwrap_or(ONE);
        add(&mut all, p, w);
        if let Some(g) = groups.and_then(|g| g.get(i).copied()) {
            add(by.entry(g).or_default(), p, w);
        }
        if let (Some((_, a0)), Some((_, a1))) = p
            && a0 != a1
        {
            changes.push((a1.saturating_sub(*a0), w));
        }
    }
    changes.sort_unstable();
    Summary {
        all,
        groups: by,
        quantiles: weighted_quantiles(&changes),
        histogram: histogram(&changes),
        weighted: weights.is_some(),
    }
}

fn add(t: &mut Tally, p: &Pair, w: i64) {
    let w = i128::from(w);
    t.households += w;
    match p {
        (Some((d0, a0)), Some((d1, a1))) => {
            let (d0, d1, a0, a1) = (*d0, *d1, *a0, *a1);
            t.eligible_before += w * i128::from(d0);
            t.eligible_after += w * i128::from(d1);
            t.gain += w * i128::from(!d0 && d1);
            t.lose += w * i128::from(d0 && !d1);
            t.amount_up += w * i128::from(a1 > a0);
            t.amount_down += w * i128::from(a1 < a0);
            t.cost_before += w * i128::from(a0);
            t.cost_after += w * i128::from(a1);
        }
        _ => t.errors += w,
    }
}

/// The value at which the running weight first reaches q% of the total (the lower
/// weighted quantile); `min` and `max` are the extremes.
pub(crate) fn weighted_quantiles(sorted: &[(i64, i64)]) -> Vec<(&'static str, i64)> {
    let total: i128 = sorted.iter().map(|(_, w)| i128::from(*w)).sum();
    if total == 0 {
        return Vec::new();
    }
    let at = |q: i128| {
        let target = (total * q / 100).max(1);
        let mut run = 0i128;
        for (v, w) in sorted {
            run += i128::from(*w);
            if run >= target {
                return *v;
            }
        }
        sorted.last().map_or(0, |x| x.0)
    };
    [
        ("min", 0),
        ("p10", 10),
        ("p25", 25),
        ("median", 50),
        ("p75", 75),
        ("p90", 90),
        ("max", 100),
    ]
    .into_iter()
    .map(|(n, q)| {
        let v = match q {
            0 => sorted.first().map_or(0, |x| x.0),
            100 => sorted.last().map_or(0, |x| x.0),
            q => at(q),
        };
        (n, v)
    })
    .collect()
}

/// Ten equal bins from the smallest to the largest change: (low, high, weight); the
/// last bin holds the largest.
pub(crate) fn histogram(sorted: &[(i64, i64)]) -> Vec<(i64, i64, i128)> {
    let (Some(lo), Some(hi)) = (sorted.first().map(|x| x.0), sorted.last().map(|x| x.0)) else {
        return Vec::new();
    };
    let span = i128::from(hi) - i128::from(lo);
    let width = (span / 10).max(1);
    let clamp = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
    let mut bins: Vec<(i64, i64, i128)> = (0..10)
        .map(|k| {
            let a = i128::from(lo) + width * k;
            let b = if k == 9 { i128::from(hi) } else { a + width };
            (clamp(a), clamp(b), 0)
        })
        .collect();
    for (v, w) in sorted {
        let k =
            usize::try_from(((i128::from(*v) - i128::from(lo)) / width).clamp(0, 9)).unwrap_or(9);
        if let Some(bin) = bins.get_mut(k) {
            bin.2 += i128::from(*w);
        }
    }
    bins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_the_weights() {
        // 1 weighs 1, 5 weighs 8, 9 weighs 1: every middle quantile is 5.
        let sorted = [(1, ONE), (5, 8 * ONE), (9, ONE)];
        let q = weighted_quantiles(&sorted);
        assert_eq!(q[0], ("min", 1));
        assert_eq!(q[1], ("p10", 1));
        assert_eq!(q[3], ("median", 5));
        assert_eq!(q[5], ("p90", 5));
        assert_eq!(q[6], ("max", 9));
        assert!(weighted_quantiles(&[]).is_empty());
    }

    #[test]
    fn the_histogram_keeps_every_weight() {
        let sorted = [(-100, ONE), (0, 2 * ONE), (100, 3 * ONE)];
        let h = histogram(&sorted);
        assert_eq!(h.len(), 10);
        assert_eq!(h[0], (-100, -80, i128::from(ONE)));
        assert_eq!(h[5].2, i128::from(2 * ONE));
        assert_eq!(h[9], (80, 100, i128::from(3 * ONE)));
        assert_eq!(h.iter().map(|b| b.2).sum::<i128>(), i128::from(6 * ONE));
    }
}
