//! Which bundles `prune` keeps: restic's `forget` policy, per host.

use std::collections::BTreeMap;

use crate::name::BundleName;

/// How many bundles to keep, as restic's `forget --keep-*`: the `last` newest,
/// and the newest bundle of each of the `daily` most recent days (UTC) that
/// have one, likewise `weekly` (ISO weeks) and `monthly`. A bundle kept by any
/// rule is kept. The newest bundle of each host is always kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Keep the N newest.
    pub last: u32,
    /// Keep the newest of each of the N most recent days that have bundles.
    pub daily: u32,
    /// Likewise for ISO weeks.
    pub weekly: u32,
    /// Likewise for calendar months.
    pub monthly: u32,
}

/// One bundle's fate and the rules that kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The bundle.
    pub bundle: BundleName,
    /// The rules that keep it (`last`, `daily`, `weekly`, `monthly`, `newest`);
    /// empty means it is deleted.
    pub reasons: Vec<&'static str>,
}

impl Decision {
    /// Whether the bundle is kept.
    pub fn keep(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// Applies `policy` to `bundles`, each host on its own (a shared prefix of
/// several boxes never loses one box's bundles to another's newer ones).
/// Returns every bundle, newest first, with its decision.
pub fn plan(bundles: &[BundleName], policy: Policy) -> Vec<Decision> {
    let mut by_host: BTreeMap<&str, Vec<&BundleName>> = BTreeMap::new();
    for b in bundles {
        by_host.entry(b.host()).or_default().push(b);
    }
    let mut out = Vec::new();
    for (_, mut list) in by_host {
        list.sort_by(|a, b| BundleName::newest_first(a, b));
        let mut rules: [(&'static str, u32, Option<i64>); 4] = [
            ("last", policy.last, None),
            ("daily", policy.daily, None),
            ("weekly", policy.weekly, None),
            ("monthly", policy.monthly, None),
        ];
        for (index, bundle) in list.iter().enumerate() {
            let mut reasons = Vec::new();
            if index == 0 {
                reasons.push("newest");
            }
            for (rule, left, last) in &mut rules {
                if *left == 0 {
                    continue;
                }
                let bucket = bucket(rule, bundle, index);
                if *last != Some(bucket) {
                    *last = Some(bucket);
                    *left -= 1;
                    reasons.push(*rule);
                }
            }
            out.push(Decision {
                bundle: (*bundle).clone(),
                reasons,
            });
        }
    }
    out.sort_by(|a, b| BundleName::newest_first(&a.bundle, &b.bundle));
    out
}

/// The period a bundle falls in for `rule` (for `last`, its own position).
fn bucket(rule: &str, bundle: &BundleName, index: usize) -> i64 {
    let t = bundle.created();
    match rule {
        "daily" => i64::from(t.year()) * 1000 + i64::from(t.ordinal()),
        "weekly" => {
            let (year, week, _) = t.to_iso_week_date();
            i64::from(year) * 100 + i64::from(week)
        }
        "monthly" => i64::from(t.year()) * 100 + i64::from(u8::from(t.month())),
        _ => i64::try_from(index).expect("fewer bundles than i64::MAX"),
    }
}
