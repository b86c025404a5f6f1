//! The three-way audit: a random sample checked VOMO against partner state against the
//! external system, field by field through the plugin. It is the only pass that sees a push the
//! external system silently lost.

use std::collections::{BTreeMap, HashMap};

use rand::seq::index::sample;
use serde::Serialize;

use crate::bindings::{ExternalSide, FindingKind};
use crate::throttle::Priority;
use crate::vomo::{Detail, parse_record};

use super::context::{RunContext, RunError};
use super::detect::{Case, Detected, judge};
use super::sink::Sink;

/// Records checked per round trip to the plugin.
const BATCH: usize = 15;

/// What the audit found, by issue type.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditSummary {
    pub sampled: u64,
    /// Sampled records with at least one issue.
    pub with_issues: u64,
    /// Issues by type: `unknown_to_partner`, `missing_from_external`, `field_mismatch`,
    /// `partner_behind` and `missing_from_vomo`.
    pub issues: BTreeMap<String, u64>,
    /// Sampled records VOMO refused to show (403): they exist, so they are not missing, but
    /// their fields cannot be compared. The full scan classifies them.
    pub unreadable: u64,
}

impl AuditSummary {
    /// The share of compared records (sampled and readable) with issues.
    pub fn issue_rate(&self) -> f64 {
        let compared = self.sampled.saturating_sub(self.unreadable);
        if compared == 0 { 0.0 } else { self.with_issues as f64 / compared as f64 }
    }
}

/// How many of `population` records the audit samples.
pub fn sample_size(ctx: &RunContext<'_>, population: usize) -> usize {
    let wanted = match ctx.passes.audit_sample_size {
        Some(size) => size as usize,
        None => (population as f64 * ctx.passes.audit_sample_fraction).ceil() as usize,
    };
    wanted.min(population)
}

/// Samples partner state's live records and checks each on all three sides; what it finds goes
/// to `sink`.
pub async fn audit(ctx: &RunContext<'_>, sink: &mut Sink<'_>) -> Result<AuditSummary, RunError> {
    let target = &ctx.target;
    let ids = target.store.live_partner_ids(target.customer, target.resource).await?;
    let size = sample_size(ctx, ids.len());
    let mut picked: Vec<u64> =
        sample(&mut rand::rng(), ids.len(), size).iter().map(|i| ids[i]).collect();
    picked.sort_unstable();
    drop(ids);

    let mut summary = AuditSummary { sampled: picked.len() as u64, ..AuditSummary::default() };
    ctx.progress.stage("checking the sample on all three sides");
    for chunk in picked.chunks(BATCH) {
        let cases = three_sides(ctx, chunk, &mut summary).await?;
        ctx.progress.page(cases.len());
        let detected = judge(ctx, cases).await?;
        for item in &detected {
            count_issues(&mut summary, item);
        }
        sink.keep(detected).await?;
    }
    Ok(summary)
}

/// Reads each record from VOMO, partner state and the external system.
async fn three_sides(
    ctx: &RunContext<'_>,
    ids: &[u64],
    summary: &mut AuditSummary,
) -> Result<Vec<Case>, RunError> {
    let target = &ctx.target;
    let rows = target.store.partner_states(target.customer, target.resource, ids).await?;
    let mut rows: HashMap<u64, _> = rows.into_iter().map(|row| (row.id, row)).collect();
    let mut cases = Vec::with_capacity(ids.len());
    for &id in ids {
        let detail =
            ctx.vomo.detail(target.resource, id, Priority::Reconciliation, target.schema).await?;
        ctx.progress.detail();
        let record = match detail {
            Detail::Found(record) => Some(record),
            Detail::Gone => None,
            Detail::Forbidden => {
                summary.unreadable += 1;
                continue;
            }
        };
        let external = match target.external.get(target.resource, id).await {
            Ok(Some(json)) => match parse_record(&json, target.schema) {
                Ok(copy) => ExternalSide::Present(copy.entity()),
                Err(reason) => {
                    tracing::warn!(customer = target.customer, id, %reason,
                        "the external system's copy is unreadable; treated as absent");
                    ExternalSide::Absent
                }
            },
            Ok(None) => ExternalSide::Absent,
            Err(error) => {
                tracing::warn!(customer = target.customer, id, %error,
                    "the external system could not be read; its side is skipped");
                ExternalSide::NotRead
            }
        };
        cases.push(Case { id, record, partner: rows.remove(&id), external });
    }
    Ok(cases)
}

fn count_issues(summary: &mut AuditSummary, detected: &Detected) {
    if detected.findings.is_empty() {
        return;
    }
    summary.with_issues += 1;
    for finding in &detected.findings {
        let kind = match finding.kind {
            FindingKind::UnknownToPartner | FindingKind::MissedCreate => "unknown_to_partner",
            FindingKind::MissingFromExternal => "missing_from_external",
            FindingKind::SilentChange(_) | FindingKind::ExternalDrift(_) => "field_mismatch",
            FindingKind::MissedUpdate => "partner_behind",
            FindingKind::DeletionCandidate => "missing_from_vomo",
        };
        *summary.issues.entry(kind.to_owned()).or_default() += 1;
    }
}
