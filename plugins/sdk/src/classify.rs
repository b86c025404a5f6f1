//! The verdict most resources give a record that left a full listing.

use crate::{DetailOutcome, Entity, MissingVerdict, RuleError, ScopeReason};

/// Only a 404 is a deletion; a 403 narrowed the token's permissions; a record VOMO still shows
/// left the listing for the reason `reason` reads from it. A detail of another record than the
/// one asked for is refused, naming both, with `noun` for the resource.
pub fn standard(
    noun: &str,
    id: u64,
    outcome: &DetailOutcome,
    reason: impl Fn(&Entity) -> ScopeReason,
) -> Result<MissingVerdict, RuleError> {
    match outcome {
        DetailOutcome::Gone => Ok(MissingVerdict::Deleted),
        DetailOutcome::Forbidden => {
            Ok(MissingVerdict::ScopeChange(ScopeReason::NarrowedPermissions))
        }
        DetailOutcome::Present(found) if found.id != id => Err(RuleError::InvalidRecord(format!(
            "detail fetch for {noun} {id} returned {noun} {}",
            found.id
        ))),
        DetailOutcome::Present(found) => Ok(MissingVerdict::ScopeChange(reason(found))),
    }
}

/// For records whose detail says nothing about why they left a listing.
pub fn unexplained(_: &Entity) -> ScopeReason {
    ScopeReason::Unexplained
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gone_is_deleted_and_a_foreign_record_is_refused() {
        let present = |id| DetailOutcome::Present(Entity { id, updated_at: None, values: vec![] });
        assert_eq!(
            standard("group", 9, &DetailOutcome::Gone, unexplained),
            Ok(MissingVerdict::Deleted)
        );
        let verdict = standard("group", 9, &present(9), unexplained);
        assert_eq!(verdict, Ok(MissingVerdict::ScopeChange(ScopeReason::Unexplained)));
        let error = standard("group", 9, &present(8), unexplained).expect_err("foreign");
        assert_eq!(
            error,
            RuleError::InvalidRecord("detail fetch for group 9 returned group 8".into())
        );
    }
}
