//! Trust that grows: how operators answered the AI's proposals in one
//! category (approved unchanged, edited, rejected), and whether that record
//! supports turning autonomy on or moving its confidence threshold. Only a
//! suggestion: changing the profile stays a human's choice.

use crate::enums::{UnknownVariant, string_enum};

string_enum! {
    /// An operator's answer to a proposal the AI made (acting or shadow).
    pub enum ReviewVerdict as "review verdict" {
        /// Ran as proposed.
        Approved = "approved",
        /// Same kind of answer, changed (an edited reply).
        Edited = "edited",
        /// Something else was done, or nothing.
        Rejected = "rejected",
    }
}

/// One reviewed proposal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReviewSample {
    /// The classifier's confidence when it proposed.
    pub confidence: f64,
    pub verdict: ReviewVerdict,
}

/// Counts of operators' answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TrustRecord {
    pub approved: u32,
    pub edited: u32,
    pub rejected: u32,
}

impl TrustRecord {
    pub fn of(samples: &[ReviewSample]) -> Self {
        let mut r = TrustRecord::default();
        for s in samples {
            match s.verdict {
                ReviewVerdict::Approved => r.approved += 1,
                ReviewVerdict::Edited => r.edited += 1,
                ReviewVerdict::Rejected => r.rejected += 1,
            }
        }
        r
    }

    pub fn total(&self) -> u32 {
        self.approved + self.edited + self.rejected
    }

    /// Share approved unchanged, 0 when empty.
    pub fn approval_rate(&self) -> f64 {
        if self.total() == 0 { 0.0 } else { f64::from(self.approved) / f64::from(self.total()) }
    }
}

/// What the record supports.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Suggestion {
    /// Too few reviewed proposals to say anything.
    NeedMore { have: u32, need: u32 },
    /// Autonomy is off and proposals at or above `threshold` were approved
    /// unchanged often enough to let the AI act on them.
    TurnOn { threshold: f64 },
    /// Autonomy is on, and proposals at the current threshold were not
    /// approved often enough; `to` is where they were.
    RaiseThreshold { to: f64 },
    /// Autonomy is on and proposals below the current threshold were
    /// approved often enough down to `to`.
    LowerThreshold { to: f64 },
    /// The record supports the settings as they are (or supports no change).
    Keep,
}

/// How much agreement a change needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustBar {
    /// Reviewed proposals (at or above a threshold) needed before suggesting.
    pub min_samples: u32,
    /// Share approved unchanged needed at or above a threshold.
    pub approval_rate: f64,
}

impl Default for TrustBar {
    fn default() -> Self {
        Self { min_samples: 20, approval_rate: 0.95 }
    }
}

/// Thresholds considered, in steps of 0.05 from 0.50 to 0.95.
fn candidates() -> impl Iterator<Item = f64> {
    (10..=19).map(|i| f64::from(i) / 20.0)
}

impl TrustBar {
    /// The lowest candidate threshold at which the samples at or above it
    /// are numerous enough and approved unchanged often enough.
    pub fn supported_threshold(&self, samples: &[ReviewSample]) -> Option<f64> {
        candidates().find(|&c| {
            let above: Vec<_> = samples.iter().copied().filter(|s| s.confidence + 1e-9 >= c).collect();
            let r = TrustRecord::of(&above);
            r.total() >= self.min_samples && r.approval_rate() >= self.approval_rate
        })
    }

    /// What the record of one category supports, given whether its
    /// autonomy is on and its current confidence threshold.
    pub fn suggest(&self, samples: &[ReviewSample], autonomy_on: bool, threshold: f64) -> Suggestion {
        let total = samples.len() as u32;
        if total < self.min_samples {
            return Suggestion::NeedMore { have: total, need: self.min_samples };
        }
        let supported = self.supported_threshold(samples);
        match (autonomy_on, supported) {
            (false, Some(t)) => Suggestion::TurnOn { threshold: t.max(threshold) },
            (false, None) => Suggestion::Keep,
            (true, Some(t)) if t > threshold + 1e-9 => Suggestion::RaiseThreshold { to: t },
            (true, Some(t)) if t < threshold - 1e-9 => Suggestion::LowerThreshold { to: t },
            (true, Some(_)) => Suggestion::Keep,
            (true, None) => {
                // Nothing is supported: raise to the top candidate when the
                // proposals at the current threshold were often overruled.
                let at: Vec<_> = samples.iter().copied().filter(|s| s.confidence + 1e-9 >= threshold).collect();
                let r = TrustRecord::of(&at);
                if r.total() > 0 && r.approval_rate() < self.approval_rate {
                    Suggestion::RaiseThreshold { to: 0.95_f64.max(threshold) }
                } else {
                    Suggestion::Keep
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(confidence: f64, verdict: ReviewVerdict) -> ReviewSample {
        ReviewSample { confidence, verdict }
    }

    #[test]
    fn too_few_reviews_say_so() {
        let bar = TrustBar::default();
        let few = vec![s(0.9, ReviewVerdict::Approved); 5];
        assert_eq!(bar.suggest(&few, false, 0.8), Suggestion::NeedMore { have: 5, need: 20 });
    }

    #[test]
    fn consistent_approval_supports_turning_on() {
        let bar = TrustBar::default();
        let mut v = vec![s(0.9, ReviewVerdict::Approved); 25];
        v.extend([s(0.55, ReviewVerdict::Rejected), s(0.6, ReviewVerdict::Edited)]);
        assert_eq!(bar.suggest(&v, false, 0.8), Suggestion::TurnOn { threshold: 0.8 });
        // With a lower current threshold the lowest supported one is
        // suggested: at 0.60, 25 of 26 were approved (96 %); at 0.55, 25 of 27.
        assert_eq!(bar.suggest(&v, false, 0.5), Suggestion::TurnOn { threshold: 0.6 });
    }

    #[test]
    fn rejections_keep_it_off() {
        let bar = TrustBar::default();
        let mut v = vec![s(0.9, ReviewVerdict::Approved); 18];
        v.extend(vec![s(0.9, ReviewVerdict::Rejected); 6]);
        assert_eq!(bar.suggest(&v, false, 0.8), Suggestion::Keep);
        assert_eq!(bar.suggest(&v, true, 0.8), Suggestion::RaiseThreshold { to: 0.95 });
    }

    #[test]
    fn on_with_overruled_low_confidence_raises() {
        let bar = TrustBar::default();
        let mut v = vec![s(0.92, ReviewVerdict::Approved); 30];
        v.extend(vec![s(0.72, ReviewVerdict::Rejected); 10]);
        match bar.suggest(&v, true, 0.7) {
            Suggestion::RaiseThreshold { to } => assert!((to - 0.75).abs() < 1e-9, "{to}"),
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        /// Never suggests turning on or lowering without enough approved
        /// proposals at or above the suggested threshold.
        #[test]
        fn suggestions_are_backed(samples in proptest::collection::vec((0.0f64..1.0, 0u8..3), 0..80),
                                  on in any::<bool>(), threshold in 0.5f64..0.96) {
            let bar = TrustBar::default();
            let v: Vec<_> = samples.iter().map(|&(c, k)| s(c, [ReviewVerdict::Approved, ReviewVerdict::Edited,
                ReviewVerdict::Rejected][k as usize])).collect();
            let backed = |t: f64| {
                let r = TrustRecord::of(&v.iter().copied().filter(|x| x.confidence + 1e-9 >= t).collect::<Vec<_>>());
                r.total() >= bar.min_samples && r.approval_rate() >= bar.approval_rate
            };
            match bar.suggest(&v, on, threshold) {
                Suggestion::TurnOn { threshold: t } => { prop_assert!(!on); prop_assert!(backed(t)); }
                Suggestion::LowerThreshold { to } => { prop_assert!(on); prop_assert!(to < threshold); prop_assert!(backed(to)); }
                Suggestion::NeedMore { have, .. } => prop_assert!(have < bar.min_samples),
                _ => {}
            }
        }
    }
}
