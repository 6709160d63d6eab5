//! Bylaw policies served over HTTP (`bylaw serve`): every policy under a directory
//! checked and compiled to native code at start, then evaluated, explained and traced
//! through versioned JSON endpoints, with errors as RFC 9457 problem details.
//!
//! ```no_run
//! use bylaw_server::{Config, Server};
//!
//! let server = Server::build("policies".as_ref(), Config::default())?;
//! server.run("127.0.0.1:8080".parse()?, |addr| println!("listening on http://{addr}"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every request passes, outermost first: a request id (`x-request-id`, kept when the
//! client sends one, returned on the response), a tracing span carrying it, the
//! conversion of bare error responses into problem details, panic catching, the
//! per-request timeout, the concurrency limit and the body size limit.

mod api;
mod layers;
pub mod problem;
mod registry;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;

pub use api::types;
pub use registry::{Registry, Served, Skipped, StartError};

/// Limits of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body, in bytes (larger is 413).
    pub max_body: usize,
    /// The most records one request may give (more is 413).
    pub max_records: usize,
    /// How long a request may take before it is answered 503.
    pub timeout: Duration,
    /// The most requests handled at once; the rest wait their turn.
    pub max_concurrent: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body: 8 << 20,
            max_records: 100_000,
            timeout: Duration::from_secs(30),
            max_concurrent: 64,
        }
    }
}

/// A server ready to take connections: its policies loaded, checked and compiled.
pub struct Server {
    registry: Arc<Registry>,
    config: Arc<Config>,
    draining: Arc<AtomicBool>,
}

impl Server {
    /// Loads every policy under `policy_dir` (see [`Registry::load`]).
    ///
    /// # Errors
    /// [`StartError`] when the directory cannot be read or no policy in it checks.
    pub fn build(policy_dir: &Path, config: Config) -> Result<Server, StartError> {
        Ok(Server {
            registry: Arc::new(Registry::load(policy_dir)?),
            config: Arc::new(config),
            draining: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The policies served and the files skipped.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The routes with every layer, for serving or for calling in memory.
    pub fn router(&self) -> Router {
        let state = api::AppState {
            registry: self.registry.clone(),
            config: self.config.clone(),
            draining: self.draining.clone(),
        };
        layers::wrap(api::routes(state), &self.config)
    }

    /// Serves connections from `listener` until `shutdown` completes, then stops
    /// taking new connections and returns once the requests in flight are answered.
    ///
    /// # Errors
    /// An I/O error of the listener.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let draining = self.draining.clone();
        let router = self.router();
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                draining.store(true, Ordering::Relaxed);
                tracing::info!("shutting down: answering the requests in flight");
            })
            .await
    }

    /// Binds `addr`, calls `on_bound` with the address bound (port 0 picks one), logs to
    /// standard error, and serves until Ctrl-C or SIGTERM, then drains and returns.
    ///
    /// # Errors
    /// An I/O error: the address cannot be bound, or the runtime cannot start.
    pub fn run(self, addr: SocketAddr, on_bound: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
        init_logging();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            on_bound(listener.local_addr()?);
            self.serve(listener, shutdown_signal()).await
        })
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Structured logs to standard error, filtered by `RUST_LOG` (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Already set (a test, an embedding program): keep the caller's.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour for a terminal only: a log file gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
