//! Three replicas on one PostgreSQL behind a proxy, one of them killed
//! during a burst of interaction writes: the clients retry what the kill
//! cut off with the same `Idempotency-Key`, so no write is lost or recorded
//! twice, and the survivors serve the model activated through the dead one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::helpers::{
    Backend, TestApp, eventually, id_of, spawn_app, spawn_killable_replica, spawn_replica,
};

/// Logical writes of the burst.
const WRITES: usize = 400;
/// Clients writing at once, each its share of the writes one after another.
const CLIENTS: usize = 8;
/// Attempts at one write before the test gives up on it.
const ATTEMPTS: usize = 10;

/// A TCP proxy in front of the replicas.
struct Proxy {
    /// Where clients connect.
    addr: SocketAddr,
    routes: Arc<Routes>,
}

/// The backends of a [`Proxy`], and how many connections each was given.
struct Routes {
    backends: Vec<SocketAddr>,
    routed: Vec<AtomicUsize>,
    /// The next backend to try, modulo their number.
    next: AtomicUsize,
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 that hands each connection to the next
    /// backend in turn, skipping one that refuses it (and dropping the
    /// connection when all do). Bytes are copied both ways until either side
    /// closes, so a request whose backend dies before answering ends, for
    /// the client, with its connection closed.
    async fn start(backends: Vec<SocketAddr>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let routes = Arc::new(Routes {
            routed: backends.iter().map(|_| AtomicUsize::new(0)).collect(),
            backends,
            next: AtomicUsize::new(0),
        });
        let serving = Arc::clone(&routes);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(Arc::clone(&serving).forward(client));
            }
        });
        Proxy { addr, routes }
    }

    /// Connections handed to backend `index` so far.
    fn routed(&self, index: usize) -> usize {
        self.routes.routed[index].load(Ordering::SeqCst)
    }
}

impl Routes {
    async fn forward(self: Arc<Self>, mut client: TcpStream) {
        for _ in 0..self.backends.len() {
            let index = self.next.fetch_add(1, Ordering::SeqCst) % self.backends.len();
            if let Ok(mut server) = TcpStream::connect(self.backends[index]).await {
                self.routed[index].fetch_add(1, Ordering::SeqCst);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                return;
            }
        }
    }
}

/// The address a test service listens on.
fn address(app: &TestApp) -> SocketAddr {
    app.base
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {}", app.base))
}

/// The writes of the burst, sent through the proxy by [`CLIENTS`] tasks.
struct Burst {
    /// Opens a connection per request, so that every attempt is routed
    /// anew (and [`Proxy::routed`] counts requests).
    client: reqwest::Client,
    url: String,
    token: String,
    customers: Vec<String>,
    items: Vec<String>,
    acknowledged: AtomicUsize,
    /// Notified when a third of the writes are acknowledged.
    a_third: Notify,
}

/// How a write was acknowledged.
struct Written {
    /// The id of the interaction, as the acknowledging response gave it.
    id: String,
    /// Why the attempts before it failed.
    failures: Vec<String>,
    /// Whether that response was a replay of one the client never received.
    replayed: bool,
}

/// The note that tells write `i` of the burst apart.
fn note(i: usize) -> String {
    format!("burst {i}")
}

impl Burst {
    /// The writes of client `client`, one after another.
    async fn run(self: Arc<Self>, client: usize) -> Vec<(usize, Written)> {
        let mut written = Vec::new();
        for i in (client..WRITES).step_by(CLIENTS) {
            written.push((i, self.write(i).await));
            if self.acknowledged.fetch_add(1, Ordering::SeqCst) + 1 == WRITES / 3 {
                self.a_third.notify_one();
            }
        }
        written
    }

    /// Write `i`, with a key of its own, sent until it is acknowledged.
    async fn write(&self, i: usize) -> Written {
        let body = json!({"customer_id": self.customers[i % self.customers.len()],
            "item_id": self.items[i % self.items.len()], "kind": "view", "note": note(i)});
        let key = uuid::Uuid::new_v4().to_string();
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            let request = self
                .client
                .post(&self.url)
                .bearer_auth(&self.token)
                .header("Idempotency-Key", &key)
                .json(&body);
            match send(request).await {
                Ok((created, replayed)) => {
                    return Written {
                        id: id_of(&created),
                        failures,
                        replayed,
                    };
                }
                Err(failure) => failures.push(failure),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("write {i} was never acknowledged: {failures:#?}");
    }
}

/// One attempt at a write: the created interaction and whether it is a
/// replay, or why the attempt may be retried: the connection failed, or the
/// service answered 5xx (as the killed replica may while it dies, see
/// `Killable::kill`). Any other answer fails the test.
async fn send(request: reqwest::RequestBuilder) -> Result<(Value, bool), String> {
    let response = request.send().await.map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let replayed = response.headers().contains_key("Idempotent-Replayed");
    let text = response
        .text()
        .await
        .map_err(|e| format!("{status}, body cut off: {e:?}"))?;
    if status.is_server_error() {
        return Err(format!("{status}: {text}"));
    }
    assert_eq!(status, 201, "a write was refused: {text}");
    let created = serde_json::from_str(&text).expect("a JSON body");
    Ok((created, replayed))
}

/// The request counters of `app` for responses with a 5xx status.
async fn server_errors(app: &TestApp) -> Vec<String> {
    let response = app.client.get(app.root("/metrics")).send().await;
    let text = response
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics");
    text.lines()
        .filter(|l| l.starts_with("rapport_http_requests_total{") && l.contains("status=\"5"))
        .map(str::to_owned)
        .collect()
}

/// A model is trained and activated through the replica to be killed; the
/// burst goes through the proxy, and the replica is killed once a third of
/// it is acknowledged.
async fn a_killed_replica_loses_no_write(backend: Backend) {
    let first = spawn_app(backend).await;
    let victim = spawn_killable_replica(&first).await;
    let third = spawn_replica(&first).await;
    let catalogue = first.seed_catalogue().await;
    let model = victim
        .app
        .train_and_activate("item_item", json!({"neighbours": 20}))
        .await;

    let victim_addr = address(&victim.app);
    let proxy = Proxy::start(vec![address(&first), victim_addr, address(&third)]).await;
    let burst = Arc::new(Burst {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("a client"),
        url: format!("http://{}/api/v1/interactions", proxy.addr),
        token: first.token.clone(),
        customers: catalogue.customers.clone(),
        items: catalogue.items.clone(),
        acknowledged: AtomicUsize::new(0),
        a_third: Notify::new(),
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(Arc::clone(&burst).run(c)))
        .collect();

    // The kill comes just after a connection went to the victim, so that
    // (most likely) a request is in flight through it.
    burst.a_third.notified().await;
    let routed_before = proxy.routed(1);
    while proxy.routed(1) == routed_before {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let routed_to_victim = proxy.routed(1);
    let acknowledged_before = burst.acknowledged.load(Ordering::SeqCst);
    victim.kill().await;
    assert!(routed_to_victim > 0, "no write went to the killed replica");
    assert!(
        TcpStream::connect(victim_addr).await.is_err(),
        "the killed replica still accepts connections"
    );

    let mut written = Vec::new();
    for client in clients {
        written.extend(client.await.expect("a client of the burst panicked"));
    }
    assert_eq!(written.len(), WRITES);
    let failures: Vec<_> = written.iter().flat_map(|(_, w)| &w.failures).collect();
    eprintln!(
        "routed to each replica: {:?}; acknowledged before the kill: {acknowledged_before}; \
         acknowledged by a replay: {}; failed attempts: {failures:#?}",
        (0..3).map(|b| proxy.routed(b)).collect::<Vec<_>>(),
        written.iter().filter(|(_, w)| w.replayed).count(),
    );

    // Every write is stored once, as the row its acknowledgement named.
    let mut stored: HashMap<String, Vec<String>> = HashMap::new();
    for row in first.list_all("/interactions").await {
        if let Some(note) = row["note"].as_str().filter(|n| n.starts_with("burst ")) {
            stored.entry(note.to_owned()).or_default().push(id_of(&row));
        }
    }
    assert_eq!(stored.len(), WRITES, "writes stored");
    for (i, write) in &written {
        assert_eq!(
            stored[&note(*i)],
            std::slice::from_ref(&write.id),
            "rows of write {i}"
        );
    }

    // What the clients retried failed on the killed replica: the survivors
    // answered no request with a server error.
    for survivor in [&first, &third] {
        let errors = server_errors(survivor).await;
        assert!(errors.is_empty(), "a survivor failed: {errors:#?}");
    }

    // The survivors serve the model activated through the dead replica.
    let customer = &catalogue.customers[4];
    for survivor in [&first, &third] {
        eventually(
            "a survivor serves the model",
            Duration::from_secs(10),
            async || {
                survivor.recommend(customer, "k=3&engine=item_item").await["model_id"]
                    == model.as_str()
            },
        )
        .await;
    }
}

crate::on_postgres!(a_killed_replica_loses_no_write);
