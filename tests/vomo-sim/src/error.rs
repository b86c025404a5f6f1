//! Error types at the simulator's boundaries: API answers, control failures, start-up failures.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Field name to messages, the `errors` object of a 422.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// An error answer of the customer API, in the reference's bodies.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or unknown token")]
    Unauthenticated,
    #[error("token may not do this")]
    Forbidden,
    #[error("resource not found")]
    NotFound,
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    #[error("too many requests, retry after {retry_after}s")]
    TooManyRequests { retry_after: u64 },
    #[error("injected server error")]
    ServerError,
}

impl ApiError {
    /// A 422 with one message for one field.
    pub fn field(field: &str, message: String) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message]);
        Self::Invalid(errors)
    }

    /// `Ok` when `errors` is empty, a 422 otherwise.
    pub fn check(errors: FieldErrors) -> Result<(), Self> {
        if errors.is_empty() { Ok(()) } else { Err(Self::Invalid(errors)) }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::Unauthenticated => json!({"message": "Unauthenticated."}),
            Self::Forbidden => json!({"message": "This action is unauthorized."}),
            Self::NotFound => json!({"message": "Resource not found."}),
            Self::Invalid(errors) => {
                json!({"message": "The given data was invalid.", "errors": errors})
            }
            Self::TooManyRequests { .. } => json!({"message": "Too Many Attempts."}),
            Self::ServerError => json!({"message": "Server Error"}),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Self::TooManyRequests { retry_after } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// A control operation that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("unknown resource `{0}`")]
    UnknownResource(String),
    #[error("no {resource} with id `{id}`")]
    NotFound { resource: &'static str, id: u64 },
    #[error("invalid `{field}` value: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("unknown field `{field}` for {resource}")]
    UnknownField { resource: &'static str, field: String },
    #[error("fields must be a JSON object")]
    NotAnObject,
}

impl ControlError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::InvalidField { field: field.to_owned(), reason: reason.into() }
    }
}

/// The simulator or the external system could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("failed to bind `{addr}`")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("data generation failed")]
    Generate,
}
