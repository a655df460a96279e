//! DNS rebinding: a webhook host that resolves to a public address when its
//! URL is checked, and to loopback when the delivery connects, reaches
//! nothing; the delivery fails saying why. Private targets are not allowed
//! here (the guarded path).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::json;

use crate::helpers::{Backend, spawn_app_with_dns};

/// Answers a public address, then loopback, then public again...
#[derive(Default)]
struct Rebinding {
    calls: AtomicUsize,
}

impl Resolve for Rebinding {
    fn resolve(&self, _: Name) -> Resolving {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let ip = if call.is_multiple_of(2) {
            IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34))
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        let addresses: Addrs = Box::new(std::iter::once(SocketAddr::new(ip, 0)));
        Box::pin(async move { Ok(addresses) })
    }
}

/// A local TCP listener that counts the connections it gets.
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((_stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, connections)
}

async fn a_rebinding_host_reaches_no_internal_address(backend: Backend) {
    let (port, connections) = counting_listener().await;
    let dns = Arc::new(Rebinding::default());
    let flags = [
        "--webhook-poll-ms",
        "100",
        "--webhook-max-attempts",
        "1",
        "--webhook-timeout-ms",
        "2000",
    ];
    let app = spawn_app_with_dns(backend, &flags, dns.clone()).await;
    // Checked on creation: the first answer is public.
    let url = format!("http://hooks.rebind.test:{port}/hook");
    let hook = app.subscribe(&url, json!(["customer.created"])).await;
    assert_eq!(dns.calls.load(Ordering::SeqCst), 1);
    app.customer("Ada").await;
    let log = app.wait_for_delivery(&hook, "failed").await;
    let error = log[0]["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("resolves only to loopback, private or reserved addresses"),
        "{log:?}"
    );
    assert!(
        dns.calls.load(Ordering::SeqCst) >= 2,
        "the client resolved again"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a delivery reached the loopback listener"
    );
}

crate::on_every_backend!(a_rebinding_host_reaches_no_internal_address);
