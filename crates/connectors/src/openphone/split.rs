//! Splitting a long reply into texts OpenPhone accepts (1–1600 characters).

/// OpenPhone's limit on `content`, in characters.
pub const MAX_CHARS: usize = 1600;

/// Splits `text` into parts of at most `max` characters, breaking after the
/// last sentence end in the window if there is one in its second half, else
/// at the last space, else (one very long word) mid-word. Parts are trimmed;
/// none is empty. Text that fits is returned as is.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest: &str = text.trim();
    while !rest.is_empty() {
        let Some((cut, _)) = rest.char_indices().nth(max) else {
            parts.push(rest.to_owned());
            break;
        };
        let window = &rest[..cut];
        let half = window.char_indices().nth(max / 2).map_or(0, |(i, _)| i);
        let sentence = window[half..].rfind(['.', '!', '?', '\n']).map(|i| half + i + 1);
        let space = window.rfind(char::is_whitespace).filter(|&i| i > 0);
        let at = sentence.or(space).unwrap_or(cut);
        parts.push(rest[..at].trim_end().to_owned());
        rest = rest[at..].trim_start();
    }
    parts.retain(|p| !p.is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_texts_are_one_part() {
        assert_eq!(split("Your bay is reset.", MAX_CHARS), vec!["Your bay is reset."]);
        assert!(split("   ", MAX_CHARS).is_empty());
    }

    #[test]
    fn breaks_after_a_sentence_then_at_a_space() {
        let text = "First sentence here. Second one is longer than the rest";
        assert_eq!(split(text, 30), vec!["First sentence here.", "Second one is longer than the", "rest"]);
    }

    #[test]
    fn counts_characters_not_bytes() {
        let text = "é".repeat(1700);
        let parts = split(&text, MAX_CHARS);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), vec![1600, 100]);
    }

    proptest! {
        /// Every part fits, none is empty, and the words come out in order.
        #[test]
        fn parts_fit_and_keep_every_word(words in proptest::collection::vec("[a-zé🏌.!?]{1,40}", 0..200), max in 20usize..200) {
            let text = words.join(" ");
            let parts = split(&text, max);
            for p in &parts {
                prop_assert!(!p.is_empty());
                prop_assert!(p.chars().count() <= max, "{} > {}", p.chars().count(), max);
            }
            let joined: String = parts.concat();
            let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            prop_assert_eq!(joined.chars().filter(|c| !c.is_whitespace()).collect::<String>(), squeezed);
        }
    }
}
