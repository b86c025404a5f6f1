//! An API token that never reaches `Debug`, `Display` or a log line.

use std::fmt;

/// A customer's VOMO API token.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into().trim().to_owned())
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn debug_hides_the_secret() {
        let token = Token::new(" s3cret \n");
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert_eq!(token.expose(), "s3cret");
    }
}
