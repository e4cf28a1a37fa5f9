use super::*;

fn reason(response: &str, prompt: Option<&str>) -> Option<&'static str> {
    check(response, prompt, &GuardOptions::default()).map(|n| n.reason())
}

#[test]
fn flags_responses_without_content() {
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\u{200b}\u{feff}", "empty"),
        ("\u{3000}", "empty"),
        ("...", "punctuation_only"),
        ("？！。", "punctuation_only"),
        ("👍", "punctuation_only"),
        ("<think></think>", "punctuation_only"),
        ("<think>\n\n</think>\n\n", "punctuation_only"),
        ("\\boxed{}", "punctuation_only"),
        ("```python\n```", "punctuation_only"),
        ("Thought process:", "opener_only"),
        ("Let's solve this problem step by step.", "opener_only"),
        ("Solution", "opener_only"),
        ("Answer:", "opener_only"),
        ("<think>", "punctuation_only"),
        ("**Solution**", "opener_only"),
        ("## Final Answer\n\n", "opener_only"),
        ("<think>Let me think.</think>\n\n**Answer:**", "opener_only"),
        ("Okay, let's think step by step.", "opener_only"),
        ("Okay, so...", "opener_only"),
        ("Solution: Solution: Solution:", "opener_only"),
        ("SOLUTION:", "opener_only"),
        ("ＳＯＬＵＴＩＯＮ：", "opener_only"),
        ("s o l u t i o n", "opener_only"),
        ("Step 1:\n\nStep 2:", "opener_only"),
        ("\\text{Answer:}", "opener_only"),
        ("\\boxed{Answer}", "opener_only"),
        ("<|im_start|>assistant\n<|im_end|>", "opener_only"),
        ("解：", "opener_only"),
        ("答案：", "opener_only"),
        ("好的，让我们一步一步地思考。", "opener_only"),
        ("思考過程：", "opener_only"),
        ("第1步：", "opener_only"),
        ("Solución:", "opener_only"),
        ("Solucion", "opener_only"),
        ("Bueno, pensemos paso a paso.", "opener_only"),
        ("Réponse :", "opener_only"),
        ("REPONSE", "opener_only"),
        ("Alors, réfléchissons étape par étape...", "opener_only"),
        ("Lösung:", "opener_only"),
        ("Loesung", "opener_only"),
        ("Also, lass uns Schritt für Schritt denken.", "opener_only"),
        ("解答：", "opener_only"),
        ("では、ステップバイステップで考えましょう。", "opener_only"),
        ("Решение:", "opener_only"),
        (
            "Итак, давайте решим эту задачу шаг за шагом.",
            "opener_only",
        ),
        ("ДАВАЙТЕ РАЗБЕРЕМСЯ", "opener_only"),
    ];
    for (response, want) in cases {
        assert_eq!(reason(response, None), Some(*want), "{response:?}");
    }
}

#[test]
fn lets_short_real_answers_through() {
    let cases = [
        "42",
        "B",
        "No",
        "x = 3",
        "\\boxed{7}",
        "Yes.",
        "是",
        "Oui",
        "Paris",
        "∞",
        "∅",
        "π",
        "-1",
        "0",
        "(B)",
        "Okay.",
        "Sure",
        "Well",
        "Answers",
        "Nowhere",
        "Solution: x = 3",
        "Answer: 42",
        "**Final answer:** \\boxed{12}",
        "<think>hmm</think>42",
        "答案：42",
        "答案是B",
        "Ответ: 5",
        "Réponse : Paris",
        "Lösung: x = 2",
        "Step 1: 42",
        "Step 12345",
        "Option B",
        "The answer is B.",
        "No.",
        "Nein",
        "いいえ",
        "Да",
        "x ≤ 5",
        "½",
        "CO₂",
        "<b>42</b>",
        "```\n42\n```",
        "Hmm... 7",
    ];
    for response in cases {
        assert_eq!(reason(response, None), None, "{response:?}");
        assert_eq!(
            reason(response, Some("What is 6 times 7? Answer with a number.")),
            None,
            "{response:?} with a prompt"
        );
    }
}

#[test]
fn flags_prompt_echoes() {
    let prompt = "What is the capital of France?";
    for response in [
        "What is the capital of France?",
        "what is the capital of france",
        "WHAT IS THE CAPITAL OF FRANCE?!",
        "  What   is the\ncapital of France ?  ",
        "Question: What is the capital of France?\nAnswer:",
        "**What is the capital of France?**\n\nLet's think step by step.",
        "<think>What is the capital of France?</think>",
        "What is the capital of France? What is the capital of France?",
        "Answer: what is the capital of France\nwhat is the capital of France",
    ] {
        assert_eq!(
            reason(response, Some(prompt)),
            Some("prompt_echo"),
            "{response:?}"
        );
    }
    // Most of the prompt, once the instruction around the question is gone (0.9 by default).
    let long = "Solve the following problem and put your answer in a box. \
                A train travels 60 km in 1.5 hours; what is its average speed in km per hour";
    let echoed = long.replace(
        "Solve the following problem and put your answer in a box. ",
        "",
    );
    assert_eq!(reason(&echoed, Some(long)), None, "below the threshold");
    let strict = GuardOptions {
        echo_threshold: 0.5,
        ..GuardOptions::default()
    };
    let flagged = check(&echoed, Some(long), &strict).unwrap();
    assert_eq!(flagged.kind(), Reason::PromptEcho);
    assert!(
        !flagged.message().contains("train"),
        "the message never quotes the response"
    );
}

#[test]
fn does_not_take_answers_near_the_prompt_for_echoes() {
    let prompt = "What is the capital of France?";
    for response in [
        "The capital of France is Paris.",
        "What is the capital of France? Paris.",
        "capital of France",
        "France",
    ] {
        assert_eq!(reason(response, Some(prompt)), None, "{response:?}");
    }
    // A one-word prompt answered by itself may be right (echo_min_chars).
    assert_eq!(reason("cat", Some("cat")), None);
    assert_eq!(reason("22", Some("11 + 11")), None);
    assert_eq!(reason("11 + 11 = 22", Some("11 + 11")), None);
    // A prompt made only of openers has nothing to echo.
    assert_eq!(reason("Solve", Some("Solution:")), None);
}

#[test]
fn options_turn_parts_off_and_on() {
    let off = GuardOptions {
        enabled: false,
        ..GuardOptions::default()
    };
    assert_eq!(check("", None, &off), None);
    let no_openers = GuardOptions {
        openers: false,
        ..GuardOptions::default()
    };
    assert_eq!(check("Solution:", None, &no_openers), None);
    assert_eq!(
        check("...", None, &no_openers).unwrap().reason(),
        "punctuation_only"
    );
    let no_echo = GuardOptions {
        prompt_echo: false,
        ..GuardOptions::default()
    };
    assert_eq!(check("What is 2+2?", Some("What is 2+2?"), &no_echo), None);
    let allow = GuardOptions {
        allow: vec!["Solution".into()],
        ..GuardOptions::default()
    };
    assert_eq!(check("**solution.**", None, &allow), None);
    assert!(check("Answer:", None, &allow).is_some());
    let extra = GuardOptions {
        extra_openers: vec!["Voilà la démarche".into(), "Partie {n}".into()],
        ..GuardOptions::default()
    };
    assert_eq!(
        check("VOILA LA DEMARCHE :", None, &extra).unwrap().reason(),
        "opener_only"
    );
    assert_eq!(
        check("Partie 2. Solution:", None, &extra).unwrap().reason(),
        "opener_only"
    );
    assert_eq!(check("Partie 2 : 42", None, &extra), None);
    assert_eq!(
        check("Voilà la démarche", None, &GuardOptions::default()),
        None
    );
    let short = GuardOptions {
        min_content_chars: 3,
        ..GuardOptions::default()
    };
    assert_eq!(check("42", None, &short).unwrap().reason(), "too_short");
    assert_eq!(check("420", None, &short), None);
}

#[test]
fn options_deserialize_with_defaults_and_refuse_mistakes() {
    let o: GuardOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(o, GuardOptions::default());
    let o: GuardOptions = serde_json::from_str(r#"{"echo_threshold": 1.0}"#).unwrap();
    assert_eq!(o.echo_threshold, 1.0);
    assert!(o.enabled && o.openers && o.prompt_echo);
    let err = serde_json::from_str::<GuardOptions>(r#"{"enable": false}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
    for bad in [0.0, -1.0, 1.5, f64::NAN] {
        let err = Guard::new(GuardOptions {
            echo_threshold: bad,
            ..GuardOptions::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("echo_threshold"), "{err}");
    }
    let err = Guard::new(GuardOptions {
        extra_openers: vec!["...".into()],
        ..GuardOptions::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("no letter or digit"), "{err}");
    // `check` uses what it can of the same options instead of failing.
    let lenient = GuardOptions {
        echo_threshold: 7.0,
        extra_openers: vec!["...".into()],
        ..GuardOptions::default()
    };
    assert_eq!(
        check("Answer:", None, &lenient).unwrap().reason(),
        "opener_only"
    );
    let schema = schemars::schema_for!(GuardOptions);
    let json = serde_json::to_string(&schema).unwrap();
    assert!(json.contains("echo_threshold") && json.contains("extra_openers"));
}

#[test]
fn reasons_have_stable_names() {
    let names: Vec<_> = [
        Reason::Empty,
        Reason::PunctuationOnly,
        Reason::TooShort,
        Reason::OpenerOnly,
        Reason::PromptEcho,
    ]
    .iter()
    .map(|r| (r.as_str(), serde_json::to_string(r).unwrap()))
    .collect();
    for (name, json) in names {
        assert_eq!(json, format!("\"{name}\""));
    }
    assert_eq!(NO_CONTENT, "no_content");
}

/// Linear time, shown by counting trie steps rather than timing: every symbol of the skeleton
/// costs at most a small constant number of steps, whatever the input.
#[test]
fn huge_inputs_take_a_bounded_number_of_steps() {
    let tries = Tries::builtin();
    let ten_mb = 10 << 20;
    let spaces = " ".repeat(ten_mb);
    let s = skeleton(&spaces);
    assert_eq!((s.text.len(), s.content), (0, 0));
    assert_eq!(reason(&spaces, None), Some("empty"));

    let openers = "Solution: ".repeat(ten_mb / 10);
    let s = skeleton(&openers);
    let forward = scan(&tries.forward, s.text.chars());
    assert!(forward.only_openers);
    let symbols = s.text.chars().count() as u64;
    assert!(
        forward.steps <= 4 * symbols,
        "{} steps for {symbols} symbols",
        forward.steps
    );
    let backward = scan(&tries.backward, s.text.chars().rev());
    assert!(
        backward.steps <= 4 * symbols,
        "{} steps backward",
        backward.steps
    );

    // Fillers and digit openers keep more positions alive; still a constant per symbol.
    let mixed = "Okay so, Step 12: well, 第3步 ".repeat(100_000);
    let s = skeleton(&mixed);
    let scanned = scan(&tries.forward, s.text.chars());
    assert!(scanned.only_openers);
    let symbols = s.text.chars().count() as u64;
    assert!(
        scanned.steps <= 6 * symbols,
        "{} steps for {symbols} symbols",
        scanned.steps
    );

    // Content stops the scan at once, however long the response.
    let content = format!("42 {}", "Solution ".repeat(1_000_000));
    let s = skeleton(&content);
    assert!(scan(&tries.forward, s.text.chars()).steps <= 2);

    // A huge echo: one pass each, and a linear substring search.
    let prompt = "What is the sum of the numbers below? 1 2 3 ".repeat(50_000);
    assert_eq!(reason(&prompt, Some(&prompt)), Some("prompt_echo"));
}

#[test]
fn a_guard_is_shared_across_threads_and_defaults_to_the_default_options() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Guard>();
    shareable::<NoContent>();
    let guard = Guard::default();
    assert_eq!(guard.options(), &GuardOptions::default());
    let flagged = std::thread::scope(|s| {
        let handles: Vec<_> = ["Solution:", "42", "", "Ответ:"]
            .into_iter()
            .map(|r| s.spawn(|| guard.check(r, None).map(|n| n.reason())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        flagged,
        [
            Some("opener_only"),
            None,
            Some("empty"),
            Some("opener_only")
        ]
    );
}

#[test]
fn a_sample_of_the_attack_set_is_spread_over_it() {
    let all = attack_set();
    let sample = attack_sample(500);
    assert_eq!(sample.len(), 500);
    assert_eq!(sample[0], all[0]);
    for reason in [
        Reason::Empty,
        Reason::PunctuationOnly,
        Reason::OpenerOnly,
        Reason::PromptEcho,
    ] {
        assert!(
            sample.iter().any(|a| a.expected == reason),
            "{reason} missing"
        );
    }
    assert_eq!(attack_sample(usize::MAX).len(), all.len());
}
