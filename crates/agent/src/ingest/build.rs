//! Turns the fields of one uploaded part (title, answer, customer phrasings,
//! optional category and action) into an SOP record: guessed category and
//! action, unique id, SMS-sized reply, normalised triggers and keywords.

use std::collections::HashSet;

use clubos_domain::signals::normalise;
use clubos_domain::{Category, SopId, SubIntent};

use super::guess::{guess_action, guess_category, salient_words};
use crate::sop::{Sop, SopAction, SopContext, SopTriggers};

/// Longest reply a draft gets, in characters (an SMS-sized answer).
pub const MAX_REPLY_CHARS: usize = 480;
/// Longest subcategory made from a title, in characters (before `_2`, `_3`…).
pub const MAX_SLUG_CHARS: usize = 40;
/// Longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Keywords derived from the title and triggers.
pub const MAX_KEYWORDS: usize = 6;
/// Keywords kept when the upload names them.
const MAX_GIVEN_KEYWORDS: usize = 12;

/// What one part of an upload says, before it becomes an SOP.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fields {
    pub title: String,
    /// The answer as written (sentences joined, not yet shortened).
    pub reply: String,
    /// Customer phrasings as written (become variants and exact triggers).
    pub phrasings: Vec<String>,
    pub category: Option<Category>,
    /// Subcategory as given (made into a slug); `None` → from the title.
    pub subcategory: Option<String>,
    pub action: Option<SopAction>,
    /// Keywords as given; empty → derived from the title and triggers.
    pub keywords: Vec<String>,
    pub warnings: Vec<String>,
}

/// Builds the SOP for `fields`, choosing an id not in `taken` (and adding it).
/// Returns the SOP and the draft's warnings, or why no draft can be made.
pub(crate) fn build(fields: Fields, taken: &mut HashSet<SopId>) -> Result<(Sop, Vec<String>), String> {
    let mut warnings = fields.warnings;
    let title = clean_title(&fields.title);
    if normalise(&title).is_empty() {
        return Err("no title: it needs a letter or digit".into());
    }
    let full_reply = collapse_ws(&fields.reply);
    if normalise(&full_reply).is_empty() {
        return Err("no answer text to send the customer".into());
    }
    let reply = cap_reply(&full_reply, MAX_REPLY_CHARS);
    if reply != full_reply {
        warnings.push(format!(
            "reply shortened from {} to {} characters to fit a text message; check where it was cut",
            full_reply.chars().count(),
            reply.chars().count()
        ));
    }

    let mut variants: Vec<String> = Vec::new();
    let mut exact: Vec<String> = Vec::new();
    let title_is_question = title.ends_with('?');
    let title_phrase = title_is_question.then(|| title.clone());
    for p in fields.phrasings.iter().chain(title_phrase.as_ref()) {
        let p = collapse_ws(p);
        if normalise(&p).is_empty() {
            continue;
        }
        push_unique(&mut exact, normalised_phrase(&p));
        push_unique(&mut variants, Some(p));
    }
    let title_words = normalise(&title).split(' ').count();
    if (2..=6).contains(&title_words) {
        push_unique(&mut exact, normalised_phrase(&title));
    }

    let category = fields.category.unwrap_or_else(|| guess_category(&title, &exact, &full_reply));
    let base = fields.subcategory.as_deref().map(slug).filter(|s| !s.is_empty()).unwrap_or_else(|| slug(&title));
    let base = if base.is_empty() { "untitled".to_owned() } else { base };
    let (id, subcategory) = unique_id(category, &base, taken)?;
    if subcategory.as_str() != base {
        warnings.push(format!("`{category}.{base}` is taken, so this draft is `{id}`"));
    }

    let primary_action = fields.action.unwrap_or_else(|| guess_action(category, &title, &full_reply));
    let fallback_action = is_device_action(primary_action).then_some(SopAction::Escalate);
    let keywords = if fields.keywords.is_empty() {
        salient_words(std::iter::once(&title).chain(&exact), MAX_KEYWORDS)
    } else {
        salient_words(&fields.keywords, MAX_GIVEN_KEYWORDS)
    };
    let sop = Sop {
        id,
        title,
        category,
        subcategory,
        triggers: SopTriggers { exact, regex: Vec::new(), variants, misspellings: Vec::new() },
        keywords,
        primary_action,
        fallback_action,
        reply,
        context: SopContext::default(),
        dependencies: Vec::new(),
    };
    Ok((sop, warnings))
}

/// The normalised phrase, if normalising it again leaves it unchanged (what
/// `Sop::validate` requires); a few Unicode letters lowercase to marks.
pub(crate) fn normalised_phrase(text: &str) -> Option<String> {
    let n = normalise(text);
    (!n.is_empty() && normalise(&n) == n).then_some(n)
}

fn push_unique(list: &mut Vec<String>, item: Option<String>) {
    if let Some(item) = item
        && !list.contains(&item)
    {
        list.push(item);
    }
}

/// Whitespace runs collapsed to one space, trimmed.
pub(crate) fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A heading made into a title: whitespace collapsed, a trailing `:` dropped,
/// CAPITALS made sentence case (not short acronyms such as `PC`), at most
/// [`MAX_TITLE_CHARS`].
pub(crate) fn clean_title(s: &str) -> String {
    let t = collapse_ws(s);
    let t = t.trim_end_matches([':', '：']).trim_end().to_owned();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let t = if is_capitals(&t) && letters >= 4 { sentence_case(&t) } else { t };
    cut_at_word(&t, MAX_TITLE_CHARS)
}

/// At least two letters with case, and none of them lowercase.
pub(crate) fn is_capitals(s: &str) -> bool {
    let cased: Vec<char> = s.chars().filter(|c| c.is_lowercase() || c.is_uppercase()).collect();
    cased.len() >= 2 && cased.iter().all(|c| c.is_uppercase())
}

fn sentence_case(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `s` cut to at most `max` characters at a word boundary, with `…` if cut.
fn cut_at_word(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let limit = byte_index(s, max.saturating_sub(1));
    let head = &s[..limit];
    let cut = match head.rfind(char::is_whitespace) {
        Some(i) if i > 0 => &head[..i],
        _ => head,
    };
    format!("{}…", cut.trim_end())
}

/// The byte offset of the `n`-th character (or the length).
fn byte_index(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

/// Pieces of prose joined as sentences: each ends with punctuation.
pub(crate) fn join_sentences<S: AsRef<str>>(pieces: &[S]) -> String {
    let mut out = String::new();
    for piece in pieces {
        let p = collapse_ws(piece.as_ref());
        if p.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&p);
        if !p.ends_with(['.', '!', '?', ':', ';', '…', '。', '！', '？']) {
            out.push('.');
        }
    }
    out
}

/// `text` shortened to at most `max` characters: at the last sentence end
/// if one falls in the last two thirds, else at a word boundary with `…`.
pub(crate) fn cap_reply(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut last_sentence = None;
    let mut chars = text.char_indices().take(max).peekable();
    let mut count = 0;
    while let Some((i, c)) = chars.next() {
        count += 1;
        let next_is_space = match chars.peek() {
            Some((_, n)) => n.is_whitespace(),
            None => text[i + c.len_utf8()..].starts_with(char::is_whitespace),
        };
        if matches!(c, '.' | '!' | '?' | '…') && next_is_space && count >= max / 3 {
            last_sentence = Some(i + c.len_utf8());
        }
    }
    match last_sentence {
        Some(end) => text[..end].to_owned(),
        None => cut_at_word(text, max),
    }
}

/// Lowercase ASCII words of `s` joined by `_`, at most [`MAX_SLUG_CHARS`].
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in normalise(s).chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    if out.len() > MAX_SLUG_CHARS {
        // ASCII only, so byte offsets are character offsets.
        let cut = match out[..=MAX_SLUG_CHARS].rfind('_') {
            Some(i) if i >= MAX_SLUG_CHARS / 4 => i,
            _ => MAX_SLUG_CHARS,
        };
        out.truncate(cut);
    }
    out.trim_matches('_').to_owned()
}

/// `<category>.<base>`, or with `_2`, `_3`… when taken.
fn unique_id(category: Category, base: &str, taken: &mut HashSet<SopId>) -> Result<(SopId, SubIntent), String> {
    for n in 1..=10_000u32 {
        let sub = if n == 1 { base.to_owned() } else { format!("{base}_{n}") };
        let subcategory = SubIntent::parse(&sub).map_err(|e| e.to_string())?;
        let id = SopId::parse(&format!("{category}.{sub}")).map_err(|e| e.to_string())?;
        if taken.insert(id.clone()) {
            return Ok((id, subcategory));
        }
    }
    Err(format!("no free id for `{category}.{base}`"))
}

pub(crate) fn is_device_action(a: SopAction) -> bool {
    matches!(a, SopAction::ResetTrackman | SopAction::RebootPc | SopAction::UnlockDoor)
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
