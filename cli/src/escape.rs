//! What the server, the gateways and the LAN send (labels, states, event fields,
//! mDNS answers, error messages) reaches the terminal only through [`escape`]: a
//! label with ANSI escapes, bidirectional overrides or newlines cannot rewrite the
//! screen, forge lines or hide text.

use std::borrow::Cow;

/// How a text is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// One field of a line: every control character escaped (`\n`, `\u{1b}`).
    Field,
    /// Text of several lines (an error, a raw body): line breaks and tabs kept.
    Lines,
    /// JSON from `serde_json` (which escapes only U+0000 to U+001F in strings): the
    /// other controls as `\u007f`-style escapes, so that it stays the same JSON;
    /// the line breaks of pretty-printing kept.
    Json,
}

/// Characters a terminal may act on: C0 and C1 controls, DEL, and the invisible
/// direction marks and overrides (which reorder what is shown).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` as it may reach a terminal in `form`.
pub(crate) fn escape(text: &str, form: Form) -> Cow<'_, str> {
    let kept = |c: char| match form {
        Form::Field => false,
        Form::Lines => matches!(c, '\n' | '\t'),
        // Between tokens (pretty-printed); inside strings serde_json escaped them.
        Form::Json => c == '\n',
    };
    if !text.chars().any(|c| is_unsafe(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_unsafe(c) || kept(c) => out.push(c),
            // Only inside strings: JSON text has no other place for them.
            c if form == Form::Json => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] as a [`Form::Field`].
pub(crate) fn field(text: &str) -> Cow<'_, str> {
    escape(text, Form::Field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        let label =
            "Salon \u{1b}[2J\u{1b}]0;owned\u{7}\r\nvolet\u{9b}31m \u{202e}txt.exe\u{7f}\tfin";
        assert_eq!(
            field(label),
            "Salon \\u{1b}[2J\\u{1b}]0;owned\\u{7}\\r\\nvolet\\u{9b}31m \\u{202e}txt.exe\\u{7f}\\tfin"
        );
        assert_eq!(escape("a\u{1b}[1m\nb\tc", Form::Lines), "a\\u{1b}[1m\nb\tc");
        // Plain text, accents and emoji are untouched (and not copied).
        for plain in [
            "Volet cuisine",
            "Chambre d'Élise",
            "🌞 Terrasse",
            "1234-5678-9012.local",
        ] {
            assert!(matches!(field(plain), Cow::Borrowed(p) if p == plain));
        }
    }

    #[test]
    fn json_stays_the_same_json() {
        let value = serde_json::json!({"label": "a\u{1b}[2J\u{9b}\u{7f}\u{202e}\n"});
        for text in [
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap(),
        ] {
            let shown = escape(&text, Form::Json);
            assert!(!shown.chars().any(|c| is_unsafe(c) && c != '\n'), "{shown}");
            assert_eq!(shown.lines().count(), text.lines().count());
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
                value
            );
        }
    }
}
