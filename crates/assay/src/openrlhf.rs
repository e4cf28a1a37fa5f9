//! Recovering the response from OpenRLHF's decoded `query` (prompt + response, with chat
//! template and end-of-sequence tokens). Shared by `assay serve`'s `POST /get_reward` and the
//! Python drop-in, so both read a query the same way.

/// Chat-template and end-of-sequence tokens stripped from both ends of a response by default
/// (ChatML/Qwen, Llama 3, Phi, Gemma, Mistral/Llama 2, DeepSeek in both its ASCII and
/// full-width spellings).
pub const DEFAULT_STRIP_TOKENS: &[&str] = &[
    "<|im_end|>",
    "<|im_start|>assistant",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<|begin_of_text|>",
    "<|start_header_id|>assistant<|end_header_id|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end|>",
    "<|assistant|>",
    "<s>",
    "</s>",
    "<eos>",
    "<pad>",
    "<start_of_turn>model",
    "<end_of_turn>",
    "<|end▁of▁sentence|>",
    "<｜end▁of▁sentence｜>",
    "<|Assistant|>",
    "<｜Assistant｜>",
];

/// The keys of `extra_logs` in a `/get_reward` answer, the same in `assay serve` and in the
/// Python drop-in (`assay.integrations.openrlhf.reward_func`). Each holds one number per query,
/// 1 when the query's item was:
///
/// - `assay_failed`: not graded (`timeout` or `error`): its reward is the failure reward, not
///   a grade;
/// - `assay_invalid`: graded `invalid` (the response had no gradable answer; a real reward);
/// - `assay_not_applicable`: `not_applicable` (the grader does not apply to it);
/// - `assay_prompt_not_found`: its prompt does not occur in its query, so the whole query was
///   graded as the response (check that `prompts` are the texts the queries start with).
///
/// OpenRLHF averages each over the batch, so the logs show the share of each case.
pub const EXTRA_LOG_KEYS: [&str; 4] = [
    "assay_failed",
    "assay_invalid",
    "assay_not_applicable",
    "assay_prompt_not_found",
];

/// The response part of a decoded `query`, and whether its prompt was found in it.
///
/// The response is what follows `prompt` (at the start, or else at its first occurrence, so
/// left padding or a BOS token before it do not matter), with `strip_tokens` and whitespace
/// stripped from both ends. A query that does not contain its prompt is taken whole and
/// reported with `false`.
pub fn response_of<S: AsRef<str>>(
    query: &str,
    prompt: Option<&str>,
    strip_tokens: &[S],
) -> (String, bool) {
    let (rest, found) = match prompt {
        None | Some("") => (query, true),
        Some(p) => match query.strip_prefix(p) {
            Some(rest) => (rest, true),
            None => match query.find(p) {
                Some(at) => (&query[at + p.len()..], true),
                None => (query, false),
            },
        },
    };
    (strip(rest, strip_tokens).to_string(), found)
}

/// Strips `tokens` and whitespace from both ends of `text`, repeatedly (tokens inside the text
/// stay).
pub fn strip<'a, S: AsRef<str>>(mut text: &'a str, tokens: &[S]) -> &'a str {
    loop {
        let before = text.len();
        text = text.trim();
        for t in tokens {
            if let Some(rest) = text.strip_prefix(t.as_ref()) {
                text = rest;
            }
            if let Some(rest) = text.strip_suffix(t.as_ref()) {
                text = rest;
            }
        }
        if text.len() == before {
            return text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_table() {
        let cases = [
            (
                "<s>Q: 1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|><|endoftext|>",
                Some("<s>Q: 1+1?"),
                "2",
                true,
            ),
            ("PAD PAD prompt answer </s>", Some("prompt"), "answer", true),
            (
                "no prompt here<|eot_id|>",
                Some("missing"),
                "no prompt here",
                false,
            ),
            ("just text", None, "just text", true),
            ("x<｜end▁of▁sentence｜>", Some(""), "x", true),
            (
                "keep <|im_end|> inside",
                None,
                "keep <|im_end|> inside",
                true,
            ),
        ];
        for (query, prompt, response, found) in cases {
            assert_eq!(
                response_of(query, prompt, DEFAULT_STRIP_TOKENS),
                (response.to_string(), found),
                "{query}"
            );
        }
    }
}
