//! Normalisations that make two spellings of the same value compare equal.

/// Trims and lower-cases, so `" Ann@Example.org "` equals `"ann@example.org"`.
pub fn caseless(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Trims and folds runs of white space into one space.
pub fn collapsed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Collapses white space and lower-cases.
pub fn collapsed_caseless(text: &str) -> String {
    collapsed(text).to_lowercase()
}

/// Keeps the ASCII digits only, so `"+1 (555) 010-0199"` equals `"15550100199"`.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Keeps the `YYYY-MM-DD` part of a date or timestamp.
pub fn date(text: &str) -> String {
    let trimmed = text.trim();
    trimmed.get(..10).unwrap_or(trimmed).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caseless_trims_and_lowers() {
        assert_eq!(caseless("  Ann@Example.ORG "), "ann@example.org");
    }

    #[test]
    fn collapsed_folds_inner_white_space() {
        assert_eq!(collapsed(" 12  Main\tSt \n"), "12 Main St");
        assert_eq!(collapsed_caseless("12  MAIN st"), "12 main st");
    }

    #[test]
    fn digits_drops_punctuation() {
        assert_eq!(digits("+1 (555) 010-0199"), "15550100199");
        assert_eq!(digits("n/a"), "");
    }

    #[test]
    fn date_keeps_the_calendar_day() {
        assert_eq!(date("1975-12-01"), "1975-12-01");
        assert_eq!(date("1975-12-01T00:00:00+00:00"), "1975-12-01");
        assert_eq!(date("75-1-1"), "75-1-1");
    }
}
