//! The remote model graders against a real OpenAI-compatible server: llama.cpp's
//! `llama-server` on a tiny random qwen3 model, started on a random localhost port.
//!
//! A random model says nothing sensible, so each test either fixes what the model must say
//! with llama.cpp's `grammar` (passed through `sampling.extra_body`), or checks Assay's reading
//! against the server's own numbers fetched directly.

mod common;

use std::sync::Arc;

use assay_core::{Budget, Config, Content, Engine, GradeResult, Item, Message, Registry, Status};
use assay_model::{Backend, Connection};
use common::{Fault, Llama, Proxy};
use serde_json::{json, Value};

fn engine(kind: &str, mut options: Value) -> Engine {
    // Several servers share two busy cores in a test run: the default 10 s would be tight.
    if options.get("timeout_ms").is_none() {
        options["timeout_ms"] = json!(120_000);
    }
    let mut registry = Registry::new();
    assay_core::compose::register(&mut registry);
    assay_model::register(&mut registry);
    let value = Config::single_value(kind, options.as_object().unwrap().clone()).unwrap();
    let config = Config::from_value(&value).unwrap();
    Engine::new(&config, &registry, "test").unwrap_or_else(|e| panic!("{e}"))
}

fn item(prompt: &str, response: &str, reference: Value) -> Item {
    Item {
        prompt: Some(Content::Text(prompt.into())),
        ..Item::new(response, reference)
    }
}

fn grammar(text: &str) -> Value {
    json!({"grammar": format!("root ::= {}", serde_json::to_string(text).unwrap())})
}

fn direct(url: &str, path: &str, body: Value) -> Value {
    let backend = Arc::new(
        Backend::new(Connection {
            url: url.into(),
            cache: false,
            ..Connection::default()
        })
        .unwrap(),
    );
    assay_core::block_on_io(backend.call(path, &body, &Budget::unlimited()))
        .unwrap_or_else(|e| panic!("{}", e.message))
        .body
}

fn ok(r: &GradeResult) -> f64 {
    assert_eq!(r.status, Status::Ok, "{r:?}");
    r.reward.unwrap()
}

#[test]
fn yes_no_probability_is_read_from_top_logprobs() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let prompt =
        "Question: what is two plus two?\nAnswer: four\nIs the answer correct? Answer Yes or No.";
    // The server's own top tokens for this prompt: call the two most likely ones yes and no,
    // so both labels are surely in the top k.
    let raw = direct(
        &llama.url,
        "/v1/chat/completions",
        json!({"model": "m", "messages": [{"role": "user", "content": prompt}], "max_tokens": 1,
               "temperature": 0.0, "logprobs": true, "top_logprobs": 10}),
    );
    let tops = raw
        .pointer("/choices/0/logprobs/content/0/top_logprobs")
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let listed: Vec<(String, f64)> = tops
        .iter()
        .map(|t| {
            (
                t["token"].as_str().unwrap().to_string(),
                t["logprob"].as_f64().unwrap(),
            )
        })
        .collect();
    // Tokens with the same letters are one label (surface forms); a token listed twice counts once.
    let norm = |s: &str| {
        s.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let mut words: Vec<String> = Vec::new();
    for (t, _) in &listed {
        let n = norm(t);
        if !n.is_empty() && !words.contains(&n) {
            words.push(n);
        }
    }
    assert!(
        words.len() >= 2,
        "the top tokens hold fewer than two words: {listed:?}"
    );
    let (yes, no) = (words[0].clone(), words[1].clone());
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<&(String, f64)> = listed
        .iter()
        .filter(|(t, _)| seen.insert(t.clone()))
        .collect();
    let sum = |w: &str| {
        unique
            .iter()
            .filter(|(t, _)| norm(t) == w)
            .map(|(_, lp)| lp.exp())
            .sum::<f64>()
    };
    let expected = sum(&yes) / (sum(&yes) + sum(&no));

    let e = engine(
        "judge",
        json!({"url": llama.url, "model": "m", "template": "{{ prompt }}", "top_logprobs": 10,
               "yes": [yes], "no": [no], "sampling": {"temperature": 0.0, "max_tokens": 1}}),
    );
    let r = &e.score(&[item(prompt, "four", json!(null))])[0];
    let reward = ok(r);
    assert!(
        (reward - expected).abs() < 1e-3,
        "reward {reward}, expected {expected} from {tops:?}"
    );
    let verdict = &r.explanation["verdict"];
    assert!(verdict["mass"].as_f64().unwrap() > 0.0);
    let usage = r.usage.unwrap();
    assert_eq!(usage.requests, 1);
    assert!(
        usage.prompt_tokens > 0 && usage.completion_tokens >= 1,
        "{usage:?}"
    );
}

#[test]
fn neither_label_in_the_top_k_is_invalid_with_a_bound() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let e = engine(
        "judge",
        json!({"url": llama.url, "model": "m", "top_logprobs": 3, "yes": ["zzzyes"], "no": ["zzzno"],
               "sampling": {"temperature": 0.0, "max_tokens": 1}}),
    );
    let r = &e.score(&[item("2+2?", "4", json!("4"))])[0];
    assert_eq!(r.status, Status::Invalid, "{r:?}");
    assert_eq!(r.reward, Some(0.0));
    assert_eq!(r.explanation["replies"][0]["bound"], json!([0.0, 1.0]));
    assert!(
        r.explanation["reason"]
            .as_str()
            .unwrap()
            .contains("neither label"),
        "{r:?}"
    );
}

#[test]
fn scores_are_parsed_and_a_wrong_format_is_invalid() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let forced = engine(
        "judge",
        json!({"url": llama.url, "model": "m", "verdict": "score", "range": [0, 10],
               "sampling": {"temperature": 0.0, "max_tokens": 48, "extra_body": grammar("<score>7</score>")}}),
    );
    let r = &forced.score(&[item("2+2?", "4", json!("4"))])[0];
    assert!((ok(r) - 0.7).abs() < 1e-12, "{r:?}");
    assert_eq!(r.explanation["verdict"]["score"], json!(7.0));

    let json_mode = engine(
        "judge",
        json!({"type": "score_model", "name": "q", "url": llama.url, "model": "m", "score_format": "json",
               "input": [{"role": "system", "content": "Grade."}, {"role": "user", "content": "{{ item.prompt }} {{ sample.output_text }}"}],
               "sampling_params": {"temperature": 0.0, "max_completions_tokens": 48, "extra_body": grammar("{\"result\": 0.25}")}}),
    );
    let r = &json_mode.score(&[item("2+2?", "4", json!(null))])[0];
    assert!((ok(r) - 0.25).abs() < 1e-12, "{r:?}");

    let free = engine(
        "judge",
        json!({"url": llama.url, "model": "m", "verdict": "score", "sampling": {"temperature": 0.0, "max_tokens": 8,
               "extra_body": grammar("seven")}}),
    );
    let r = &free.score(&[item("2+2?", "4", json!("4"))])[0];
    assert_eq!(r.status, Status::Invalid, "{r:?}");
    assert!(
        r.explanation["reason"]
            .as_str()
            .unwrap()
            .contains("required format"),
        "{r:?}"
    );
    assert_eq!(r.usage.unwrap().requests, 1);
}

#[test]
fn samples_vote_and_labels() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let e = engine(
        "judge",
        json!({"url": llama.url, "model": "m", "verdict": "score", "samples": 3, "combine": "vote",
               "sampling": {"temperature": 1.0, "seed": 5, "max_tokens": 48, "extra_body": grammar("<score>3</score>")}}),
    );
    let r = &e.score(&[item("q", "an answer", json!("a"))])[0];
    assert!((ok(r) - 0.3).abs() < 1e-12);
    assert_eq!(
        r.usage.unwrap().requests,
        3,
        "three samples, three requests (distinct seeds)"
    );

    let label = engine(
        "judge",
        json!({"type": "label_model", "url": llama.url, "model": "m", "labels": ["pass", "fail"], "passing_labels": ["pass"],
               "input": [{"role": "user", "content": "{{ sample.output_text }}"}],
               "sampling": {"max_tokens": 8, "extra_body": grammar("fail")}}),
    );
    let r = &label.score(&[item("q", "an answer", json!(null))])[0];
    assert_eq!(ok(r), 0.0);
    assert_eq!(r.explanation["verdict"]["label"], json!("fail"));
}

#[test]
fn pairwise_judging_runs_both_orders() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    // The judge always says "A": first in the first order, second in the swapped one.
    let e = engine(
        "judge",
        json!({"url": llama.url, "model": "m", "pairwise": true, "verdict": "label", "labels": ["A", "B"],
               "passing_labels": ["A"], "sampling": {"max_tokens": 8, "extra_body": grammar("A")}}),
    );
    let r = &e.score(&[item("q", "mine", json!("theirs"))])[0];
    assert_eq!(ok(r), 0.5, "{r:?}");
    assert_eq!(r.explanation["verdict"]["orders"], json!([1.0, 0.0]));
    assert_eq!(r.usage.unwrap().requests, 2);
    let missing = &e.score(&[item("q", "mine", json!(null))])[0];
    assert_eq!(missing.status, Status::Error);
    assert_eq!(
        missing.error.as_ref().unwrap().kind.as_str(),
        "bad_reference"
    );
}

#[test]
fn rubric_weights_and_hard_gates() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let criteria = json!([
        {"name": "correct", "description": "The answer is right.", "weight": 2, "hard": true},
        {"name": "explained", "description": "The reasoning is shown."}
    ]);
    let all = engine(
        "rubric",
        json!({"url": llama.url, "model": "m", "mode": "all_in_one", "criteria": criteria,
               "sampling": {"max_tokens": 96, "extra_body": grammar("{\"correct\": true, \"explained\": false}")}}),
    );
    let r = &all.score(&[item("2+2?", "4", json!("4"))])[0];
    assert!((ok(r) - 2.0 / 3.0).abs() < 1e-12, "{r:?}");
    assert_eq!(r.components["correct"], Some(1.0));
    assert_eq!(r.components["explained"], Some(0.0));
    assert_eq!(r.usage.unwrap().requests, 1);

    let per = engine(
        "rubric",
        json!({"url": llama.url, "model": "m", "criteria": criteria, "verdict": "label", "labels": ["yes", "no"],
               "passing_labels": ["yes"], "sampling": {"max_tokens": 8, "extra_body": grammar("no")}}),
    );
    let r = &per.score(&[item("2+2?", "5", json!("4"))])[0];
    assert_eq!(ok(r), 0.0);
    assert_eq!(r.explanation["failed_hard"], json!(["correct"]));
    assert_eq!(r.usage.unwrap().requests, 2, "one request per criterion");
}

#[test]
fn process_reward_judges_each_step() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let e = engine(
        "process_reward",
        json!({"url": llama.url, "scorer": "judge", "model": "m", "split": "step_n", "aggregate": "mean",
               "verdict": "label", "labels": ["yes", "no"], "passing_labels": ["yes"],
               "sampling": {"max_tokens": 8, "extra_body": grammar("yes")}}),
    );
    let r = &e.score(&[item(
        "2+3*4?",
        "Step 1: 3*4 = 12\nStep 2: 2 + 12 = 14\nStep 3: the answer is 14",
        json!(null),
    )])[0];
    assert_eq!(ok(r), 1.0);
    assert_eq!(r.explanation["step_scores"], json!([1.0, 1.0, 1.0]));
    assert_eq!(r.usage.unwrap().requests, 3);
}

#[test]
fn reward_model_on_the_rerank_endpoint() {
    let Some(llama) = Llama::start("rerank", &["--rerank"]) else {
        return;
    };
    let raw = direct(
        &llama.url,
        "/rerank",
        json!({"query": "2+2?", "documents": ["4"]}),
    );
    let expected = raw
        .pointer("/results/0/relevance_score")
        .unwrap()
        .as_f64()
        .unwrap();
    let e = engine("reward_model", json!({"url": llama.url, "api": "rerank"}));
    let r = &e.score(&[item("2+2?", "4", json!(null))])[0];
    assert!((ok(r) - expected).abs() < 1e-6, "{r:?} vs {expected}");
    let e = engine(
        "reward_model",
        json!({"url": llama.url, "api": "rerank", "normalize": {"mean": 0.5, "std": 0.5}, "transform": "sigmoid"}),
    );
    let r = &e.score(&[item("2+2?", "4", json!(null))])[0];
    let want = 1.0 / (1.0 + (-((expected - 0.5) / 0.5)).exp());
    assert!((ok(r) - want).abs() < 1e-6);
}

#[test]
fn embeddings_parse_from_a_real_server() {
    let Some(llama) = Llama::start("embed", &["--embedding", "--pooling", "mean"]) else {
        return;
    };
    let raw = direct(
        &llama.url,
        "/v1/embeddings",
        assay_model::api::embeddings_body(Some("m"), &["a".into(), "b c".into()]),
    );
    let vectors = assay_model::api::parse_embeddings(&raw).unwrap();
    assert_eq!(vectors.len(), 2);
    assert_eq!(vectors[0].len(), 64);
}

#[test]
fn the_guard_sends_nothing_for_empty_responses() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(&llama.url, vec![]);
    let judge = engine(
        "judge",
        json!({"url": proxy.url, "model": "m", "sampling": {"max_tokens": 1}}),
    );
    let rm = engine("reward_model", json!({"url": proxy.url, "api": "score"}));
    let prompt = "What is the capital of France?";
    let attacks = [
        "",
        "   \n",
        ":",
        "...",
        "?!",
        "Thought process:",
        "Let's solve this problem step by step.",
        "解：",
        prompt,
    ];
    let items: Vec<Item> = attacks
        .iter()
        .map(|a| item(prompt, a, json!("Paris")))
        .collect();
    for e in [&judge, &rm] {
        for r in e.score(&items) {
            assert_eq!(r.status, Status::Ok, "{r:?}");
            assert_eq!(r.reward, Some(0.0));
            assert_eq!(
                r.explanation.get("reason"),
                Some(&json!("no_content")),
                "{r:?}"
            );
            assert!(r.usage.is_none_or(|u| u.requests == 0), "{r:?}");
        }
    }
    assert_eq!(proxy.requests(), 0, "no request may reach the server");
}

#[test]
fn api_keys_are_sent_and_never_shown() {
    let key = "sk-assay-test-9f8e7d6c5b4a";
    let Some(llama) = Llama::start("chat", &["--api-key", key]) else {
        return;
    };
    std::env::set_var("ASSAY_TEST_GOOD_KEY", key);
    std::env::set_var("ASSAY_TEST_BAD_KEY", "sk-wrong-0123456789");
    let options = |var: &str, url: &str| {
        json!({"url": url, "model": "m", "api_key_env": var, "verdict": "label", "labels": ["yes", "no"],
               "passing_labels": ["yes"], "max_retries": 0, "sampling": {"max_tokens": 8, "extra_body": grammar("yes")}})
    };
    let r = &engine("judge", options("ASSAY_TEST_GOOD_KEY", &llama.url)).score(&[item(
        "q",
        "a",
        json!(null),
    )])[0];
    assert_eq!(ok(r), 1.0);
    let r = &engine("judge", options("ASSAY_TEST_BAD_KEY", &llama.url)).score(&[item(
        "q",
        "b",
        json!(null),
    )])[0];
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.explanation["http_status"], json!(401), "{r:?}");
    // A server that echoes the key back: the key is removed from the message.
    let proxy = Proxy::start(&llama.url, vec![Fault::EchoAuth]);
    let r = &engine("judge", options("ASSAY_TEST_GOOD_KEY", &proxy.url)).score(&[item(
        "q",
        "c",
        json!(null),
    )])[0];
    let shown = serde_json::to_string(r).unwrap();
    assert!(!shown.contains(key), "the key leaked: {shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[test]
fn replies_are_cached_in_memory_and_on_disk() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(&llama.url, vec![]);
    let dir = std::env::temp_dir().join(format!("assay-cache-{}", std::process::id()));
    let path = dir.join("replies.sqlite");
    let conn = Connection {
        url: proxy.url.clone(),
        cache_path: Some(path.clone()),
        ..Connection::default()
    };
    let body =
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2});
    let first = Arc::new(Backend::new(conn.clone()).unwrap());
    let a =
        assay_core::block_on_io(first.call("/v1/chat/completions", &body, &Budget::unlimited()))
            .unwrap();
    let b =
        assay_core::block_on_io(first.call("/v1/chat/completions", &body, &Budget::unlimited()))
            .unwrap();
    assert_eq!(
        (a.usage.requests, b.usage.requests, b.usage.cache_hits),
        (1, 0, 1)
    );
    // A new backend (a later run) answers from the file.
    let second = Arc::new(Backend::new(conn).unwrap());
    let c =
        assay_core::block_on_io(second.call("/v1/chat/completions", &body, &Budget::unlimited()))
            .unwrap();
    assert_eq!((c.usage.requests, c.usage.cache_hits), (0, 1));
    assert_eq!(c.body, a.body);
    assert_eq!(proxy.requests(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_spent_budget_is_a_budget_error() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let e = engine(
        "judge",
        json!({"url": llama.url, "model": "m", "max_requests": 2, "max_concurrency": 1, "verdict": "label", "labels": ["yes", "no"],
               "passing_labels": ["yes"], "sampling": {"max_tokens": 8, "extra_body": grammar("yes")}}),
    );
    let items: Vec<Item> = (0..4)
        .map(|k| item("q", &format!("answer {k}"), json!(null)))
        .collect();
    let results = e.score(&items);
    let ok_count = results.iter().filter(|r| r.status == Status::Ok).count();
    let budget: Vec<_> = results
        .iter()
        .filter(|r| {
            r.error
                .as_ref()
                .is_some_and(|e| e.kind.as_str() == "budget")
        })
        .collect();
    assert_eq!((ok_count, budget.len()), (2, 2), "{results:?}");
    assert!(budget[0]
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("max_requests"));
}

#[test]
fn chat_transcripts_are_rendered_as_messages() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(&llama.url, vec![]);
    let e = engine(
        "judge",
        json!({"url": proxy.url, "model": "m", "system": "You grade.", "verdict": "label", "labels": ["yes", "no"],
               "passing_labels": ["yes"], "sampling": {"max_tokens": 8, "extra_body": grammar("yes")}}),
    );
    let it = Item {
        prompt: Some(Content::Messages(vec![Message {
            role: "user".into(),
            content: "What is 2+2?".into(),
            tool_calls: None,
        }])),
        ..Item::new("It is 4.", json!("4"))
    };
    assert_eq!(ok(&e.score(&[it])[0]), 1.0);
    let sent: Value = serde_json::from_str(&proxy.seen.lock().unwrap().bodies[0]).unwrap();
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "You grade."})
    );
    let user = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("What is 2+2?")
            && user.contains("It is 4.")
            && user.contains("Reference answer:\n4"),
        "{user}"
    );
}

#[test]
fn the_attack_set_earns_nothing_through_any_model_grader() {
    // A real server when there is one; either way, a proxy counts what reaches it.
    let llama = Llama::start("chat", &[]);
    let upstream = llama
        .as_ref()
        .map_or("http://127.0.0.1:9".to_string(), |l| l.url.clone());
    let proxy = Proxy::start(&upstream, vec![]);
    let attacks = assay_guard::attack_set();
    assert!(
        attacks.len() > 2000,
        "the attack set has {} cases",
        attacks.len()
    );
    let items: Vec<Item> = attacks
        .iter()
        .map(|a| item(&a.prompt, &a.response, json!("4")))
        .collect();
    let graders = [
        ("judge", json!({"url": proxy.url, "model": "m"})),
        (
            "rubric",
            json!({"url": proxy.url, "model": "m", "criteria": [{"name": "ok", "description": "correct"}]}),
        ),
        ("reward_model", json!({"url": proxy.url, "api": "classify"})),
        (
            "process_reward",
            json!({"url": proxy.url, "scorer": "judge", "model": "m"}),
        ),
    ];
    // The whole set through judge and reward_model; an even sample through the others (the
    // guard runs the same code before every grader).
    let sample = assay_guard::attack_sample(3000);
    let sample_items: Vec<Item> = sample
        .iter()
        .map(|a| item(&a.prompt, &a.response, json!("4")))
        .collect();
    for (kind, options) in graders {
        let (attacks, items) = if matches!(kind, "judge" | "reward_model") {
            (&attacks, &items)
        } else {
            (&sample, &sample_items)
        };
        let results = engine(kind, options).score(items);
        assert_eq!(results.len(), attacks.len());
        for (r, a) in results.iter().zip(attacks) {
            assert!(
                r.status == Status::Ok
                    && r.reward == Some(0.0)
                    && r.explanation["reason"] == json!("no_content"),
                "{kind}: {:?} earned {r:?}",
                a.response
            );
            assert!(r.usage.is_none_or(|u| u.is_zero()), "{kind}: {r:?}");
        }
    }
    assert_eq!(proxy.requests(), 0, "no attack may cost a request");
}

#[test]
fn genuine_short_answers_pass_the_guard_and_are_judged() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(&llama.url, vec![]);
    let e = engine(
        "judge",
        json!({"url": proxy.url, "model": "m", "verdict": "label", "labels": ["yes", "no"], "passing_labels": ["yes"],
               "sampling": {"max_tokens": 8, "extra_body": grammar("yes")}}),
    );
    let genuine: Vec<Item> = assay_guard::genuine_set()
        .iter()
        .take(50)
        .map(|g| item(&g.prompt, &g.response, json!(null)))
        .collect();
    let results = e.score(&genuine);
    assert!(
        results
            .iter()
            .all(|r| r.status == Status::Ok && r.reward == Some(1.0)),
        "{results:?}"
    );
    let distinct: std::collections::HashSet<String> = genuine
        .iter()
        .map(|i| format!("{:?}{}", i.prompt, i.response_text()))
        .collect();
    assert_eq!(
        proxy.requests(),
        distinct.len(),
        "one request per distinct item"
    );
}
