//! `reconciler review`: the runs the breaker held, and a person's decision on each.

use std::fmt::Write as _;

use anyhow::{Context as _, anyhow, bail};

use crate::engine::{Executed, Executor, Target, Task};
use crate::layers::Registry;
use crate::store::{ActionState, ReviewState, RunId, now_micros};
use crate::wiring::Wiring;

/// The pending reviews, one line each.
pub async fn list(wiring: &Wiring) -> anyhow::Result<String> {
    let reviews = wiring.store.reviews(ReviewState::Pending).await?;
    if reviews.is_empty() {
        return Ok("no runs wait for review\n".to_owned());
    }
    let mut out = String::new();
    for review in reviews {
        let _ = writeln!(
            out,
            "run {} {} {}: {} actions held: {}",
            review.run_id, review.task, review.customer, review.actions, review.reason
        );
    }
    Ok(out)
}

/// Approves a held run: its actions, and only its, are released and carried out now. Everything
/// the actions need is set up first, so a bad configuration leaves the review pending.
pub async fn approve(wiring: &Wiring, run: RunId) -> anyhow::Result<Executed> {
    let record = wiring.store.run(run).await?.ok_or_else(|| anyhow!("run {run} does not exist"))?;
    let task: Task = record.task.parse().map_err(anyhow::Error::msg)?;
    let customer = wiring.customer(&record.customer)?.clone();
    // The plugin the run itself used: the customer's own, the configuration's or the built-in.
    let registry = Registry::default();
    let rules = registry.plugin(&wiring.engine, &wiring.config, &customer, &task.resource).await?;
    let (vomo, _) = wiring.vomo(&customer)?;
    let external = wiring.external()?;
    let worker = wiring.worker_of(&rules.plugin, &customer)?;
    let target = Target {
        customer: &customer.id,
        resource: &task.resource,
        schema: &rules.schema,
        store: &wiring.store,
        external: &external,
    };
    let executor = Executor { target, vomo: &vomo, plugin: &worker };

    let released = wiring.store.decide_review(run, ReviewState::Approved, now_micros()).await?;
    if released.is_none() {
        bail!("run {run} has no pending review");
    }
    let actions = wiring.store.run_actions(run).await?;
    let released: Vec<_> =
        actions.into_iter().filter(|a| a.state == ActionState::Pending).collect();
    executor.execute(&released).await.context("carrying out the approved actions")
}

/// Rejects a held run: its actions are dropped and never carried out.
pub async fn reject(wiring: &Wiring, run: RunId) -> anyhow::Result<u64> {
    let dropped = wiring.store.decide_review(run, ReviewState::Rejected, now_micros()).await?;
    dropped.ok_or_else(|| anyhow!("run {run} has no pending review"))
}
