//! `DeviceMask`: a set of GPU device indices `0..64` as a bit mask.

use std::fmt;

/// A set of GPU devices on one host, bit `i` standing for device `i` (`0..64`).
///
/// A pool's mask is the devices it runs on; a job's optional mask is the devices it may
/// use. A pool respects a job's mask when every device of the pool is in the job's mask
/// ([`DeviceMask::is_within`]): a pool spread over devices 1 and 2 does not fit a job
/// pinned to devices 0 and 1, even though they share device 1.
///
/// With the `serde` feature it is (de)serialized as the plain integer.
///
/// # Examples
///
/// ```
/// use orchestrator_core::placement::DeviceMask;
///
/// let pool = DeviceMask(0b0110); // devices 1 and 2
/// assert!(pool.is_within(DeviceMask(0b1110)));
/// assert!(!pool.is_within(DeviceMask(0b0011)));
/// assert_eq!(pool.to_string(), "0x6");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct DeviceMask(pub u64);

impl DeviceMask {
    /// Whether every device in `self` is also in `allowed`.
    pub const fn is_within(self, allowed: DeviceMask) -> bool {
        self.0 & !allowed.0 == 0
    }
}

impl fmt::Display for DeviceMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}
