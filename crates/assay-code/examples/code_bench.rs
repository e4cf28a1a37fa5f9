//! Benchmark and dataset check for the sandbox and the `code` grader (see bench/code/NOTES.md).
//!
//! ```text
//! code_bench check HUMANEVAL.jsonl MBPP.json     # canonical solutions pass, wrong ones fail
//! code_bench throughput HUMANEVAL.jsonl SECONDS  # executions per minute
//! code_bench calls                               # a test's call to the candidate, round trip
//! code_bench trivial [N]                          # N print(1) runs: sandbox, then the grader
//! ```

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assay_code::{CodeGrader, CodeOptions};
use assay_core::{BatchContext, Grader, Item, Status};
use assay_sandbox::{Sandbox, SandboxConfig, Task};
use serde_json::{json, Value};

fn humaneval(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read HumanEval jsonl (decompressed)")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("HumanEval line"))
        .collect()
}

fn mbpp(path: &str) -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read MBPP json (decompressed)"))
        .expect("MBPP json")
}

/// Wraps `name` so its results are off by one (numbers +1, booleans negated, others changed).
fn off_by_one(name: &str) -> String {
    format!(
        "\n__orig = {name}\ndef {name}(*a, **k):\n    r = __orig(*a, **k)\n    if isinstance(r, bool):\n        return not r\n    if isinstance(r, (int, float)):\n        return r + 1\n    if isinstance(r, str):\n        return r + 'x'\n    if isinstance(r, (list, tuple)):\n        return type(r)(list(r) + [0])\n    return 0 if r is None else None\n"
    )
}

fn mbpp_entry(record: &Value) -> Option<String> {
    let code = record["code"].as_str()?;
    let tests = record["test_list"].to_string();
    code.lines()
        .filter_map(|l| l.strip_prefix("def "))
        .filter_map(|l| l.split('(').next())
        .map(str::trim)
        .rfind(|name| tests.contains(&format!("{name}(")))
        .map(str::to_owned)
}

fn grade_all(grader: &CodeGrader, items: &[Item]) -> Vec<(Status, f64, String)> {
    let refs: Vec<&Item> = items.iter().collect();
    grader
        .grade_batch(&refs, &BatchContext::new(None))
        .into_iter()
        .map(|o| {
            let why = Value::Object(o.explanation).to_string();
            (o.status, o.reward.unwrap_or(f64::NAN), why)
        })
        .collect()
}

/// A data set's name, task ids, canonical items and wrong items.
type DataSet = (&'static str, Vec<String>, Vec<Item>, Vec<Item>);

fn check(he_path: &str, mbpp_path: &str) {
    // Generous time: this checks correctness, and a few canonical solutions take seconds.
    let grader = CodeGrader::new(CodeOptions {
        time_limit_s: 60.0,
        ..CodeOptions::default()
    })
    .expect("options");
    let he = humaneval(he_path);
    let mb = mbpp(mbpp_path);
    let mut sets: Vec<DataSet> = Vec::new();
    let (mut ids, mut good, mut bad) = (Vec::new(), Vec::new(), Vec::new());
    for r in &he {
        let reference = json!({"test": r["test"], "entry_point": r["entry_point"]});
        let program = format!(
            "{}{}",
            r["prompt"].as_str().unwrap(),
            r["canonical_solution"].as_str().unwrap()
        );
        ids.push(r["task_id"].as_str().unwrap().to_owned());
        bad.push(Item::new(
            format!(
                "```python\n{program}{}```",
                off_by_one(r["entry_point"].as_str().unwrap())
            ),
            reference.clone(),
        ));
        good.push(Item::new(format!("```python\n{program}\n```"), reference));
    }
    sets.push(("HumanEval", ids, good, bad));
    let (mut ids, mut good, mut bad) = (Vec::new(), Vec::new(), Vec::new());
    for r in &mb {
        let reference = json!({"test_list": r["test_list"], "test_imports": r["test_imports"]});
        let code = r["code"].as_str().unwrap();
        ids.push(r["task_id"].to_string());
        let wrong = match mbpp_entry(r) {
            Some(name) => format!("{code}\n{}", off_by_one(&name)),
            None => "def nothing():\n    pass\n".to_owned(),
        };
        bad.push(Item::new(
            format!("```python\n{wrong}\n```"),
            reference.clone(),
        ));
        good.push(Item::new(format!("```python\n{code}\n```"), reference));
    }
    sets.push(("MBPP (sanitized)", ids, good, bad));
    for (name, ids, good, bad) in sets {
        let started = Instant::now();
        let verdicts = grade_all(&grader, &good);
        let elapsed = started.elapsed();
        let failures: Vec<String> = ids
            .iter()
            .zip(&verdicts)
            .filter(|(_, (s, r, _))| *s != Status::Ok || *r != 1.0)
            .map(|(id, (s, r, why))| format!("{id}: {s:?} {r} {why}"))
            .collect();
        let wrong = grade_all(&grader, &bad);
        let wrong_passed: Vec<&String> = ids
            .iter()
            .zip(&wrong)
            .filter(|(_, (s, r, _))| *s != Status::Ok || *r != 0.0)
            .map(|(id, _)| id)
            .collect();
        println!(
            "{name}: canonical solutions passing {}/{} in {:.2?}; off-by-one variants failing {}/{}",
            verdicts.len() - failures.len(),
            verdicts.len(),
            elapsed,
            wrong.len() - wrong_passed.len(),
            wrong.len()
        );
        for f in &failures {
            println!("  canonical not passing: {f}");
        }
        for id in &wrong_passed {
            println!("  wrong variant not failing: {id}");
        }
    }
}

/// The cost of one call from a test (run by the judge process) to the candidate's function
/// (in its own process): a check making `n` calls, less the same check making none, over `n`.
fn calls() {
    let grader = CodeGrader::new(CodeOptions {
        time_limit_s: 60.0,
        ..CodeOptions::default()
    })
    .expect("options");
    let response = "```python\ndef f(x):\n    return 2 * x\n```";
    let timed = |n: usize| {
        let test = format!(
            "def check(candidate):\n    for x in range({n}):\n        assert candidate(x) == 2 * x\n"
        );
        let item = Item::new(response, json!({"test": test, "entry_point": "f"}));
        let best = (0..5)
            .map(|_| {
                let started = Instant::now();
                let (status, reward, why) = grade_all(&grader, std::slice::from_ref(&item))
                    .pop()
                    .expect("one verdict");
                assert!(status == Status::Ok && reward == 1.0, "{why}");
                started.elapsed()
            })
            .min()
            .expect("five runs");
        best
    };
    let n = 20_000;
    let (none, many) = (timed(0), timed(n));
    let per_call = many.saturating_sub(none).as_secs_f64() / n as f64;
    println!(
        "judge -> candidate calls: {:.1} µs per round trip ({n} calls in {many:.2?}, none in {none:.2?}; best of 5)",
        per_call * 1e6
    );
}

/// Runs `tasks` round-robin on `threads` threads for `seconds`; returns executions per minute.
fn rate(sandbox: &Sandbox, tasks: &[Task], seconds: f64) -> (f64, usize) {
    let done = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..sandbox.config().cells {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed) % tasks.len();
                    match sandbox.run(&tasks[i]) {
                        Ok(e) if e.status == assay_sandbox::Status::Ok => {}
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    let n = done.load(Ordering::Relaxed);
    (
        n as f64 * 60.0 / started.elapsed().as_secs_f64(),
        failed.load(Ordering::Relaxed),
    )
}

fn throughput(he_path: &str, seconds: f64) {
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    println!("cells: {}", sandbox.config().cells);
    let trivial = vec![Task::python("pass")];
    let (per_min, failed) = rate(&sandbox, &trivial, seconds);
    println!("trivial (`pass`): {per_min:.0} executions/min ({failed} not ok)");
    let typical: Vec<Task> = humaneval(he_path)
        .iter()
        .map(|r| {
            Task::python(format!(
                "{}{}\n{}\ncheck({})\n",
                r["prompt"].as_str().unwrap(),
                r["canonical_solution"].as_str().unwrap(),
                r["test"].as_str().unwrap(),
                r["entry_point"].as_str().unwrap()
            ))
        })
        .collect();
    let (per_min, failed) = rate(&sandbox, &typical, seconds);
    println!("typical (HumanEval solution + check): {per_min:.0} executions/min ({failed} not ok)");
    drop(sandbox);

    // Through the grader: batches of 64 items, 8 samples of each of 8 HumanEval problems (as
    // in a GRPO step), so the plan of each reference is made once and reused by its group.
    let grader = CodeGrader::new(CodeOptions::default()).expect("options");
    let records = humaneval(he_path);
    let started = Instant::now();
    let (mut graded, mut passed) = (0usize, 0usize);
    for problems in records.chunks(8).cycle() {
        if started.elapsed().as_secs_f64() >= seconds {
            break;
        }
        let mut batch = Vec::new();
        for r in problems {
            let reference = json!({"test": r["test"], "entry_point": r["entry_point"]});
            let response = format!(
                "```python\n{}{}\n```",
                r["prompt"].as_str().unwrap(),
                r["canonical_solution"].as_str().unwrap()
            );
            batch.extend((0..8).map(|_| Item::new(response.clone(), reference.clone())));
        }
        for (_, reward, _) in grade_all(&grader, &batch) {
            graded += 1;
            passed += usize::from(reward == 1.0);
        }
    }
    let per_min = graded as f64 * 60.0 / started.elapsed().as_secs_f64();
    println!(
        "code grader (HumanEval, batches of 8 problems x 8 samples): {per_min:.0} items/min ({} not passing)",
        graded - passed
    );
}

/// The CLI comparison (bench/code/cli_vs_sandbox.sh): `n` runs of the program the CLI's items
/// hold (`print(1)`, an empty stdin), straight on a sandbox of the default configuration, then
/// `n` items through the `code` grader in-process (batches of 64, as the
/// engine makes them); prints executions (items) per minute for each.
fn trivial(n: usize) {
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let task = Task::python("print(1)");
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..sandbox.config().cells {
            s.spawn(|| {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    match sandbox.run(&task) {
                        Ok(e) if e.status == assay_sandbox::Status::Ok && e.stdout == b"1\n" => {}
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let took = started.elapsed().as_secs_f64();
    println!(
        "sandbox, {n} runs of print(1): {:.0} executions/min ({} not ok, {took:.1} s)",
        n as f64 * 60.0 / took,
        failed.load(Ordering::Relaxed)
    );
    drop(sandbox);

    let grader = CodeGrader::new(CodeOptions::default()).expect("options");
    let item = Item::new(
        "```python\nprint(1)\n```",
        json!({"tests": [{"stdin": "", "stdout": "1\n"}]}),
    );
    let items: Vec<Item> = (0..n).map(|_| item.clone()).collect();
    let started = Instant::now();
    let mut passed = 0;
    for chunk in items.chunks(64) {
        passed += grade_all(&grader, chunk)
            .iter()
            .filter(|(_, reward, _)| *reward == 1.0)
            .count();
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "code grader in-process, {n} items in batches of 64: {:.0} items/min ({} not passing, {took:.1} s)",
        n as f64 * 60.0 / took,
        n - passed
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("trivial") => trivial(args.get(2).map_or(3000, |s| s.parse().expect("count"))),
        Some("check") if args.len() == 4 => check(&args[2], &args[3]),
        Some("calls") => calls(),
        Some("throughput") if args.len() >= 3 => {
            throughput(&args[2], args.get(3).map_or(10.0, |s| s.parse().expect("seconds")))
        }
        _ => eprintln!(
            "usage: code_bench check HUMANEVAL.jsonl MBPP.json | throughput HUMANEVAL.jsonl [SECONDS] | calls | trivial [N]"
        ),
    }
}
