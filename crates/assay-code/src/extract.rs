//! Finding the program in a response: the last fenced code block in the language.

/// The body of the last fenced block (```` ``` ```` or `~~~`) tagged with one of `tags` or
/// untagged, or `None` when the response has no such block. An unterminated last block
/// counts (models are often cut off after the code).
pub fn last_code_block<'a>(response: &'a str, tags: &[&str]) -> Option<&'a str> {
    let mut best = None;
    let mut open: Option<(usize, &str)> = None; // (body start, fence)
    let mut offset = 0;
    for line in response.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let fence = if trimmed.starts_with("```") {
            "```"
        } else if trimmed.starts_with("~~~") {
            "~~~"
        } else {
            continue;
        };
        match open {
            Some((body, f)) if f == fence && trimmed.trim_end() == fence => {
                if body != usize::MAX {
                    best = Some(&response[body..start]);
                }
                open = None;
            }
            Some(_) => {}
            None => {
                let tag = trimmed[3..].trim().to_ascii_lowercase();
                let tag = tag.split_whitespace().next().unwrap_or("");
                if tag.is_empty() || tags.contains(&tag) {
                    open = Some((offset, fence));
                } else {
                    // A block in another language: skip to its closing fence.
                    open = Some((usize::MAX, fence));
                }
            }
        }
    }
    if let Some((body, _)) = open {
        if body != usize::MAX && body <= response.len() {
            best = Some(&response[body..]);
        }
    }
    best.filter(|b| !b.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &[&str] = &["python", "py"];

    #[test]
    fn takes_the_last_python_block() {
        let r = "First:\n```python\nx = 1\n```\nthen\n```py\ndef f():\n    return 2\n```\ndone";
        assert_eq!(last_code_block(r, PY), Some("def f():\n    return 2\n"));
    }

    #[test]
    fn skips_other_languages_and_accepts_untagged_and_unterminated() {
        let r = "```python\na = 1\n```\n```bash\nrm -rf /\n```\n";
        assert_eq!(last_code_block(r, PY), Some("a = 1\n"));
        assert_eq!(
            last_code_block("```\nprint(1)\n```", PY),
            Some("print(1)\n")
        );
        assert_eq!(
            last_code_block("```python\nprint(2)\n", PY),
            Some("print(2)\n")
        );
        assert_eq!(last_code_block("no code here", PY), None);
        assert_eq!(last_code_block("```python\n```", PY), None);
        let cpp = "```python\nx\n```\n```cpp\nint main() {}\n```\n";
        assert_eq!(last_code_block(cpp, &["cpp"]), Some("int main() {}\n"));
    }
}
