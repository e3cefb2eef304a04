//! `ComputeCapability`: a CUDA-style `MAJOR.MINOR` version compared numerically.

use std::fmt;
use std::str::FromStr;

/// A GPU compute capability such as `8.6`, compared numerically field by field:
/// `8.6 < 8.10 < 9.0` (not as text, where `"8.10" < "8.6"`).
///
/// It parses from and displays as `MAJOR.MINOR` (both decimal, digits only, no sign and
/// no spaces). With the `serde` feature it is (de)serialized as that string, `"8.6"`,
/// never as a float: a float cannot tell `8.1` from `8.10`.
///
/// # Examples
///
/// ```
/// use orchestrator_core::placement::ComputeCapability;
///
/// let ampere: ComputeCapability = "8.6".parse().unwrap();
/// let later: ComputeCapability = "8.10".parse().unwrap();
/// assert!(ampere < later);
/// assert_eq!(later.to_string(), "8.10");
/// assert!("8".parse::<ComputeCapability>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComputeCapability {
    /// The major version (`8` in `8.6`).
    pub major: u32,
    /// The minor version (`6` in `8.6`).
    pub minor: u32,
}

impl ComputeCapability {
    /// The capability `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The error returned when a string is not a `MAJOR.MINOR` compute capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseComputeCapabilityError {
    _private: (),
}

impl fmt::Display for ParseComputeCapabilityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a compute capability MAJOR.MINOR in decimal digits, e.g. \"8.6\"")
    }
}

impl std::error::Error for ParseComputeCapabilityError {}

impl FromStr for ComputeCapability {
    type Err = ParseComputeCapabilityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = ParseComputeCapabilityError { _private: () };
        let (major, minor) = s.split_once('.').ok_or(error.clone())?;
        Ok(Self {
            major: parse_digits(major).ok_or(error.clone())?,
            minor: parse_digits(minor).ok_or(error)?,
        })
    }
}

/// Parses a non-empty run of ASCII digits (`u32::from_str` alone would accept `+8`).
fn parse_digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(feature = "serde")]
impl serde::Serialize for ComputeCapability {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ComputeCapability {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CapabilityVisitor;

        impl serde::de::Visitor<'_> for CapabilityVisitor {
            type Value = ComputeCapability;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a compute capability string such as \"8.6\"")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(CapabilityVisitor)
    }
}
