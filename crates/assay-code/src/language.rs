//! The languages programs may be written in.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A program's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeLanguage {
    /// Python 3 (every reference shape).
    #[default]
    Python,
    /// C++17, compiled with g++ -O2 (stdin/stdout tests only).
    Cpp,
}

impl CodeLanguage {
    /// Parses a language name as references write it (`python`, `cpp`, `c++` …).
    pub fn from_name(name: &str) -> Option<CodeLanguage> {
        match name.to_ascii_lowercase().as_str() {
            "python" | "python3" | "py" => Some(CodeLanguage::Python),
            "cpp" | "c++" | "cxx" | "cc" | "cpp17" => Some(CodeLanguage::Cpp),
            _ => None,
        }
    }

    /// Fence tags that mark a code block in this language.
    pub fn fence_tags(self) -> &'static [&'static str] {
        match self {
            CodeLanguage::Python => &["python", "py", "python3"],
            CodeLanguage::Cpp => &["cpp", "c++", "cxx", "cc"],
        }
    }

    /// The sandbox language.
    pub fn sandbox(self) -> assay_sandbox::Language {
        match self {
            CodeLanguage::Python => assay_sandbox::Language::Python,
            CodeLanguage::Cpp => assay_sandbox::Language::Cpp,
        }
    }
}
