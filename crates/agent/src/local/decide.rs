//! Turns evidence into a decision: a score per SOP, the category by the
//! precedence rule (access/tech problems > booking > faq, unless the problem
//! is over), the none decision, and a calibrated confidence.

use clubos_domain::Category;

use super::index::{Evidence, SopEvidence};

/// Scoring weights. Tuned on data/labelled/dev.jsonl only.
mod w {
    /// First exact phrase; each word beyond the first adds `EXACT_PER_WORD`.
    pub const EXACT: f32 = 1.0;
    pub const EXACT_PER_WORD: f32 = 0.15;
    pub const EXACT_EXTRA: f32 = 0.25;
    pub const REGEX: f32 = 1.0;
    pub const REGEX_EXTRA: f32 = 0.25;
    /// Exact phrases and regexes agreeing.
    pub const AGREE: f32 = 0.3;
    pub const MISSPELLING: f32 = 0.4;
    pub const KEYWORDS_MAX: f32 = 0.8;
    pub const SIMILARITY: f32 = 1.0;
    /// Inside a category, an SOP that acts on a device now (unlock, reset,
    /// reboot) goes before one that only answers or escalates, when both fire.
    pub const ACT_NOW: f32 = 0.4;
    /// Without any trigger, the least score that still picks an SOP.
    pub const WEAK_MIN: f32 = 0.55;
    /// Without any trigger, the least similarity that still picks an SOP.
    pub const WEAK_SIM_MIN: f32 = 0.3;
}

/// What the decision needs to know about each SOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SopMeta {
    pub category: Category,
    /// Its primary action is a device action (reset, reboot, unlock).
    pub acts_now: bool,
}

/// The score parts of one SOP.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// Exact-phrase and regex evidence (0 when no trigger fired).
    pub trigger: f32,
    pub misspelling: f32,
    pub keywords: f32,
    pub similarity: f32,
    pub total: f32,
}

impl Score {
    pub fn of(e: &SopEvidence) -> Self {
        let exact = if e.exact > 0 {
            w::EXACT
                + w::EXACT_PER_WORD * f32::from(e.exact_words.saturating_sub(1).min(3))
                + w::EXACT_EXTRA * f32::from((e.exact - 1).min(2))
        } else {
            0.0
        };
        let regex = if e.regex > 0 {
            w::REGEX + w::REGEX_EXTRA * f32::from((e.regex - 1).min(2))
        } else {
            0.0
        };
        let trigger = exact.max(regex) + w::AGREE * exact.min(regex);
        let misspelling = w::MISSPELLING * f32::from(e.misspellings.min(2));
        let keywords = e.keyword_weight.min(w::KEYWORDS_MAX);
        let similarity = w::SIMILARITY * e.similarity;
        Self {
            trigger,
            misspelling,
            keywords,
            similarity,
            total: trigger + misspelling + keywords + similarity,
        }
    }
}

/// Precedence rank: access and tech problems first, then booking, then faq.
pub fn rank(c: Category) -> u8 {
    match c {
        Category::Access | Category::Tech => 0,
        Category::Booking => 1,
        Category::Faq => 2,
    }
}

/// The outcome, before it is turned into a `Classification`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Index of the chosen SOP, `None` for the none category.
    pub sop: Option<usize>,
    pub confidence: f64,
    /// The rule that decided, for explanations.
    pub rule: &'static str,
}

/// Decides from the evidence; `meta[i]` describes SOP `i`.
pub fn decide(ev: &Evidence, meta: &[SopMeta]) -> Decision {
    let scores: Vec<Score> = ev.per_sop.iter().map(Score::of).collect();
    let fired = |i: usize| scores[i].trigger > 0.0;
    // Inside each category: the best SOP, preferring one that acts now when
    // several fired.
    let mut cats: Vec<(Category, usize, f32)> = Vec::with_capacity(4);
    for (i, s) in scores.iter().enumerate() {
        let c = meta[i].category;
        let rivals_fired = (0..scores.len()).any(|j| j != i && meta[j].category == c && fired(j));
        let bonus = if fired(i) && meta[i].acts_now && rivals_fired {
            w::ACT_NOW
        } else {
            0.0
        };
        let key = s.total + bonus;
        match cats.iter_mut().find(|(bc, _, _)| *bc == c) {
            Some((_, _, bk)) if *bk >= key => {}
            Some(slot) => *slot = (c, i, key),
            None => cats.push((c, i, key)),
        }
    }
    let strong: Vec<(Category, usize)> = cats
        .iter()
        .filter(|(_, i, _)| fired(*i))
        .map(|(c, i, _)| (*c, *i))
        .collect();

    if strong.is_empty() {
        return weak(ev, &scores, &cats);
    }

    let by_score =
        |a: &(Category, usize), b: &(Category, usize)| scores[a.1].total.total_cmp(&scores[b.1].total);
    let top = *strong.iter().max_by(|a, b| by_score(a, b)).expect("non-empty");
    let first = *strong
        .iter()
        .max_by(|a, b| rank(b.0).cmp(&rank(a.0)).then(by_score(a, b)))
        .expect("non-empty");
    let (chosen, rule) = if first == top {
        (top, if strong.len() > 1 { "triggers_over_rival" } else { "triggers" })
    } else if ev.past {
        (top, "problem_over")
    } else if contested(ev, first.1, top.1) {
        (top, "more_specific_phrase")
    } else {
        (first, "precedence")
    };
    let i = chosen.1;
    let s = scores[i];
    if ev.none_weight >= 1.0 && ev.none_weight >= s.trigger + s.misspelling {
        return none(ev, "none_lexicon");
    }
    let runner_up = scores
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i && meta[*j].category == chosen.0)
        .map(|(_, t)| t.total)
        .fold(0.0f32, f32::max);
    let rival = strong
        .iter()
        .filter(|(c, _)| *c != chosen.0)
        .map(|(_, j)| scores[*j].total)
        .fold(0.0f32, f32::max);
    Decision {
        sop: Some(i),
        confidence: strong_confidence(&s, runner_up, rival, rule, ev.none_weight),
        rule,
    }
}

/// Every exact phrase of `hi` (the higher-precedence SOP) overlaps, by more
/// than the shared space, a phrase of `lo` that is part of the same words:
/// "promo code isnt working" is about a promo code, not the door code.
fn contested(ev: &Evidence, hi: usize, lo: usize) -> bool {
    let spans = |s: usize| ev.exact_spans.iter().filter(move |(x, _, _)| *x as usize == s);
    let mut any = false;
    for &(_, a0, a1) in spans(hi) {
        any = true;
        let covered = spans(lo).any(|&(_, b0, b1)| a1.min(b1).saturating_sub(a0.max(b0)) > 1);
        if !covered {
            return false;
        }
    }
    any
}

/// No trigger fired: pick by keywords and similarity if the evidence is
/// broad enough (two shared words or a keyword), else none.
fn weak(ev: &Evidence, scores: &[Score], cats: &[(Category, usize, f32)]) -> Decision {
    let top = cats
        .iter()
        .map(|(_, i, _)| *i)
        .max_by(|a, b| scores[*a].total.total_cmp(&scores[*b].total));
    let Some(i) = top else {
        return none(ev, "no_match");
    };
    let s = &scores[i];
    let e = &ev.per_sop[i];
    let broad = e.similarity_terms >= 2 || e.keywords > 0 || e.misspellings > 0;
    if broad
        && s.total >= w::WEAK_MIN
        && s.similarity >= w::WEAK_SIM_MIN
        && ev.none_weight < 0.5 * s.total
    {
        Decision {
            sop: Some(i),
            confidence: weak_confidence(s),
            rule: "similarity",
        }
    } else {
        none(ev, if ev.none_weight > 0.0 { "none_lexicon" } else { "no_match" })
    }
}

fn none(ev: &Evidence, rule: &'static str) -> Decision {
    // Surer when a none phrase says so; still low by contract (no action).
    let confidence = if ev.none_weight > 0.0 { 0.5 } else { 0.3 };
    Decision {
        sop: None,
        confidence,
        rule,
    }
}

/// Confidence without any trigger: similarity and keywords only. Capped
/// below the action threshold: paraphrase matching alone never acts.
fn weak_confidence(s: &Score) -> f64 {
    let x = 0.25 + 0.45 * s.similarity + 0.2 * s.keywords + 0.1 * s.misspelling;
    f64::from(x.min(0.75))
}

/// Confidence with trigger evidence: high when one SOP clearly wins.
fn strong_confidence(s: &Score, runner_up: f32, rival: f32, rule: &str, none_weight: f32) -> f64 {
    let mut x = 0.85;
    x += 0.04 * (s.trigger + s.misspelling - 1.0).clamp(0.0, 1.5);
    x += 0.05 * s.similarity.min(1.0);
    x += 0.03 * (s.keywords / 0.4).min(1.0);
    // Competition inside the category.
    let margin = s.total - runner_up;
    if margin < 0.5 {
        x -= 0.12 * (0.5 - margin) / 0.5;
    }
    // Another category also fired.
    x -= match rule {
        "triggers" => 0.0,
        "triggers_over_rival" => 0.1 * (1.0 - (s.total - rival).clamp(0.0, 1.0)),
        _ => 0.12,
    };
    x -= 0.1 * none_weight.min(1.5);
    f64::from(x.clamp(0.05, 0.99))
}
