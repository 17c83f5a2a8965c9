//! Phone numbers, normalised to E.164 (`+19025550100`) where they enter.

use std::fmt;

/// A country calling code (1–999) used for numbers written without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode(u16);

impl CountryCode {
    /// North America (NANP), the default.
    pub const NANP: CountryCode = CountryCode(1);

    pub fn new(code: u16) -> Result<Self, PhoneError> {
        if (1..=999).contains(&code) { Ok(Self(code)) } else { Err(PhoneError::BadCountryCode(code)) }
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

impl Default for CountryCode {
    fn default() -> Self {
        Self::NANP
    }
}

/// Why a phone number was refused. Messages are meant for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number contains `{0}`, which is not a digit or separator")]
    InvalidCharacter(char),
    #[error("phone number has a `+` that is not at the start")]
    MisplacedPlus,
    #[error("phone number is too short: {digits} digits, need at least {min}")]
    TooShort { digits: usize, min: usize },
    #[error("phone number is too long: {digits} digits, at most {max} allowed")]
    TooLong { digits: usize, max: usize },
    #[error("phone number cannot start with country code 0")]
    ZeroCountryCode,
    #[error("not a valid North American number: {0}")]
    InvalidNanp(&'static str),
    #[error("phone number must be in E.164 form, such as +19025550100")]
    NotE164,
    #[error("country code {0} is not between 1 and 999")]
    BadCountryCode(u16),
}

/// A phone number in E.164 form: `+` followed by 7–15 digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// E.164 allows at most 15 digits; real numbers have at least 7.
const MAX_DIGITS: usize = 15;
const MIN_DIGITS: usize = 7;

impl PhoneNumber {
    /// Parses what people type: `(902) 555-0100`, `902.555.0100`,
    /// `+1 902 555 0100`, `19025550100`, `00 44 20 7946 0000`. Numbers without
    /// a country code get `default_country`; for codes other than 1 a single
    /// leading trunk `0` is dropped (`020 7946 0000` → `+442079460000`).
    pub fn parse(input: &str, default_country: CountryCode) -> Result<Self, PhoneError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (international, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
                '+' => return Err(PhoneError::MisplacedPlus),
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let full = if international {
            digits
        } else if default_country == CountryCode::NANP {
            if let Some(intl) = digits.strip_prefix("011") { intl.to_owned() } else { nanp_national(&digits)? }
        } else if let Some(intl) = digits.strip_prefix("00") {
            intl.to_owned()
        } else {
            let national = digits.strip_prefix('0').unwrap_or(&digits);
            format!("{}{national}", default_country.get())
        };
        Self::validate(full)
    }

    /// Parses a number that must already be in E.164 form (`+` and digits).
    pub fn parse_e164(input: &str) -> Result<Self, PhoneError> {
        match input.strip_prefix('+') {
            Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => Self::validate(d.to_owned()),
            _ => Err(PhoneError::NotE164),
        }
    }

    fn validate(digits: String) -> Result<Self, PhoneError> {
        if digits.len() < MIN_DIGITS {
            return Err(PhoneError::TooShort { digits: digits.len(), min: MIN_DIGITS });
        }
        if digits.len() > MAX_DIGITS {
            return Err(PhoneError::TooLong { digits: digits.len(), max: MAX_DIGITS });
        }
        if digits.starts_with('0') {
            return Err(PhoneError::ZeroCountryCode);
        }
        if let Some(national) = digits.strip_prefix('1') {
            check_nanp(national)?;
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The E.164 string, e.g. `+19025550100`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: country code and last two digits only.
    pub fn redacted(&self) -> String {
        let d = &self.0[1..];
        let keep_head = if d.starts_with('1') { 1 } else { 2.min(d.len()) };
        let tail = &d[d.len() - 2..];
        format!("+{}…{tail}", &d[..keep_head])
    }
}

fn nanp_national(digits: &str) -> Result<String, PhoneError> {
    match digits.len() {
        10 => Ok(format!("1{digits}")),
        11 if digits.starts_with('1') => Ok(digits.to_owned()),
        n if n < 10 => Err(PhoneError::TooShort { digits: n, min: 10 }),
        11 => Err(PhoneError::InvalidNanp("11 digits must start with the country code 1")),
        n => Err(PhoneError::TooLong { digits: n, max: 11 }),
    }
}

/// NANP: 10 digits, area code and exchange each start with 2–9.
fn check_nanp(national: &str) -> Result<(), PhoneError> {
    let b = national.as_bytes();
    if b.len() != 10 {
        return Err(PhoneError::InvalidNanp("a +1 number has exactly 10 digits after the 1"));
    }
    if b[0] < b'2' {
        return Err(PhoneError::InvalidNanp("the area code cannot start with 0 or 1"));
    }
    if b[3] < b'2' {
        return Err(PhoneError::InvalidNanp("the exchange cannot start with 0 or 1"));
    }
    Ok(())
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug is redacted: phone numbers are personal data and must not leak into logs.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.redacted())
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Deserialising accepts only E.164; human formats are parsed at the edge
/// with the deployment's default country.
impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_e164(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanp(s: &str) -> Result<String, PhoneError> {
        PhoneNumber::parse(s, CountryCode::NANP).map(|p| p.as_str().to_owned())
    }

    #[test]
    fn common_north_american_forms_normalise() {
        for input in [
            "(902) 555-0100",
            "902-555-0100",
            "+1 902 555 0100",
            "19025550100",
            "9025550100",
            "902.555.0100",
            " +1 (902) 555-0100 ",
            "1-902-555-0100",
            "+19025550100",
        ] {
            assert_eq!(nanp(input).as_deref(), Ok("+19025550100"), "{input}");
        }
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert_eq!(nanp(""), Err(PhoneError::Empty));
        assert_eq!(nanp("   "), Err(PhoneError::Empty));
        assert_eq!(nanp("call me"), Err(PhoneError::InvalidCharacter('c')));
        assert_eq!(nanp("902-555-01OO"), Err(PhoneError::InvalidCharacter('O')));
        assert_eq!(nanp("902+5550100"), Err(PhoneError::MisplacedPlus));
        assert_eq!(nanp("--"), Err(PhoneError::Empty));
        let e = nanp("555-0100").unwrap_err();
        assert_eq!(e, PhoneError::TooShort { digits: 7, min: 10 });
        assert_eq!(e.to_string(), "phone number is too short: 7 digits, need at least 10");
        assert!(matches!(nanp("902555010099"), Err(PhoneError::TooLong { .. })));
        assert!(matches!(nanp("+1234567890123456"), Err(PhoneError::TooLong { .. })));
        assert!(matches!(nanp("+12345"), Err(PhoneError::TooShort { .. })));
        assert!(matches!(nanp("29025550100"), Err(PhoneError::InvalidNanp(_))));
        assert!(matches!(nanp("(102) 555-0100"), Err(PhoneError::InvalidNanp(_))));
        assert!(matches!(nanp("(902) 155-0100"), Err(PhoneError::InvalidNanp(_))));
        assert_eq!(nanp("+0123456789"), Err(PhoneError::ZeroCountryCode));
        assert!(matches!(nanp("9025550100 ext 5"), Err(PhoneError::InvalidCharacter('e'))));
        assert!(matches!(nanp("９０２５５５０１００"), Err(PhoneError::InvalidCharacter(_))));
    }

    #[test]
    fn other_default_countries_and_international_prefixes() {
        let uk = CountryCode::new(44).unwrap();
        let p = |s| PhoneNumber::parse(s, uk).map(|p| p.as_str().to_owned());
        assert_eq!(p("020 7946 0000").as_deref(), Ok("+442079460000"));
        assert_eq!(p("0044 20 7946 0000").as_deref(), Ok("+442079460000"));
        assert_eq!(p("+1 902 555 0100").as_deref(), Ok("+19025550100"));
        assert_eq!(nanp("011 44 20 7946 0000").as_deref(), Ok("+442079460000"));
        assert!(CountryCode::new(0).is_err());
        assert!(CountryCode::new(1000).is_err());
    }

    #[test]
    fn e164_only_deserialisation_and_redaction() {
        let p: PhoneNumber = serde_json::from_str("\"+19025550100\"").unwrap();
        assert_eq!(p.redacted(), "+1…00");
        assert_eq!(format!("{p:?}"), "PhoneNumber(+1…00)");
        assert!(serde_json::from_str::<PhoneNumber>("\"902-555-0100\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("\"+1902555010\"").is_err());
    }
}
