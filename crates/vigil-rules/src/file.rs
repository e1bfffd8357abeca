//! Physical lines to logical rules: comments, blank lines, backslash
//! continuation, Suricata's quirks.

/// Longest logical rule accepted (after continuation lines are joined).
pub const MAX_RULE_LEN: usize = 1024 * 1024;

/// One logical rule line as found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRule {
    /// 1-based number of the rule's first physical line.
    pub line: usize,
    /// The rule text with continuation lines joined (backslashes removed).
    pub text: String,
    /// Set when the joined text exceeded [`MAX_RULE_LEN`] (text is truncated).
    pub too_long: bool,
}

/// Split rule-file text into logical rules.
///
/// Follows Suricata 7's loader: a line whose first character is `#`, a space,
/// a tab, CR or LF is skipped (so `# alert ...` is a disabled rule and an
/// indented line is ignored, as Suricata does); a line ending in `\` (after
/// trailing whitespace) continues on the next physical line, the backslash and
/// the whitespace after it removed; the rule's line is its first physical line.
/// Only the first physical line is checked for being a comment.
pub fn split_rules(text: &str) -> Vec<RawRule> {
    let mut out = Vec::new();
    let mut cur: Option<RawRule> = None;
    for (idx, raw_line) in text.split('\n').enumerate() {
        let lineno = idx + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        match cur.as_mut() {
            None => {
                match line.as_bytes().first() {
                    None | Some(b'#') | Some(b' ') | Some(b'\t') | Some(b'\r') => continue,
                    _ => {}
                }
                let mut r = RawRule {
                    line: lineno,
                    text: String::new(),
                    too_long: false,
                };
                let cont = append(&mut r, line);
                if cont {
                    cur = Some(r);
                } else {
                    out.push(r);
                }
            }
            Some(r) => {
                let cont = append(r, line);
                if !cont && let Some(r) = cur.take() {
                    out.push(r);
                }
            }
        }
    }
    if let Some(r) = cur.take() {
        out.push(r);
    }
    out
}

/// Append one physical line; returns true when it continues on the next.
fn append(r: &mut RawRule, line: &str) -> bool {
    let trimmed = line.trim_end();
    let (body, cont) = match trimmed.strip_suffix('\\') {
        Some(b) => (b, true),
        None => (line, false),
    };
    if r.text.len() + body.len() > MAX_RULE_LEN {
        r.too_long = true;
        let room = MAX_RULE_LEN.saturating_sub(r.text.len());
        let mut cut = room.min(body.len());
        while cut > 0 && !body.is_char_boundary(cut) {
            cut -= 1;
        }
        r.text.push_str(body.get(..cut).unwrap_or(""));
    } else {
        r.text.push_str(body);
    }
    cont
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_and_continuation() {
        let t = "# comment\n\nalert tcp any any -> any any (msg:\"a\"; \\\n  sid:1;)\r\n  indented ignored\n#alert x\nalert udp any any -> any any (sid:2;)";
        let r = split_rules(t);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].line, 3);
        assert_eq!(
            r[0].text,
            "alert tcp any any -> any any (msg:\"a\";   sid:1;)"
        );
        assert_eq!(r[1].line, 7);
        assert_eq!(r[1].text, "alert udp any any -> any any (sid:2;)");
    }

    #[test]
    fn continuation_at_eof_and_trailing_space() {
        let r = split_rules("alert a \\  \nb \\");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].text, "alert a b ");
    }

    #[test]
    fn too_long_is_flagged() {
        let long = "a".repeat(MAX_RULE_LEN / 2 + 10);
        let t = format!("{long}\\\n{long}\\\n{long}");
        let r = split_rules(&t);
        assert_eq!(r.len(), 1);
        assert!(r[0].too_long);
        assert_eq!(r[0].text.len(), MAX_RULE_LEN);
    }
}
