//! Builds the sides of a comparison the way the plugin contract wants them.

use crate::bindings::{Datetime, Entity, PartnerEntry, Value};

/// Partner state for one record, with every value identical to VOMO's elided.
///
/// Identical values agree under every rule, and each value lowered into the sandbox costs a guest
/// allocation; for a record that did not change, this halves the work of a compare.
/// `snapshot` holds `None` for a field partner state never recorded, which stays `None`.
pub fn partner_entry(
    id: u64,
    updated_at: Datetime,
    snapshot: Vec<Option<Value>>,
    deleted: bool,
    vomo: Option<&Entity>,
) -> PartnerEntry {
    let same = |index: usize, value: &Value| vomo.and_then(|v| v.values.get(index)) == Some(value);
    let values = snapshot
        .into_iter()
        .enumerate()
        .map(|(index, value)| value.filter(|value| !same(index, value)))
        .collect();
    PartnerEntry { id, updated_at, values, deleted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_values_are_elided_and_others_kept() {
        let text = |t: &str| Value::Text(t.to_owned());
        let at = Datetime { seconds: 1, nanoseconds: 0 };
        let vomo = Entity { id: 1, updated_at: Some(at), values: vec![text("a"), text("b")] };
        let snapshot = vec![Some(text("a")), Some(text("c")), None];
        let entry = partner_entry(1, at, snapshot, false, Some(&vomo));
        assert_eq!(entry.values, [None, Some(text("c")), None]);

        let alone = partner_entry(1, at, vec![Some(text("a")), None], false, None);
        assert_eq!(alone.values, [Some(text("a")), None], "without VOMO only gaps are none");
    }
}
