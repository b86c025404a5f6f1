//! Builds the sides of a comparison the way the plugin contract wants them.

use crate::bindings::{Datetime, Entity, PartnerEntry, Value};

/// Which sides of a comparison leave out the values VOMO and partner state agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreed {
    /// Only the partner side: VOMO's values are compared with the external system's as well.
    PartnerSide,
    /// Both sides: nothing but partner state is compared with VOMO's values.
    BothSides,
}

/// Partner state for one record, with every value identical to VOMO's elided; with
/// [`Agreed::BothSides`], VOMO's copy of each such value is elided too.
///
/// Identical values agree under every rule, and each value lowered into the sandbox is a call into
/// the guest's allocator: for a record that did not change, nothing is lowered but two short
/// lists. `snapshot` holds `None` for a field partner state never recorded, which stays `None`
/// and keeps VOMO's value. A record partner state holds as deleted keeps VOMO's side whole: a
/// plugin judges it as VOMO holds it, not against what the integration last saw.
pub fn partner_entry(
    id: u64,
    updated_at: Datetime,
    snapshot: Vec<Option<Value>>,
    deleted: bool,
    mut vomo: Option<&mut Entity>,
    agreed: Agreed,
) -> PartnerEntry {
    let agreed = if deleted { Agreed::PartnerSide } else { agreed };
    let values = snapshot
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let ours = vomo.as_deref_mut().and_then(|vomo| vomo.values.get_mut(index));
            match (value, ours) {
                (Some(value), Some(ours)) if *ours == value => {
                    if agreed == Agreed::BothSides {
                        *ours = Value::Elided;
                    }
                    None
                }
                (value, _) => value,
            }
        })
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
        let record = Entity { id: 1, updated_at: Some(at), values: vec![text("a"), text("b")] };
        let snapshot = vec![Some(text("a")), Some(text("c")), None];

        let mut vomo = record.clone();
        let entry =
            partner_entry(1, at, snapshot.clone(), false, Some(&mut vomo), Agreed::PartnerSide);
        assert_eq!(entry.values, [None, Some(text("c")), None]);
        assert_eq!(vomo, record, "VOMO's side is whole when the external system is read");

        let mut vomo = record.clone();
        let entry = partner_entry(1, at, snapshot, false, Some(&mut vomo), Agreed::BothSides);
        assert_eq!(entry.values, [None, Some(text("c")), None]);
        assert_eq!(vomo.values, [Value::Elided, text("b")], "only the agreed value is elided");

        let mut vomo = record.clone();
        let gone = vec![Some(text("a")), Some(text("c"))];
        partner_entry(1, at, gone, true, Some(&mut vomo), Agreed::BothSides);
        assert_eq!(vomo, record, "a record partner state holds as deleted is sent whole");

        let alone =
            partner_entry(1, at, vec![Some(text("a")), None], false, None, Agreed::BothSides);
        assert_eq!(alone.values, [Some(text("a")), None], "without VOMO only gaps are none");
    }
}
