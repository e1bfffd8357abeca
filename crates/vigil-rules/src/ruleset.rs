//! Loading rule files: one error per failed rule, the rest load; duplicate
//! sids; counts and histograms for `vigil rules check`.

use crate::ast::Rule;
use crate::config::Classifications;
use crate::error::RuleError;
use crate::file::{MAX_RULE_LEN, split_rules};
use crate::keywords::{KeywordStatus, keyword_status};
use crate::parse::parse_rule_inner;
use crate::vars::Vars;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// The rule files of a Suricata configuration: `rule-files` entries joined
/// to `default-rule-path` unless absolute. (Rule files themselves have no
/// `include`; suricata.yaml lists the files, and this is how they are found.)
pub fn rule_file_paths<S: AsRef<str>>(
    default_rule_path: Option<&Path>,
    rule_files: &[S],
) -> Vec<std::path::PathBuf> {
    rule_files
        .iter()
        .map(|f| {
            let p = Path::new(f.as_ref().trim());
            match default_rule_path {
                Some(d) if p.is_relative() => d.join(p),
                _ => p.to_path_buf(),
            }
        })
        .collect()
}

/// Per-file counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStats {
    /// The file as given.
    pub file: String,
    /// Rules loaded from it.
    pub loaded: usize,
    /// Rules of it that failed.
    pub failed: usize,
    /// Rules of it skipped because their `requires` are not met.
    pub skipped: usize,
}

/// A set of loaded rules with the errors and warnings of loading them.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// Loaded rules, in load order.
    pub rules: Vec<Rule>,
    /// One error per rule that failed (and per unreadable file).
    pub errors: Vec<RuleError>,
    /// Remarks on rules that loaded anyway (unknown classtype, duplicate
    /// replaced by a higher revision, ...).
    pub warnings: Vec<RuleError>,
    /// Rules skipped because their `requires` are not met (not errors).
    pub skipped: Vec<RuleError>,
    /// Counts per file, in load order.
    pub files: Vec<FileStats>,
    by_id: HashMap<(u32, u32), usize>,
    /// Keep no rule text ([`Rule::text`] stays empty): for loading large
    /// sets that are compiled right away (see [`RuleSet::load_compact`]).
    drop_text: bool,
}

impl RuleSet {
    /// An empty set.
    pub fn new() -> Self {
        RuleSet::default()
    }

    /// Load rule files: the rules that parse, and one error per rule that
    /// does not (or per file that cannot be read).
    pub fn load_files<P: AsRef<Path>>(
        paths: &[P],
        vars: &Vars,
        classes: &Classifications,
    ) -> (Vec<Rule>, Vec<RuleError>) {
        let s = Self::load(paths, vars, classes);
        (s.rules, s.errors)
    }

    /// Like [`RuleSet::load_files`], keeping warnings and per-file counts.
    pub fn load<P: AsRef<Path>>(paths: &[P], vars: &Vars, classes: &Classifications) -> RuleSet {
        let mut s = RuleSet::new();
        for p in paths {
            s.add_file(p.as_ref(), vars, classes);
        }
        s
    }

    /// As [`RuleSet::load`], without keeping each rule's text (about a
    /// third of a parsed rule set's memory), for rules compiled at once.
    pub fn load_compact<P: AsRef<Path>>(
        paths: &[P],
        vars: &Vars,
        classes: &Classifications,
    ) -> RuleSet {
        let mut s = RuleSet {
            drop_text: true,
            ..RuleSet::new()
        };
        for p in paths {
            s.add_file(p.as_ref(), vars, classes);
        }
        s
    }

    /// Load one rule file into the set.
    pub fn add_file(&mut self, path: &Path, vars: &Vars, classes: &Classifications) {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => self.add_text_inner(&name, &text, vars, classes, false),
                Err(e) => {
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    self.add_text_inner(&name, &text, vars, classes, true)
                }
            },
            Err(e) => {
                self.errors.push(RuleError {
                    file: name.clone(),
                    line: 0,
                    keyword: None,
                    message: format!("cannot read rule file: {e}"),
                    sid: None,
                });
                self.files.push(FileStats {
                    file: name,
                    loaded: 0,
                    failed: 0,
                    skipped: 0,
                });
            }
        }
    }

    /// Load rules from text, naming them as coming from `file`.
    pub fn add_text(&mut self, file: &str, text: &str, vars: &Vars, classes: &Classifications) {
        self.add_text_inner(file, text, vars, classes, false)
    }

    fn add_text_inner(
        &mut self,
        file: &str,
        text: &str,
        vars: &Vars,
        classes: &Classifications,
        lossy: bool,
    ) {
        let file_arc: Arc<str> = Arc::from(file);
        let mut stats = FileStats {
            file: file.to_string(),
            loaded: 0,
            failed: 0,
            skipped: 0,
        };
        for raw in split_rules(text) {
            let mut sid = None;
            let result = if raw.too_long {
                Err(crate::error::ParseError::new(format!(
                    "rule longer than {MAX_RULE_LEN} bytes"
                )))
            } else if lossy && raw.text.contains('\u{FFFD}') {
                Err(crate::error::ParseError::new(
                    "rule contains bytes that are not valid UTF-8 (write them as |hex|)",
                ))
            } else {
                parse_rule_inner(&raw.text, vars, classes, &mut sid)
            };
            match result {
                Ok(parsed) => {
                    let mut rule = parsed.rule;
                    if self.drop_text {
                        rule.text = String::new();
                    }
                    rule.file = file_arc.clone();
                    rule.line = raw.line;
                    for w in parsed.warnings {
                        self.warnings.push(w.at(file, raw.line, Some(rule.sid)));
                    }
                    let key = (rule.gid, rule.sid);
                    match self.by_id.get(&key).copied() {
                        Some(i) => {
                            let Some(old) = self.rules.get(i) else {
                                continue;
                            };
                            if rule.rev > old.rev {
                                self.warnings.push(RuleError {
                                    file: old.file.to_string(),
                                    line: old.line,
                                    keyword: Some("sid".to_string()),
                                    message: format!(
                                        "duplicate signature {}:{} rev {} replaced by rev {} from {}:{}",
                                        key.0, key.1, old.rev, rule.rev, file, raw.line
                                    ),
                                    sid: Some(key.1),
                                });
                                // The replaced rule no longer counts as loaded.
                                if *old.file == *file {
                                    stats.loaded = stats.loaded.saturating_sub(1);
                                } else if let Some(f) =
                                    self.files.iter_mut().rev().find(|f| *f.file == *old.file)
                                {
                                    f.loaded = f.loaded.saturating_sub(1);
                                }
                                if let Some(slot) = self.rules.get_mut(i) {
                                    *slot = rule;
                                }
                                stats.loaded += 1;
                            } else {
                                stats.failed += 1;
                                self.errors.push(RuleError {
                                    file: file.to_string(),
                                    line: raw.line,
                                    keyword: Some("sid".to_string()),
                                    message: format!(
                                        "duplicate signature: gid {} sid {} already loaded from {}:{} (rev {}); a later rule only replaces it with a higher rev",
                                        key.0, key.1, old.file, old.line, old.rev
                                    ),
                                    sid: Some(key.1),
                                });
                            }
                        }
                        None => {
                            self.by_id.insert(key, self.rules.len());
                            self.rules.push(rule);
                            stats.loaded += 1;
                        }
                    }
                }
                Err(e) if e.skip => {
                    stats.skipped += 1;
                    self.skipped.push(e.at(file, raw.line, sid));
                }
                Err(e) => {
                    stats.failed += 1;
                    self.errors.push(e.at(file, raw.line, sid));
                }
            }
        }
        self.files.push(stats);
    }

    /// Total loaded rules.
    pub fn loaded(&self) -> usize {
        self.rules.len()
    }

    /// The first error, for `--init-errors-fatal` (any error is fatal).
    pub fn first_error(&self) -> Option<&RuleError> {
        self.errors.first()
    }

    /// Total failed rules.
    pub fn failed(&self) -> usize {
        self.errors.len()
    }

    /// For each keyword that is known but not evaluated yet
    /// ([`KeywordStatus::NotYetEvaluated`]), the number of loaded rules using
    /// it; most used first, then by name.
    pub fn unsupported_histogram(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &self.rules {
            let mut seen: Vec<&str> = Vec::new();
            for k in r.unsupported_keywords() {
                if !seen.contains(&k) && keyword_status(k) == KeywordStatus::NotYetEvaluated {
                    seen.push(k);
                    *m.entry(k).or_default() += 1;
                }
            }
        }
        sorted(m)
    }

    /// Number of errors per category (keyword, or header/framing reason);
    /// most frequent first.
    pub fn error_histogram(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for e in &self.errors {
            *m.entry(e.category()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

fn sorted(m: BTreeMap<&str, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}
