//! Trust that grows: per category, how operators answered the AI's
//! proposals over the last 30 days (approved unchanged, edited, rejected;
//! shadow proposals apart from acting ones) and, in plain words, what that
//! record supports. A supported change can be pre-filled into the form with
//! one tap; it still takes the admin's Save.

use clubos_domain::{Category, CategoryPolicy, ReviewSample, Suggestion, TrustBar, TrustRecord};
use clubos_store::ProposalReviewRow;
use maud::{Markup, html};

/// How many days of reviews the record covers.
pub const DAYS: i64 = 30;

/// One category's record.
#[derive(Debug, Clone)]
pub struct CategoryTrust {
    pub category: Category,
    /// Proposals made while autonomy was off (what the AI would have done).
    pub shadow: TrustRecord,
    /// Proposals made with autonomy on (escalated ones the operator answered).
    pub acting: TrustRecord,
    pub samples: Vec<ReviewSample>,
    pub suggestion: Suggestion,
}

impl CategoryTrust {
    pub fn of(reviews: &[ProposalReviewRow], category: Category, policy: &CategoryPolicy) -> Self {
        let mine: Vec<_> = reviews.iter().map(|r| &r.review).filter(|r| r.category == category).collect();
        let sample =
            |r: &&clubos_store::NewProposalReview| ReviewSample { confidence: r.confidence, verdict: r.verdict };
        let samples: Vec<ReviewSample> = mine.iter().map(sample).collect();
        let split =
            |shadow: bool| TrustRecord::of(&mine.iter().filter(|r| r.shadow == shadow).map(sample).collect::<Vec<_>>());
        let suggestion = TrustBar::default().suggest(&samples, policy.autonomy, policy.confidence_threshold);
        Self { category, shadow: split(true), acting: split(false), samples, suggestion }
    }

    fn total(&self) -> TrustRecord {
        let (a, b) = (self.shadow, self.acting);
        TrustRecord {
            approved: a.approved + b.approved,
            edited: a.edited + b.edited,
            rejected: a.rejected + b.rejected,
        }
    }

    /// The record of the proposals at or above `threshold`.
    fn at(&self, threshold: f64) -> TrustRecord {
        TrustRecord::of(&self.samples.iter().copied().filter(|s| s.confidence + 1e-9 >= threshold).collect::<Vec<_>>())
    }

    /// The change a suggestion pre-fills: (autonomy, threshold).
    pub fn prefill(&self) -> Option<(bool, f64)> {
        match self.suggestion {
            Suggestion::TurnOn { threshold } => Some((true, threshold)),
            Suggestion::RaiseThreshold { to } | Suggestion::LowerThreshold { to } => Some((true, to)),
            Suggestion::NeedMore { .. } | Suggestion::Keep => None,
        }
    }

    /// What the record supports, in plain words.
    pub fn words(&self, policy: &CategoryPolicy) -> String {
        let bar = TrustBar::default();
        let current = policy.confidence_threshold;
        let rec = |t: f64| {
            let r = self.at(t);
            format!("Operators approved {} of {} proposals unchanged at confidence ≥ {t:.2}", r.approved, r.total())
        };
        match self.suggestion {
            Suggestion::NeedMore { have, need } => format!(
                "{have} reviewed proposal{} in the last {DAYS} days; the record needs at least {need} before it can \
                 support a change.",
                if have == 1 { "" } else { "s" }
            ),
            Suggestion::TurnOn { threshold } => format!(
                "{} — turning autonomy on at {threshold:.2} is supported by this record. Turning it on is your choice.",
                rec(threshold)
            ),
            Suggestion::LowerThreshold { to } => format!(
                "{} — lowering the threshold from {current:.2} to {to:.2} is supported by this record. The change is \
                 your choice.",
                rec(to)
            ),
            Suggestion::RaiseThreshold { to } => format!(
                "{} ({:.0} % needed) — raising the threshold to {to:.2} is supported by this record, so the AI asks a \
                 human below it. The change is your choice.",
                rec(current),
                bar.approval_rate * 100.0
            ),
            Suggestion::Keep if policy.autonomy => {
                format!("{} — the record supports the current settings.", rec(current))
            }
            Suggestion::Keep => {
                let all = self.total();
                format!(
                    "Operators approved {} of {} proposals unchanged; at least {:.0} % at some threshold is needed \
                     before turning autonomy on is supported.",
                    all.approved,
                    all.total(),
                    bar.approval_rate * 100.0
                )
            }
        }
    }
}

fn counts(label: &str, shadow: u32, acting: u32) -> Markup {
    html! {
        tr {
            th scope="row" { (label) }
            td { (shadow) }
            td { (acting) }
        }
    }
}

/// The record, the suggestion, and (for admins) the one-tap pre-fill.
pub fn render(t: &CategoryTrust, policy: &CategoryPolicy, admin: bool) -> Markup {
    let c = t.category.as_str();
    let supported = t.prefill().is_some();
    html! {
        section.st-trust aria-labelledby={"trust-" (c)} {
            h3 id={"trust-" (c)} { "Operators' answers, last " (DAYS) " days" }
            p.st-hint { "Shadow: what the AI would have done with autonomy off. Acting: proposals it escalated with autonomy on." }
            div.scroll {
                table.st-counts {
                    caption.sr { "Proposals in " (c) " by how operators answered" }
                    thead { tr { th scope="col" { "Answer" } th scope="col" { "Shadow" } th scope="col" { "Acting" } } }
                    tbody {
                        (counts("Approved unchanged", t.shadow.approved, t.acting.approved))
                        (counts("Edited", t.shadow.edited, t.acting.edited))
                        (counts("Rejected", t.shadow.rejected, t.acting.rejected))
                    }
                }
            }
            p class={"st-suggest" @if supported { " supported" }} data-suggestion=(suggestion_kind(&t.suggestion)) {
                (t.words(policy))
            }
            @if admin && supported {
                p { a.button href={"/settings?suggest=" (c) "#edit-" (c)} { "Pre-fill this change" } }
            }
        }
    }
}

fn suggestion_kind(s: &Suggestion) -> &'static str {
    match s {
        Suggestion::NeedMore { .. } => "need_more",
        Suggestion::TurnOn { .. } => "turn_on",
        Suggestion::RaiseThreshold { .. } => "raise_threshold",
        Suggestion::LowerThreshold { .. } => "lower_threshold",
        Suggestion::Keep => "keep",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clubos_domain::{AutonomyProfile, LocationId, ReviewVerdict};
    use clubos_store::NewProposalReview;

    fn review(i: i64, category: Category, confidence: f64, verdict: ReviewVerdict, shadow: bool) -> ProposalReviewRow {
        ProposalReviewRow {
            id: i,
            review: NewProposalReview {
                decision_id: i,
                thread_id: i,
                location: LocationId::parse("sandbox").unwrap(),
                category,
                confidence,
                shadow,
                verdict,
                actor: "ops".into(),
                at: jiff::Timestamp::UNIX_EPOCH,
            },
        }
    }

    #[test]
    fn turning_on_is_worded_with_the_backing_record() {
        let profile = AutonomyProfile::seed();
        let booking = profile.get(Category::Booking); // off, 0.95
        let mut rows: Vec<_> =
            (0..24).map(|i| review(i, Category::Booking, 0.97, ReviewVerdict::Approved, true)).collect();
        rows.push(review(99, Category::Booking, 0.97, ReviewVerdict::Edited, true));
        rows.push(review(100, Category::Tech, 0.97, ReviewVerdict::Rejected, false));
        let t = CategoryTrust::of(&rows, Category::Booking, booking);
        assert_eq!((t.shadow.approved, t.shadow.edited, t.acting.total()), (24, 1, 0));
        assert_eq!(
            t.words(booking),
            "Operators approved 24 of 25 proposals unchanged at confidence ≥ 0.95 — turning autonomy on at 0.95 is \
             supported by this record. Turning it on is your choice."
        );
        assert_eq!(t.prefill(), Some((true, 0.95)));
    }

    #[test]
    fn too_few_reviews_suggest_nothing() {
        let profile = AutonomyProfile::seed();
        let booking = profile.get(Category::Booking);
        let rows: Vec<_> = (0..5).map(|i| review(i, Category::Booking, 0.97, ReviewVerdict::Approved, true)).collect();
        let t = CategoryTrust::of(&rows, Category::Booking, booking);
        assert_eq!(t.prefill(), None);
        assert!(t.words(booking).starts_with("5 reviewed proposals"), "{}", t.words(booking));
        assert!(!t.words(booking).contains("supported by"));
    }
}
