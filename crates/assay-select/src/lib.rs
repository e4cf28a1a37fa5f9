//! Test-time selection: pick one response out of N samples of the same prompt.
//!
//! ```
//! use assay_select::{select, Candidate, Group, Method, SelectOptions};
//!
//! let group = Group::new("q1", vec![
//!     Candidate::new("... so the answer is \\boxed{\\frac12}"),
//!     Candidate::new("I get 0.5"),
//!     Candidate::new("The answer is $\\boxed{2}$").with_score(0.9),
//! ]);
//! let out = select(&group, &SelectOptions { method: Method::Majority, ..Default::default() });
//! assert_eq!(out.chosen, Some(0));                 // `\frac12` and `0.5` are one answer
//! assert_eq!(out.clusters[0].size, 2);
//! assert!(out.reason.contains("2 of 3"));
//! ```
//!
//! # Methods
//!
//! - [`Method::BestOfN`]: the response with the highest score.
//! - [`Method::Majority`]: answers are extracted (as the math grader extracts them), clustered
//!   by mathematical equivalence ([`cluster`]) and the largest cluster wins.
//! - [`Method::Weighted`]: the cluster with the highest sum, max or mean of its members'
//!   scores wins ([`Aggregate`]).
//!
//! With [`SelectOptions::min_confidence`] set, a vote abstains ("no answer") when the winning
//! cluster holds less than that share of the group's responses.
//!
//! # Deterministic tie-breaking
//!
//! - Best-of-N: equal top scores go to the earliest response (lowest index).
//! - Votes: clusters are ranked by weight (size for a majority vote), then by size, then by
//!   the best score among their members (when scores exist), then by their earliest member.
//!   Within the winning cluster the chosen response is the highest-scored member, equal
//!   scores going to the earliest; without scores, the earliest member.
//! - The estimators ([`estimate`]) average over random subsets instead: a tie among r
//!   clusters or r equal scores gives each 1/r, the expectation of a uniformly random pick.
//!
//! Responses with no answer or several conflicting boxed answers do not vote; for score-based
//! methods, responses without a score add no weight (best-of-N still considers a scored
//! response without an answer). Each is listed in [`Selection::abstained`] with its reason.

pub mod cluster;
pub mod estimate;
pub mod records;

use assay_math::{extract, ExtractOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use cluster::{cluster, ClusterOptions, Clustering, Equivalence, UnionFind};

/// One sampled response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The caller's identifier, echoed in the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The response text.
    #[serde(default)]
    pub response: String,
    /// The final answer, when already extracted (otherwise it is extracted from `response`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// A reward-model or grader score (`None`: not scored, or scoring failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Whether the response is correct, when known (for pass@k and maj@k).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<bool>,
}

impl Candidate {
    /// A candidate with only a response.
    pub fn new(response: impl Into<String>) -> Self {
        Candidate {
            response: response.into(),
            ..Candidate::default()
        }
    }

    /// Sets the score.
    pub fn with_score(mut self, score: f64) -> Self {
        self.score = Some(score);
        self
    }

    /// Sets the label.
    pub fn with_label(mut self, label: bool) -> Self {
        self.label = Some(label);
        self
    }

    /// Sets the already-extracted answer.
    pub fn with_answer(mut self, answer: impl Into<String>) -> Self {
        self.answer = Some(answer.into());
        self
    }
}

/// The samples of one prompt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The group's identifier.
    pub id: String,
    /// The samples, in order (indices in the output refer to this order).
    pub candidates: Vec<Candidate>,
    /// The gold answer, when known: correctness is then checked with the math grader
    /// ("verified"), for `verified_pass_at_k` and for each cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Group {
    /// A group without a reference.
    pub fn new(id: impl Into<String>, candidates: Vec<Candidate>) -> Self {
        Group {
            id: id.into(),
            candidates,
            reference: None,
        }
    }

    /// Sets the reference answer.
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }
}

/// How a vote weighs a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Sum of the members' scores.
    Sum,
    /// Highest member score.
    Max,
    /// Mean member score.
    Mean,
}

/// The selection rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Highest score wins.
    BestOfN,
    /// Largest cluster of equivalent answers wins.
    #[default]
    Majority,
    /// Cluster with the highest aggregate score wins.
    Weighted(Aggregate),
}

impl Method {
    /// Parses `best-of-n`, `majority`, `weighted-sum`, `weighted-max` or `weighted-mean`
    /// (underscores also accepted).
    pub fn from_name(name: &str) -> Option<Method> {
        match name.replace('_', "-").as_str() {
            "best-of-n" | "bon" => Some(Method::BestOfN),
            "majority" | "maj" => Some(Method::Majority),
            "weighted-sum" | "weighted" => Some(Method::Weighted(Aggregate::Sum)),
            "weighted-max" => Some(Method::Weighted(Aggregate::Max)),
            "weighted-mean" => Some(Method::Weighted(Aggregate::Mean)),
            _ => None,
        }
    }

    /// The name, as [`Method::from_name`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Method::BestOfN => "best-of-n",
            Method::Majority => "majority",
            Method::Weighted(Aggregate::Sum) => "weighted-sum",
            Method::Weighted(Aggregate::Max) => "weighted-max",
            Method::Weighted(Aggregate::Mean) => "weighted-mean",
        }
    }

    fn uses_scores(self) -> bool {
        !matches!(self, Method::Majority)
    }
}

/// Settings of a selection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SelectOptions {
    /// The selection rule.
    pub method: Method,
    /// How answers are clustered (votes only; best-of-N still reports clusters).
    pub cluster: ClusterOptions,
    /// Abstain when the winning cluster holds less than this share of all responses.
    pub min_confidence: Option<f64>,
    /// When a response gives several different boxed answers: `false` (default) keeps it out
    /// of the vote, as the math grader marks it invalid; `true` uses its last answer.
    pub last_answer_on_conflict: bool,
    /// Whether to compute pass@k, maj@k and best-of-k for every k (when labels, a reference
    /// or scores make them meaningful).
    pub estimators: bool,
}

/// One cluster of equivalent answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterReport {
    /// The answer of its first member, as written.
    pub answer: String,
    /// Indices of the members, in input order.
    pub members: Vec<usize>,
    /// Number of members.
    pub size: usize,
    /// The vote weight: the size for a majority vote, the aggregate score for a weighted
    /// vote, the best score for best-of-N (`None` when no member has a score).
    pub weight: Option<f64>,
    /// Share of members that are correct (by label, else by the reference), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correct: Option<f64>,
}

/// A response that took no part in the vote, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Abstained {
    /// Its index.
    pub index: usize,
    /// `no_answer`, `conflict` or `no_score`.
    pub reason: String,
}

/// Estimators for k = 1..=n (entry k−1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Estimates {
    /// pass@k from the labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_at_k: Option<Vec<f64>>,
    /// pass@k from the math grader's verdicts against the reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_pass_at_k: Option<Vec<f64>>,
    /// maj@k over the clusters (correctness from labels, else the reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maj_at_k: Option<Vec<f64>>,
    /// best-of-k by score (correctness from labels, else the reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_of_k: Option<Vec<f64>>,
}

/// The outcome of a selection for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The group's identifier.
    pub group: String,
    /// The method used.
    pub method: String,
    /// Index of the chosen response; `None` when the selection abstained.
    pub chosen: Option<usize>,
    /// The chosen response's `id`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen_id: Option<Value>,
    /// The chosen response's answer.
    pub answer: Option<String>,
    /// The chosen response's text.
    pub response: Option<String>,
    /// Share of all responses in the winning cluster (best-of-N: in the chosen response's
    /// cluster).
    pub confidence: f64,
    /// Why this response was chosen, or why none was.
    pub reason: String,
    /// The clusters, strongest first (the order of the vote).
    pub clusters: Vec<ClusterReport>,
    /// Responses that did not vote (no answer, or conflicting answers) and, for score-based
    /// methods, responses without a score (they add no weight).
    pub abstained: Vec<Abstained>,
    /// Whether the chosen answer is correct, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correct: Option<bool>,
    /// pass@k, maj@k and best-of-k, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimates: Option<Estimates>,
    /// Equivalence checks run while clustering.
    pub checks: usize,
    /// Checks that ran out of budget (their answers were kept apart).
    pub undecided: usize,
}

/// The answer of a response for voting: `Ok(answer)` or `Err(reason)`.
fn answer_of(c: &Candidate, last_on_conflict: bool) -> Result<String, &'static str> {
    if let Some(a) = &c.answer {
        return if a.trim().is_empty() {
            Err("no_answer")
        } else {
            Ok(a.clone())
        };
    }
    let extraction = extract(&c.response, &ExtractOptions::default());
    let Some(found) = extraction.answer else {
        return Err("no_answer");
    };
    if !last_on_conflict && !extraction.alternatives.is_empty() {
        // Earlier boxed answers must all be equivalent to the final one.
        let mut texts: Vec<Option<&str>> = vec![Some(found.text.as_str())];
        texts.extend(extraction.alternatives.iter().map(|a| Some(a.as_str())));
        let c = cluster(&texts, &ClusterOptions::default());
        if c.clusters.len() > 1 {
            return Err("conflict");
        }
    }
    Ok(found.text)
}

/// Correctness of each candidate in [0, 1]: its label, else the math grader's verdict
/// against the reference, else unknown.
fn correctness(
    group: &Group,
    answers: &[Result<String, &'static str>],
) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let labels: Vec<Option<f64>> = group
        .candidates
        .iter()
        .map(|c| c.label.map(|l| if l { 1.0 } else { 0.0 }))
        .collect();
    let verified: Vec<Option<f64>> = match &group.reference {
        None => vec![None; group.candidates.len()],
        Some(reference) => answers
            .iter()
            .map(|a| {
                Some(match a {
                    Ok(answer) => {
                        let v = assay_math::check_answer(
                            reference,
                            answer,
                            &assay_math::Options::default(),
                            &mut assay_math::Steps::default(),
                        );
                        if v.is_equal() {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    Err(_) => 0.0,
                })
            })
            .collect(),
    };
    (labels, verified)
}

struct Ranked {
    members: Vec<usize>,
    weight: Option<f64>,
    best_score: Option<f64>,
}

fn max_opt(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.map_or(b, |a| a.max(b)))
}

/// The best-scored member (earliest among equals), or the earliest member without scores.
fn best_member(members: &[usize], candidates: &[Candidate]) -> usize {
    let mut best = members[0];
    let mut best_score = candidates[best].score;
    for &m in &members[1..] {
        if let Some(s) = candidates[m].score {
            if best_score.is_none_or(|b| s > b) {
                best = m;
                best_score = Some(s);
            }
        }
    }
    best
}

/// Selects one response of `group`.
pub fn select(group: &Group, opts: &SelectOptions) -> Selection {
    let n = group.candidates.len();
    let answers: Vec<Result<String, &'static str>> = group
        .candidates
        .iter()
        .map(|c| answer_of(c, opts.last_answer_on_conflict))
        .collect();
    let mut abstained = Vec::new();
    let mut voting: Vec<Option<&str>> = Vec::with_capacity(n);
    for (i, (a, c)) in answers.iter().zip(&group.candidates).enumerate() {
        voting.push(a.as_deref().ok());
        let reason = match a {
            Err(reason) => Some(*reason),
            Ok(_) if opts.method.uses_scores() && c.score.is_none_or(|s| !s.is_finite()) => {
                Some("no_score")
            }
            Ok(_) => None,
        };
        if let Some(reason) = reason {
            abstained.push(Abstained {
                index: i,
                reason: reason.to_string(),
            });
        }
    }
    let clustering = cluster(&voting, &opts.cluster);
    let (labels, verified) = correctness(group, &answers);
    let truth: Vec<Option<f64>> = labels
        .iter()
        .zip(&verified)
        .map(|(l, v)| l.or(*v))
        .collect();

    let score = |i: usize| group.candidates[i].score.filter(|s| s.is_finite());
    let mut ranked: Vec<Ranked> = clustering
        .clusters
        .iter()
        .map(|members| {
            let best_score = members.iter().filter_map(|&m| score(m)).fold(None, max_opt);
            let scores: Vec<f64> = members.iter().filter_map(|&m| score(m)).collect();
            let weight = match opts.method {
                Method::Majority => Some(members.len() as f64),
                Method::BestOfN | Method::Weighted(Aggregate::Max) => best_score,
                Method::Weighted(Aggregate::Sum) => {
                    (!scores.is_empty()).then(|| scores.iter().sum())
                }
                Method::Weighted(Aggregate::Mean) => {
                    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
                }
            };
            Ranked {
                members: members.clone(),
                weight,
                best_score,
            }
        })
        .collect();
    // Strongest first; ties by size, best score, earliest member (see the crate docs).
    ranked.sort_by(|a, b| {
        let w = |x: &Ranked| x.weight.unwrap_or(f64::NEG_INFINITY);
        w(b).total_cmp(&w(a))
            .then(b.members.len().cmp(&a.members.len()))
            .then(
                b.best_score
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&a.best_score.unwrap_or(f64::NEG_INFINITY)),
            )
            .then(a.members[0].cmp(&b.members[0]))
    });

    let clusters: Vec<ClusterReport> = ranked
        .iter()
        .map(|r| {
            let known: Vec<f64> = r.members.iter().filter_map(|&m| truth[m]).collect();
            ClusterReport {
                answer: voting[r.members[0]].unwrap_or_default().to_string(),
                members: r.members.clone(),
                size: r.members.len(),
                weight: r.weight,
                correct: (known.len() == r.members.len())
                    .then(|| known.iter().sum::<f64>() / known.len() as f64),
            }
        })
        .collect();

    let share = |size: usize| if n == 0 { 0.0 } else { size as f64 / n as f64 };
    let (chosen, confidence, reason) = decide(group, opts, &ranked, &abstained, n, share);

    let estimates = opts.estimators.then(|| {
        estimates(
            group,
            &clustering,
            &labels,
            &verified,
            &truth,
            voting.iter().filter(|v| v.is_none()).count(),
            opts.method,
        )
    });
    Selection {
        group: group.id.clone(),
        method: opts.method.name().to_string(),
        chosen,
        chosen_id: chosen.and_then(|i| group.candidates[i].id.clone()),
        answer: chosen.and_then(|i| answers[i].as_ref().ok().cloned()),
        response: chosen.map(|i| group.candidates[i].response.clone()),
        confidence,
        reason,
        clusters,
        abstained,
        correct: chosen.and_then(|i| truth[i]).map(|t| t >= 1.0),
        estimates,
        checks: clustering.checks,
        undecided: clustering.undecided,
    }
}

fn decide(
    group: &Group,
    opts: &SelectOptions,
    ranked: &[Ranked],
    abstained: &[Abstained],
    n: usize,
    share: impl Fn(usize) -> f64,
) -> (Option<usize>, f64, String) {
    let top = ranked.first();
    if opts.method != Method::BestOfN && top.is_none() {
        let why = if n == 0 {
            "abstained: the group has no responses".to_string()
        } else {
            format!(
                "abstained: none of the {n} responses can vote ({})",
                summarize_abstained(abstained)
            )
        };
        return (None, 0.0, why);
    }
    if opts.method == Method::BestOfN {
        // The highest score over all scored responses; equal scores go to the earliest.
        let mut best: Option<(usize, f64)> = None;
        for (m, c) in group.candidates.iter().enumerate() {
            if let Some(s) = c.score.filter(|s| s.is_finite()) {
                if best.is_none_or(|(_, bs)| s > bs) {
                    best = Some((m, s));
                }
            }
        }
        let Some((i, s)) = best else {
            return (None, 0.0, "abstained: no response has a score".into());
        };
        let size = ranked
            .iter()
            .find(|r| r.members.contains(&i))
            .map_or(1, |r| r.members.len());
        let ties = group
            .candidates
            .iter()
            .filter(|c| c.score == Some(s))
            .count();
        let tie_note = if ties > 1 {
            format!("; {ties} responses share it, the earliest is chosen")
        } else {
            String::new()
        };
        return (
            Some(i),
            share(size),
            format!("best of {n}: response {i} has the highest score {s}{tie_note}"),
        );
    }
    let top = top.expect("a cluster exists");
    if matches!(opts.method, Method::Weighted(_)) && ranked.iter().all(|r| r.weight.is_none()) {
        return (
            None,
            0.0,
            "abstained: no answered response has a score".into(),
        );
    }
    let confidence = share(top.members.len());
    let tied = ranked.iter().filter(|r| r.weight == top.weight).count();
    let weight_text = match opts.method {
        Method::Majority => format!("{} of {n} responses", top.members.len()),
        _ => format!(
            "{} {} of {}, {} of {n} responses",
            opts.method.name(),
            top.weight.map_or("none".into(), |w| format!("{w}")),
            ranked.len(),
            top.members.len()
        ),
    };
    if let Some(min) = opts.min_confidence {
        if confidence < min {
            return (
                None,
                confidence,
                format!(
                    "abstained: the strongest answer holds {weight_text} ({confidence:.3} < min confidence {min})"
                ),
            );
        }
    }
    let chosen = best_member(&top.members, &group.candidates);
    let tie_note = if tied > 1 {
        format!(
            "; {tied} clusters tie on weight, broken by size, best score, then earliest response"
        )
    } else {
        String::new()
    };
    (
        Some(chosen),
        confidence,
        format!(
            "{}: the answer held by {weight_text} wins; response {chosen} is its {}{tie_note}",
            opts.method.name(),
            if group.candidates[chosen].score.is_some() {
                "best-scored member"
            } else {
                "first member"
            }
        ),
    )
}

fn summarize_abstained(abstained: &[Abstained]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for a in abstained {
        match counts.iter_mut().find(|(r, _)| *r == a.reason) {
            Some((_, c)) => *c += 1,
            None => counts.push((&a.reason, 1)),
        }
    }
    counts
        .iter()
        .map(|(r, c)| format!("{c} {r}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn estimates(
    group: &Group,
    clustering: &Clustering,
    labels: &[Option<f64>],
    verified: &[Option<f64>],
    truth: &[Option<f64>],
    unanswered: usize,
    method: Method,
) -> Estimates {
    let n = group.candidates.len();
    let all = |v: &[Option<f64>]| v.iter().all(Option::is_some) && n > 0;
    let count = |v: &[Option<f64>]| v.iter().filter(|x| **x == Some(1.0)).count();
    let mut e = Estimates::default();
    if n == 0 || n > estimate::MAX_N {
        return e;
    }
    if all(labels) {
        e.pass_at_k = Some(estimate::pass_at_k_all(n, count(labels)));
    }
    if all(verified) {
        e.verified_pass_at_k = Some(estimate::pass_at_k_all(n, count(verified)));
    }
    if all(truth) {
        let sizes: Vec<usize> = clustering.clusters.iter().map(Vec::len).collect();
        let values: Vec<f64> = clustering
            .clusters
            .iter()
            .map(|m| m.iter().map(|&i| truth[i].unwrap_or(0.0)).sum::<f64>() / m.len() as f64)
            .collect();
        if method != Method::BestOfN || !sizes.is_empty() {
            e.maj_at_k = estimate::maj_at_k_all(&sizes, &values, unanswered);
        }
        let scores: Vec<Option<f64>> = group
            .candidates
            .iter()
            .map(|c| c.score.filter(|s| s.is_finite()))
            .collect();
        if scores.iter().any(Option::is_some) {
            let t: Vec<f64> = truth.iter().map(|t| t.unwrap_or(0.0)).collect();
            e.best_of_k = estimate::best_of_k_all(&scores, &t);
        }
    }
    e
}

/// Totals over many groups.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Groups selected.
    pub groups: usize,
    /// Responses read.
    pub responses: usize,
    /// Groups where a response was chosen.
    pub chosen: usize,
    /// Groups that abstained.
    pub abstained: usize,
    /// Groups whose chosen answer's correctness is known.
    pub judged: usize,
    /// Of those, the correct ones.
    pub correct: usize,
    /// `correct / groups` (abstentions count as wrong), when every group is judged or abstained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Mean of each estimator at k over the groups with at least k responses (entry k−1).
    pub pass_at_k: Vec<f64>,
    /// Mean verified pass@k.
    pub verified_pass_at_k: Vec<f64>,
    /// Mean maj@k.
    pub maj_at_k: Vec<f64>,
    /// Mean best-of-k.
    pub best_of_k: Vec<f64>,
    /// Equivalence checks run.
    pub checks: usize,
    /// Checks that ran out of budget.
    pub undecided: usize,
}

fn mean_curves(curves: impl Iterator<Item = Vec<f64>>) -> Vec<f64> {
    let mut sum: Vec<f64> = Vec::new();
    let mut count: Vec<usize> = Vec::new();
    for curve in curves {
        if curve.len() > sum.len() {
            sum.resize(curve.len(), 0.0);
            count.resize(curve.len(), 0);
        }
        for (k, v) in curve.iter().enumerate() {
            sum[k] += v;
            count[k] += 1;
        }
    }
    sum.iter().zip(&count).map(|(s, &c)| s / c as f64).collect()
}

/// Adds up selections.
pub fn summarize(selections: &[Selection], responses: usize) -> Summary {
    let chosen = selections.iter().filter(|s| s.chosen.is_some()).count();
    let judged = selections.iter().filter(|s| s.correct.is_some()).count();
    let correct = selections
        .iter()
        .filter(|s| s.correct == Some(true))
        .count();
    let groups = selections.len();
    let curve = |f: fn(&Estimates) -> &Option<Vec<f64>>| {
        mean_curves(
            selections
                .iter()
                .filter_map(|s| s.estimates.as_ref().and_then(|e| f(e).clone())),
        )
    };
    Summary {
        groups,
        responses,
        chosen,
        abstained: groups - chosen,
        judged,
        correct,
        accuracy: (groups > 0 && judged == chosen).then(|| correct as f64 / groups as f64),
        pass_at_k: curve(|e| &e.pass_at_k),
        verified_pass_at_k: curve(|e| &e.verified_pass_at_k),
        maj_at_k: curve(|e| &e.maj_at_k),
        best_of_k: curve(|e| &e.best_of_k),
        checks: selections.iter().map(|s| s.checks).sum(),
        undecided: selections.iter().map(|s| s.undecided).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_averages_curves_over_groups_long_enough() {
        let a = vec![boxed("1").with_label(true), boxed("2").with_label(false)];
        let b = vec![boxed("1").with_label(true)];
        let mut o = opts(Method::Majority);
        o.estimators = true;
        let sel = vec![
            select(&Group::new("a", a), &o),
            select(&Group::new("b", b), &o),
        ];
        let s = summarize(&sel, 3);
        // pass@1: (1/2 + 1)/2; pass@2 only from group a: 1.
        assert_eq!(s.pass_at_k, vec![0.75, 1.0]);
        assert_eq!((s.groups, s.chosen, s.correct), (2, 2, 2));
        assert_eq!(s.accuracy, Some(1.0));
    }

    fn boxed(a: &str) -> Candidate {
        Candidate::new(format!("so the answer is \\boxed{{{a}}}"))
    }

    fn opts(method: Method) -> SelectOptions {
        SelectOptions {
            method,
            ..SelectOptions::default()
        }
    }

    #[test]
    fn majority_clusters_by_equivalence() {
        let g = Group::new(
            "g",
            vec![
                boxed("2"),
                boxed("\\frac12"),
                boxed("0.5"),
                boxed("1/2"),
                boxed("2.0"),
            ],
        );
        let s = select(&g, &opts(Method::Majority));
        assert_eq!(s.chosen, Some(1));
        assert_eq!(s.clusters[0].members, vec![1, 2, 3]);
        assert_eq!(s.clusters[0].weight, Some(3.0));
        assert_eq!(s.clusters[1].members, vec![0, 4]);
        assert!((s.confidence - 0.6).abs() < 1e-12);
        assert!(s.reason.contains("3 of 5"), "{}", s.reason);
    }

    #[test]
    fn majority_tie_goes_to_best_score_then_earliest() {
        // Two clusters of two: equal weight and size; the second holds the best score.
        let g = Group::new(
            "g",
            vec![
                boxed("1").with_score(0.1),
                boxed("2").with_score(0.9),
                boxed("1").with_score(0.2),
                boxed("2").with_score(0.3),
            ],
        );
        let s = select(&g, &opts(Method::Majority));
        assert_eq!(s.chosen, Some(1));
        assert!(s.reason.contains("2 clusters tie"), "{}", s.reason);
        // Without scores: the cluster whose first member comes first.
        let g = Group::new("g", vec![boxed("1"), boxed("2"), boxed("2"), boxed("1")]);
        assert_eq!(select(&g, &opts(Method::Majority)).chosen, Some(0));
        // Three-way tie without scores: still the earliest.
        let g = Group::new("g", vec![boxed("3"), boxed("1"), boxed("2")]);
        let s = select(&g, &opts(Method::Majority));
        assert_eq!(s.chosen, Some(0));
        assert!(s.reason.contains("3 clusters tie"), "{}", s.reason);
    }

    #[test]
    fn best_of_n_and_its_ties() {
        let g = Group::new(
            "g",
            vec![
                boxed("1").with_score(0.5),
                boxed("2").with_score(0.9),
                boxed("3").with_score(0.9),
                boxed("4"),
            ],
        );
        let s = select(&g, &opts(Method::BestOfN));
        assert_eq!(s.chosen, Some(1));
        assert!(s.reason.contains("2 responses share it"), "{}", s.reason);
        assert_eq!(
            s.abstained,
            vec![Abstained {
                index: 3,
                reason: "no_score".into()
            }]
        );
    }

    #[test]
    fn best_of_n_may_choose_a_response_without_an_answer() {
        let g = Group::new(
            "g",
            vec![
                boxed("1").with_score(0.5),
                Candidate::new("a long essay with no final answer").with_score(0.8),
            ],
        );
        let s = select(&g, &opts(Method::BestOfN));
        assert_eq!(s.chosen, Some(1));
        assert_eq!(s.answer, None);
        // Score-based methods without any score abstain and say why.
        let unscored = Group::new("g", vec![boxed("1"), boxed("2")]);
        let s = select(&unscored, &opts(Method::BestOfN));
        assert_eq!(s.chosen, None);
        assert!(s.reason.contains("no response has a score"), "{}", s.reason);
        let s = select(&unscored, &opts(Method::Weighted(Aggregate::Sum)));
        assert_eq!(s.chosen, None);
        assert_eq!(s.clusters[0].weight, None);
        assert_eq!(s.abstained.len(), 2);
        assert!(
            s.reason.contains("no answered response has a score"),
            "{}",
            s.reason
        );
    }

    #[test]
    fn weighted_votes_sum_max_mean() {
        // Cluster A = {0.5, 0.5, 0.5} (sum 1.5, max 0.5, mean 0.5);
        // cluster B = {0.9, 0.4} (sum 1.3, max 0.9, mean 0.65).
        let g = Group::new(
            "g",
            vec![
                boxed("7").with_score(0.5),
                boxed("8").with_score(0.9),
                boxed("7").with_score(0.5),
                boxed("8").with_score(0.4),
                boxed("7.0").with_score(0.5),
            ],
        );
        let sum = select(&g, &opts(Method::Weighted(Aggregate::Sum)));
        assert_eq!(sum.answer.as_deref(), Some("7"));
        assert_eq!(sum.clusters[0].weight, Some(1.5));
        let max = select(&g, &opts(Method::Weighted(Aggregate::Max)));
        assert_eq!(max.chosen, Some(1));
        assert_eq!(max.clusters[0].weight, Some(0.9));
        let mean = select(&g, &opts(Method::Weighted(Aggregate::Mean)));
        assert_eq!(mean.chosen, Some(1));
        assert!((mean.clusters[0].weight.unwrap() - 0.65).abs() < 1e-12);
    }

    #[test]
    fn abstains_below_min_confidence() {
        let g = Group::new("g", vec![boxed("1"), boxed("2"), boxed("3"), boxed("1")]);
        let mut o = opts(Method::Majority);
        o.min_confidence = Some(0.6);
        let s = select(&g, &o);
        assert_eq!(s.chosen, None);
        assert_eq!(s.confidence, 0.5);
        assert!(s.reason.starts_with("abstained"), "{}", s.reason);
        o.min_confidence = Some(0.5);
        assert_eq!(select(&g, &o).chosen, Some(0));
    }

    #[test]
    fn responses_without_answers_or_with_conflicts_do_not_vote() {
        let g = Group::new(
            "g",
            vec![
                Candidate::new("I do not know."),
                Candidate::new("\\boxed{1} or maybe \\boxed{2}"),
                boxed("5"),
            ],
        );
        let s = select(&g, &opts(Method::Majority));
        assert_eq!(s.chosen, Some(2));
        let reasons: Vec<&str> = s.abstained.iter().map(|a| a.reason.as_str()).collect();
        assert_eq!(reasons, vec!["no_answer", "conflict"]);
        // (Two or three words alone would be a word answer, like `Tuesday`: a sentence is not.)
        let none = Group::new("g", vec![Candidate::new("I could not find anything here.")]);
        let s = select(&none, &opts(Method::Majority));
        assert_eq!(s.chosen, None);
        assert!(s.reason.contains("1 no_answer"), "{}", s.reason);
    }

    #[test]
    fn estimators_from_reference_and_labels() {
        let g = Group::new(
            "g",
            vec![
                boxed("\\frac12").with_label(true).with_score(0.2),
                boxed("0.5").with_label(true).with_score(0.1),
                boxed("2").with_label(false).with_score(0.9),
            ],
        )
        .with_reference("1/2");
        let mut o = opts(Method::Majority);
        o.estimators = true;
        let s = select(&g, &o);
        let e = s.estimates.unwrap();
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(e.pass_at_k.as_ref().unwrap(), &[2.0 / 3.0, 1.0, 1.0]));
        assert!(close(
            e.verified_pass_at_k.as_ref().unwrap(),
            &[2.0 / 3.0, 1.0, 1.0]
        ));
        // maj@k with clusters {2 correct} and {1 wrong}: 2/3, 2/3, 1 (see estimate tests).
        assert!(close(
            e.maj_at_k.as_ref().unwrap(),
            &[2.0 / 3.0, 2.0 / 3.0, 1.0]
        ));
        // best-of-k: the wrong answer has the top score: k=1 2/3; k=2 subsets with the wrong
        // answer (2 of 3) lose → 1/3; k=3 → 0.
        assert!(close(
            e.best_of_k.as_ref().unwrap(),
            &[2.0 / 3.0, 1.0 / 3.0, 0.0]
        ));
        assert_eq!(s.correct, Some(true));
        assert_eq!(s.clusters[0].correct, Some(1.0));
    }

    #[test]
    fn method_names_round_trip() {
        for m in [
            Method::BestOfN,
            Method::Majority,
            Method::Weighted(Aggregate::Sum),
            Method::Weighted(Aggregate::Max),
            Method::Weighted(Aggregate::Mean),
        ] {
            assert_eq!(Method::from_name(m.name()), Some(m));
        }
        assert_eq!(Method::from_name("nope"), None);
    }
}
