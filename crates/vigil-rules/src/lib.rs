//! The Suricata 7 rule language for vigil: lexer, parser, AST, variables,
//! classification/reference/threshold config, and precise errors.
//!
//! ```
//! use vigil_rules::{parse_rule, Classifications, RuleOption, Vars};
//!
//! let vars = Vars::suricata_default();
//! let classes = Classifications::suricata_default();
//! let text = r#"alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"x"; http.uri; content:"/a|3b|"; nocase; sid:1; rev:2;)"#;
//! let rule = parse_rule(text, &vars, &classes).unwrap().rule;
//! assert_eq!(rule.sid, 1);
//! let c = rule.contents().next().unwrap();
//! assert_eq!(c.pattern, b"/a;");
//! assert_eq!(c.buffer, "http.uri");
//! assert!(c.nocase);
//! ```
//!
//! Loading files: [`RuleSet::load_files`] returns the rules that load and one
//! [`RuleError`] (`FILE:LINE: keyword 'X': reason`) per rule that does not.
//! Keywords Suricata knows but vigil does not evaluate yet load as
//! [`RuleOption::Unsupported`]; [`keyword_status`] and
//! [`RuleSet::unsupported_histogram`] tell which.
//!
//! Bounds (hostile rule files): a logical rule is at most
//! [`file::MAX_RULE_LEN`] (1 MiB) after continuation lines are joined, has at
//! most [`parse::MAX_OPTIONS`] options, address/port expressions nest at most
//! [`address::MAX_NESTING`] deep with at most [`address::MAX_LIST_ITEMS`]
//! entries, numbers are range-checked (never wrap), nothing recurses without
//! a depth limit, and PCRE patterns are stored, not compiled (the engine
//! compiles them with match limits). Error messages shorten echoed input.
//!
//! Behaviour follows Suricata 7.0 (`detect-parse.c` and the `detect-*.c`
//! keyword parsers); differences are listed in `ET-OPEN.md` beside this crate.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
pub mod ast;
pub mod config;
pub mod error;
pub mod file;
pub mod keywords;
pub mod opts;
pub mod parse;
pub mod port;
pub mod ruleset;
pub mod vars;

pub use address::{AddressExpr, IpSet, parse_address, resolve_address};
pub use ast::*;
pub use config::{
    Classification, Classifications, ReferenceConfig, ThresholdConfig, ThresholdEntry,
    ThresholdEntryKind,
};
pub use error::{PResult, ParseError, RuleError};
pub use file::{RawRule, split_rules};
pub use keywords::{KeywordStatus, keyword_status};
pub use parse::{ParsedRule, parse_rule};
pub use port::{PortExpr, PortSet, parse_port, resolve_port};
pub use ruleset::{FileStats, RuleSet, rule_file_paths};
pub use vars::Vars;
