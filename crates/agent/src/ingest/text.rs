//! Markdown and plain text split into sections (by headings, else by
//! paragraphs), each section made into the fields of one draft.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::Collector;
use super::build::{Fields, clean_title, collapse_ws, is_capitals, join_sentences};

/// One block of a section: prose or a list item.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    Para(String),
    Item(String),
}

/// A heading (level 1 = most important) and the blocks under it.
#[derive(Debug, Clone, PartialEq)]
struct Headed {
    level: u8,
    title: String,
    blocks: Vec<Block>,
}

/// A document: what comes before the first heading, then the sections.
#[derive(Debug, Default)]
struct Doc {
    preamble: Vec<Block>,
    sections: Vec<Headed>,
}

impl Doc {
    fn blocks(&mut self) -> &mut Vec<Block> {
        match self.sections.last_mut() {
            Some(s) => &mut s.blocks,
            None => &mut self.preamble,
        }
    }

    fn push(&mut self, block: fn(String) -> Block, text: &str) {
        let text = collapse_ws(text);
        if !text.is_empty() {
            self.blocks().push(block(text));
        }
    }
}

/// Splits a markdown document at `#`, `##` and `###` headings.
pub(crate) fn markdown(text: &str, out: &mut Collector) {
    let mut doc = Doc::default();
    let mut heading: Option<(u8, String)> = None;
    let mut buf = String::new();
    let mut items = 0usize;
    let mut links: Vec<String> = Vec::new();
    let mut images = 0usize;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                doc.push(Block::Para, &std::mem::take(&mut buf));
                if let Some(level) = section_level(level) {
                    heading = Some((level, String::new()));
                }
            }
            Event::End(TagEnd::Heading(_)) => match heading.take() {
                Some((level, title)) => {
                    let title = collapse_ws(&title);
                    doc.sections.push(Headed { level, title, blocks: Vec::new() });
                }
                None => doc.push(Block::Para, &std::mem::take(&mut buf)),
            },
            Event::Start(Tag::Item) => {
                let kind = if items > 0 { Block::Item } else { Block::Para };
                doc.push(kind, &std::mem::take(&mut buf));
                items += 1;
            }
            Event::End(TagEnd::Item) => {
                doc.push(Block::Item, &std::mem::take(&mut buf));
                items = items.saturating_sub(1);
            }
            Event::End(TagEnd::Paragraph) if items > 0 => buf.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::CodeBlock
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::BlockQuote(_)
                | TagEnd::HtmlBlock,
            )
            | Event::Rule => {
                let kind = if items > 0 { Block::Item } else { Block::Para };
                doc.push(kind, &std::mem::take(&mut buf));
            }
            Event::End(TagEnd::TableCell) => buf.push(' '),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(shown) = links.pop().as_deref().and_then(shown_url)
                    && heading.is_none()
                    && !buf.contains(shown)
                {
                    buf.push_str(&format!(" ({shown})"));
                }
            }
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::End(TagEnd::Image) => images = images.saturating_sub(1),
            Event::Text(t) | Event::Code(t) if images == 0 => match &mut heading {
                Some((_, title)) => title.push_str(&t),
                None => buf.push_str(&t),
            },
            Event::SoftBreak | Event::HardBreak => match &mut heading {
                Some((_, title)) => title.push(' '),
                None => buf.push(' '),
            },
            _ => {}
        }
    }
    doc.push(Block::Para, &buf);
    doc_to_parts(doc, true, out);
}

/// `#`–`###` start sections (levels 1–3); deeper headings are prose.
fn section_level(level: HeadingLevel) -> Option<u8> {
    match level {
        HeadingLevel::H1 => Some(1),
        HeadingLevel::H2 => Some(2),
        HeadingLevel::H3 => Some(3),
        _ => None,
    }
}

/// A link target worth keeping in an SMS: web addresses as they are,
/// `mailto:` and `tel:` without the scheme.
fn shown_url(url: &str) -> Option<&str> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Some(url)
    } else {
        url.strip_prefix("mailto:").or_else(|| url.strip_prefix("tel:")).filter(|s| !s.is_empty())
    }
}

/// How a plain-text line acts as a heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    /// Ends with `:` or is written in CAPITALS.
    Strong,
    /// A short line standing alone (a blank line after it).
    Weak,
}

/// Splits plain text at heading-like lines (short, alone on their line
/// after a blank one, and either followed by a blank line, ending with `:`
/// or in CAPITALS); list items start with `-`, `*`, `•`, `1.` or `Q:`.
pub(crate) fn plain(text: &str, out: &mut Collector) {
    let lines: Vec<&str> = text.lines().collect();
    let blank = |i: usize| lines.get(i).is_none_or(|l| l.trim().is_empty());
    let cues: Vec<Option<Cue>> = (0..lines.len())
        .map(|i| {
            let line = lines[i].trim();
            let alone = i == 0 || blank(i - 1);
            let short = line.chars().count() <= 60 && line.split_whitespace().count() <= 8;
            if line.is_empty() || !alone || !short || list_item(line).is_some() {
                None
            } else if (line.ends_with(':') && line.len() > 1) || is_capitals(line) {
                Some(Cue::Strong)
            } else if blank(i + 1) && !line.ends_with(['.', '!', ',', ';']) {
                Some(Cue::Weak)
            } else {
                None
            }
        })
        .collect();
    let is_heading = |i: usize| match cues[i] {
        Some(Cue::Strong) => true,
        // A weak heading needs a block after it that is not a heading too.
        Some(Cue::Weak) => (i + 1..lines.len()).find(|&j| !blank(j)).is_some_and(|j| cues[j].is_none()),
        None => false,
    };

    let mut doc = Doc::default();
    let mut para = String::new();
    let mut after_item = false;
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if is_heading(i) {
            doc.push(Block::Para, &std::mem::take(&mut para));
            let level = if is_capitals(line) { 1 } else { 2 };
            doc.sections.push(Headed { level, title: collapse_ws(line), blocks: Vec::new() });
            after_item = false;
        } else if line.is_empty() {
            doc.push(Block::Para, &std::mem::take(&mut para));
            after_item = false;
        } else if let Some(item) = list_item(line) {
            doc.push(Block::Para, &std::mem::take(&mut para));
            doc.push(Block::Item, item);
            after_item = true;
        } else if after_item && raw.starts_with(char::is_whitespace) {
            if let Some(Block::Item(last)) = doc.blocks().last_mut() {
                last.push(' ');
                last.push_str(line);
            }
        } else {
            para.push_str(strip_answer_prefix(line));
            para.push(' ');
            after_item = false;
        }
    }
    doc.push(Block::Para, &para);
    doc_to_parts(doc, false, out);
}

/// The text of a list item line, or `None` for other lines.
fn list_item(line: &str) -> Option<&str> {
    for marker in ["- ", "* ", "+ ", "• ", "– ", "— "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest.trim());
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(rest.trim());
        }
    }
    let lower = line.to_lowercase();
    (lower.starts_with("q:") || lower.starts_with("customer:")).then_some(line)
}

/// `A: Yes…` → `Yes…`.
fn strip_answer_prefix(line: &str) -> &str {
    for prefix in ["A:", "a:", "Answer:", "answer:", "ANSWER:"] {
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim_start();
        }
    }
    line
}

/// A list item that reads like a customer's words: ends with `?`, starts
/// with `Q:` or `Customer:`, or is in quotes. Returns it without the prefix
/// and quotes.
pub(crate) fn phrasing(item: &str) -> Option<String> {
    let t = item.trim();
    let prefixed = ["q:", "customer:"]
        .iter()
        .find_map(|p| t.get(..p.len()).filter(|head| head.eq_ignore_ascii_case(p)).map(|_| t[p.len()..].trim()));
    let t = prefixed.unwrap_or(t);
    let quoted = [('"', '"'), ('“', '”'), ('\'', '\''), ('‘', '’'), ('«', '»')]
        .iter()
        .find_map(|(open, close)| t.strip_prefix(*open).and_then(|rest| rest.strip_suffix(*close)).map(str::trim));
    let phrase = quoted.unwrap_or(t);
    let looks_like = prefixed.is_some() || quoted.is_some() || t.ends_with(['?', '？']);
    (looks_like && !phrase.is_empty()).then(|| phrase.to_owned())
}

/// The first sentence of `text` (with its punctuation) and the rest.
fn first_sentence(text: &str) -> (&str, &str) {
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let at_end = iter.peek().is_none_or(|(_, n)| n.is_whitespace());
        if matches!(c, '.' | '!' | '?' | '？' | '。') && at_end {
            let end = i + c.len_utf8();
            return (&text[..end], text[end..].trim_start());
        }
    }
    (text, "")
}

/// Sections (or, without headings, paragraphs) as parts of the upload.
/// With `title_rule` (markdown), a first `#` heading that is the only one
/// of its level and has `##`/`###` after it is the document's title, not a
/// section. Plain text has no such rule: its CAPITALS headings (level 1)
/// only group the headings after them when nothing is written under them.
fn doc_to_parts(doc: Doc, title_rule: bool, out: &mut Collector) {
    if doc.sections.is_empty() {
        paragraphs(doc.preamble, out);
        return;
    }
    if !doc.preamble.is_empty() {
        out.problem(
            out.origin("(before the first heading)"),
            "text before the first heading was not used; put it under a heading to make it a draft",
        );
    }
    let sections = doc.sections;
    let top_level = sections.iter().filter(|s| s.level == 1).count();
    let titled = title_rule && sections.len() > 1 && sections[0].level == 1 && top_level == 1;
    for (i, section) in sections.iter().enumerate() {
        let origin = out.origin(&format!("§ {}", section.title));
        let has_children = sections.get(i + 1).is_some_and(|next| next.level > section.level);
        if i == 0 && titled {
            if !section.blocks.is_empty() {
                out.problem(
                    origin,
                    "the introduction under the document's title was not used; give it a heading of its own to make it a draft",
                );
            }
            continue;
        }
        if section.blocks.is_empty() {
            if !has_children {
                out.problem(origin, "no text under this heading");
            }
            continue;
        }
        out.simple(origin, section_fields(section.title.clone(), &section.blocks, &[]));
    }
}

/// A document without headings: each paragraph, with the list items after
/// it, is a section titled by its first sentence.
fn paragraphs(blocks: Vec<Block>, out: &mut Collector) {
    let mut groups: Vec<Vec<Block>> = Vec::new();
    for block in blocks {
        match (&block, groups.last_mut()) {
            (Block::Item(_), Some(group)) => group.push(block),
            _ => groups.push(vec![block]),
        }
    }
    for (n, group) in groups.iter().enumerate() {
        let origin = out.origin(&format!("paragraph {}", n + 1));
        let Some((first, rest)) = group.split_first() else { continue };
        let fields = match first {
            Block::Para(text) => {
                let (sentence, remainder) = first_sentence(text);
                let title = sentence.trim_end_matches(['.', '!', '。']).to_owned();
                if title.ends_with(['?', '？']) {
                    section_fields(title, rest, &[remainder])
                } else {
                    section_fields(title, rest, &[text.as_str()])
                }
            }
            Block::Item(text) => {
                let title = phrasing(text).unwrap_or_else(|| first_sentence(text).0.to_owned());
                section_fields(title, group, &[])
            }
        };
        out.simple(origin, fields);
    }
}

/// The fields of one section: `lead` prose first, then the blocks; list
/// items that read like customer phrasings become triggers.
fn section_fields(title: String, blocks: &[Block], lead: &[&str]) -> Fields {
    let mut prose: Vec<&str> = lead.to_vec();
    let mut phrasings = Vec::new();
    for block in blocks {
        match block {
            Block::Para(text) => prose.push(text),
            Block::Item(text) => match phrasing(text) {
                Some(p) => phrasings.push(p),
                None => prose.push(text),
            },
        }
    }
    Fields { title: clean_title(&title), reply: join_sentences(&prose), phrasings, ..Fields::default() }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
