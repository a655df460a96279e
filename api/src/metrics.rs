//! Prometheus instruments: request counts and latency per route and
//! status, and counters registered by the parts that count something.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The registry and the instruments the middleware updates.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

const LABELS: &[&str] = &["method", "route", "status"];

impl Metrics {
    /// Registers the instruments in a fresh registry.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("rapport".to_owned()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests handled"),
            LABELS,
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            ),
            LABELS,
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
        })
    }

    /// Counts one request and records its latency. Methods other than the
    /// standard ones are counted as `OTHER`, so that clients sending made-up
    /// methods cannot create series without bound.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method_label(method), route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// A counter registered beside the request instruments.
    pub fn counter(&self, name: &str, help: &str) -> Result<IntCounter, prometheus::Error> {
        let counter = IntCounter::with_opts(Opts::new(name, help))?;
        self.registry.register(Box::new(counter.clone()))?;
        Ok(counter)
    }

    /// The Prometheus text exposition of every instrument.
    pub fn render(&self) -> Result<String, anyhow::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8(buffer)?)
    }
}

/// The label of a request method: one of the nine of RFC 9110 and RFC
/// 5789, or `OTHER`.
fn method_label(method: &str) -> &str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    KNOWN
        .iter()
        .find(|known| **known == method)
        .copied()
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        let metrics = Metrics::new().unwrap();
        for n in 0..50 {
            metrics.observe(&format!("FOO{n}"), "unmatched", 404, 0.001);
        }
        metrics.observe("GET", "unmatched", 404, 0.001);
        let text = metrics.render().unwrap();
        assert!(text.contains("method=\"OTHER\""), "{text}");
        assert!(!text.contains("FOO"), "{text}");
    }

    #[test]
    fn renders_observations() {
        let metrics = Metrics::new().unwrap();
        metrics.observe("GET", "/api/v1/customers", 200, 0.003);
        let text = metrics.render().unwrap();
        assert!(text.contains(
            "rapport_http_requests_total{method=\"GET\",route=\"/api/v1/customers\",status=\"200\"} 1"
        ));
        assert!(text.contains("rapport_http_request_duration_seconds_bucket"));
    }
}
