//! Starting a simulator: generate the data, bind both ports, serve until shut down.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::control::{Control, Customer};
use crate::error::StartError;
use crate::generate::generate;
use crate::state::SimState;
use crate::{api, control};

/// Entry point for starting simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Generates the data for `config` and serves the customer API and the control interface
    /// on 127.0.0.1 (ephemeral ports unless configured).
    pub async fn start(config: SimConfig) -> Result<SimHandle, StartError> {
        let api_listener = bind(config.port).await?;
        let control_listener = bind(config.control_port).await?;
        let api_addr = local_addr(&api_listener)?;
        let control_addr = local_addr(&control_listener)?;

        let seed = config.seed;
        let size = config.size.clone();
        let now = config.start_time.timestamp();
        let store = tokio::task::spawn_blocking(move || generate(seed, &size, now))
            .await
            .map_err(|_| StartError::Generate)?;

        let base_url = format!("http://{api_addr}/v1");
        let sim = Arc::new(SimState::new(config, store, base_url.clone()));
        let control = Control::new(Arc::clone(&sim));
        let (shutdown, stop) = watch::channel(false);
        let tasks = vec![
            serve(api_listener, api::router(Arc::clone(&sim)), stop.clone()),
            serve(control_listener, control::http::router(control.clone()), stop),
        ];
        tracing::info!(%api_addr, %control_addr, "simulator started");

        Ok(SimHandle { api_addr, control_addr, base_url, control, shutdown, tasks })
    }
}

/// A running simulator; dropping it stops both servers.
#[derive(Debug)]
pub struct SimHandle {
    api_addr: SocketAddr,
    control_addr: SocketAddr,
    base_url: String,
    control: Control,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// The customer API base, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The customer API's socket address.
    pub fn addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The control interface's base, e.g. `http://127.0.0.1:41235`.
    pub fn control_url(&self) -> String {
        format!("http://{}", self.control_addr)
    }

    /// The control interface's socket address.
    pub fn control_addr(&self) -> SocketAddr {
        self.control_addr
    }

    /// The in-process control handle.
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Every customer with its token.
    pub fn customers(&self) -> Vec<Customer> {
        self.control.customers()
    }

    /// Stops accepting requests and waits for both servers to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Binds 127.0.0.1:`port`.
pub async fn bind(port: u16) -> Result<TcpListener, StartError> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr: addr.to_string(), source })
}

/// The address a listener is bound to.
pub fn local_addr(listener: &TcpListener) -> Result<SocketAddr, StartError> {
    listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr: "127.0.0.1".to_owned(), source })
}

/// Serves `router` on `listener` with Nagle off, until `stop` turns true.
pub fn serve(
    listener: TcpListener,
    router: Router,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let listener = listener.tap_io(|stream| {
        // Small JSON answers on keep-alive connections must not wait for Nagle.
        let _ = stream.set_nodelay(true);
    });
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        };
        if let Err(error) = axum::serve(listener, router).with_graceful_shutdown(stopped).await {
            tracing::warn!(%error, "server stopped with an error");
        }
    })
}
