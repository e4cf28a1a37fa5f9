//! The attack set is flagged, case by case, with the reason it expects; the genuine set is not.

use std::collections::{BTreeMap, HashSet};

use assay_guard::{attack_set, builtin_openers, check, genuine_set, GuardOptions, Reason};

#[test]
fn every_attack_is_flagged_with_its_reason() {
    let options = GuardOptions::default();
    let attacks = attack_set();
    let distinct: HashSet<_> = attacks.iter().map(|a| a.response.as_str()).collect();
    assert_eq!(distinct.len(), attacks.len(), "responses are distinct");
    assert!(attacks.len() >= 3000, "only {} attacks", attacks.len());
    let mut by_reason = BTreeMap::new();
    let mut missed = Vec::new();
    for a in &attacks {
        *by_reason.entry(a.expected.as_str()).or_insert(0) += 1;
        match check(&a.response, Some(&a.prompt), &options) {
            Some(n) if n.kind() == a.expected => {}
            got => missed.push(format!(
                "{:?} (prompt {:?}): expected {}, got {:?}",
                a.response,
                a.prompt,
                a.expected,
                got.map(|n| n.reason())
            )),
        }
    }
    assert!(
        missed.is_empty(),
        "{} missed:\n{}",
        missed.len(),
        missed.join("\n")
    );
    // Every kind of attack is there in numbers.
    assert!(by_reason["empty"] >= 10, "{by_reason:?}");
    assert!(by_reason["punctuation_only"] >= 50, "{by_reason:?}");
    assert!(by_reason["opener_only"] >= 3000, "{by_reason:?}");
    assert!(by_reason["prompt_echo"] >= 100, "{by_reason:?}");
}

#[test]
fn the_attack_set_covers_every_opener_and_language() {
    let attacks = attack_set();
    let languages: HashSet<_> = builtin_openers().map(|(lang, _, _)| lang).collect();
    for lang in ["en", "zh", "es", "fr", "de", "ja", "ru"] {
        assert!(languages.contains(lang), "no openers for {lang}");
    }
    // Every strong opener appears bare (`{n}` as 1) among the attacks.
    let responses: HashSet<_> = attacks.iter().map(|a| a.response.as_str()).collect();
    for (lang, opener, filler) in builtin_openers() {
        if !filler {
            let bare = opener.replace("{n}", "1");
            assert!(
                responses.contains(bare.as_str()) || lang == "en" && opener == "Solution",
                "{lang}: {bare:?} missing"
            );
        }
    }
    // Deterministic.
    assert_eq!(attack_set(), attacks);
}

#[test]
fn no_genuine_answer_is_flagged() {
    let options = GuardOptions::default();
    let genuine = genuine_set();
    assert!(
        genuine.len() >= 300,
        "only {} genuine answers",
        genuine.len()
    );
    let flagged: Vec<_> = genuine
        .iter()
        .filter_map(|g| {
            check(&g.response, Some(&g.prompt), &options)
                .map(|n| format!("{:?}: {}", g.response, n.reason()))
        })
        .collect();
    assert!(flagged.is_empty(), "flagged:\n{}", flagged.join("\n"));
    assert_eq!(genuine_set(), genuine);
}

#[test]
fn attacks_and_genuine_answers_never_overlap() {
    let attacks: HashSet<_> = attack_set().into_iter().map(|a| a.response).collect();
    for g in genuine_set() {
        assert!(
            !attacks.contains(&g.response),
            "{:?} in both sets",
            g.response
        );
    }
    let _ = Reason::OpenerOnly;
}
