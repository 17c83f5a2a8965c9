//! Fuzzes phone number parsing (`PhoneNumber::parse` with a default country, `PhoneNumber::parse_e164`), and checks that what it accepts is E.164 and reads back unchanged.
#![no_main]

use clubos_domain::{CountryCode, PhoneNumber};
use libfuzzer_sys::fuzz_target;

// Input: `<country code>|<number>` (e.g. `44|020 7946 0000`), or just the
// number, read with the default country (1, North America).
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (country, number) = match text.split_once('|') {
        Some((cc, n)) => match cc.parse::<u16>().ok().and_then(|c| CountryCode::new(c).ok()) {
            Some(c) => (c, n),
            None => return,
        },
        None => (CountryCode::NANP, text),
    };
    if let Ok(p) = PhoneNumber::parse(number, country) {
        let s = p.as_str();
        let digits = s.strip_prefix('+').expect("E.164 starts with +");
        assert!((7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()), "{s}");
        assert_eq!(PhoneNumber::parse_e164(s).as_ref(), Ok(&p));
        assert_eq!(PhoneNumber::parse(s, country).as_ref(), Ok(&p));
        assert_eq!(PhoneNumber::parse(s, CountryCode::NANP).as_ref(), Ok(&p));
        let _ = p.redacted();
    }
    if let Ok(p) = PhoneNumber::parse_e164(number) {
        assert_eq!(p.as_str(), number);
    }
});
