//! Text that reaches a person's terminal. Record values, error messages,
//! total names and plugin descriptions all come from plugins (or from
//! servers), so control characters are shown escaped, never interpreted:
//! `ESC]0;…BEL` must not retitle the terminal, `ESC[2J` must not clear it,
//! and bidirectional overrides must not reorder what is shown. Long values
//! are clipped so a table's size does not depend on what a plugin sends.

use std::borrow::Cow;
use std::fmt::Write;

/// Most characters a table cell shows; the JSON output keeps the value.
pub const MAX_CELL: usize = 120;

/// `s` with every control character and bidirectional formatting
/// character written as an escape (`\u{1b}`), borrowed when there is none.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `s` made [`printable`], with an ellipsis
/// when something was cut. Only the part shown is scanned, so a 30 MiB
/// value costs no more than a short one.
pub fn clip(s: &str, max: usize) -> String {
    let mut shown = s.char_indices().nth(max).map_or(s, |(end, _)| &s[..end]);
    let cut = shown.len() < s.len();
    // A line break would wrap the row: show the first line only.
    if let Some(end) = shown.find(['\n', '\r']) {
        shown = &shown[..end];
    }
    let mut out = printable(shown).into_owned();
    if cut || shown.len() < s.len() && !s[shown.len()..].trim().is_empty() {
        out.push('…');
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_are_shown_not_sent() {
        assert_eq!(printable("\x1b]0;pwned\x07title"), "\\u{1b}]0;pwned\\u{7}title");
        assert_eq!(printable("\x1b[2J"), "\\u{1b}[2J");
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
        assert!(matches!(printable("vol-0123 é ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn clipping_is_bounded_and_marked() {
        let huge = "x".repeat(30 << 20);
        assert_eq!(clip(&huge, 5), "xxxxx…");
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("two\nlines", 20), "two…");
        assert_eq!(clip("trailing\n", 20), "trailing");
        assert_eq!(clip("\x1b[2Jé", 3), "\\u{1b}[2…");
    }
}
