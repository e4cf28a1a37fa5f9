//! Language identification for `language:response_language`, `change_case:english_capital`
//! and `change_case:english_lowercase`.
//!
//! IFEval calls `langdetect` (a port of Google's language-detection, 55 n-gram profiles,
//! unseeded random sampling). Its profiles are not shipped here: detection uses the `whatlang`
//! crate (trigram and script based, deterministic), restricted to the languages `langdetect`
//! knows and answering with `langdetect`'s codes (ISO 639-1, `zh-cn` for Mandarin). As in IFEval:
//!
//! - URLs (`http://…`, `https://…`) and e-mail addresses are removed first, and the text is cut
//!   at 10,000 characters;
//! - text with no letter left (where `langdetect` raises for lack of features) has no language:
//!   the instruction counts as followed.
//!
//! Known difference: on short, mixed-language or ALL-CAPS text the two detectors can disagree,
//! and `langdetect` itself is not deterministic there (spec §3.3). On ordinary paragraphs of one
//! language they agree.

use std::sync::OnceLock;

use regex::Regex;
use whatlang::{Detector, Lang};

/// `whatlang` languages that `langdetect` also knows, with `langdetect`'s code.
const CODES: &[(Lang, &str)] = &[
    (Lang::Afr, "af"),
    (Lang::Ara, "ar"),
    (Lang::Bul, "bg"),
    (Lang::Ben, "bn"),
    (Lang::Ces, "cs"),
    (Lang::Dan, "da"),
    (Lang::Deu, "de"),
    (Lang::Ell, "el"),
    (Lang::Eng, "en"),
    (Lang::Spa, "es"),
    (Lang::Est, "et"),
    (Lang::Pes, "fa"),
    (Lang::Fin, "fi"),
    (Lang::Fra, "fr"),
    (Lang::Guj, "gu"),
    (Lang::Heb, "he"),
    (Lang::Hin, "hi"),
    (Lang::Hrv, "hr"),
    (Lang::Hun, "hu"),
    (Lang::Ind, "id"),
    (Lang::Ita, "it"),
    (Lang::Jpn, "ja"),
    (Lang::Kan, "kn"),
    (Lang::Kor, "ko"),
    (Lang::Lit, "lt"),
    (Lang::Lav, "lv"),
    (Lang::Mkd, "mk"),
    (Lang::Mal, "ml"),
    (Lang::Mar, "mr"),
    (Lang::Nep, "ne"),
    (Lang::Nld, "nl"),
    (Lang::Nob, "no"),
    (Lang::Pan, "pa"),
    (Lang::Pol, "pl"),
    (Lang::Por, "pt"),
    (Lang::Ron, "ro"),
    (Lang::Rus, "ru"),
    (Lang::Slk, "sk"),
    (Lang::Slv, "sl"),
    (Lang::Swe, "sv"),
    (Lang::Tam, "ta"),
    (Lang::Tel, "te"),
    (Lang::Tha, "th"),
    (Lang::Tgl, "tl"),
    (Lang::Tur, "tr"),
    (Lang::Ukr, "uk"),
    (Lang::Urd, "ur"),
    (Lang::Vie, "vi"),
    (Lang::Cmn, "zh-cn"),
];

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| Detector::with_allowlist(CODES.iter().map(|(l, _)| *l).collect()))
}

fn noise() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"https?://[-_.?&~;+=/#0-9A-Za-z]{1,2076}|[-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}[-_.0-9A-Za-z]{1,255}")
            .expect("valid pattern")
    })
}

/// The language of `text` as a `langdetect` code, or `None` where `langdetect` would raise
/// (no letters to go on).
pub fn detect(text: &str) -> Option<&'static str> {
    let cut: String = text.chars().take(10_000).collect();
    let cleaned = noise().replace_all(&cut, " ");
    if !cleaned.chars().any(char::is_alphabetic) {
        return None;
    }
    // whatlang reads letter case as evidence poorly; langdetect ignores all-caps words.
    let lowered = cleaned.to_lowercase();
    let lang = detector().detect_lang(&lowered);
    Some(match lang {
        Some(lang) => CODES
            .iter()
            .find(|(l, _)| *l == lang)
            .map_or("unknown", |(_, code)| code),
        None => "unknown",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages() {
        let cases = [
            ("The quick brown fox jumps over the lazy dog while the farmer watches from the porch.", "en"),
            ("Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.", "de"),
            ("यह एक सरल वाक्य है जो हिंदी भाषा में लिखा गया है और इसे पहचाना जाना चाहिए।", "hi"),
            ("Быстрая коричневая лиса прыгает через ленивую собаку, пока фермер смотрит.", "ru"),
            ("Con cáo nâu nhanh nhẹn nhảy qua con chó lười biếng trong khi người nông dân nhìn.", "vi"),
            ("빠른 갈색 여우가 게으른 개를 뛰어넘는 동안 농부는 현관에서 지켜보았습니다.", "ko"),
        ];
        for (text, code) in cases {
            assert_eq!(detect(text), Some(code), "{text}");
        }
    }

    #[test]
    fn no_letters_means_no_language() {
        assert_eq!(detect(""), None);
        assert_eq!(detect("12345 !!! ---"), None);
        assert_eq!(detect("https://example.com/a?b=c"), None);
    }
}
