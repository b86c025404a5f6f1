//! The host's link to VOMO: listings followed page by page, detail fetches, retries shaped by
//! the API's documented failures, and parsing that survives every documented quirk.

mod ahead;
mod catalog;
mod client;
mod error;
mod page;
mod quirks;
mod retry;
mod token;
mod window;

pub use catalog::{Elsewhere, Nesting, detail_path, nesting};
pub use client::{ClientConfig, Detail, ListQuery, Lister, VomoClient};
pub use error::VomoError;
pub use page::{Page, RecordSchema, VomoRecord, parse_raw, parse_record};
pub use quirks::{coerce, coerce_field, parse_id, parse_timestamp};
pub use retry::RetryPolicy;
pub use token::Token;
pub use window::WindowedListing;
