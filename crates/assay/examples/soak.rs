//! Soak test of every parser of untrusted text (see bench/soak/NOTES.md).
//!
//! Each parser gets `--count` inputs (default 1,000,000): seeds from the repository's test
//! corpora, mutated (characters inserted, deleted and replaced, seeds spliced together,
//! segments repeated, brackets nested deep), with every tenth input random bytes. Each call runs
//! under `catch_unwind` and is timed. The report gives, per parser: inputs, panics (with the
//! first inputs that panicked, written to `--out`), calls over 10 ms (with the slowest inputs),
//! the slowest call, and the process's peak memory at the end.
//!
//! ```text
//! cargo run --release -p assay --no-default-features \
//!     --features math,text,code,sql,ifeval,similarity --example soak -- [--count N] [--seed S]
//!     [--only NAME] [--out DIR]
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A call slower than this is reported.
const SLOW: Duration = Duration::from_millis(10);

/// xorshift64*: reproducible from `--seed`, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Characters that matter to the parsers, inserted more often than random ones.
const INTERESTING: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\\",
    "\"",
    "'",
    ",",
    ":",
    "=",
    "\n",
    "```",
    "<",
    ">",
    "$",
    "^",
    "_",
    "/",
    "*",
    "-",
    "+",
    ".",
    "0",
    "9",
    "e",
    "\u{0}",
    "é",
    "\u{202e}",
    "\\frac",
    "\\boxed{",
    "<tool_call>",
    "</tool_call>",
    "```sql\n",
    "```python\n",
    "None",
    "True",
    "[[",
    "{{",
    "1e308",
    "99999999999999999999",
    "\\sqrt",
    "9^{9^{9}}",
    "\"\\u0000\"",
    "<answer>",
];

fn mutate(rng: &mut Rng, seeds: &[String]) -> String {
    if rng.below(10) == 0 {
        // Random bytes, read lossily (the CLI reads invalid UTF-8 the same way).
        let len = rng.below(256);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut s: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(s.len() + 1);
        match rng.below(8) {
            0 | 1 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                s.splice(at..at, piece.chars());
            }
            2 if at < s.len() => {
                let end = (at + 1 + rng.below(8)).min(s.len());
                s.drain(at..end);
            }
            3 if at < s.len() => s[at] = char::from_u32(rng.next() as u32 % 0x3000).unwrap_or('?'),
            4 => {
                // Splice in part of another seed.
                let other: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(64)).min(other.len());
                s.splice(at..at, other[from..to].iter().copied());
            }
            5 if !s.is_empty() => {
                // Repeat a segment (long inputs).
                let from = rng.below(s.len());
                let to = (from + 1 + rng.below(16)).min(s.len());
                let seg: Vec<char> = s[from..to].to_vec();
                for _ in 0..rng.below(64) {
                    s.splice(at..at, seg.iter().copied());
                }
            }
            6 => {
                // Deep nesting.
                let depth = 1 + rng.below(400);
                let (open, close) =
                    [("{", "}"), ("[", "]"), ("(", ")"), ("\\frac{", "}{1}")][rng.below(4)];
                let mut nest = open.repeat(depth);
                if rng.below(2) == 0 {
                    nest.push_str(&close.repeat(depth));
                }
                s.splice(at..at, nest.chars());
            }
            _ => {}
        }
    }
    s.into_iter().collect()
}

/// Runs a parser on one input (and, where it takes two texts, its second).
type ParseCall = Box<dyn Fn(&str, &str)>;

/// One parser under soak: its name, its seeds, and the call.
struct Target {
    name: &'static str,
    seeds: Vec<String>,
    /// Seeds of the second argument (the response, where a parser takes two texts).
    responses: Vec<String>,
    call: ParseCall,
}

#[derive(Default)]
struct Report {
    inputs: u64,
    panics: Vec<String>,
    panic_count: u64,
    slow: Vec<(Duration, String)>,
    slow_count: u64,
    slowest: Duration,
    total: Duration,
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lines(root: &Path, path: &str) -> Vec<String> {
    read(root, path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect()
}

fn targets(root: &Path) -> Vec<Target> {
    use assay::config::Format;
    use assay::{Config, MalformedItem};

    let mut math = Vec::new();
    for file in [
        "equivalence.tsv",
        "responses.tsv",
        "adversarial.tsv",
        "extraction.tsv",
    ] {
        for line in lines(root, &format!("crates/assay-math/tests/corpus/{file}")) {
            if !line.starts_with('#') {
                math.extend(line.split('\t').skip(1).map(|f| f.replace("\\n", "\n")));
            }
        }
    }
    let mut jsonl = lines(root, "examples/rollouts.jsonl");
    jsonl.extend(lines(root, "examples/expected.jsonl"));
    let ifeval_lines = lines(root, "crates/assay-ifeval/tests/data/ifeval_sample.jsonl");
    let mut ifeval = Vec::new();
    for l in &ifeval_lines {
        let v: Value = serde_json::from_str(l).unwrap();
        let reference = serde_json::json!({"instruction_id_list": v["instruction_id_list"], "kwargs": v["kwargs"]});
        ifeval.push(reference.to_string());
        // The IF-RLVR data writes references as Python literals.
        ifeval.push(
            reference
                .to_string()
                .replace("\":", "':")
                .replace("{\"", "{'")
                .replace(", \"", ", '")
                .replace("null", "None")
                .replace("true", "True"),
        );
    }
    jsonl.extend(ifeval_lines.iter().take(50).cloned());
    let toml = vec![read(root, "examples/rewards.toml")];
    let sql = vec![
        "```sql\nSELECT count(*) FROM orders WHERE status = 'paid';\n```".to_string(),
        "Let me think.\n```sql\nSELECT a.name, SUM(b.x) FROM a JOIN b ON a.id = b.aid GROUP BY a.name ORDER BY 2 DESC LIMIT 3\n```\nDone.".into(),
        "<answer>SELECT * FROM t</answer>".into(),
        "Final SQL: WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT * FROM r".into(),
    ];
    let code = vec![
        "Here is the program:\n```python\ndef add(a, b):\n    return a + b\n```\n".to_string(),
        "```python\nimport sys\nprint(sum(map(int, sys.stdin.read().split())))\n```".into(),
        "```cpp\n#include <iostream>\nint main(){int a,b;std::cin>>a>>b;std::cout<<a+b;}\n```".into(),
        "{\"inputs\": [\"1 2\\n\"], \"outputs\": [\"3\\n\"]}".into(),
        "{\"tests\": [\"assert add(1, 2) == 3\", \"assert add(-1, 1) == 0\"]}".into(),
        "{\"test\": \"def check(candidate):\\n    assert candidate(1, 2) == 3\\n\", \"entry_point\": \"add\"}".into(),
    ];
    let tools = vec![
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>".to_string(),
        "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"b\", \"parameters\": {\"x\": [1, 2.5, null]}}</tool_call>".into(),
        "{\"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{\\\"q\\\": 1}\"}}]}".into(),
    ];
    let ifeval_responses: Vec<String> =
        lines(root, "crates/assay-ifeval/tests/data/ifeval_sample.jsonl")
            .iter()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["prompt"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();

    vec![
        Target {
            name: "math",
            seeds: math,
            responses: Vec::new(),
            call: Box::new(|a, b| {
                let mut steps = assay_math::Steps::default();
                let _ = assay_math::verify(a, b, &assay_math::Options::default(), &mut steps);
            }),
        },
        Target {
            name: "jsonl_item",
            seeds: jsonl,
            responses: Vec::new(),
            call: Box::new(|a, _| {
                let _ = MalformedItem::parse_numbered_line(a, 7);
            }),
        },
        Target {
            name: "toml_config",
            seeds: toml,
            responses: Vec::new(),
            call: Box::new(|a, _| {
                static REGISTRY: std::sync::OnceLock<assay::Registry> = std::sync::OnceLock::new();
                if let Ok(v) = Format::Toml.parse(a) {
                    if let Ok(config) = Config::from_value(&v) {
                        let registry = REGISTRY.get_or_init(assay::registry);
                        let _ = assay::Engine::new(&config, registry, "soak");
                    }
                }
            }),
        },
        Target {
            name: "ifeval_kwargs",
            seeds: ifeval,
            responses: Vec::new(),
            call: Box::new(move |a, b| {
                let value =
                    serde_json::from_str::<Value>(a).or_else(|_| assay_ifeval::pyliteral::parse(a));
                let Ok(value) = value else { return };
                let ids = value["instruction_id_list"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let kwargs = value["kwargs"].as_array().cloned().unwrap_or_default();
                for (id, kw) in ids.iter().zip(&kwargs) {
                    let (Some(id), Some(kw)) = (id.as_str(), kw.as_object()) else {
                        continue;
                    };
                    if let Ok(instruction) =
                        assay_ifeval::instructions::Instruction::parse(id, kw, Some(b))
                    {
                        let _ = instruction.check(b);
                    }
                }
            }),
        },
        Target {
            name: "sql_extract",
            seeds: sql,
            responses: Vec::new(),
            call: Box::new(|a, _| {
                for mode in [assay_sql::ExtractMode::Auto, assay_sql::ExtractMode::Fence] {
                    let _ = assay_sql::extract::extract(a, mode, Some("<answer>"));
                }
            }),
        },
        Target {
            name: "code_extract",
            seeds: code,
            responses: Vec::new(),
            call: Box::new(|a, _| {
                let _ = assay_code::last_code_block(a, &["python", "py"]);
                if let Ok(v) = serde_json::from_str::<Value>(a) {
                    let _ = assay_code::Reference::parse(&v);
                }
            }),
        },
        Target {
            name: "tool_call",
            seeds: tools,
            responses: Vec::new(),
            call: Box::new(|a, _| {
                let _ = assay_similarity::tool_call::parse_text(a);
            }),
        },
    ]
    .into_iter()
    .map(|mut t| {
        // The responses the instructions are checked on: IFEval's prompts, mutated.
        t.responses = if t.name == "ifeval_kwargs" {
            ifeval_responses.clone()
        } else {
            t.seeds.clone()
        };
        t
    })
    .collect()
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn excerpt(s: &str) -> String {
    let short: String = s.chars().take(160).collect();
    format!(
        "{short:?}{}",
        if s.chars().count() > 160 { " …" } else { "" }
    )
}

fn main() {
    let mut count: u64 = 1_000_000;
    let mut seed: u64 = 0x5eed;
    let mut only: Option<String> = None;
    let mut out = PathBuf::from("target/soak");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--count" => count = value().parse().expect("--count N"),
            "--seed" => seed = value().parse().expect("--seed S"),
            "--only" => only = Some(value()),
            "--out" => out = PathBuf::from(value()),
            other => panic!("unknown argument {other}; see the header of examples/soak.rs"),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::create_dir_all(&out).unwrap();
    // Panics are counted, not printed (a million backtraces help nobody).
    std::panic::set_hook(Box::new(|_| {}));

    println!(
        "soak: {count} inputs per parser, seed {seed:#x}, slow = over {} ms",
        SLOW.as_millis()
    );
    println!(
        "{:<14} {:>9} {:>7} {:>8} {:>10} {:>10}",
        "parser", "inputs", "panics", ">10ms", "slowest ms", "mean µs"
    );
    let started = Instant::now();
    let mut all_ok = true;
    for target in targets(&root) {
        if only.as_deref().is_some_and(|o| o != target.name) {
            continue;
        }
        let mut rng = Rng(seed ^ (target.name.len() as u64 * 0x9e37_79b9_7f4a_7c15) | 1);
        let mut report = Report::default();
        let responses = &target.responses;
        for _ in 0..count {
            let a = mutate(&mut rng, &target.seeds);
            let b = mutate(&mut rng, responses);
            let t = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(|| (target.call)(&a, &b)));
            let took = t.elapsed();
            report.inputs += 1;
            report.total += took;
            report.slowest = report.slowest.max(took);
            if result.is_err() {
                report.panic_count += 1;
                if report.panics.len() < 20 {
                    report.panics.push(format!("{a:?}\t{b:?}"));
                }
            }
            if took > SLOW {
                report.slow_count += 1;
                report.slow.push((took, format!("{a:?}\t{b:?}")));
                report.slow.sort_by_key(|x| std::cmp::Reverse(x.0));
                report.slow.truncate(20);
            }
        }
        all_ok &= report.panic_count == 0;
        println!(
            "{:<14} {:>9} {:>7} {:>8} {:>10.2} {:>10.1}",
            target.name,
            report.inputs,
            report.panic_count,
            report.slow_count,
            report.slowest.as_secs_f64() * 1e3,
            report.total.as_secs_f64() * 1e6 / report.inputs.max(1) as f64
        );
        let mut detail = String::new();
        for p in &report.panics {
            detail.push_str(&format!("panic\t{p}\n"));
        }
        for (d, s) in &report.slow {
            detail.push_str(&format!("slow {:.1} ms\t{s}\n", d.as_secs_f64() * 1e3));
        }
        if !detail.is_empty() {
            let path = out.join(format!("{}.tsv", target.name));
            std::fs::write(&path, detail).unwrap();
            if let Some((d, s)) = report.slow.first() {
                println!(
                    "    slowest input ({:.1} ms): {}",
                    d.as_secs_f64() * 1e3,
                    excerpt(s)
                );
            }
            println!("    details: {}", path.display());
        }
    }
    println!(
        "peak memory (VmHWM): {:.1} MiB; wall {:.1} s",
        peak_rss_kib() as f64 / 1024.0,
        started.elapsed().as_secs_f64()
    );
    if !all_ok {
        println!("FAIL: some inputs panicked");
        std::process::exit(1);
    }
}
