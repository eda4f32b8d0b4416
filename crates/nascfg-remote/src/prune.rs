//! Which bundles `prune` keeps: restic's `forget` policy, per host.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::name::{BundleName, CLOCK_SKEW};

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
    /// empty means it is deleted, unless it is `future`.
    pub reasons: Vec<&'static str>,
    /// Its name is dated more than [`CLOCK_SKEW`] after now: junk we did not
    /// make. It took no rule's place, and it is left where it is (not deleted):
    /// report it.
    pub future: bool,
}

impl Decision {
    /// Whether the bundle stays: a rule keeps it, or it is `future` (ignored).
    pub fn keep(&self) -> bool {
        self.future || !self.reasons.is_empty()
    }
}

/// Applies `policy` to `bundles`, each host on its own (a shared prefix of
/// several boxes never loses one box's bundles to another's newer ones), now.
/// Returns every bundle, newest first, with its decision. See [`plan_at`].
pub fn plan(bundles: &[BundleName], policy: Policy) -> Vec<Decision> {
    plan_at(bundles, policy, OffsetDateTime::now_utc())
}

/// [`plan`] as of `now`: a bundle dated more than [`CLOCK_SKEW`] after `now` is
/// left out of the policy (it is never a host's newest and takes no rule's
/// place) and decided `future`: neither kept by a rule nor deleted.
pub fn plan_at(bundles: &[BundleName], policy: Policy, now: OffsetDateTime) -> Vec<Decision> {
    let mut by_host: BTreeMap<&str, Vec<&BundleName>> = BTreeMap::new();
    let mut out = Vec::new();
    for b in bundles {
        if b.is_future(now, CLOCK_SKEW) {
            out.push(Decision {
                bundle: b.clone(),
                reasons: Vec::new(),
                future: true,
            });
        } else {
            by_host.entry(b.host()).or_default().push(b);
        }
    }
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
                future: false,
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

#[cfg(test)]
mod tests {
    //! `plan` against a straightforward model of restic's policy, written
    //! from its definition rather than as `plan`'s single pass: per host,
    //! group the bundles by period, take the newest of each of the N most
    //! recent periods; the N newest for `last`; the newest always.

    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;
    use time::OffsetDateTime;

    use super::*;

    type Key = (OffsetDateTime, u32, String);

    /// A `now` after every generated bundle.
    const LATER: OffsetDateTime = time::macros::datetime!(2100-01-01 00:00 UTC);

    fn key(b: &BundleName) -> Key {
        (b.created(), b.sequence(), b.name().to_owned())
    }

    /// The period of `t` for a rule, ordered in time.
    fn period(rule: &str, t: OffsetDateTime) -> (i32, u16) {
        match rule {
            "daily" => (t.year(), t.ordinal()),
            "weekly" => {
                let (year, week, _) = t.to_iso_week_date();
                (year, u16::from(week))
            }
            "monthly" => (t.year(), u16::from(u8::from(t.month()))),
            other => unreachable!("no period for {other}"),
        }
    }

    fn model(bundles: &[BundleName], p: Policy) -> BTreeMap<String, BTreeSet<&'static str>> {
        let mut out: BTreeMap<String, BTreeSet<&'static str>> = bundles
            .iter()
            .map(|b| (b.name().to_owned(), BTreeSet::new()))
            .collect();
        let hosts: BTreeSet<&str> = bundles.iter().map(BundleName::host).collect();
        for host in hosts {
            let mut mine: Vec<&BundleName> = bundles.iter().filter(|b| b.host() == host).collect();
            mine.sort_by_key(|b| std::cmp::Reverse(key(b)));
            let mut mark = |b: &BundleName, rule| {
                out.get_mut(b.name()).expect("every name").insert(rule);
            };
            mark(mine[0], "newest");
            for b in mine.iter().take(p.last as usize) {
                mark(b, "last");
            }
            for (rule, n) in [
                ("daily", p.daily),
                ("weekly", p.weekly),
                ("monthly", p.monthly),
            ] {
                let mut newest_of: BTreeMap<(i32, u16), &BundleName> = BTreeMap::new();
                for b in &mine {
                    let slot = newest_of.entry(period(rule, b.created())).or_insert(b);
                    if key(b) > key(slot) {
                        *slot = b;
                    }
                }
                for b in newest_of.values().rev().take(n as usize) {
                    mark(b, rule);
                }
            }
        }
        out
    }

    /// Bundles of up to three hosts at random times: dense (a few weeks, several a day)
    /// or sparse (over two years, across year and ISO-week-year boundaries).
    fn bundles() -> impl Strategy<Value = Vec<BundleName>> {
        let one = (
            0usize..3,
            prop_oneof![0i64..20, 0i64..800],
            0i64..86_400,
            0u32..3,
            any::<bool>(),
        );
        proptest::collection::vec(one, 1..60).prop_map(|items| {
            let start = time::macros::datetime!(2024-12-20 00:00 UTC);
            let mut names = BTreeSet::new();
            for (host, day, second, sequence, encrypted) in items {
                let t = start + time::Duration::seconds(day * 86_400 + second);
                let stamp = t
                    .format(time::macros::format_description!(
                        "[year][month][day]T[hour][minute][second]Z"
                    ))
                    .expect("a date-time has every part the format names");
                let sequence = match sequence {
                    0 => String::new(),
                    n => format!("-{n}"),
                };
                let age = if encrypted { ".age" } else { "" };
                let host = ["nas1", "nas-2", "box.lan"][host];
                names.insert(format!("nascfg-{host}-{stamp}{sequence}.tar.gz{age}"));
            }
            names
                .iter()
                .map(|n| BundleName::parse(n).expect("a generated name parses"))
                .collect()
        })
    }

    fn policy() -> impl Strategy<Value = Policy> {
        (0u32..6, 0u32..6, 0u32..6, 0u32..6).prop_map(|(last, daily, weekly, monthly)| Policy {
            last,
            daily,
            weekly,
            monthly,
        })
    }

    proptest! {
        #[test]
        fn plan_follows_the_policy(bundles in bundles(), policy in policy()) {
            let decisions = plan_at(&bundles, policy, LATER);
            // Every bundle once, newest first.
            prop_assert_eq!(decisions.len(), bundles.len());
            for pair in decisions.windows(2) {
                prop_assert!(key(&pair[0].bundle) > key(&pair[1].bundle));
            }
            let got: BTreeMap<String, BTreeSet<&'static str>> = decisions
                .iter()
                .map(|d| (d.bundle.name().to_owned(), d.reasons.iter().copied().collect()))
                .collect();
            let expected = model(&bundles, policy);
            prop_assert_eq!(&got, &expected);
            // Never a host's newest; per rule and host, at most N kept, in distinct periods.
            let hosts: BTreeSet<&str> = bundles.iter().map(BundleName::host).collect();
            for host in hosts {
                let mine: Vec<&Decision> =
                    decisions.iter().filter(|d| d.bundle.host() == host).collect();
                prop_assert!(mine[0].keep());
                for (rule, n) in [("daily", policy.daily), ("weekly", policy.weekly), ("monthly", policy.monthly)] {
                    let periods: Vec<(i32, u16)> = mine
                        .iter()
                        .filter(|d| d.reasons.contains(&rule))
                        .map(|d| period(rule, d.bundle.created()))
                        .collect();
                    let distinct: BTreeSet<_> = periods.iter().collect();
                    prop_assert!(periods.len() <= n as usize);
                    prop_assert_eq!(distinct.len(), periods.len());
                }
                let last = mine.iter().filter(|d| d.reasons.contains(&"last")).count();
                prop_assert_eq!(last, mine.len().min(policy.last as usize));
            }
        }
    }

    proptest! {
        #[test]
        fn future_names_change_nothing(bundles in bundles(), policy in policy(), cut in 0usize..60) {
            // `now` somewhere among the bundles: those dated beyond the skew are junk.
            let mut times: Vec<OffsetDateTime> = bundles.iter().map(BundleName::created).collect();
            times.sort();
            let now = times[cut.min(times.len() - 1)];
            let (future, real): (Vec<BundleName>, Vec<BundleName>) =
                bundles.iter().cloned().partition(|b| b.is_future(now, CLOCK_SKEW));
            let all = plan_at(&bundles, policy, now);
            let alone = plan_at(&real, policy, now);
            let real_part: Vec<&Decision> = all.iter().filter(|d| !d.future).collect();
            prop_assert_eq!(real_part, alone.iter().collect::<Vec<_>>());
            for d in all.iter().filter(|d| d.future) {
                prop_assert!(future.contains(&d.bundle));
                prop_assert!(d.reasons.is_empty() && d.keep());
            }
            prop_assert_eq!(all.iter().filter(|d| d.future).count(), future.len());
        }
    }

    fn names(names: &[&str]) -> Vec<BundleName> {
        names
            .iter()
            .map(|n| BundleName::parse(n).expect("a bundle name"))
            .collect()
    }

    #[test]
    fn a_planted_future_name_keeps_no_real_bundle_out() {
        // The security review's reproduction: a 2099 name made `--keep-last 1` delete every real bundle.
        let now = time::macros::datetime!(2026-12-06 12:00 UTC);
        let bundles = names(&[
            "nascfg-h1-20261204T010000Z.tar.gz",
            "nascfg-h1-20261205T010000Z.tar.gz",
            "nascfg-h1-20261206T010000Z.tar.gz",
            "nascfg-h1-20991231T235959Z.tar.gz",
            "nascfg-h1-20261206T125959Z.tar.gz",
        ]);
        let decisions = plan_at(
            &bundles,
            Policy {
                last: 1,
                ..Policy::default()
            },
            now,
        );
        let got: Vec<(&str, Vec<&str>, bool)> = decisions
            .iter()
            .map(|d| (d.bundle.name(), d.reasons.clone(), d.future))
            .collect();
        assert_eq!(
            got,
            vec![
                ("nascfg-h1-20991231T235959Z.tar.gz", vec![], true),
                (
                    "nascfg-h1-20261206T125959Z.tar.gz",
                    vec!["newest", "last"],
                    false
                ),
                ("nascfg-h1-20261206T010000Z.tar.gz", vec![], false),
                ("nascfg-h1-20261205T010000Z.tar.gz", vec![], false),
                ("nascfg-h1-20261204T010000Z.tar.gz", vec![], false),
            ]
        );
        assert!(decisions[0].keep(), "a future name is never deleted");
    }
}
