//! Turns evidence into a decision: a score per SOP, the category by the
//! precedence rule (access/tech problems > booking > faq, unless the problem
//! is over), an SOP that builds on the chosen one and also fired, the none
//! decision, and a calibrated confidence. Full-text relevance (BM25) only
//! breaks ties between equally scored SOPs: on its own it picks nothing
//! (docs/CLASSIFIER.md, "What BM25 decides, and why no more", says why).

use std::cell::Cell;
use std::cmp::Ordering;

use clubos_domain::Category;

use super::context::Gates;
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
        let regex = if e.regex > 0 { w::REGEX + w::REGEX_EXTRA * f32::from((e.regex - 1).min(2)) } else { 0.0 };
        let trigger = exact.max(regex) + w::AGREE * exact.min(regex);
        let misspelling = w::MISSPELLING * f32::from(e.misspellings.min(2));
        let keywords = e.keyword_weight.min(w::KEYWORDS_MAX);
        let similarity = w::SIMILARITY * e.similarity;
        Self { trigger, misspelling, keywords, similarity, total: trigger + misspelling + keywords + similarity }
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
    /// Equally scored SOPs were compared where it could matter: their BM25
    /// scores (when known) broke the tie. `retrieve` runs the full-text
    /// stage and decides again when they were not known.
    pub tie: bool,
}

/// The scores of the SOPs with any evidence (`Evidence::active`); every
/// other SOP scores 0. A text touches a few SOPs, however large the set.
struct Scores<'a> {
    active: &'a [u32],
    scores: Vec<Score>,
    /// Two SOPs with the same score were compared.
    tie: Cell<bool>,
}

impl<'a> Scores<'a> {
    fn new(ev: &'a Evidence) -> Self {
        let scores = ev.active.iter().map(|&i| Score::of(&ev.per_sop[i as usize])).collect();
        Self { active: &ev.active, scores, tie: Cell::new(false) }
    }

    fn get(&self, i: usize) -> Score {
        self.active.binary_search(&(i as u32)).map_or(Score::default(), |k| self.scores[k])
    }

    fn fired(&self, i: usize) -> bool {
        self.get(i).trigger > 0.0
    }

    /// (SOP, score) for every SOP with evidence, ascending.
    fn iter(&self) -> impl Iterator<Item = (usize, &Score)> {
        self.active.iter().map(|&i| i as usize).zip(&self.scores)
    }
}

/// Orders two SOPs by score, then (ties only) by BM25 score.
fn by_score(scores: &Scores<'_>, ev: &Evidence, a: usize, b: usize) -> Ordering {
    let (sa, sb) = (scores.get(a).total, scores.get(b).total);
    if sa == sb {
        scores.tie.set(true);
    }
    sa.total_cmp(&sb).then(ev.per_sop[a].fulltext.total_cmp(&ev.per_sop[b].fulltext))
}

/// Decides from the evidence (after the context filter); `meta[i]`
/// describes SOP `i`; `gates` knows what each SOP builds on; `regex_spans`
/// gives where an SOP's regexes match the corrected text (only asked when
/// precedence would overrule a better-scoring SOP).
pub fn decide(
    ev: &Evidence,
    meta: &[SopMeta],
    gates: &Gates,
    regex_spans: &dyn Fn(usize) -> Vec<(usize, usize)>,
) -> Decision {
    let scores = Scores::new(ev);
    let d = decide_with(ev, &scores, meta, gates, regex_spans);
    Decision { tie: scores.tie.get(), ..d }
}

fn decide_with(
    ev: &Evidence,
    scores: &Scores<'_>,
    meta: &[SopMeta],
    gates: &Gates,
    regex_spans: &dyn Fn(usize) -> Vec<(usize, usize)>,
) -> Decision {
    let fired = |i: usize| scores.fired(i);
    // Inside each category: the best SOP, preferring one that acts now when
    // several fired.
    let mut fired_in: Vec<(Category, usize)> = Vec::with_capacity(4);
    for i in scores.iter().filter(|(_, s)| s.trigger > 0.0).map(|(i, _)| i) {
        match fired_in.iter_mut().find(|(c, _)| *c == meta[i].category) {
            Some((_, n)) => *n += 1,
            None => fired_in.push((meta[i].category, 1)),
        }
    }
    // Per category: the best SOP, its key, and whether another SOP had
    // the same key (full-text relevance then chose between them).
    let mut cats: Vec<(Category, usize, f32, bool)> = Vec::with_capacity(4);
    for (i, s) in scores.iter() {
        let c = meta[i].category;
        let n_fired = fired_in.iter().find(|(x, _)| *x == c).map_or(0, |(_, n)| *n);
        let rivals_fired = n_fired > usize::from(fired(i));
        let bonus = if fired(i) && meta[i].acts_now && rivals_fired { w::ACT_NOW } else { 0.0 };
        let key = s.total + bonus;
        match cats.iter_mut().find(|x| x.0 == c) {
            Some(slot) if slot.2 > key => {}
            Some(slot) if slot.2 == key => {
                slot.3 = true;
                if ev.per_sop[slot.1].fulltext < ev.per_sop[i].fulltext {
                    slot.1 = i;
                }
            }
            Some(slot) => *slot = (c, i, key, false),
            None => cats.push((c, i, key, false)),
        }
    }
    // A tie matters where a category's choice can matter: one with a
    // fired SOP (it may be strong, its SOP chosen or a rival).
    if cats.iter().any(|x| x.3 && fired_in.iter().any(|(c, _)| *c == x.0)) {
        scores.tie.set(true);
    }
    let strong: Vec<(Category, usize)> = cats.iter().filter(|x| fired(x.1)).map(|x| (x.0, x.1)).collect();

    if strong.is_empty() {
        return weak(ev, scores, &cats);
    }

    let cmp = |a: &(Category, usize), b: &(Category, usize)| by_score(scores, ev, a.1, b.1);
    let top = *strong.iter().max_by(|a, b| cmp(a, b)).expect("non-empty");
    let first = *strong.iter().max_by(|a, b| rank(b.0).cmp(&rank(a.0)).then_with(|| cmp(a, b))).expect("non-empty");
    let (chosen, rule) = if first == top {
        (top, if strong.len() > 1 { "triggers_over_rival" } else { "triggers" })
    } else if ev.past {
        (top, "problem_over")
    } else if contested(ev, first.1, top.1, regex_spans) {
        (top, "more_specific_phrase")
    } else {
        (first, "precedence")
    };
    let (i, rule) = match refine(chosen.1, scores, ev, meta, gates) {
        Some(j) => (j, "builds_on"),
        None => (chosen.1, rule),
    };
    let s = scores.get(i);
    if ev.none_weight >= 1.0 && ev.none_weight >= s.trigger + s.misspelling {
        return none(ev, "none_lexicon");
    }
    // What the chosen SOP builds on is not its competitor.
    let base = gates.builds_on(i);
    let runner_up = scores
        .iter()
        .filter(|(j, _)| *j != i && meta[*j].category == chosen.0 && !base.contains(&(*j as u16)))
        .map(|(_, t)| t.total)
        .fold(0.0f32, f32::max);
    let rival = strong.iter().filter(|(c, _)| *c != chosen.0).map(|(_, j)| scores.get(*j).total).fold(0.0f32, f32::max);
    Decision {
        sop: Some(i),
        confidence: strong_confidence(&ev.per_sop[i], &s, runner_up, rival, rule, ev.none_weight),
        rule,
        tie: false,
    }
}

/// A fired SOP of the same category that builds on `i` (transitively),
/// the best-scoring one, followed as far as it goes: "holiday hours" builds
/// on "hours", and when both fire the text is about the holiday.
fn refine(i: usize, scores: &Scores<'_>, ev: &Evidence, meta: &[SopMeta], gates: &Gates) -> Option<usize> {
    let fired: Vec<usize> = scores.iter().filter(|(_, s)| s.trigger > 0.0).map(|(j, _)| j).collect();
    let mut cur = i;
    // Each step moves to an SOP that builds on more; a few steps at most.
    for _ in 0..8 {
        let next = fired
            .iter()
            .copied()
            .filter(|&j| j != cur && meta[j].category == meta[cur].category)
            .filter(|&j| gates.builds_on(j).contains(&(cur as u16)))
            .max_by(|&a, &b| by_score(scores, ev, a, b));
        match next {
            Some(j) => cur = j,
            None => break,
        }
    }
    (cur != i).then_some(cur)
}

/// Every trigger match of `hi` (the higher-precedence SOP: exact phrases
/// and the regexes that also match the corrected text) overlaps, by more
/// than a shared space, an exact phrase of `lo`: the words are `lo`'s.
/// "promo code is not working" is about a promo code, not the door code.
fn contested(ev: &Evidence, hi: usize, lo: usize, regex_spans: &dyn Fn(usize) -> Vec<(usize, usize)>) -> bool {
    let lo_spans: Vec<(usize, usize)> =
        ev.exact_spans.iter().filter(|(s, _, _)| *s as usize == lo).map(|&(_, a, b)| (a, b)).collect();
    let mut hi_spans: Vec<(usize, usize)> =
        ev.exact_spans.iter().filter(|(s, _, _)| *s as usize == hi).map(|&(_, a, b)| (a, b)).collect();
    let regex_hits = usize::from(ev.per_sop[hi].regex);
    let spans = regex_spans(hi);
    if spans.len() < regex_hits {
        // A regex matched only the raw text: its place is unknown.
        return false;
    }
    hi_spans.extend(spans);
    !hi_spans.is_empty()
        && hi_spans.iter().all(|&(a0, a1)| lo_spans.iter().any(|&(b0, b1)| a1.min(b1).saturating_sub(a0.max(b0)) > 1))
}

/// No trigger fired: pick by keywords and similarity if the evidence is
/// broad enough (two shared words or a keyword), else none.
fn weak(ev: &Evidence, scores: &Scores<'_>, cats: &[(Category, usize, f32, bool)]) -> Decision {
    let no_sop = || none(ev, if ev.none_weight > 0.0 { "none_lexicon" } else { "no_match" });
    let top = cats.iter().max_by(|a, b| scores.get(a.1).total.total_cmp(&scores.get(b.1).total));
    let Some(&(_, i, _, tied)) = top else {
        return no_sop();
    };
    let s = &scores.get(i);
    let e = &ev.per_sop[i];
    let broad = e.similarity_terms >= 2 || e.keywords > 0 || e.misspellings > 0;
    if broad && s.total >= w::WEAK_MIN && s.similarity >= w::WEAK_SIM_MIN && ev.none_weight < 0.5 * s.total {
        // Its category's SOP was one of equals: full-text relevance chose it.
        scores.tie.set(scores.tie.get() || tied);
        Decision { sop: Some(i), confidence: weak_confidence(s), rule: "similarity", tie: false }
    } else {
        no_sop()
    }
}

fn none(ev: &Evidence, rule: &'static str) -> Decision {
    // Surer when a none phrase says so; still low by contract (no action).
    let confidence = if ev.none_weight > 0.0 { 0.5 } else { 0.3 };
    Decision { sop: None, confidence, rule, tie: false }
}

/// Confidence without any trigger: similarity and keywords only. Capped
/// below the action threshold: paraphrase matching alone never acts.
fn weak_confidence(s: &Score) -> f64 {
    let x = 0.25 + 0.45 * s.similarity + 0.2 * s.keywords + 0.1 * s.misspelling;
    f64::from(x.min(0.75))
}

/// How many independent pieces of evidence back an SOP, roughly: a
/// multi-word exact phrase or a two-part regex counts 1, a lexical (one
/// word) trigger 0.6, each further trigger 0.4, keywords 0.5, a close
/// example sharing two or more words 0.5, a misspelling 0.3. When every
/// trigger is a single word, a single keyword is that same word and adds
/// nothing.
pub fn evidence_pieces(e: &SopEvidence) -> f32 {
    let mut triggers: Vec<f32> = Vec::with_capacity(4);
    let multi_word_exact = e.exact > 0 && e.exact_words >= 2;
    if e.exact > 0 {
        triggers.push(if multi_word_exact { 1.0 } else { 0.6 });
        triggers.extend(std::iter::repeat_n(0.6, usize::from(e.exact - 1)));
    }
    let compound = e.regex - e.regex_lexical;
    triggers.extend(std::iter::repeat_n(1.0, usize::from(compound)));
    triggers.extend(std::iter::repeat_n(0.6, usize::from(e.regex_lexical)));
    triggers.sort_by(|a, b| b.total_cmp(a));
    let mut p = triggers.first().copied().unwrap_or(0.0);
    p += (triggers.len().saturating_sub(1) as f32 * 0.4).min(0.8);
    let lexical_only = !multi_word_exact && compound == 0;
    p += match e.keywords {
        0 => 0.0,
        1 if lexical_only => 0.0,
        1 => 0.5,
        _ => 0.6,
    };
    if e.similarity >= 0.5 && e.similarity_terms >= 2 {
        p += 0.5;
    }
    if e.misspellings > 0 {
        p += 0.3;
    }
    p
}

/// Confidence with trigger evidence: 0.85 takes about one and a half
/// pieces of evidence (or one that explains the whole text) and no serious
/// competition.
fn strong_confidence(e: &SopEvidence, s: &Score, runner_up: f32, rival: f32, rule: &str, none_weight: f32) -> f64 {
    let mut x = 0.70 + 0.10 * evidence_pieces(e).min(2.8);
    // How much of the text the SOP explains: "prices?" all of it; "spilled
    // a drink on the hitting mat" only one word in five.
    x += 0.12 * (e.coverage - 0.5);
    // Competition inside the category.
    let margin = s.total - runner_up;
    if margin < 0.5 {
        x -= 0.12 * (0.5 - margin) / 0.5;
    }
    // Another category also fired.
    x -= match rule {
        "triggers" => 0.0,
        "triggers_over_rival" => 0.1 * (1.0 - (s.total - rival).clamp(0.0, 1.0)),
        _ => 0.1,
    };
    x -= 0.1 * none_weight.min(1.5);
    f64::from(x.clamp(0.05, 0.99))
}
