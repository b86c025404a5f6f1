//! The ways a VOMO request can fail, classified as the API's error guidance describes.

/// A failed VOMO request, naming customer, resource and, for listings, the page.
#[derive(Debug, thiserror::Error)]
pub enum VomoError {
    #[error("VOMO refused the token of customer `{customer}` (401): check or regenerate the token")]
    Unauthorized { customer: String },
    #[error("the token of customer `{customer}` may not read `{resource}` (403)")]
    Forbidden { customer: String, resource: String },
    #[error("VOMO rejected a request for `{resource}` of customer `{customer}` (422): {message}")]
    Invalid { customer: String, resource: String, message: String },
    #[error(
        "failed to read page {page} of `{resource}` for customer `{customer}` after {attempts} \
         attempts: {reason}"
    )]
    GaveUp { customer: String, resource: String, page: u32, attempts: u32, reason: String },
    #[error("malformed page {page} of `{resource}` for customer `{customer}`: {reason}")]
    MalformedPage { customer: String, resource: String, page: u32, reason: String },
    #[error("VOMO answered {status} for `{resource}` of customer `{customer}`: {message}")]
    Unexpected { customer: String, resource: String, status: u16, message: String },
    #[error(
        "the certificate of `{host}` was not trusted for customer `{customer}` ({reason}); \
         if a private CA or a TLS-inspecting proxy signed it, name its PEM in `vomo.ca_file`"
    )]
    Untrusted { customer: String, host: String, reason: String },
    #[error("invalid VOMO base URL `{url}`: {reason}")]
    BadBaseUrl { url: String, reason: String },
}

impl VomoError {
    /// Whether the error means the customer's run must stop (bad token or scope).
    pub fn stops_customer(&self) -> bool {
        matches!(self, VomoError::Unauthorized { .. } | VomoError::Forbidden { .. })
    }
}
