//! A reader of the protocol-buffer wire format, just enough for ONNX files.
//!
//! It reads from any `BufRead + Seek` source and never holds more than the
//! field it is reading: a length-delimited field that the caller does not want
//! (a weight tensor's `raw_data`) is skipped by seeking past it, so a large
//! model's weights are never read into memory. Every length is checked against
//! the end of the message that contains it, so a truncated or corrupted file
//! gives a [`DecodeError`] with the byte offset, never a panic or a huge
//! allocation.
use std::io::{BufRead, Seek, SeekFrom};

/// A malformed file: what is wrong, and at which byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: u64,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, DecodeError>;

/// The encoding of one field's value (the low three bits of its key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireType {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

/// The longest string field read (names, op types); longer ones can only come
/// from a corrupted file and would cost memory for nothing.
const MAX_STRING: u64 = 1 << 20;

pub struct Wire<R> {
    src: R,
    /// Offset of the next byte to read.
    pos: u64,
    /// Length of the whole input; no field may reach past it.
    len: u64,
}

impl<R: BufRead + Seek> Wire<R> {
    /// A reader at offset 0 of an input of `len` bytes.
    pub fn new(src: R, len: u64) -> Self {
        Wire { src, pos: 0, len }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    pub fn error<T>(&self, offset: u64, message: impl Into<String>) -> Result<T> {
        Err(DecodeError {
            offset,
            message: message.into(),
        })
    }

    fn io_error<T>(&self, e: std::io::Error) -> Result<T> {
        self.error(self.pos, format!("cannot read: {e}"))
    }

    /// One byte, which must lie before `end`.
    fn byte(&mut self, end: u64, what: &str) -> Result<u8> {
        if self.pos >= end {
            return self.error(
                self.pos,
                format!("{what} is cut off at the end of its message"),
            );
        }
        let b = match self.src.fill_buf() {
            Ok([]) => return self.error(self.pos, format!("the file ends inside {what}")),
            Ok(buf) => buf[0],
            Err(e) => return self.io_error(e),
        };
        self.src.consume(1);
        self.pos += 1;
        Ok(b)
    }

    /// A base-128 varint of at most ten bytes.
    pub fn varint(&mut self, end: u64, what: &str) -> Result<u64> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte(end, what)?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        self.error(start, format!("{what}: a varint longer than ten bytes"))
    }

    /// The next field's number and wire type, or `None` at `end`.
    pub fn key(&mut self, end: u64, message: &str) -> Result<Option<(u32, WireType)>> {
        if self.pos >= end {
            return Ok(None);
        }
        let at = self.pos;
        let key = self.varint(end, "a field key")?;
        let field = key >> 3;
        let wire = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            // Groups (3, 4) are deprecated and absent from ONNX; 6 and 7 do not exist.
            other => {
                return self.error(
                    at,
                    format!(
                    "invalid wire type {other} (field {field}) in {message}; is this an ONNX file?"
                ),
                )
            }
        };
        if field == 0 || field > u64::from(u32::MAX >> 3) {
            return self.error(at, format!("invalid field number {field} in {message}"));
        }
        Ok(Some((field as u32, wire)))
    }

    /// The length prefix of a length-delimited field: returns the offset at
    /// which its content ends, checked to lie within `end`.
    pub fn len_end(&mut self, end: u64, what: &str) -> Result<u64> {
        let at = self.pos;
        let n = self.varint(end, what)?;
        match self.pos.checked_add(n) {
            Some(stop) if stop <= end => Ok(stop),
            _ => self.error(
                at,
                format!(
                    "{what} claims {n} bytes, but only {} remain in its message",
                    end - self.pos
                ),
            ),
        }
    }

    /// Move to `stop` (within the input) without keeping what lies between.
    pub fn skip_to(&mut self, stop: u64) -> Result<()> {
        let mut n = stop.saturating_sub(self.pos);
        let buffered = match self.src.fill_buf() {
            Ok(buf) => buf.len() as u64,
            Err(e) => return self.io_error(e),
        };
        let here = n.min(buffered);
        self.src.consume(here as usize);
        self.pos += here;
        n -= here;
        if n > 0 {
            // Beyond the buffer: seek, so a weight tensor is never read.
            let Ok(delta) = i64::try_from(n) else {
                return self.error(self.pos, "a field longer than 2^63 bytes");
            };
            if let Err(e) = self.src.seek(SeekFrom::Current(delta)) {
                return self.io_error(e);
            }
            self.pos += n;
        }
        Ok(())
    }

    /// Skip one field's value, whatever its type.
    pub fn skip(&mut self, wire: WireType, end: u64, what: &str) -> Result<()> {
        match wire {
            WireType::Varint => self.varint(end, what).map(drop),
            WireType::Fixed64 => self.fixed(8, end, what).map(drop),
            WireType::Fixed32 => self.fixed(4, end, what).map(drop),
            WireType::Len => {
                let stop = self.len_end(end, what)?;
                self.skip_to(stop)
            }
        }
    }

    /// `n` (4 or 8) little-endian bytes as a u64.
    fn fixed(&mut self, n: u32, end: u64, what: &str) -> Result<u64> {
        let mut v = 0u64;
        for i in 0..n {
            v |= u64::from(self.byte(end, what)?) << (8 * i);
        }
        Ok(v)
    }

    pub fn fixed32(&mut self, end: u64, what: &str) -> Result<u32> {
        self.fixed(4, end, what).map(|v| v as u32)
    }

    pub fn fixed64(&mut self, end: u64, what: &str) -> Result<u64> {
        self.fixed(8, end, what)
    }

    /// The bytes of a length-delimited field that ends at `stop`.
    pub fn bytes_to(&mut self, stop: u64, what: &str) -> Result<Vec<u8>> {
        let n = stop.saturating_sub(self.pos);
        // `stop` was checked against the input length, so this allocation is
        // bounded by the file size; callers bound it further where it matters.
        let mut out = Vec::with_capacity(n as usize);
        while self.pos < stop {
            let buf = match self.src.fill_buf() {
                Ok([]) => return self.error(self.pos, format!("the file ends inside {what}")),
                Ok(buf) => buf,
                Err(e) => return self.io_error(e),
            };
            let take = buf.len().min((stop - self.pos) as usize);
            out.extend_from_slice(&buf[..take]);
            self.src.consume(take);
            self.pos += take as u64;
        }
        Ok(out)
    }

    /// A length-delimited UTF-8 string (invalid UTF-8 is replaced, as names
    /// are only shown and compared).
    pub fn string(&mut self, end: u64, what: &str) -> Result<String> {
        let at = self.pos;
        let stop = self.len_end(end, what)?;
        if stop - self.pos > MAX_STRING {
            return self.error(
                at,
                format!(
                    "{what} is {} bytes long, more than any name needs (corrupted file?)",
                    stop - self.pos
                ),
            );
        }
        let bytes = self.bytes_to(stop, what)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A repeated varint field, packed (one length-delimited run) or not.
    pub fn varints(
        &mut self,
        wire: WireType,
        end: u64,
        what: &str,
        out: &mut Vec<u64>,
    ) -> Result<()> {
        match wire {
            WireType::Varint => out.push(self.varint(end, what)?),
            WireType::Len => {
                let stop = self.len_end(end, what)?;
                while self.pos < stop {
                    out.push(self.varint(stop, what)?);
                }
            }
            _ => return self.error(self.pos, format!("{what} has the wrong wire type {wire:?}")),
        }
        Ok(())
    }

    /// A repeated fixed32 field (floats), packed or not.
    pub fn fixed32s(
        &mut self,
        wire: WireType,
        end: u64,
        what: &str,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        match wire {
            WireType::Fixed32 => out.push(self.fixed32(end, what)?),
            WireType::Len => {
                let stop = self.len_end(end, what)?;
                if (stop - self.pos) % 4 != 0 {
                    return self.error(
                        self.pos,
                        format!("{what}: packed floats not a multiple of 4 bytes"),
                    );
                }
                while self.pos < stop {
                    out.push(self.fixed32(stop, what)?);
                }
            }
            _ => return self.error(self.pos, format!("{what} has the wrong wire type {wire:?}")),
        }
        Ok(())
    }

    /// Fail unless `wire` is what the field needs.
    pub fn expect(&self, wire: WireType, want: WireType, what: &str) -> Result<()> {
        if wire == want {
            Ok(())
        } else {
            self.error(
                self.pos,
                format!("{what} has wire type {wire:?}, expected {want:?}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn wire(bytes: &[u8]) -> Wire<Cursor<&[u8]>> {
        Wire::new(Cursor::new(bytes), bytes.len() as u64)
    }

    #[test]
    fn varints_decode_and_overlong_ones_fail() {
        let mut w = wire(&[0x96, 0x01, 0x00]);
        assert_eq!(w.varint(3, "v").unwrap(), 150);
        assert_eq!(w.varint(3, "v").unwrap(), 0);
        let mut w = wire(&[0xff; 11]);
        let e = w.varint(11, "v").unwrap_err();
        assert_eq!(e.offset, 0);
        let mut w = wire(&[0x80]);
        assert!(w.varint(1, "v").unwrap_err().message.contains("cut off"));
    }

    #[test]
    fn a_length_past_the_message_is_an_error_at_its_offset() {
        // Field 1, length-delimited, 5 bytes claimed, 2 present.
        let mut w = wire(&[0x0a, 0x05, b'a', b'b']);
        assert_eq!(w.key(4, "m").unwrap(), Some((1, WireType::Len)));
        let e = w.string(4, "name").unwrap_err();
        assert_eq!(e.offset, 1);
        assert!(e.message.contains("claims 5 bytes"), "{}", e.message);
    }

    #[test]
    fn skipping_a_large_field_seeks_past_it() {
        let mut bytes = vec![0x4a, 0x80, 0x80, 0x04]; // field 9, 65536 bytes
        bytes.extend(std::iter::repeat_n(7u8, 65536));
        bytes.extend([0x10, 0x03]); // field 2 = 3
        let end = bytes.len() as u64;
        let mut w = Wire::new(
            std::io::BufReader::with_capacity(64, Cursor::new(bytes)),
            end,
        );
        let (f, t) = w.key(end, "m").unwrap().unwrap();
        assert_eq!(f, 9);
        w.skip(t, end, "raw").unwrap();
        assert_eq!(w.key(end, "m").unwrap(), Some((2, WireType::Varint)));
        assert_eq!(w.varint(end, "v").unwrap(), 3);
        assert_eq!(w.key(end, "m").unwrap(), None);
    }

    #[test]
    fn invalid_wire_types_are_named() {
        let mut w = wire(b"//");
        let e = w.key(2, "ModelProto").unwrap_err();
        assert!(e.message.contains("wire type 7"), "{}", e.message);
    }

    #[test]
    fn packed_and_unpacked_repeated_fields_read_alike() {
        let mut out = Vec::new();
        let mut w = wire(&[0x03, 0x01, 0x02, 0x03]);
        w.varints(WireType::Len, 4, "ints", &mut out).unwrap();
        let mut w = wire(&[0x04]);
        w.varints(WireType::Varint, 1, "ints", &mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4]);
    }
}
