//! What a user missing from a full listing means, judged from its detail fetch.

use vomo_plugin_sdk::record::text;

use crate::FIELDS;
use vomo_plugin_sdk::{DetailOutcome, Entity, MissingVerdict, RuleError, ScopeReason};

/// Membership states in which a user still belongs to the organisation.
const MEMBER_STATES: &[&str] = &["accepted", "pending", "invited"];

/// Account states that mean a user was banned or deactivated rather than deleted.
const SOFT_DELETED_STATES: &[&str] = &["deactivated", "banned", "suspended", "deleted", "disabled"];

/// Only a 404 is a deletion. A user VOMO still returns left the listing for a reason its record
/// shows: a membership that ended, or an account that was deactivated.
pub fn verdict(id: u64, outcome: &DetailOutcome) -> Result<MissingVerdict, RuleError> {
    match outcome {
        DetailOutcome::Gone => Ok(MissingVerdict::Deleted),
        DetailOutcome::Forbidden => {
            Ok(MissingVerdict::ScopeChange(ScopeReason::NarrowedPermissions))
        }
        DetailOutcome::Present(user) if user.id != id => Err(RuleError::InvalidRecord(format!(
            "detail fetch for user {id} returned user {}",
            user.id
        ))),
        DetailOutcome::Present(user) => Ok(MissingVerdict::ScopeChange(reason(user))),
    }
}

fn reason(user: &Entity) -> ScopeReason {
    let state = |name| text(&user.values, FIELDS, name).map(|s| s.trim().to_lowercase());
    if state("user_status").is_some_and(|s| SOFT_DELETED_STATES.contains(&s.as_str())) {
        return ScopeReason::SoftDeleted;
    }
    match state("membership_status") {
        Some(s) if !MEMBER_STATES.contains(&s.as_str()) => ScopeReason::MovedOrganisation,
        _ => ScopeReason::Unexplained,
    }
}
