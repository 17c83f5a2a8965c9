//! Reading the server's `/metrics` (Prometheus text): decisions by verdict,
//! actions by kind and outcome, messages received, queue depth and the
//! `clubos_processing_seconds` and `clubos_queue_claim_seconds` buckets;
//! and merging the scrapes of several instances.

use std::collections::BTreeMap;

/// The figures `clubos load` reads from one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    pub received: f64,
    /// Sum of `clubos_decisions_total` over every label set.
    pub decisions: f64,
    /// `verdict/reason` → count.
    pub by_decision: BTreeMap<String, f64>,
    /// `kind/outcome` → count.
    pub actions: BTreeMap<String, f64>,
    pub queue_depth: f64,
    /// Cumulative `(le, count)` of `clubos_processing_seconds`, `+Inf` last.
    pub processing: Vec<(f64, f64)>,
    /// Cumulative `(le, count)` of `clubos_queue_claim_seconds`.
    pub claim: Vec<(f64, f64)>,
}

impl Scrape {
    /// Adds another instance's scrape: counters and buckets add up; the
    /// queue depth (one shared queue) is the larger of the two readings.
    pub fn merge(&mut self, other: &Scrape) {
        self.received += other.received;
        self.decisions += other.decisions;
        for (k, v) in &other.by_decision {
            *self.by_decision.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.actions {
            *self.actions.entry(k.clone()).or_default() += v;
        }
        self.queue_depth = self.queue_depth.max(other.queue_depth);
        add_buckets(&mut self.processing, &other.processing);
        add_buckets(&mut self.claim, &other.claim);
    }
}

/// Adds cumulative buckets bound by bound (bounds missing on one side are
/// taken as they are).
fn add_buckets(into: &mut Vec<(f64, f64)>, from: &[(f64, f64)]) {
    for &(le, n) in from {
        match into.iter_mut().find(|b| b.0 == le) {
            Some(b) => b.1 += n,
            None => into.push((le, n)),
        }
    }
    into.sort_by(|a, b| a.0.total_cmp(&b.0));
}

/// Parses the exposition text; unknown lines are ignored.
pub fn parse(text: &str) -> Scrape {
    let mut s = Scrape::default();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((name, labels, value)) = split(line) else {
            continue;
        };
        match name {
            "clubos_messages_received_total" => s.received += value,
            "clubos_queue_depth" => s.queue_depth = value,
            "clubos_decisions_total" => {
                s.decisions += value;
                let key = format!("{}/{}", label(labels, "verdict"), label(labels, "reason"));
                *s.by_decision.entry(key).or_default() += value;
            }
            "clubos_actions_total" => {
                let key = format!("{}/{}", label(labels, "kind"), label(labels, "outcome"));
                *s.actions.entry(key).or_default() += value;
            }
            "clubos_processing_seconds_bucket" | "clubos_queue_claim_seconds_bucket" => {
                let le = label(labels, "le");
                let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::NAN) };
                if !bound.is_nan() {
                    let into = if name.starts_with("clubos_queue") { &mut s.claim } else { &mut s.processing };
                    into.push((bound, value));
                }
            }
            _ => {}
        }
    }
    s.processing.sort_by(|a, b| a.0.total_cmp(&b.0));
    s.claim.sort_by(|a, b| a.0.total_cmp(&b.0));
    s
}

/// `name{labels} value` → its three parts (labels may be empty).
fn split(line: &str) -> Option<(&str, &str, f64)> {
    let (head, value) = line.rsplit_once(' ')?;
    let value: f64 = value.trim().parse().ok()?;
    match head.split_once('{') {
        Some((name, rest)) => Some((name, rest.strip_suffix('}')?, value)),
        None => Some((head.trim(), "", value)),
    }
}

/// The value of label `key` in `a="x",b="y"`, or `""`. Label values of the
/// service's metrics hold no commas or quotes.
fn label<'a>(labels: &'a str, key: &str) -> &'a str {
    labels
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map_or("", |(_, v)| v.trim().trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# HELP clubos_messages_received Inbound customer messages stored.
# TYPE clubos_messages_received counter
clubos_messages_received_total 12
clubos_decisions_total{verdict="reply",reason="none"} 7
clubos_decisions_total{verdict="escalate",reason="no_booking"} 4
clubos_decisions_total{verdict="defer",reason="rate_limited"} 1
clubos_actions_total{kind="send_reply",outcome="success"} 11
clubos_queue_depth 3
clubos_processing_seconds_sum 0.05
clubos_processing_seconds_count 11
clubos_processing_seconds_bucket{le="0.001"} 2
clubos_processing_seconds_bucket{le="0.0025"} 9
clubos_processing_seconds_bucket{le="+Inf"} 11
clubos_queue_claim_seconds_bucket{le="0.0005"} 20
clubos_queue_claim_seconds_bucket{le="+Inf"} 21
# EOF
"#;

    #[test]
    fn reads_the_service_metrics() {
        let s = parse(TEXT);
        assert_eq!(s.received, 12.0);
        assert_eq!(s.decisions, 12.0);
        assert_eq!(s.by_decision["escalate/no_booking"], 4.0);
        assert_eq!(s.by_decision["defer/rate_limited"], 1.0);
        assert_eq!(s.actions["send_reply/success"], 11.0);
        assert_eq!(s.queue_depth, 3.0);
        assert_eq!(s.processing, vec![(0.001, 2.0), (0.0025, 9.0), (f64::INFINITY, 11.0)]);
        assert_eq!(s.claim, vec![(0.0005, 20.0), (f64::INFINITY, 21.0)]);
        assert_eq!(parse("garbage\nclubos_queue_depth x\n"), Scrape::default());
    }

    #[test]
    fn scrapes_of_several_instances_add_up() {
        let mut a = parse(TEXT);
        let b = parse(&TEXT.replace("clubos_queue_depth 3", "clubos_queue_depth 5"));
        a.merge(&b);
        assert_eq!((a.received, a.decisions, a.queue_depth), (24.0, 24.0, 5.0));
        assert_eq!(a.by_decision["escalate/no_booking"], 8.0);
        assert_eq!(a.claim, vec![(0.0005, 40.0), (f64::INFINITY, 42.0)]);
        let mut empty = Scrape::default();
        empty.merge(&b);
        assert_eq!(empty.processing, b.processing);
    }
}
