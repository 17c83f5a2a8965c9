//! The ClubOS service: the OpenPhone webhook and JSON API (axum), the
//! durable worker that runs OperatorGPT, the action wrapper and the
//! scheduler. [`serve`] takes a bound listener and a shutdown future, so
//! tests run the real server on port 0; [`serve_tls_with`] speaks HTTPS.

pub mod actions;
pub mod app;
pub mod auth;
pub mod bookings;
pub mod bootstrap;
pub mod budget;
pub mod clock;
pub mod health;
pub mod health_share;
pub mod http;
pub mod knowledge;
pub mod lease;
pub mod metrics;
pub mod notifier;
pub mod operate;
pub mod privacy;
pub mod probe;
pub mod review;
pub mod scheduler;
pub mod settings;
pub mod tls;
pub mod worker;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use app::App;

/// Serves HTTP on `listener` and runs the workers and the scheduler until
/// `shutdown` completes. In-flight requests and claims are finished first.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(app, listener, axum::Router::new(), shutdown).await
}

/// [`serve`] with `extra` routes (the operator console) beside the API.
pub async fn serve_with(
    app: Arc<App>,
    listener: TcpListener,
    extra: axum::Router<Arc<App>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Why no Nagle: an acknowledgement is one small write; the customer's
    // carrier should not wait on a delayed ACK to see it.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    run(app, listener, extra, shutdown).await
}

/// [`serve_with`] over HTTPS (`[http] tls_cert_file`; see [`tls`]).
pub async fn serve_tls_with(
    app: Arc<App>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    extra: axum::Router<Arc<App>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run(app, tls::TlsListener::new(listener, tls)?, extra, shutdown).await
}

async fn run<L>(
    app: Arc<App>,
    listener: L,
    extra: axum::Router<Arc<App>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    let (stop_tx, stop_rx) = watch::channel(false);
    let workers = app.config.agent.workers.max(1) as usize;
    let mut tasks = Vec::with_capacity(workers + 1);
    for i in 0..workers {
        tasks.push(tokio::spawn(worker::run(Arc::clone(&app), i, stop_rx.clone())));
    }
    tasks.push(tokio::spawn(scheduler::run(Arc::clone(&app), stop_rx.clone())));
    tasks.push(tokio::spawn(notifier::run(Arc::clone(&app), stop_rx.clone())));
    tasks.push(tokio::spawn(probe::run(Arc::clone(&app), stop_rx.clone())));
    tasks.push(tokio::spawn(review::run(Arc::clone(&app), stop_rx.clone())));
    let router = http::router_with(Arc::clone(&app), extra);
    // The client's address reaches handlers (login throttling per address)
    // and the rate limits.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    // axum gives the peer's address (`ConnectInfo`) for a `TcpListener` or a
    // tapped listener only: a no-op tap serves the TLS listener too.
    let listener = axum::serve::ListenerExt::tap_io(listener, |_| {});
    let result = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    // Why after the HTTP server: every acknowledged webhook is already in the
    // database, so the workers can stop between claims without losing work.
    let _ = stop_tx.send(true);
    app.wake.notify_waiters();
    for t in tasks {
        let _ = t.await;
    }
    result
}
