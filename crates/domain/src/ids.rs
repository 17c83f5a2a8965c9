//! Identifier newtypes. Each is validated once, where it enters the system.

use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{got}`: {why}")]
pub struct IdError {
    pub kind: &'static str,
    pub got: String,
    pub why: &'static str,
}

macro_rules! slug_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, extra = $extra:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Accepts 1–64 characters of lowercase ASCII letters, digits, `-`, `_`
            #[doc = concat!("and `", $extra, "`.")]
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let err = |why| IdError { kind: $kind, got: s.to_owned(), why };
                if s.is_empty() {
                    return Err(err("must not be empty"));
                }
                if s.len() > 64 {
                    return Err(err("must be at most 64 characters"));
                }
                let ok = |c: char| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                        || $extra.contains(c)
                };
                if !s.chars().all(ok) {
                    return Err(err(concat!(
                        "use lowercase letters, digits, `-`, `_` and `", $extra, "` only"
                    )));
                }
                Ok(Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

slug_id!(
    /// A facility location, e.g. `bedford`.
    LocationId, "location id", extra = ""
);
slug_id!(
    /// A door of a location, e.g. `front`.
    DoorId, "door id", extra = ""
);
slug_id!(
    /// A standard operating procedure, e.g. `tech.trackman_frozen`.
    SopId, "SOP id", extra = "."
);

/// A booking's identifier as the booking system gives it (opaque).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct BookingId(String);

impl BookingId {
    /// 1–128 printable characters, no control characters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let err = |why| IdError { kind: "booking id", got: s.to_owned(), why };
        if s.trim().is_empty() {
            return Err(err("must not be empty"));
        }
        if s.len() > 128 {
            return Err(err("must be at most 128 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(err("must not contain control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for BookingId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A bay (simulator) number within a location, 1–999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct BayNumber(u16);

impl BayNumber {
    pub const MAX: u16 = 999;

    pub fn new(n: u16) -> Result<Self, IdError> {
        if n == 0 || n > Self::MAX {
            return Err(IdError { kind: "bay number", got: n.to_string(), why: "must be between 1 and 999" });
        }
        Ok(Self(n))
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for BayNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for BayNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u16::deserialize(d)?;
        Self::new(n).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_validated() {
        assert_eq!(LocationId::parse("bedford").unwrap().as_str(), "bedford");
        assert!(LocationId::parse("").is_err());
        assert!(LocationId::parse("Bedford").is_err());
        assert!(LocationId::parse("a b").is_err());
        assert!(LocationId::parse(&"x".repeat(65)).is_err());
        assert!(LocationId::parse("tech.x").is_err());
        assert_eq!(SopId::parse("tech.trackman_frozen").unwrap().to_string(), "tech.trackman_frozen");
        let e = DoorId::parse("Front Door").unwrap_err();
        assert!(e.to_string().contains("lowercase"), "{e}");
    }

    #[test]
    fn bay_numbers_are_bounded() {
        assert!(BayNumber::new(0).is_err());
        assert_eq!(BayNumber::new(3).unwrap().get(), 3);
        assert!(BayNumber::new(1000).is_err());
        assert!(serde_json::from_str::<BayNumber>("0").is_err());
    }

    #[test]
    fn booking_ids_are_opaque_but_sane() {
        assert!(BookingId::parse("skedda-12345").is_ok());
        assert!(BookingId::parse("  ").is_err());
        assert!(BookingId::parse("a\nb").is_err());
    }
}
