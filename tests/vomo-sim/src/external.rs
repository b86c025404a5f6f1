//! A fake external system (the customer's CRM) with faults that lose pushes.

pub mod book;
pub mod http;

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::StartError;
use crate::server::{bind, local_addr, serve};
use book::{Book, ExternalFault, Push, StoredRecord};
use http::ExternalState;

/// Settings of one external system.
#[derive(Clone, Debug, Default)]
pub struct ExternalConfig {
    /// Port on 127.0.0.1; 0 picks an ephemeral one.
    pub port: u16,
    /// When set, record and push routes require `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// Entry point for starting external systems.
#[derive(Debug)]
pub struct ExternalSystem;

impl ExternalSystem {
    /// Serves an empty external system on 127.0.0.1.
    pub async fn start(config: ExternalConfig) -> Result<ExternalHandle, StartError> {
        let listener = bind(config.port).await?;
        let addr = local_addr(&listener)?;
        let state = Arc::new(ExternalState { book: Book::default(), token: config.token });
        let (shutdown, stop) = watch::channel(false);
        let task = serve(listener, http::router(Arc::clone(&state)), stop);
        tracing::info!(%addr, "external system started");
        Ok(ExternalHandle { addr, state, shutdown, task: Some(task) })
    }
}

/// A running external system; dropping it stops the server.
#[derive(Debug)]
pub struct ExternalHandle {
    addr: SocketAddr,
    state: Arc<ExternalState>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ExternalHandle {
    /// The base URL, e.g. `http://127.0.0.1:41236`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The record the system holds for `resource`/`id`.
    pub fn get(&self, resource: &str, id: &str) -> Option<StoredRecord> {
        self.state.book.get(resource, id)
    }

    /// Every record of `resource`, in id order.
    pub fn records(&self, resource: &str) -> Vec<StoredRecord> {
        self.state.book.list(resource)
    }

    /// Writes a record directly, bypassing faults and the push log (test setup).
    pub fn put(&self, resource: &str, id: &str, data: Value) -> StoredRecord {
        self.state.book.upsert(resource, id, data).0
    }

    /// Deletes a record directly; whether it existed.
    pub fn remove(&self, resource: &str, id: &str) -> bool {
        self.state.book.remove(resource, id)
    }

    /// Every push received, as the status endpoint reports it.
    pub fn pushes(&self) -> Vec<Push> {
        self.state.book.pushes()
    }

    /// The pushes that were silently dropped.
    pub fn dropped(&self) -> Vec<Push> {
        self.state.book.dropped()
    }

    pub fn inject(&self, fault: ExternalFault) {
        self.state.book.inject(fault);
    }

    pub fn clear_faults(&self) {
        self.state.book.clear_faults();
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for ExternalHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
