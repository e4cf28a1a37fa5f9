//! Group-relative shaping: advantages over the samples of one prompt (items sharing `group`).
//!
//! | mode | advantage of reward `r` in a group with rewards `r_1 … r_n` |
//! |---|---|
//! | `grpo` | `(r - mean) / (std + 1e-6)`, `std` the sample standard deviation (n − 1), as TRL and verl compute it |
//! | `drgrpo` | `r - mean` (Dr. GRPO: no division by the standard deviation) |
//! | `rloo` | `r - mean of the other n − 1 rewards` (leave-one-out) |
//!
//! Items whose reward is `null` (a timeout or error without fallback) take no part in their
//! group's statistics and get a `null` advantage. A group of one gets advantage 0 under `grpo`
//! and `drgrpo` and `null` under `rloo` (there is no other sample to compare with). Items with
//! no `group` are groups of one.

use std::str::FromStr;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{GradeResult, GroupSummary};

/// How to turn a group's rewards into advantages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvantageMode {
    /// Mean and standard deviation normalisation (GRPO).
    Grpo,
    /// Mean only (Dr. GRPO).
    Drgrpo,
    /// Leave-one-out baseline (RLOO).
    Rloo,
}

impl FromStr for AdvantageMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "grpo" => Ok(AdvantageMode::Grpo),
            "drgrpo" | "dr_grpo" | "dr-grpo" => Ok(AdvantageMode::Drgrpo),
            "rloo" => Ok(AdvantageMode::Rloo),
            other => Err(format!(
                "unknown advantage mode {other:?}: expected grpo, drgrpo or rloo"
            )),
        }
    }
}

/// The standard deviation floor of GRPO's normalisation.
pub const GRPO_EPSILON: f64 = 1e-6;

/// Statistics of one group, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GroupStats {
    /// Samples with a reward.
    pub scored: usize,
    /// Their mean reward.
    pub mean: f64,
    /// Their sample standard deviation (0 for fewer than two).
    pub std: f64,
}

impl GroupStats {
    /// Whether every scored sample got the same reward (a group that teaches nothing).
    pub fn zero_spread(&self) -> bool {
        self.scored >= 2 && self.std == 0.0
    }
}

/// Computes the advantages of one group's rewards, in place order.
pub fn advantages(rewards: &[Option<f64>], mode: AdvantageMode) -> (Vec<Option<f64>>, GroupStats) {
    let scored: Vec<f64> = rewards.iter().flatten().copied().collect();
    let n = scored.len();
    let sum: f64 = scored.iter().sum();
    let mean = if n == 0 { 0.0 } else { sum / n as f64 };
    let std = if n < 2 {
        0.0
    } else {
        (scored.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    };
    let stats = GroupStats {
        scored: n,
        mean,
        std,
    };
    let advantage = |r: f64| match mode {
        AdvantageMode::Grpo => Some((r - mean) / (std + GRPO_EPSILON)),
        AdvantageMode::Drgrpo => Some(r - mean),
        AdvantageMode::Rloo if n < 2 => None,
        AdvantageMode::Rloo => Some(r - (sum - r) / (n - 1) as f64),
    };
    let out = rewards.iter().map(|r| r.and_then(advantage)).collect();
    (out, stats)
}

/// Shapes a batch of results by group: `groups[i]` is the `group` of `results[i]` (`None`: a
/// group of one). With a `mode`, sets each result's `advantage`; either way returns every named
/// group's statistics, in order of first appearance.
pub fn shape<'a>(
    groups: &[Option<&'a str>],
    results: &mut [GradeResult],
    mode: Option<AdvantageMode>,
) -> Vec<(&'a str, GroupStats)> {
    let mut members: Vec<(&'a str, Vec<usize>)> = Vec::new();
    let mut slots: HashMap<&'a str, usize> = HashMap::new();
    for (i, group) in groups.iter().enumerate() {
        match group {
            Some(g) => {
                let slot = *slots.entry(g).or_insert_with(|| {
                    members.push((g, Vec::new()));
                    members.len() - 1
                });
                members[slot].1.push(i);
            }
            None => {
                if let Some(mode) = mode {
                    results[i].advantage = advantages(&[results[i].reward], mode).0[0];
                }
            }
        }
    }
    members
        .into_iter()
        .map(|(group, indices)| {
            let rewards: Vec<Option<f64>> = indices.iter().map(|&i| results[i].reward).collect();
            let (values, stats) = advantages(&rewards, mode.unwrap_or(AdvantageMode::Drgrpo));
            if mode.is_some() {
                for (i, a) in indices.into_iter().zip(values) {
                    results[i].advantage = a;
                }
            }
            (group, stats)
        })
        .collect()
}

/// Returns every named group's summary, in order of first appearance; with a `mode`, also sets
/// each result's advantage (see [`shape`]) and each grouped result's zero-spread flag.
pub fn shape_summaries(
    groups: &[Option<&str>],
    results: &mut [GradeResult],
    mode: Option<AdvantageMode>,
) -> Vec<GroupSummary> {
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for g in groups.iter().flatten() {
        *sizes.entry(g).or_default() += 1;
    }
    let stats = shape(groups, results, mode);
    if mode.is_some() {
        let spread: HashMap<&str, bool> =
            stats.iter().map(|(g, s)| (*g, s.zero_spread())).collect();
        for (result, group) in results.iter_mut().zip(groups) {
            result.zero_spread = group.map(|g| spread[g]);
        }
    }
    stats
        .into_iter()
        .map(|(group, s)| GroupSummary {
            group: group.to_string(),
            size: sizes[group],
            scored: s.scored,
            mean: s.mean,
            std: s.std,
            zero_spread: s.zero_spread(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[Option<f64>], b: &[Option<f64>]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => (x - y).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            })
    }

    type Case = (Vec<Option<f64>>, AdvantageMode, Vec<Option<f64>>);

    #[test]
    fn advantage_table() {
        let s2 = 2f64.sqrt() / 2.0; // sample std of [0, 1]
        let cases: Vec<Case> = vec![
            (
                vec![Some(1.0), Some(0.0)],
                AdvantageMode::Grpo,
                vec![
                    Some(0.5 / (s2 + GRPO_EPSILON)),
                    Some(-0.5 / (s2 + GRPO_EPSILON)),
                ],
            ),
            (
                vec![Some(1.0), Some(0.0)],
                AdvantageMode::Drgrpo,
                vec![Some(0.5), Some(-0.5)],
            ),
            (
                vec![Some(1.0), Some(0.0), Some(0.0)],
                AdvantageMode::Rloo,
                vec![Some(1.0), Some(-0.5), Some(-0.5)],
            ),
            (
                vec![Some(1.0), Some(1.0)],
                AdvantageMode::Grpo,
                vec![Some(0.0), Some(0.0)],
            ),
            (
                vec![Some(1.0), None, Some(0.0)],
                AdvantageMode::Drgrpo,
                vec![Some(0.5), None, Some(-0.5)],
            ),
            (vec![Some(3.0)], AdvantageMode::Grpo, vec![Some(0.0)]),
            (vec![Some(3.0)], AdvantageMode::Rloo, vec![None]),
            (vec![None, None], AdvantageMode::Grpo, vec![None, None]),
        ];
        for (rewards, mode, expected) in cases {
            let (got, _) = advantages(&rewards, mode);
            assert!(close(&got, &expected), "{rewards:?} {mode:?}: {got:?}");
        }
    }

    #[test]
    fn zero_spread_needs_two_equal_scored_samples() {
        assert!(advantages(&[Some(1.0), Some(1.0)], AdvantageMode::Grpo)
            .1
            .zero_spread());
        assert!(!advantages(&[Some(1.0)], AdvantageMode::Grpo)
            .1
            .zero_spread());
        assert!(!advantages(&[Some(1.0), Some(0.0)], AdvantageMode::Grpo)
            .1
            .zero_spread());
        assert!(!advantages(&[Some(1.0), None], AdvantageMode::Grpo)
            .1
            .zero_spread());
    }

    #[test]
    fn shape_sets_advantages_per_group_and_reports_stats() {
        let mut results: Vec<GradeResult> = [Some(1.0), Some(0.0), Some(1.0), Some(5.0)]
            .into_iter()
            .map(|reward| GradeResult {
                id: None,
                reward,
                status: crate::Status::Ok,
                components: Default::default(),
                pred: None,
                explanation: Default::default(),
                error: None,
                grader: None,
                elapsed_ms: 0.0,
                advantage: None,
                usage: None,
                zero_spread: None,
            })
            .collect();
        let groups = [Some("a"), Some("b"), Some("a"), None];
        let stats = shape(&groups, &mut results, Some(AdvantageMode::Drgrpo));
        let adv: Vec<Option<f64>> = results.iter().map(|r| r.advantage).collect();
        assert_eq!(adv, [Some(0.0), Some(0.0), Some(0.0), Some(0.0)]);
        let names: Vec<&str> = stats.iter().map(|(g, _)| *g).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(stats[0].1.zero_spread());
        assert!(!stats[1].1.zero_spread());
        let mut plain = results.clone();
        for r in &mut plain {
            r.advantage = None;
        }
        shape(&groups, &mut plain, None);
        assert!(plain.iter().all(|r| r.advantage.is_none()));
    }

    #[test]
    fn modes_parse_from_their_names() {
        assert_eq!("grpo".parse(), Ok(AdvantageMode::Grpo));
        assert_eq!("drgrpo".parse(), Ok(AdvantageMode::Drgrpo));
        assert_eq!("rloo".parse(), Ok(AdvantageMode::Rloo));
        assert!("ppo".parse::<AdvantageMode>().is_err());
    }
}
