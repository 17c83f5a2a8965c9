//! Prometheus metrics (text exposition at `GET /metrics`).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub verdict: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    pub kind: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub location: String,
    pub model: String,
}

/// Bounds of `clubos_queue_claim_seconds`: fine below 10 ms, where a claim
/// should be, so a p99 read from the buckets is close to the real one.
pub const CLAIM_BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25,
    1.0,
];

/// Every metric the service exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub messages_received: Counter,
    pub decisions: Family<DecisionLabels, Counter>,
    pub actions: Family<ActionLabels, Counter>,
    pub queue_depth: Gauge,
    pub llm_tokens: Family<TokenLabels, Counter>,
    /// Dollars spent on model calls, from `[[llm.prices]]`.
    pub llm_cost_usd: Family<TokenLabels, Counter<f64, AtomicU64>>,
    /// From the message's arrival to its decision being recorded.
    pub processing_seconds: Histogram,
    /// How long one `Store::claim` takes (a worker asking the queue for its
    /// next thread, whether or not one was due).
    pub queue_claim_seconds: Histogram,
    /// When `queue_depth` was last counted (see [`Metrics::depth_is_stale`]).
    depth_sampled: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Metrics {
    /// Counts a classifier call's tokens and, with a price, its cost.
    pub fn llm_call(
        &self,
        location: &str,
        model: &str,
        tokens_in: u32,
        tokens_out: u32,
        price: Option<&clubos_config::ModelPrice>,
    ) {
        let labels = TokenLabels { location: location.to_owned(), model: model.to_owned() };
        self.llm_tokens.get_or_create(&labels).inc_by(u64::from(tokens_in) + u64::from(tokens_out));
        if let Some(p) = price {
            self.llm_cost_usd.get_or_create(&labels).inc_by(p.cost(tokens_in, tokens_out));
        }
    }

    /// How long a counted queue depth is reused. Counting is a scan of the
    /// waiting items; a scraper polling many times a second (a dashboard,
    /// the load command) would otherwise scan a long backlog each time.
    pub const DEPTH_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(1);

    /// True (and the sample time reset to `now`) when the queue depth should
    /// be counted again.
    pub fn depth_is_stale(&self, now: std::time::Instant) -> bool {
        let mut at = self.depth_sampled.lock().unwrap_or_else(|p| p.into_inner());
        let stale = at.is_none_or(|t| now.duration_since(t) >= Self::DEPTH_MAX_AGE);
        if stale {
            *at = Some(now);
        }
        stale
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let messages_received = Counter::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        let actions = Family::<ActionLabels, Counter>::default();
        let queue_depth = Gauge::default();
        let llm_tokens = Family::<TokenLabels, Counter>::default();
        let llm_cost_usd = Family::<TokenLabels, Counter<f64, AtomicU64>>::default();
        let buckets =
            [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0];
        let processing_seconds = Histogram::new(buckets);
        let queue_claim_seconds = Histogram::new(CLAIM_BUCKETS);
        registry.register("clubos_messages_received", "Inbound customer messages stored", messages_received.clone());
        registry.register("clubos_decisions", "Decisions by verdict and reason", decisions.clone());
        registry.register("clubos_actions", "Action attempts by kind and outcome", actions.clone());
        registry.register("clubos_queue_depth", "Threads waiting in the queue", queue_depth.clone());
        registry.register("clubos_llm_tokens", "LLM tokens used by location and model", llm_tokens.clone());
        registry.register(
            "clubos_llm_cost_usd",
            "US dollars spent on LLM calls by location and model ([[llm.prices]])",
            llm_cost_usd.clone(),
        );
        registry.register(
            "clubos_processing_seconds",
            "Time from a message's arrival to its decision",
            processing_seconds.clone(),
        );
        registry.register(
            "clubos_queue_claim_seconds",
            "Time one queue claim takes (the store call, due item or not)",
            queue_claim_seconds.clone(),
        );
        Self {
            registry,
            messages_received,
            decisions,
            actions,
            queue_depth,
            llm_tokens,
            llm_cost_usd,
            processing_seconds,
            queue_claim_seconds,
            depth_sampled: std::sync::Mutex::new(None),
        }
    }
}

impl Metrics {
    pub fn decision(&self, verdict: &str, reason: Option<&str>) {
        self.decisions
            .get_or_create(&DecisionLabels { verdict: verdict.to_owned(), reason: reason.unwrap_or("none").to_owned() })
            .inc();
    }

    pub fn action(&self, kind: &str, outcome: &str) {
        self.actions.get_or_create(&ActionLabels { kind: kind.to_owned(), outcome: outcome.to_owned() }).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_contract_names() {
        let m = Metrics::default();
        m.messages_received.inc();
        m.decision("defer", Some("rate_limited"));
        m.action("reset_trackman", "success");
        m.processing_seconds.observe(0.003);
        m.queue_claim_seconds.observe(0.0004);
        let text = m.render();
        for needle in [
            "clubos_messages_received_total 1",
            "clubos_decisions_total{verdict=\"defer\",reason=\"rate_limited\"} 1",
            "clubos_actions_total{kind=\"reset_trackman\",outcome=\"success\"} 1",
            "clubos_queue_depth 0",
            "clubos_processing_seconds_bucket{le=\"0.005\"} 1",
            "clubos_queue_claim_seconds_bucket{le=\"0.0005\"} 1",
        ] {
            assert!(text.contains(needle), "{needle} missing in:\n{text}");
        }
    }
}
