//! `rubric`: weighted criteria judged by an LLM, hard criteria gating the score to 0; one
//! request per criterion or all criteria in one.

use std::sync::Arc;

use assay_core::outcome::Usage;
use assay_core::{
    BoxFuture, Budget, BuildContext, ErrorKind, GraderKind, Item, Outcome, SharedGrader,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::{generation_body, parse_generation, Endpoint, Generate, Sampling};
use crate::backend::{truncate, Backend};
use crate::common::{
    check_template, environment, remote_options, render, template_vars, ItemGrader, Remote,
};
use crate::guard::Guard;
use crate::judge::{JudgeCore, MessageTemplate, Verdict, VerdictMode, VerdictOptions};

fn one() -> f64 {
    1.0
}

/// One criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Its name (the key of its verdict in the explanation).
    pub name: String,
    /// What the response must do, as the judge reads it.
    pub description: String,
    /// Its weight in the score.
    #[serde(default = "one")]
    pub weight: f64,
    /// A failed hard criterion gates the whole score to 0.
    #[serde(default)]
    pub hard: bool,
}

/// How criteria are judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RubricMode {
    /// One request per criterion (verdict per `verdict`: a yes/no probability by default).
    #[default]
    PerCriterion,
    /// One request for all criteria: the judge replies with a JSON object mapping each
    /// criterion's name to true/false (or a number in [0, 1]).
    AllInOne,
}

/// Default prompt of one criterion.
pub const CRITERION_TEMPLATE: &str = "Question:\n{{ prompt }}\n\nResponse:\n{{ response }}\n{% if reference %}\nReference answer:\n{{ reference }}\n{% endif %}\nCriterion: {{ criterion.description }}\nDoes the response meet the criterion? Answer Yes or No.";
/// Default prompt of all criteria at once.
pub const ALL_IN_ONE_TEMPLATE: &str = "Question:\n{{ prompt }}\n\nResponse:\n{{ response }}\n{% if reference %}\nReference answer:\n{{ reference }}\n{% endif %}\nCriteria:\n{% for c in criteria %}- {{ c.name }}: {{ c.description }}\n{% endfor %}\nFor each criterion, decide whether the response meets it. Reply with only a JSON object mapping each criterion name to true or false.";

fn default_threshold() -> f64 {
    0.5
}

remote_options! {
/// Options of `rubric`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricOptions {
    /// The served model's name.
    pub model: String,
    /// The criteria; when empty, each item's `reference.rubric` (a list of criteria) is used.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// `per_criterion` or `all_in_one`.
    #[serde(default)]
    pub mode: RubricMode,
    /// `chat` or `completions`.
    #[serde(default)]
    pub endpoint: Endpoint,
    /// The user message (Jinja; `criterion` per criterion, `criteria` all in one, plus
    /// `prompt`, `response`, `reference`, `item`). Default: a prompt that fits the mode.
    #[serde(default)]
    pub template: Option<String>,
    /// A system message put first.
    #[serde(default)]
    pub system: Option<String>,
    /// Sampling parameters.
    #[serde(default, alias = "sampling_params")]
    pub sampling: Sampling,
    /// How a per-criterion reply becomes a verdict (default: yes/no probability).
    #[serde(flatten)]
    pub verdict_options: VerdictOptions,
    /// A criterion passes at this verdict or above (for the hard gate).
    #[serde(default = "default_threshold")]
    pub pass_threshold: f64,
}
}

struct RubricGrader {
    options: RubricOptions,
    core: JudgeCore,
    guard: Guard,
}

impl ItemGrader for RubricGrader {
    fn components(&self) -> Vec<String> {
        self.options
            .criteria
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    fn guard(&self) -> &Guard {
        &self.guard
    }

    fn backend(&self) -> &Backend {
        &self.core.backend
    }

    fn grade_item(self: Arc<Self>, item: Item, budget: Budget) -> BoxFuture<Outcome> {
        Box::pin(async move {
            let criteria = if self.options.criteria.is_empty() {
                match item.reference.get("rubric").map(|r| serde_json::from_value::<Vec<Criterion>>(r.clone())) {
                    Some(Ok(c)) if !c.is_empty() => c,
                    Some(Err(e)) => {
                        return Outcome::error(ErrorKind::BadReference, format!("reference.rubric is not a list of criteria ({{name, description, weight?, hard?}}): {e}"))
                    }
                    _ => {
                        return Outcome::error(
                            ErrorKind::BadReference,
                            "no criteria: set `criteria` in the grader or give each item `reference.rubric`",
                        )
                    }
                }
            } else {
                self.options.criteria.clone()
            };
            let vars = template_vars(&item);
            let (verdicts, usage) = match self.options.mode {
                RubricMode::PerCriterion => {
                    let calls = criteria.iter().map(|c| {
                        let mut v = vars.clone();
                        v["criterion"] = json!(c);
                        let budget = &budget;
                        let core = &self.core;
                        async move { core.judge(&v, budget, false).await }
                    });
                    let results = futures_util::future::join_all(calls).await;
                    let mut usage = Usage::default();
                    let mut verdicts = Vec::new();
                    let mut failure: Option<Outcome> = None;
                    for (c, r) in criteria.iter().zip(results) {
                        match r {
                            Ok(j) => {
                                usage += j.usage;
                                verdicts.push((j.value, json!({"criterion": c.name, "value": j.value, "detail": j.detail})));
                            }
                            Err(e) => {
                                usage += e.usage;
                                failure.get_or_insert(e.explain("criterion", c.name.clone()));
                            }
                        }
                    }
                    if let Some(mut f) = failure {
                        f.usage = usage;
                        return f;
                    }
                    (verdicts, usage)
                }
                RubricMode::AllInOne => match self.all_in_one(&criteria, &vars, &budget).await {
                    Ok(x) => x,
                    Err(e) => return e,
                },
            };
            let total: f64 = criteria.iter().map(|c| c.weight).sum();
            let mut score = 0.0;
            let mut gated = Vec::new();
            for (c, (v, _)) in criteria.iter().zip(&verdicts) {
                score += c.weight * v;
                if c.hard && *v < self.options.pass_threshold {
                    gated.push(c.name.clone());
                }
            }
            let score = if total > 0.0 { score / total } else { 0.0 };
            let reward = if gated.is_empty() { score } else { 0.0 };
            let mut out = Outcome::ok(reward).explain(
                "criteria",
                Value::Array(verdicts.iter().map(|(_, d)| d.clone()).collect()),
            );
            if !gated.is_empty() {
                out = out
                    .explain("failed_hard", json!(gated))
                    .explain("ungated_score", score);
            }
            let declared = self.components();
            for (c, (v, _)) in criteria.iter().zip(&verdicts) {
                if declared.contains(&c.name) {
                    out = out.component(c.name.clone(), *v);
                }
            }
            out.usage = usage;
            out
        })
    }
}

impl RubricGrader {
    async fn all_in_one(
        &self,
        criteria: &[Criterion],
        vars: &Value,
        budget: &Budget,
    ) -> Result<(Vec<(f64, Value)>, Usage), Outcome> {
        let mut vars = vars.clone();
        vars["criteria"] = json!(criteria);
        let messages = self
            .core
            .messages
            .iter()
            .map(|m| {
                Ok(json!({"role": m.role, "content": render(&self.core.env, &m.content, &vars)?}))
            })
            .collect::<Result<Vec<_>, Outcome>>()?;
        let body = generation_body(
            self.core.endpoint,
            &messages,
            &Generate {
                model: &self.core.model,
                sampling: &self.core.sampling,
                n: 1,
                top_logprobs: None,
                seed_offset: 0,
            },
        );
        let reply = self
            .core
            .backend
            .call(self.core.endpoint.path(), &body, budget)
            .await
            .map_err(|e| e.outcome())?;
        let usage = reply.usage;
        let with_usage = |mut o: Outcome| {
            o.usage = usage;
            o
        };
        let choices = parse_generation(self.core.endpoint, &reply.body)
            .map_err(|e| with_usage(Outcome::error(ErrorKind::Upstream, e)))?;
        let text = choices.first().map(|c| c.text.clone()).unwrap_or_default();
        let Some(map) = first_json_object(&text) else {
            return Err(with_usage(
                Outcome::invalid(0.0, "the judge's reply holds no JSON object of verdicts")
                    .explain("reply", truncate(&text)),
            ));
        };
        let mut verdicts = Vec::new();
        for c in criteria {
            let value = match map.get(&c.name) {
                Some(Value::Bool(b)) => Some(if *b { 1.0 } else { 0.0 }),
                Some(Value::Number(n)) => n.as_f64().filter(|v| (0.0..=1.0).contains(v)),
                Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
                    "true" | "yes" | "pass" | "met" => Some(1.0),
                    "false" | "no" | "fail" | "not met" => Some(0.0),
                    _ => None,
                },
                _ => None,
            };
            let Some(value) = value else {
                return Err(with_usage(
                    Outcome::invalid(
                        0.0,
                        format!(
                            "the judge gave no true/false verdict for criterion {:?}",
                            c.name
                        ),
                    )
                    .explain("reply", truncate(&text)),
                ));
            };
            verdicts.push((value, json!({"criterion": c.name, "value": value})));
        }
        Ok((verdicts, usage))
    }
}

fn first_json_object(text: &str) -> Option<serde_json::Map<String, Value>> {
    text.match_indices('{').find_map(|(start, _)| {
        match serde_json::Deserializer::from_str(&text[start..])
            .into_iter::<Value>()
            .next()
        {
            Some(Ok(Value::Object(map))) => Some(map),
            _ => None,
        }
    })
}

/// `rubric`.
pub struct RubricKind;

impl GraderKind for RubricKind {
    type Options = RubricOptions;
    const NAME: &'static str = "rubric";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Judges the response against weighted criteria with an LLM on an OpenAI-compatible server; a failed hard criterion gates the score to 0; each criterion's verdict is in the explanation.";
    const REFERENCE: &'static str = "optional: `{rubric: [{name, description, weight?, hard?}]}` when the grader sets no `criteria`";
    const EXAMPLE: &'static str = r#"
[graders.rubric]
kind = "rubric"
url = "http://localhost:8080"
model = "judge"
sampling = { temperature = 0.0, max_tokens = 1 }
criteria = [
  { name = "correct", description = "The final answer is correct.", weight = 2, hard = true },
  { name = "explained", description = "The reasoning is shown step by step." },
]
"#;

    fn build(options: RubricOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        let mut names = std::collections::HashSet::new();
        for c in &options.criteria {
            if !(c.weight.is_finite() && c.weight >= 0.0) {
                return Err(format!(
                    "criterion {:?}: weight must be a non-negative number",
                    c.name
                ));
            }
            if !names.insert(c.name.as_str()) {
                return Err(format!("criterion {:?} is named twice", c.name));
            }
        }
        if !options.criteria.is_empty() && options.criteria.iter().all(|c| c.weight == 0.0) {
            return Err("every criterion has weight 0".into());
        }
        let verdict = Verdict::new(options.verdict_options.clone(), None)?;
        if options.mode == RubricMode::AllInOne
            && options
                .verdict_options
                .verdict
                .is_some_and(|v| v != VerdictMode::Label)
            && options.verdict_options.verdict.is_some()
        {
            return Err(
                "`all_in_one` reads a JSON object of verdicts: leave `verdict` unset".into(),
            );
        }
        let user = options.template.clone().unwrap_or_else(|| {
            match options.mode {
                RubricMode::PerCriterion => CRITERION_TEMPLATE,
                RubricMode::AllInOne => ALL_IN_ONE_TEMPLATE,
            }
            .to_string()
        });
        let env = environment();
        check_template(&env, "template", &user)?;
        let mut messages = Vec::new();
        if let Some(s) = &options.system {
            messages.push(MessageTemplate {
                role: "system".into(),
                content: s.clone(),
                kind: None,
            });
        }
        messages.push(MessageTemplate {
            role: "user".into(),
            content: user,
            kind: None,
        });
        let core = JudgeCore {
            backend: Backend::shared(&options.connection())?,
            model: options.model.clone(),
            endpoint: options.endpoint,
            sampling: options.sampling.clone(),
            messages,
            verdict,
            env,
            show_prompt: false,
        };
        core.check()?;
        let guard = Guard::new(options.guard.clone())?;
        Ok(Arc::new(Remote(Arc::new(RubricGrader {
            options,
            core,
            guard,
        }))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_verdicts_are_found_in_prose() {
        let m = first_json_object("Sure! {\"correct\": true, \"explained\": false} done").unwrap();
        assert_eq!(m["correct"], json!(true));
        assert!(first_json_object("no json").is_none());
    }
}
