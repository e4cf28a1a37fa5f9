//! Finding the SQL in a model's response, and the format reward.

use serde::{Deserialize, Serialize};

/// Where the SQL is taken from in a response.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ExtractMode {
    /// The last fenced ```` ```sql ```` block; else the text after the last `anchor` (if one is
    /// configured); else the whole response.
    #[default]
    Auto,
    /// Only the last fenced ```` ```sql ```` block (a bare ```` ``` ```` block counts when no
    /// block is tagged `sql`).
    Fence,
    /// Only the text after the last occurrence of `anchor` (up to a closing fence, if any; for
    /// an anchor like `<answer>`, up to `</answer>`).
    Anchor,
    /// The whole response.
    Whole,
}

/// How the SQL was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// From a fenced code block.
    Fence,
    /// From the text after the anchor.
    Anchor,
    /// The whole response.
    Whole,
}

/// SQL found in a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The SQL text, trimmed.
    pub sql: String,
    /// Where it came from.
    pub source: Source,
}

/// Extracts the SQL from `response`; `None` when the configured place holds nothing.
pub fn extract(response: &str, mode: ExtractMode, anchor: Option<&str>) -> Option<Extracted> {
    let found = match mode {
        ExtractMode::Fence => last_fence(response).map(|sql| (sql, Source::Fence)),
        ExtractMode::Anchor => after_anchor(response, anchor?).map(|sql| (sql, Source::Anchor)),
        ExtractMode::Whole => Some((response.to_string(), Source::Whole)),
        ExtractMode::Auto => last_fence(response)
            .map(|sql| (sql, Source::Fence))
            .or_else(|| after_anchor(response, anchor?).map(|sql| (sql, Source::Anchor)))
            .or_else(|| Some((response.to_string(), Source::Whole))),
    };
    let (sql, source) = found?;
    let sql = sql.trim();
    (!sql.is_empty()).then(|| Extracted {
        sql: sql.to_string(),
        source,
    })
}

/// The body of the last ```` ```sql ```` block, or of the last untagged block when none is
/// tagged `sql`. An unclosed last block runs to the end of the response.
fn last_fence(response: &str) -> Option<String> {
    let mut sql_block = None;
    let mut bare_block = None;
    let mut rest = response;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let (info, body_start) = match after.find('\n') {
            Some(nl) => (after[..nl].trim(), nl + 1),
            None => (after.trim(), after.len()),
        };
        let body = &after[body_start..];
        let (content, next) = match body.find("```") {
            Some(close) => (&body[..close], &body[close + 3..]),
            None => (body, ""),
        };
        if info.eq_ignore_ascii_case("sql") || info.eq_ignore_ascii_case("sqlite") {
            sql_block = Some(content.to_string());
        } else if info.is_empty() {
            bare_block = Some(content.to_string());
        }
        rest = next;
    }
    sql_block.or(bare_block)
}

/// The text after the last `anchor`, up to a closing fence; when the anchor is an opening
/// tag such as `<answer>`, up to its closing tag as well.
fn after_anchor(response: &str, anchor: &str) -> Option<String> {
    if anchor.is_empty() {
        return None;
    }
    let at = response.rfind(anchor)?;
    let mut tail = &response[at + anchor.len()..];
    if let Some(name) = anchor.strip_prefix('<').and_then(|a| a.strip_suffix('>')) {
        let close = format!("</{name}>");
        if let Some(end) = tail.find(&close) {
            tail = &tail[..end];
        }
    }
    let tail = tail.trim_start().strip_prefix("```sql").unwrap_or(tail);
    Some(tail.split("```").next().unwrap_or(tail).to_string())
}

/// The format reward: 1 when the response has the expected shape, else 0.
///
/// The shape: each tag in `tags` appears exactly once as `<tag>…</tag>`, in the given order and
/// not overlapping, and the SQL was found in a fenced block or after the anchor (not as a
/// whole-response fallback) — unless the extraction mode is `whole`, where any SQL counts.
pub fn format_reward(
    response: &str,
    tags: &[String],
    extracted: Option<&Extracted>,
    mode: ExtractMode,
) -> f64 {
    let sql_in_place = match extracted {
        None => false,
        Some(found) => mode == ExtractMode::Whole || found.source != Source::Whole,
    };
    if sql_in_place && tags_in_order(response, tags) {
        1.0
    } else {
        0.0
    }
}

fn tags_in_order(response: &str, tags: &[String]) -> bool {
    let mut position = 0;
    for tag in tags {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        if response.matches(&open).count() != 1 || response.matches(&close).count() != 1 {
            return false;
        }
        let (Some(o), Some(c)) = (response.find(&open), response.find(&close)) else {
            return false;
        };
        if o < position || c < o + open.len() {
            return false;
        }
        position = c + close.len();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction_table() {
        let fenced = "Plan.\n```sql\nSELECT 1\n```\nBetter:\n```sql\nSELECT 2;\n```\nDone.";
        let bare = "```\nSELECT 3\n```";
        let python_then_bare = "```python\nprint(1)\n```\n```\nSELECT 4\n```";
        let anchored = "thinking...\nFinal SQL: SELECT 5";
        type Case<'a> = (
            &'a str,
            ExtractMode,
            Option<&'a str>,
            Option<(&'a str, Source)>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                fenced,
                ExtractMode::Auto,
                None,
                Some(("SELECT 2;", Source::Fence)),
            ),
            (
                fenced,
                ExtractMode::Fence,
                None,
                Some(("SELECT 2;", Source::Fence)),
            ),
            (
                bare,
                ExtractMode::Fence,
                None,
                Some(("SELECT 3", Source::Fence)),
            ),
            (
                python_then_bare,
                ExtractMode::Auto,
                None,
                Some(("SELECT 4", Source::Fence)),
            ),
            (anchored, ExtractMode::Fence, None, None),
            (
                anchored,
                ExtractMode::Anchor,
                Some("Final SQL:"),
                Some(("SELECT 5", Source::Anchor)),
            ),
            (anchored, ExtractMode::Anchor, None, None),
            (
                anchored,
                ExtractMode::Auto,
                Some("Final SQL:"),
                Some(("SELECT 5", Source::Anchor)),
            ),
            (
                "Final SQL: ```sql\nSELECT 6\n``` trailing",
                ExtractMode::Anchor,
                Some("Final SQL:"),
                Some(("SELECT 6", Source::Anchor)),
            ),
            (
                "<think>a</think><answer>SELECT 10 </answer>",
                ExtractMode::Anchor,
                Some("<answer>"),
                Some(("SELECT 10", Source::Anchor)),
            ),
            (
                "<answer>\n```sql\nSELECT 11\n```\n</answer>",
                ExtractMode::Anchor,
                Some("<answer>"),
                Some(("SELECT 11", Source::Anchor)),
            ),
            (
                "SELECT 7",
                ExtractMode::Auto,
                None,
                Some(("SELECT 7", Source::Whole)),
            ),
            (
                "  SELECT 8 ",
                ExtractMode::Whole,
                None,
                Some(("SELECT 8", Source::Whole)),
            ),
            (
                "```sql\nSELECT 9",
                ExtractMode::Fence,
                None,
                Some(("SELECT 9", Source::Fence)),
            ),
            ("```sql\n\n```", ExtractMode::Fence, None, None),
            ("   ", ExtractMode::Auto, None, None),
        ];
        for (response, mode, anchor, expected) in cases {
            let got = extract(response, mode, anchor);
            let expected = expected.map(|(sql, source)| Extracted {
                sql: sql.to_string(),
                source,
            });
            assert_eq!(got, expected, "{response:?} with {mode:?}");
        }
    }

    #[test]
    fn format_reward_table() {
        let tags = ["think".to_string(), "answer".to_string()];
        let good = "<think>join orders</think><answer>```sql\nSELECT 1\n```</answer>";
        let cases = [
            (good, &tags[..], 1.0),
            (
                "<answer>```sql\nSELECT 1\n```</answer><think>x</think>",
                &tags[..],
                0.0,
            ),
            (
                "<think>a</think><think>b</think><answer>```sql\nSELECT 1\n```</answer>",
                &tags[..],
                0.0,
            ),
            ("<think>x</think><answer>SELECT 1</answer>", &tags[..], 0.0),
            ("```sql\nSELECT 1\n```", &[][..], 1.0),
            ("SELECT 1", &[][..], 0.0),
        ];
        for (response, tags, expected) in cases {
            let found = extract(response, ExtractMode::Auto, None);
            assert_eq!(
                format_reward(response, tags, found.as_ref(), ExtractMode::Auto),
                expected,
                "{response:?}"
            );
        }
    }
}
