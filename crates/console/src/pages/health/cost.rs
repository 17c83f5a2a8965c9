//! Tokens and cost per location, today and this month in the location's own
//! time zone, from the decision counts and the config's `[[llm.prices]]`;
//! a model without a price makes the cost unknown ("—"), never zero.

use std::collections::BTreeSet;

use clubos_config::{LocationConfig, ModelPrice};
use clubos_domain::{LocationScope, TokenCaps};
use clubos_store::DecisionStat;
use jiff::Timestamp;
use jiff::civil::Date;
use maud::{Markup, html};

/// Tokens and what they cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Dollars of the priced models.
    pub dollars: f64,
    /// Models that used tokens and have no price.
    pub unpriced: BTreeSet<String>,
}

impl Usage {
    fn add(&mut self, s: &DecisionStat, prices: &[ModelPrice]) {
        self.tokens_in += s.tokens_in;
        self.tokens_out += s.tokens_out;
        if s.tokens_in + s.tokens_out == 0 {
            return;
        }
        match prices.iter().find(|p| p.model == s.model) {
            Some(p) => {
                self.dollars += (s.tokens_in as f64 * p.input_usd_per_million.dollars()
                    + s.tokens_out as f64 * p.output_usd_per_million.dollars())
                    / 1_000_000.0
            }
            None => {
                self.unpriced.insert(s.model.clone());
            }
        }
    }

    pub fn tokens(&self) -> u64 {
        self.tokens_in + self.tokens_out
    }

    /// `$4.50`, or `—` when a model has no price.
    pub fn cost(&self) -> String {
        if !self.unpriced.is_empty() {
            "—".into()
        } else if self.dollars > 0.0 && self.dollars < 0.01 {
            "< $0.01".into()
        } else {
            format!("${:.2}", self.dollars)
        }
    }
}

/// One location's usage.
#[derive(Debug, Clone)]
pub struct LocationUsage {
    pub name: String,
    pub today: Usage,
    pub month: Usage,
    pub caps: TokenCaps,
}

/// The location's local date of `t`.
fn day(t: Timestamp, loc: &LocationConfig) -> Date {
    t.to_zoned(loc.timezone.clone()).date()
}

/// The earliest start of "this month" among `locations` (stats are read from it).
pub fn month_start(locations: &[LocationConfig], now: Timestamp) -> Timestamp {
    locations
        .iter()
        .filter_map(|l| day(now, l).first_of_month().to_zoned(l.timezone.clone()).ok().map(|z| z.timestamp()))
        .min()
        .unwrap_or(now)
}

/// Usage of every location in `scope`.
pub fn per_location(
    locations: &[LocationConfig],
    scope: &LocationScope,
    stats: &[DecisionStat],
    prices: &[ModelPrice],
    now: Timestamp,
) -> Vec<LocationUsage> {
    locations
        .iter()
        .filter(|l| scope.includes(&l.id))
        .map(|l| {
            let today = day(now, l);
            let mut u = LocationUsage {
                name: l.name.clone(),
                today: Usage::default(),
                month: Usage::default(),
                caps: l.token_caps,
            };
            for s in stats.iter().filter(|s| s.location == l.id) {
                let d = day(s.bucket, l);
                if (d.year(), d.month()) == (today.year(), today.month()) {
                    u.month.add(s, prices);
                    if d == today {
                        u.today.add(s, prices);
                    }
                }
            }
            u
        })
        .collect()
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn of_cap(used: u64, cap: Option<u64>) -> String {
    match cap {
        Some(c) if c > 0 => format!("{:.0} % of {}", used as f64 * 100.0 / c as f64, thousands(c)),
        _ => "No cap".into(),
    }
}

/// The cost section.
pub fn render(usage: &[LocationUsage], priced: bool) -> Markup {
    html! {
        section aria-labelledby="cost-title" {
            h2 #cost-title { "Tokens and cost" }
            p.muted {
                "Per location, in its own time zone. "
                @if priced { "Prices come from " code { "[[llm.prices]]" } " in the configuration file." }
                @else { "No model prices are configured (" code { "[[llm.prices]]" } "), so costs show “—”." }
            }
            div.hl-cards {
                @for u in usage {
                    article.card {
                        div.scroll {
                            table.hl-cost {
                                caption.st-caption { (u.name) }
                                thead { tr {
                                    th scope="col" { "Period" } th scope="col" { "Tokens" }
                                    th scope="col" { "Cost" } th scope="col" { "Cap" }
                                } }
                                tbody {
                                    (row("Today", &u.today, u.caps.daily))
                                    (row("This month", &u.month, u.caps.monthly))
                                }
                            }
                        }
                        @let unpriced: BTreeSet<&String> = u.month.unpriced.iter().collect();
                        @if !unpriced.is_empty() {
                            p.st-hint { "No price for: " @for (i, m) in unpriced.iter().enumerate() { @if i > 0 { ", " } code { (m) } } }
                        }
                    }
                }
            }
        }
    }
}

fn row(label: &str, u: &Usage, cap: Option<u64>) -> Markup {
    html! {
        tr {
            th scope="row" { (label) }
            td { (thousands(u.tokens())) span.st-hint.hl-split { " (" (thousands(u.tokens_in)) " in, " (thousands(u.tokens_out)) " out)" } }
            td.hl-money { (u.cost()) }
            td { (of_cap(u.tokens(), cap)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(of_cap(50, Some(200)), "25 % of 200");
        assert_eq!(of_cap(50, None), "No cap");
    }

    #[test]
    fn unpriced_tokens_make_the_cost_unknown() {
        let u = Usage { tokens_in: 10, unpriced: ["x".to_owned()].into(), ..Usage::default() };
        assert_eq!(u.cost(), "—");
        assert_eq!(Usage { dollars: 4.5, ..Usage::default() }.cost(), "$4.50");
        assert_eq!(Usage { dollars: 0.004, ..Usage::default() }.cost(), "< $0.01");
        assert_eq!(Usage::default().cost(), "$0.00");
    }
}
