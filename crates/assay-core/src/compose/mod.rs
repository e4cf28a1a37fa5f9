//! Graders made of other graders: [`multi`] (a formula over sub-graders), [`gate`] (auxiliary
//! rewards that count only once a primary reward passes) and [`transform`] (clip, scale, offset,
//! Bradley–Terry `log_sigmoid`).
//!
//! Sub-graders receive the whole batch, so a sandboxed or model-backed sub-grader still
//! schedules its own work. How sub-grader failures combine, for every combinator:
//!
//! - if any sub-grader ends in `error` for an item, the combination is `error` (the first such
//!   sub-grader's kind, its message prefixed with the sub-grader's name); else if any ends in
//!   `timeout`, the combination is `timeout`; else if any is `not_applicable`, so is the
//!   combination. A failure is never folded into the arithmetic as a zero.
//! - otherwise the combination is computed; its status is `invalid` when the primary
//!   sub-grader (the first listed, or `primary`) is `invalid`, else `ok`.

pub mod gate;
pub mod multi;
pub mod transform;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::{Batch, BatchContext, GradeError, Item, Outcome, Registry, SharedGrader, Status};

/// Registers `multi`, `gate` and `transform`.
pub fn register(registry: &mut Registry) {
    registry
        .register::<multi::MultiKind>()
        .register::<gate::GateKind>()
        .register::<transform::TransformKind>();
}

/// A named sub-grader.
#[derive(Clone)]
pub(crate) struct Sub {
    pub name: String,
    pub grader: SharedGrader,
    pub components: Vec<String>,
}

impl Sub {
    pub fn resolve(ctx: &mut crate::BuildContext<'_>, name: &str) -> Result<Sub, String> {
        let grader = ctx.grader(name)?;
        Ok(Sub {
            name: name.to_string(),
            components: grader.components(),
            grader,
        })
    }
}

/// Grades one item with every sub-grader and combines the outcomes with `combine`.
pub(crate) fn grade_combined(
    subs: &[Sub],
    item: &Item,
    budget: &crate::Budget,
    combine: impl Fn(&[&Outcome]) -> Outcome,
) -> Outcome {
    let outcomes: Vec<Outcome> = subs.iter().map(|s| s.grader.grade(item, budget)).collect();
    let outcomes: Vec<&Outcome> = outcomes.iter().collect();
    let mut combined = combine(&outcomes);
    combined.usage = total_usage(&outcomes);
    combined
}

/// Grades a batch with every sub-grader (each sees the whole batch) and combines the outcomes
/// of each item with `combine`.
pub(crate) fn grade_batch_combined(
    subs: &[Sub],
    items: &[&Item],
    ctx: &BatchContext,
    combine: impl Fn(&[&Outcome]) -> Outcome,
) -> Vec<Outcome> {
    combine_each(&grade_subs(subs, items, ctx), items.len(), combine)
}

/// Grades the batch with every sub-grader: `result[s][i]` is sub `s` on item `i`.
pub(crate) fn grade_subs(subs: &[Sub], items: &[&Item], ctx: &BatchContext) -> Vec<Vec<Outcome>> {
    subs.iter()
        .map(|sub| checked(sub, sub.grader.grade_batch(items, ctx), items.len()))
        .collect()
}

/// Grades the batch with every sub-grader at once, each through its
/// [`grade_async`](crate::Grader::grade_async) (CPU sub-graders on rayon, I/O sub-graders on the
/// async runtime): `result[s][i]` is sub `s` on item `i`.
pub(crate) async fn grade_subs_async(
    subs: &[Sub],
    batch: &Batch,
    ctx: &BatchContext,
) -> Vec<Vec<Outcome>> {
    let work = subs
        .iter()
        .map(|sub| Arc::clone(&sub.grader).grade_async(batch.clone(), ctx.clone()));
    futures_util::future::join_all(work)
        .await
        .into_iter()
        .zip(subs)
        .map(|(outcomes, sub)| checked(sub, outcomes, batch.len()))
        .collect()
}

/// `outcomes`, or an `internal` error per item when the sub-grader returned the wrong count.
fn checked(sub: &Sub, outcomes: Vec<Outcome>, n: usize) -> Vec<Outcome> {
    if outcomes.len() == n {
        return outcomes;
    }
    let message = format!(
        "`{}` returned {} outcomes for {} items",
        sub.name,
        outcomes.len(),
        n
    );
    vec![Outcome::error(crate::ErrorKind::Internal, message); n]
}

/// Combines the outcomes of each item of a batch graded by every sub-grader.
pub(crate) fn combine_each(
    per_sub: &[Vec<Outcome>],
    n: usize,
    combine: impl Fn(&[&Outcome]) -> Outcome,
) -> Vec<Outcome> {
    (0..n)
        .map(|i| {
            let outcomes: Vec<&Outcome> = per_sub.iter().map(|o| &o[i]).collect();
            let mut combined = combine(&outcomes);
            combined.usage = total_usage(&outcomes);
            combined
        })
        .collect()
}

/// The failure that decides a combination, if any sub-grader failed or does not apply.
pub(crate) fn combined_failure(subs: &[Sub], outcomes: &[&Outcome]) -> Option<Outcome> {
    let named = |status: Status| subs.iter().zip(outcomes).find(|(_, o)| o.status == status);
    if let Some((sub, o)) = named(Status::Error).or_else(|| named(Status::Timeout)) {
        let error = o.error.clone().unwrap_or_else(|| {
            GradeError::new(crate::ErrorKind::Internal, "failed without an error")
        });
        return Some(Outcome::from_error(GradeError::new(
            error.kind,
            format!("`{}`: {}", sub.name, error.message),
        )));
    }
    if let Some((sub, o)) = named(Status::NotApplicable) {
        let reason = o
            .explanation
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("does not apply");
        return Some(Outcome::not_applicable(format!("`{}`: {reason}", sub.name)));
    }
    None
}

/// Component keys of a combination: each sub-grader's reward under its name, and each of its
/// components as `name.component`, except a component named like its sub-grader (a grader
/// `correct` of kind `math`, whose component is `correct`): a doubled `correct.correct` key
/// would only repeat a name, so it is left out (a formula may still read it).
pub(crate) fn sub_component_keys(subs: &[Sub]) -> Vec<String> {
    let mut keys = Vec::new();
    for sub in subs {
        keys.push(sub.name.clone());
        keys.extend(
            sub.components
                .iter()
                .filter(|c| **c != sub.name)
                .map(|c| format!("{}.{c}", sub.name)),
        );
    }
    keys
}

/// What the sub-graders spent, together.
pub(crate) fn total_usage(outcomes: &[&Outcome]) -> crate::Usage {
    outcomes.iter().map(|o| o.usage).sum()
}

/// Copies sub-grader rewards and components into `outcome` under [`sub_component_keys`].
pub(crate) fn copy_sub_components(outcome: &mut Outcome, subs: &[Sub], outcomes: &[&Outcome]) {
    for (sub, o) in subs.iter().zip(outcomes) {
        outcome.components.insert(sub.name.clone(), o.reward);
        for (key, value) in o.components.iter().filter(|(key, _)| **key != sub.name) {
            outcome
                .components
                .insert(format!("{}.{key}", sub.name), *value);
        }
    }
}

/// The explanations of the sub-graders, by name.
pub(crate) fn sub_explanations(subs: &[Sub], outcomes: &[&Outcome]) -> Map<String, Value> {
    subs.iter()
        .zip(outcomes)
        .map(|(sub, o)| {
            let mut e = o.explanation.clone();
            e.insert("status".into(), Value::String(o.status.as_str().into()));
            (sub.name.clone(), Value::Object(e))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod testing;
