//! Errors: one precise [`RuleError`] per rule (or config line) that cannot load.

use std::fmt;

/// Why one rule (or one line of a config file) could not be loaded.
///
/// Displays as `FILE:LINE: keyword 'X': reason`, or `FILE:LINE: reason` when
/// the problem is not tied to one keyword (header, framing, variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file the rule came from (as given by the caller).
    pub file: String,
    /// 1-based line of the rule's first physical line.
    pub line: usize,
    /// The keyword at fault, if any.
    pub keyword: Option<String>,
    /// What is wrong, in words.
    pub message: String,
    /// The rule's sid when it could be read (helps matching with other tools).
    pub sid: Option<u32>,
}

impl RuleError {
    /// The error category used for histograms: the keyword, or a short tag for
    /// header/framing problems (the message up to the first ':' or quote).
    pub fn category(&self) -> String {
        match &self.keyword {
            Some(k) => k.clone(),
            None => {
                let m = self.message.as_str();
                let end = m.find([':', '"', '\'', '(']).unwrap_or(m.len());
                m.get(..end).unwrap_or(m).trim().to_string()
            }
        }
    }
}

impl fmt::Display for RuleError {
    /// Echoed rule text is shortened so a hostile rule cannot produce a huge
    /// message: keywords to 80 bytes, messages to 512.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = clip_to(&self.message, 512);
        match &self.keyword {
            Some(k) => write!(
                f,
                "{}:{}: keyword '{}': {}",
                self.file,
                self.line,
                clip(k),
                msg
            ),
            None => write!(f, "{}:{}: {}", self.file, self.line, msg),
        }
    }
}

impl std::error::Error for RuleError {}

/// A parse failure before the file and line are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The keyword at fault, if any.
    pub keyword: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Not an error: the rule's `requires` are not met, so it is skipped
    /// (Suricata counts such rules as skipped, not failed).
    pub skip: bool,
}

impl ParseError {
    /// An error not tied to a keyword.
    pub fn new(message: impl Into<String>) -> Self {
        ParseError {
            keyword: None,
            message: message.into(),
            skip: false,
        }
    }

    /// An error about one keyword.
    pub fn kw(keyword: &str, message: impl Into<String>) -> Self {
        ParseError {
            keyword: Some(keyword.to_string()),
            message: message.into(),
            skip: false,
        }
    }

    /// Attach file and line.
    pub fn at(self, file: &str, line: usize, sid: Option<u32>) -> RuleError {
        RuleError {
            file: file.to_string(),
            line,
            keyword: self.keyword,
            message: self.message,
            sid,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.keyword {
            Some(k) => write!(f, "keyword '{}': {}", k, self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// Result of parsing a piece of rule text.
pub type PResult<T> = Result<T, ParseError>;

/// Shorten text echoed in an error message (at most 80 bytes shown).
pub(crate) fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    clip_to(s, 80)
}

fn clip_to(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut end = max.saturating_sub(3);
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}...", s.get(..end).unwrap_or("")))
}
