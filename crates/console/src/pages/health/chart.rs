//! The automation rate over the last 30 days as a server-rendered SVG bar
//! chart: per day, the share of decisions the AI carried out itself
//! (execute or reply) among those that ended in execute, reply or
//! escalate. Deferrals are not outcomes and are left out. The chart has a
//! title, a description with the totals, and the daily figures as a table.

use clubos_domain::{LocationScope, Verdict};
use clubos_store::DecisionStat;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use maud::{Markup, html};

/// Days the chart covers, today included.
pub const DAYS: i32 = 30;

/// One day's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    /// Executed or replied by the AI.
    pub automated: u64,
    /// Executed, replied or escalated.
    pub total: u64,
}

impl Day {
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.automated as f64 / self.total as f64)
    }
}

/// The first instant of the chart's first day in `tz`.
pub fn start(now: Timestamp, tz: &TimeZone) -> Timestamp {
    let first = now.to_zoned(tz.clone()).date().checked_sub((DAYS - 1).days()).unwrap_or(Date::MIN);
    first.to_zoned(tz.clone()).map_or(now, |z| z.timestamp())
}

/// The last [`DAYS`] days of decisions in `scope`, oldest first, days in `tz`.
pub fn days(stats: &[DecisionStat], scope: &LocationScope, now: Timestamp, tz: &TimeZone) -> Vec<Day> {
    let today = now.to_zoned(tz.clone()).date();
    let mut out: Vec<Day> = (0..DAYS)
        .rev()
        .filter_map(|back| today.checked_sub(back.days()).ok())
        .map(|date| Day { date, automated: 0, total: 0 })
        .collect();
    for s in stats.iter().filter(|s| scope.includes(&s.location)) {
        let date = s.bucket.to_zoned(tz.clone()).date();
        let Some(d) = out.iter_mut().find(|d| d.date == date) else { continue };
        match s.verdict {
            Verdict::Execute | Verdict::Reply => {
                d.automated += s.decisions;
                d.total += s.decisions;
            }
            Verdict::Escalate => d.total += s.decisions,
            Verdict::Defer => {}
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

// The drawing, in SVG user units (the CSS scales it to the width).
const W: f64 = 360.0;
const H: f64 = 180.0;
const LEFT: f64 = 40.0;
const TOP: f64 = 8.0;
const PLOT_H: f64 = 140.0;
const RIGHT: f64 = 6.0;

/// The chart with its accessible alternatives; `zone` names the days' time zone.
pub fn render(days: &[Day], zone: &str) -> Markup {
    let automated: u64 = days.iter().map(|d| d.automated).sum();
    let total: u64 = days.iter().map(|d| d.total).sum();
    let with_data: Vec<&Day> = days.iter().filter(|d| d.total > 0).collect();
    let summary = if total == 0 {
        format!("No decisions in the last {DAYS} days.")
    } else {
        let best = with_data.iter().max_by(|a, b| a.rate().partial_cmp(&b.rate()).unwrap_or(std::cmp::Ordering::Equal));
        let worst =
            with_data.iter().min_by(|a, b| a.rate().partial_cmp(&b.rate()).unwrap_or(std::cmp::Ordering::Equal));
        let mut s = format!(
            "Over the last {DAYS} days the AI handled {automated} of {total} decisions itself ({}), on {} day{} with \
             decisions.",
            pct(automated as f64 / total as f64),
            with_data.len(),
            if with_data.len() == 1 { "" } else { "s" }
        );
        if let (Some(b), Some(w)) = (best, worst)
            && with_data.len() > 1
        {
            s.push_str(&format!(
                " Highest {} on {}; lowest {} on {}.",
                pct(b.rate().unwrap_or(0.0)),
                b.date,
                pct(w.rate().unwrap_or(0.0)),
                w.date
            ));
        }
        s
    };
    let slot = (W - LEFT - RIGHT) / f64::from(DAYS);
    let bar_w = slot * 0.7;
    let y_of = |rate: f64| TOP + PLOT_H * (1.0 - rate);
    let base = TOP + PLOT_H;
    html! {
        section aria-labelledby="rate-heading" {
            h2 #rate-heading { "Automation rate" }
            p.muted { "Share of decisions the AI carried out itself (acted or replied) rather than escalating, per day (" (zone) ")." }
            figure.hl-figure {
                svg.chart.hl-chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-labelledby="rate-title rate-desc"
                    xmlns="http://www.w3.org/2000/svg" {
                    title #rate-title { "Automation rate per day, last " (DAYS) " days" }
                    desc #rate-desc { (summary) }
                    @for r in [0.0, 0.5, 1.0] {
                        line.axis x1=(LEFT) x2=(W - RIGHT) y1=(y_of(r)) y2=(y_of(r)) {}
                        text x=(LEFT - 4.0) y=(y_of(r) + 4.0) text-anchor="end" { (pct(r)) }
                    }
                    @for (i, d) in days.iter().enumerate() {
                        @let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
                        @if let Some(rate) = d.rate() {
                            @let h = (PLOT_H * rate).max(1.0);
                            rect.bar x=(fmt(x)) y=(fmt(base - h)) width=(fmt(bar_w)) height=(fmt(h)) {
                                title { (d.date) ": " (d.automated) " of " (d.total) " (" (pct(rate)) ")" }
                            }
                        } @else {
                            rect.hl-none x=(fmt(x)) y=(fmt(base - 1.0)) width=(fmt(bar_w)) height="1" {}
                        }
                        @if i + 1 == days.len() {
                            text x=(fmt(x + bar_w)) y=(H - 14.0) text-anchor="end" { (d.date.strftime("%b %-d")) }
                        } @else if (days.len() - 1 - i).is_multiple_of(7) && i + 4 < days.len() {
                            text x=(fmt(x + bar_w / 2.0)) y=(H - 14.0) text-anchor="middle" { (d.date.strftime("%b %-d")) }
                        }
                    }
                }
                figcaption.st-hint { (summary) }
            }
            details.hl-table {
                summary { "The figures by day" }
                div.scroll {
                    table {
                        caption.sr { "Automation rate per day" }
                        thead { tr { th scope="col" { "Day" } th scope="col" { "By the AI" } th scope="col" { "Decisions" } th scope="col" { "Rate" } } }
                        tbody {
                            @for d in days.iter().rev() {
                                tr {
                                    th scope="row" { (d.date) }
                                    td { (d.automated) }
                                    td { (d.total) }
                                    td { @match d.rate() { Some(r) => (pct(r)), None => "—" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clubos_domain::LocationId;

    fn stat(at: &str, verdict: Verdict, n: u64) -> DecisionStat {
        DecisionStat {
            location: LocationId::parse("sandbox").unwrap(),
            bucket: at.parse().unwrap(),
            verdict,
            model: "local".into(),
            decisions: n,
            tokens_in: 0,
            tokens_out: 0,
        }
    }

    #[test]
    fn rates_per_local_day() {
        let tz = TimeZone::get("America/Halifax").unwrap();
        let now: Timestamp = "2026-06-15T18:00:00Z".parse().unwrap();
        let stats = [
            stat("2026-06-15T12:00:00Z", Verdict::Execute, 3),
            stat("2026-06-15T12:00:00Z", Verdict::Escalate, 1),
            stat("2026-06-15T12:00:00Z", Verdict::Defer, 5),
            // 01:00 UTC on the 15th is still the 14th in Halifax.
            stat("2026-06-15T01:00:00Z", Verdict::Reply, 2),
            stat("2026-05-01T12:00:00Z", Verdict::Reply, 9),
        ];
        let d = days(&stats, &LocationScope::All, now, &tz);
        assert_eq!(d.len(), 30);
        let today = d[29];
        assert_eq!((today.automated, today.total), (3, 4));
        assert_eq!((d[28].automated, d[28].total), (2, 2));
        assert!(d[..28].iter().all(|x| x.total == 0), "older stats are outside the chart");
        let svg = render(&d, "America/Halifax").into_string();
        assert!(svg.contains("<title id=\"rate-title\">"), "{svg}");
        assert!(svg.contains("handled 5 of 6 decisions itself (83 %)"), "{svg}");
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
    }
}
