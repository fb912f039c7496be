//! Request traces: a text format and synthetic patterns.
//!
//! A trace file has one request per line, `<address> <R|W>`, the address in
//! decimal or `0x` hexadecimal; blank lines and lines starting with `#` are
//! skipped. The patterns are the five used to check the model against
//! DRAMsim3 (`docs/models/ddr4.md`): streaming and random, each with a
//! fraction of writes, and the read-modify-write stream of an optimizer
//! update.
use super::channel::Request;
use super::error::{DramError, Origin};

/// Parse a trace. A bad line is an error with its line number.
pub fn parse_trace(text: &str) -> Result<Vec<Request>, DramError> {
    parse_trace_within(text, u64::MAX)
}

/// Parse a trace for a memory of `capacity` bytes: an address at or beyond
/// it is an error with its line number (DRAMsim3 would silently wrap it).
pub fn parse_trace_within(text: &str, capacity: u64) -> Result<Vec<Request>, DramError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let bad = |message: String| DramError::Trace {
            origin: Origin::default(),
            line,
            message,
        };
        let mut parts = content.split_whitespace();
        let (Some(addr), Some(op)) = (parts.next(), parts.next()) else {
            return Err(bad(format!("`{content}`: expected `<address> <R|W>`")));
        };
        if let Some(extra) = parts.next() {
            return Err(bad(format!(
                "`{content}`: unexpected `{extra}` after `<address> <R|W>`"
            )));
        }
        let addr = parse_address(addr)
            .ok_or_else(|| bad(format!("`{addr}` is not a decimal or 0x-hex address")))?;
        if addr >= capacity {
            return Err(bad(format!(
                "address {addr:#x} is beyond the {capacity} bytes ({capacity:#x}) of the memory"
            )));
        }
        let write = match op {
            "R" | "r" => false,
            "W" | "w" => true,
            _ => return Err(bad(format!("`{op}` is not R or W"))),
        };
        out.push(Request {
            addr,
            write,
            arrival: 0,
        });
    }
    Ok(out)
}

fn parse_address(s: &str) -> Option<u64> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else {
        s.parse::<u64>().ok()
    }
}

/// A synthetic request pattern.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pattern {
    /// `n` consecutive bursts from address 0; a fraction `write_fraction`
    /// of them, spread evenly, are writes.
    Stream { n: u64, write_fraction: f64 },
    /// `n` bursts at uniformly random addresses in `[0, capacity)` (seeded,
    /// reproducible); writes spread evenly as for `Stream`.
    Random {
        n: u64,
        write_fraction: f64,
        seed: u64,
    },
    /// The update of `params` parameters of `bytes_per_param` bytes, arrays
    /// theta, v, g at `bases`: per burst, read theta, v, g, then write theta,
    /// v.
    OptimizerUpdate {
        params: u64,
        bytes_per_param: u64,
        bases: [u64; 3],
    },
}

impl Pattern {
    /// Parse `stream:N[:WFRAC]`, `random:N[:WFRAC]` or `update:PARAMS`.
    pub fn parse(s: &str) -> Result<Pattern, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let count = |p: &str| -> Result<u64, String> {
            p.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("`{p}` is not a count"))
        };
        let frac = |p: Option<&&str>| -> Result<f64, String> {
            match p {
                None => Ok(0.0),
                Some(p) => match p.parse::<f64>() {
                    Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
                    _ => Err(format!("`{p}` is not a write fraction in [0, 1]")),
                },
            }
        };
        match parts.as_slice() {
            ["stream", n] | ["stream", n, _] => Ok(Pattern::Stream {
                n: count(n)?,
                write_fraction: frac(parts.get(2))?,
            }),
            ["random", n] | ["random", n, _] => Ok(Pattern::Random {
                n: count(n)?,
                write_fraction: frac(parts.get(2))?,
                seed: 1,
            }),
            ["update", n] => Ok(Pattern::OptimizerUpdate {
                params: count(n)?,
                bytes_per_param: 4,
                bases: [0; 3],
            }),
            _ => Err(format!(
                "`{s}` is not stream:N[:WFRAC], random:N[:WFRAC] or update:PARAMS"
            )),
        }
    }

    /// The requests, lazily, for a memory of `capacity` bytes with bursts of
    /// `burst` bytes. An `OptimizerUpdate` with all bases 0 lays theta, v
    /// and g out one after the other.
    pub fn requests(&self, capacity: u64, burst: u64) -> Requests {
        let mut pattern = *self;
        if let Pattern::OptimizerUpdate { bases, .. } = &mut pattern {
            if *bases == [0; 3] {
                let span = self.len(burst) / UPDATE.len() as u64 * burst;
                *bases = [0, span, 2 * span];
            }
        }
        let rng = match *self {
            Pattern::Random { seed, .. } => SplitMix64(seed),
            _ => SplitMix64(0),
        };
        Requests {
            pattern,
            lines: (capacity / burst).max(1),
            burst,
            rng,
            next: 0,
            len: self.len(burst),
        }
    }

    /// How many requests [`Pattern::requests`] yields.
    pub fn len(&self, burst: u64) -> u64 {
        match *self {
            Pattern::Stream { n, .. } | Pattern::Random { n, .. } => n,
            Pattern::OptimizerUpdate {
                params,
                bytes_per_param,
                ..
            } => (params * bytes_per_param).div_ceil(burst) * UPDATE.len() as u64,
        }
    }

    /// Whether the pattern yields no request.
    pub fn is_empty(&self) -> bool {
        self.len(64) == 0
    }
}

/// The requests of a [`Pattern`], in order ([`Pattern::requests`]). A type
/// of its own rather than a boxed iterator, so that a replay reading a whole
/// ResNet-50 update through it inlines each step.
#[derive(Clone, Debug)]
pub struct Requests {
    /// The pattern, with an optimizer update's bases laid out.
    pattern: Pattern,
    /// Bursts in the memory.
    lines: u64,
    burst: u64,
    rng: SplitMix64,
    next: u64,
    len: u64,
}

impl Iterator for Requests {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        if self.next == self.len {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let (addr, write) = match self.pattern {
            Pattern::Stream { write_fraction, .. } => {
                ((i % self.lines) * self.burst, is_write(i, write_fraction))
            }
            Pattern::Random { write_fraction, .. } => (
                self.rng.below(self.lines) * self.burst,
                is_write(i, write_fraction),
            ),
            Pattern::OptimizerUpdate { bases, .. } => {
                let (array, write) = UPDATE[(i % UPDATE.len() as u64) as usize];
                (bases[array] + i / UPDATE.len() as u64 * self.burst, write)
            }
        };
        Some(Request {
            addr,
            write,
            arrival: 0,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.len - self.next) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Requests {}

/// The requests of an optimizer update per burst: (array, write), the
/// arrays theta, v, g: read theta, v, g, then write theta, v.
const UPDATE: [(usize, bool); 5] = [(0, false), (1, false), (2, false), (0, true), (1, true)];

/// Request `i` is a write when the running count of writes at fraction `f`
/// steps up: exactly `floor(n f)` writes in the first `n`, evenly spread.
fn is_write(i: u64, f: f64) -> bool {
    ((i + 1) as f64 * f).floor() > (i as f64 * f).floor()
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, seedable, good enough for
/// uniform addresses.
#[derive(Clone, Copy, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, n)` (Lemire's multiply-shift, bias below 2^-32 here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines() {
        let t = parse_trace("# comment\n0x40 R\n\n128 w\n").unwrap();
        assert_eq!(t, vec![Request::read(64), Request::write(128)]);
        let e = parse_trace("0 R\n0x40 X\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: `X` is not R or W");
        let e = parse_trace("0 R\nzz R\n").unwrap_err();
        assert!(e.to_string().starts_with("line 2: `zz`"), "{e}");
        let e = parse_trace("0x40\n").unwrap_err();
        assert!(e.to_string().starts_with("line 1:"), "{e}");
        let e = parse_trace("0x40 R extra\n").unwrap_err();
        assert!(e.to_string().contains("unexpected `extra`"), "{e}");
        let e = parse_trace_within("0 R\n0x1000 W\n", 4096).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 2: address 0x1000 is beyond"),
            "{e}"
        );
    }

    #[test]
    fn write_fraction_is_exact_and_spread() {
        let p = Pattern::Stream {
            n: 1000,
            write_fraction: 0.4,
        };
        let reqs: Vec<_> = p.requests(1 << 30, 64).collect();
        assert_eq!(reqs.iter().filter(|r| r.write).count(), 400);
        assert!(reqs[..5].iter().filter(|r| r.write).count() == 2);
    }

    #[test]
    fn patterns_parse() {
        assert_eq!(
            Pattern::parse("random:300_000:0.33").unwrap(),
            Pattern::Random {
                n: 300_000,
                write_fraction: 0.33,
                seed: 1
            }
        );
        assert!(Pattern::parse("stream:10:1.5").is_err());
        assert!(Pattern::parse("walk:10").is_err());
        let u = Pattern::parse("update:32").unwrap();
        let reqs: Vec<_> = u.requests(1 << 30, 64).collect();
        assert_eq!(reqs.len(), 10);
        assert_eq!(u.len(64), 10);
        assert_eq!(reqs[1].addr, 128);
        assert!(reqs[3].write && reqs[3].addr == 0);
    }
}
