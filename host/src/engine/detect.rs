//! Detection shared by the passes: what the plugin found about each record, and what it plans.

use std::collections::HashMap;

use crate::bindings::{Action, Comparison, Datetime, Entity, ExternalSide, Finding, FindingKind};
use crate::sides::{Agreed, partner_entry};
use crate::store::{Micros, PartnerRow, PartnerVersion};
use crate::vomo::VomoRecord;

use super::context::{RunContext, RunError};
use super::snapshot::{has_fingerprint, values_from_snapshot};

/// One record the run found something about.
#[derive(Debug, Clone)]
pub struct Detected {
    pub id: u64,
    pub findings: Vec<Finding>,
    /// The plugin's plan, validated; empty when the plugin failed.
    pub actions: Vec<Action>,
    /// VOMO's version of the record, which reprocessing and pushes send.
    pub record: Option<VomoRecord>,
    /// Whether a detail fetch already confirmed a deletion (`mark-deleted` only).
    pub confirmed: bool,
    /// Why the plugin could not judge this record (a trap, an invalid result).
    pub failure: Option<String>,
}

impl Detected {
    /// A record the host itself reports, without asking the plugin.
    pub fn by_host(id: u64, finding: Finding, actions: Vec<Action>) -> Self {
        Detected {
            id,
            findings: vec![finding],
            actions,
            record: None,
            confirmed: false,
            failure: None,
        }
    }

    /// Whether anything needed correcting: the gap rate's numerator.
    pub fn is_gap(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::Reprocess | Action::MarkDeleted | Action::PushExternal))
    }
}

/// Whether partner state already holds `record` exactly: same `updated_at`, same fingerprint.
/// Such a record has nothing to find against partner state, and skips the plugin call.
pub fn is_unchanged(
    ctx: &RunContext<'_>,
    record: &VomoRecord,
    held: Option<&PartnerVersion>,
) -> bool {
    // Partner state keeps 0 for a record without `updated_at` (a participation).
    let updated_at = record.updated_at.map_or(0, |at| at.timestamp_micros());
    held.is_some_and(|held| {
        !held.deleted
            && held.updated_at == updated_at
            && has_fingerprint(ctx.target.schema, &record.values, &held.fingerprint)
    })
}

/// The partner side of a comparison, or why partner state's snapshot cannot be read.
pub fn partner_side(
    ctx: &RunContext<'_>,
    row: &PartnerRow,
    vomo: Option<&mut Entity>,
    agreed: Agreed,
) -> Result<crate::bindings::PartnerEntry, String> {
    let snapshot = values_from_snapshot(ctx.target.schema, &row.fields)
        .map_err(|reason| format!("partner state of record {} is unreadable: {reason}", row.id))?;
    let deleted = row.deleted_at.is_some();
    Ok(partner_entry(row.id, datetime(row.updated_at), snapshot, deleted, vomo, agreed))
}

/// One record to judge: VOMO's version if VOMO has it, partner state's, the external side.
pub struct Case {
    pub id: u64,
    pub record: Option<VomoRecord>,
    pub partner: Option<PartnerRow>,
    pub external: ExternalSide,
}

/// Asks the plugin about each case and keeps the ones it found something about.
pub async fn judge(ctx: &RunContext<'_>, cases: Vec<Case>) -> Result<Vec<Detected>, RunError> {
    let mut comparisons = Vec::with_capacity(cases.len());
    let mut unreadable = HashMap::new();
    for case in &cases {
        let mut vomo = case.record.as_ref().map(VomoRecord::entity);
        let agreed = match case.external {
            ExternalSide::NotRead => Agreed::BothSides,
            _ => Agreed::PartnerSide,
        };
        let partner = match &case.partner {
            Some(row) => match partner_side(ctx, row, vomo.as_mut(), agreed) {
                Ok(entry) => Some(entry),
                Err(reason) => {
                    unreadable.insert(case.id, reason);
                    None
                }
            },
            None => None,
        };
        comparisons.push(Comparison { vomo, partner, external: case.external.clone() });
    }

    let planned = ctx.plugin.compare_and_plan(comparisons).await?;
    let mut detected = Vec::new();
    for (case, planned) in cases.into_iter().zip(planned) {
        let (findings, actions, failure) = match planned {
            Ok((findings, Ok(actions))) => (findings, actions, None),
            Ok((findings, Err(error))) => (findings, Vec::new(), Some(error.to_string())),
            Err(error) => (Vec::new(), Vec::new(), Some(error.to_string())),
        };
        let failure = failure.or_else(|| unreadable.remove(&case.id));
        if findings.is_empty() && failure.is_none() {
            continue;
        }
        if let Some(reason) = &failure {
            tracing::warn!(customer = ctx.target.customer, id = case.id, %reason,
                "the plugin could not judge a record");
        }
        let Case { id, record, .. } = case;
        detected.push(Detected { id, findings, actions, record, confirmed: false, failure });
    }
    Ok(detected)
}

/// The drifted field of a finding, if it is a field drift.
pub fn drifted_field(finding: &Finding) -> Option<&str> {
    match &finding.kind {
        FindingKind::SilentChange(drift) | FindingKind::ExternalDrift(drift) => Some(&drift.field),
        _ => None,
    }
}

fn datetime(micros: Micros) -> Datetime {
    Datetime {
        seconds: micros.div_euclid(1_000_000),
        nanoseconds: (micros.rem_euclid(1_000_000) * 1_000) as u32,
    }
}
