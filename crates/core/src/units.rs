//! Typed SI quantities with engineering-notation display.
//!
//! Each quantity wraps an `f64` in its SI base unit (seconds, joules, watts,
//! square millimetres by convention for chip area, bytes). Arithmetic that
//! keeps the unit is implemented; anything else goes through `.value()` at
//! the one place where the physics is written down.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, Sub};

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident, $symbol:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub f64);

        impl $name {
            pub const ZERO: $name = $name(0.0);
            pub const SYMBOL: &'static str = $symbol;
            pub const fn new(v: f64) -> Self {
                $name(v)
            }
            pub const fn value(self) -> f64 {
                self.0
            }
            pub fn max(self, other: Self) -> Self {
                $name(self.0.max(other.0))
            }
            pub fn min(self, other: Self) -> Self {
                $name(self.0.min(other.0))
            }
        }
        impl Add for $name {
            type Output = $name;
            fn add(self, o: $name) -> $name {
                $name(self.0 + o.0)
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, o: $name) {
                self.0 += o.0;
            }
        }
        impl Sub for $name {
            type Output = $name;
            fn sub(self, o: $name) -> $name {
                $name(self.0 - o.0)
            }
        }
        impl Mul<f64> for $name {
            type Output = $name;
            fn mul(self, k: f64) -> $name {
                $name(self.0 * k)
            }
        }
        impl Mul<$name> for f64 {
            type Output = $name;
            fn mul(self, q: $name) -> $name {
                $name(self * q.0)
            }
        }
        impl Div<f64> for $name {
            type Output = $name;
            fn div(self, k: f64) -> $name {
                $name(self.0 / k)
            }
        }
        /// The ratio of two quantities of the same kind is a plain number.
        impl Div for $name {
            type Output = f64;
            fn div(self, o: $name) -> f64 {
                self.0 / o.0
            }
        }
        impl Sum for $name {
            fn sum<I: Iterator<Item = $name>>(it: I) -> $name {
                $name(it.map(|q| q.0).sum())
            }
        }
        impl<'a> Sum<&'a $name> for $name {
            fn sum<I: Iterator<Item = &'a $name>>(it: I) -> $name {
                $name(it.map(|q| q.0).sum())
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&engineering(self.0, $symbol))
            }
        }
    };
}

quantity!(
    /// Time in seconds.
    Seconds, "s"
);
quantity!(
    /// Energy in joules.
    Joules, "J"
);
quantity!(
    /// Power in watts.
    Watts, "W"
);
quantity!(
    /// Silicon area in square millimetres.
    SquareMm, "mm^2"
);
quantity!(
    /// Data volume in bytes.
    Bytes, "B"
);
quantity!(
    /// Bandwidth in bytes per second.
    BytesPerSecond, "B/s"
);
quantity!(
    /// Frequency in hertz.
    Hertz, "Hz"
);

impl Seconds {
    pub fn from_ns(ns: f64) -> Self {
        Seconds(ns * 1e-9)
    }
}
impl Joules {
    pub fn from_pj(pj: f64) -> Self {
        Joules(pj * 1e-12)
    }
}
impl Mul<Seconds> for Watts {
    type Output = Joules;
    fn mul(self, t: Seconds) -> Joules {
        Joules(self.0 * t.0)
    }
}
impl Div<Seconds> for Joules {
    type Output = Watts;
    fn div(self, t: Seconds) -> Watts {
        Watts(self.0 / t.0)
    }
}
impl Div<BytesPerSecond> for Bytes {
    type Output = Seconds;
    fn div(self, bw: BytesPerSecond) -> Seconds {
        Seconds(self.0 / bw.0)
    }
}
impl Div<Seconds> for Bytes {
    type Output = BytesPerSecond;
    fn div(self, t: Seconds) -> BytesPerSecond {
        BytesPerSecond(self.0 / t.0)
    }
}

/// `value` in engineering notation with an SI prefix: `12.3 ms`, `4.56 GB/s`.
pub fn engineering(value: f64, unit: &str) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value} {unit}");
    }
    const PREFIXES: [(f64, &str); 11] = [
        (1e18, "E"),
        (1e15, "P"),
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "u"),
        (1e-9, "n"),
        (1e-12, "p"),
    ];
    let magnitude = value.abs();
    let (scale, prefix) = PREFIXES
        .iter()
        .copied()
        .find(|(s, _)| magnitude >= *s * 0.9995)
        .unwrap_or((1e-15, "f"));
    format!("{} {prefix}{unit}", three_digits(value / scale))
}

/// A number between 1 and 1000 with three significant digits: `1.23`,
/// `12.3`, `123` (what [`engineering`] prints before the prefix).
pub fn three_digits(value: f64) -> String {
    let digits = if value.abs() >= 99.95 {
        0
    } else if value.abs() >= 9.995 {
        1
    } else {
        2
    };
    format!("{value:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engineering_notation_picks_the_prefix() {
        assert_eq!(engineering(0.0123, "s"), "12.3 ms");
        assert_eq!(engineering(4.56e9, "B/s"), "4.56 GB/s");
        assert_eq!(engineering(999.96, "J"), "1.00 kJ");
        assert_eq!(engineering(-2.5e-7, "s"), "-250 ns");
        assert_eq!(Seconds::from_ns(1.0).to_string(), "1.00 ns");
    }

    #[test]
    fn units_combine_as_physics_says() {
        let e = Watts(10.0) * Seconds(2.0);
        assert_eq!(e, Joules(20.0));
        assert_eq!(e / Seconds(4.0), Watts(5.0));
        assert_eq!(Bytes(8e9) / BytesPerSecond(4e9), Seconds(2.0));
    }
}
