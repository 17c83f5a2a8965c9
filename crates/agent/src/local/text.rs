//! Text preparation shared by the index and the query side: normalisation
//! (as `clubos_domain::signals::normalise`), slang canonicalisation, a light
//! stemmer, the ASCII haystack for regexes, and a bounded edit distance.

use clubos_domain::signals::normalise;

/// Slang and texting shorthand → the canonical words, applied to SOP phrases
/// and customer texts alike so both sides meet on one spelling.
const SLANG: &[(&str, &str)] = &[
    ("2moro", "tomorrow"),
    ("2nite", "tonight"),
    ("abt", "about"),
    ("aint", "isnt"),
    ("b4", "before"),
    ("bday", "birthday"),
    ("cannot", "cant"),
    ("cnt", "cant"),
    ("coz", "because"),
    ("cuz", "because"),
    ("gonna", "going to"),
    ("hr", "hour"),
    ("hrs", "hours"),
    ("k", "ok"),
    ("kk", "ok"),
    ("lemme", "let me"),
    ("min", "minutes"),
    ("mins", "minutes"),
    ("nevermind", "never mind"),
    ("nvm", "never mind"),
    ("okay", "ok"),
    ("okk", "ok"),
    ("pleez", "please"),
    ("pls", "please"),
    ("plss", "please"),
    ("plz", "please"),
    ("ppl", "people"),
    ("r", "are"),
    ("rn", "now"),
    ("thanx", "thanks"),
    ("thnx", "thanks"),
    ("thx", "thanks"),
    ("tmr", "tomorrow"),
    ("tmrow", "tomorrow"),
    ("tmrw", "tomorrow"),
    ("tnx", "thanks"),
    ("tomoro", "tomorrow"),
    ("tomorow", "tomorrow"),
    ("tonite", "tonight"),
    ("ty", "thanks"),
    ("tysm", "thanks"),
    ("u", "you"),
    ("ur", "your"),
    ("wanna", "want to"),
];

/// Normalises and canonicalises slang: the form every phrase is matched in.
pub fn canonical(text: &str) -> String {
    canonicalise(&normalise_fast(text))
}

/// `clubos_domain::signals::normalise`, with a byte-level fast path for
/// ASCII text (the same result; a proptest checks it).
pub fn normalise_fast(text: &str) -> String {
    if !text.is_ascii() {
        return normalise(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut space = true;
    for &b in text.as_bytes() {
        if b == b'\'' {
            continue;
        }
        if b.is_ascii_alphanumeric() {
            out.push(b.to_ascii_lowercase());
            space = false;
        } else if !space {
            out.push(b' ');
            space = true;
        }
    }
    if out.last() == Some(&b' ') {
        out.pop();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Slang canonicalisation of an already normalised text.
pub fn canonicalise(n: &str) -> String {
    let mut out = String::with_capacity(n.len() + 8);
    for tok in n.split(' ').filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(slang(tok).unwrap_or(tok));
    }
    out
}

/// The canonical spelling of a slang token, if it is one.
pub fn slang(tok: &str) -> Option<&'static str> {
    SLANG.binary_search_by(|(k, _)| k.cmp(&tok)).ok().map(|i| SLANG[i].1)
}

/// Lowercased text for the trigger regexes: curly apostrophes become `'`
/// and any other non-ASCII character a space, so the regexes run on ASCII
/// (fast DFA) while every character still counts once for `.{0,n}`.
pub fn regex_haystack(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{FF07}' => out.push('\''),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            _ => out.push(' '),
        }
    }
    out
}

/// A crude English stemmer for similarity: `registering` → `register`,
/// `shots` → `shot`, `picked` → `pick`.
pub fn stem(word: &str) -> &str {
    let b = word.as_bytes();
    let n = b.len();
    if n > 5 && word.ends_with("ing") {
        return &word[..n - 3];
    }
    if n > 4 && word.ends_with("ed") {
        return &word[..n - 2];
    }
    if n > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        return &word[..n - 1];
    }
    word
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent
/// transpositions) between two words, or `None` when it exceeds `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    if a.len() > 48 || b.len() > 48 {
        return (a == b).then_some(0);
    }
    let w = b.len() + 1;
    let mut rows = [[0usize; 49]; 3];
    for (j, v) in rows[0].iter_mut().enumerate().take(w) {
        *v = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev][j] + 1).min(rows[cur][j - 1] + 1).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
    }
    let d = rows[a.len() % 3][b.len()];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slang_table_is_sorted_for_binary_search() {
        assert!(SLANG.windows(2).all(|w| w[0].0 < w[1].0));
        for (k, v) in SLANG {
            assert_eq!(slang(k), Some(*v), "{k}");
        }
        assert_eq!(slang("trackman"), None);
    }

    #[test]
    fn canonical_normalises_and_expands_slang() {
        assert_eq!(canonical("R U open 2nite?? 🙏"), "are you open tonight");
        assert_eq!(canonical("Can't get in, pls"), "cant get in please");
        assert_eq!(canonical("  "), "");
        assert_eq!(canonical("nvm!"), "never mind");
    }

    proptest::proptest! {
        #[test]
        fn fast_normalise_equals_the_domain_one(text in "[ -~]{0,80}|\\PC{0,40}") {
            proptest::prop_assert_eq!(normalise_fast(&text), normalise(&text));
        }
    }

    #[test]
    fn haystack_is_ascii_with_straight_apostrophes() {
        assert_eq!(regex_haystack("Won’t OPEN 🚪!"), "won't open  !");
        assert!(regex_haystack("café ☕ ü").is_ascii());
    }

    #[test]
    fn distance_counts_transpositions_as_one() {
        assert_eq!(edit_distance("forzen", "frozen", 2), Some(1));
        assert_eq!(edit_distance("trakman", "trackman", 2), Some(1));
        assert_eq!(edit_distance("dor", "door", 1), Some(1));
        assert_eq!(edit_distance("lihgts", "lights", 2), Some(1));
        assert_eq!(edit_distance("lites", "lights", 2), None);
        assert_eq!(edit_distance("lites", "lights", 3), Some(3));
        assert_eq!(edit_distance("parking", "booking", 2), None);
        assert_eq!(edit_distance("same", "same", 0), Some(0));
        assert_eq!(edit_distance("", "abc", 3), Some(3));
    }

    #[test]
    fn stemmer_is_light() {
        assert_eq!(stem("registering"), "register");
        assert_eq!(stem("shots"), "shot");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("picked"), "pick");
        assert_eq!(stem("ring"), "ring");
    }
}
