//! Physical addresses to DRAM coordinates.
//!
//! A mapping is written as DRAMsim3 writes it: six two-letter fields, most
//! significant first: `ch` channel, `ra` rank, `bg` bank group, `ba` bank,
//! `ro` row, `co` column. Below them sit the bits of one burst
//! (log2(bus_width / 8 * BL), 6 bits for a 64-bit DDR4 channel with BL8),
//! and the column field counts bursts, not device columns. So
//! `rochrababgco` (DRAMsim3's DDR4 files) puts 128 consecutive 64-byte lines
//! in one row of one bank and then moves to the next bank group, and
//! `chrabarobgco` is GradPIM's Bank | Row | BG | Column layout with the rank
//! (and channel) above it.
use super::config::Geometry;
use serde::Serialize;

/// The coordinates of one burst.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    pub channel: u32,
    pub rank: u32,
    pub bankgroup: u32,
    /// Bank within its bank group.
    pub bank: u32,
    pub row: u32,
    /// Burst index within the row (0 .. columns / BL).
    pub column: u32,
}

/// One field of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Field {
    Channel,
    Rank,
    BankGroup,
    Bank,
    Row,
    Column,
}

impl Field {
    fn token(self) -> &'static str {
        match self {
            Field::Channel => "ch",
            Field::Rank => "ra",
            Field::BankGroup => "bg",
            Field::Bank => "ba",
            Field::Row => "ro",
            Field::Column => "co",
        }
    }
    fn from_token(t: &str) -> Option<Field> {
        Some(match t {
            "ch" => Field::Channel,
            "ra" => Field::Rank,
            "bg" => Field::BankGroup,
            "ba" => Field::Bank,
            "ro" => Field::Row,
            "co" => Field::Column,
            _ => return None,
        })
    }
    const ALL: [Field; 6] = [
        Field::Channel,
        Field::Rank,
        Field::BankGroup,
        Field::Bank,
        Field::Row,
        Field::Column,
    ];
    fn slot(self) -> usize {
        self as usize
    }
}

/// A bit-field address mapping (DRAMsim3's scheme).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressMapping {
    /// Fields, most significant first.
    order: [Field; 6],
    /// Bit position (above the burst offset) and width of each field, by
    /// `Field as usize`.
    pos: [u32; 6],
    width: [u32; 6],
    offset_bits: u32,
}

impl AddressMapping {
    /// DRAMsim3's DDR4 mapping: row | channel | rank | bank | bank group | column.
    pub const DRAMSIM3_DDR4: &'static str = "rochrababgco";
    /// GradPIM's mapping: channel | rank | bank | row | bank group | column,
    /// so that each array lives in one bank index of every bank group.
    pub const GRADPIM: &'static str = "chrabarobgco";

    /// Parse a mapping string for the given geometry. The error says what is
    /// wrong with the string.
    pub fn parse(spec: &str, geometry: &Geometry) -> Result<AddressMapping, String> {
        if spec.len() != 12 || !spec.is_ascii() {
            return Err(format!(
                "`{spec}` is not six two-letter fields (ch, ra, bg, ba, ro, co), e.g. `{}`",
                Self::DRAMSIM3_DDR4
            ));
        }
        let mut order = [Field::Channel; 6];
        let mut seen = [false; 6];
        for (i, slot) in order.iter_mut().enumerate() {
            let t = &spec[2 * i..2 * i + 2];
            let f = Field::from_token(t)
                .ok_or_else(|| format!("`{spec}`: `{t}` is not one of ch, ra, bg, ba, ro, co"))?;
            if seen[f.slot()] {
                return Err(format!("`{spec}`: `{t}` appears twice"));
            }
            seen[f.slot()] = true;
            *slot = f;
        }
        let mut width = [0u32; 6];
        width[Field::Channel.slot()] = geometry.channels.trailing_zeros();
        width[Field::Rank.slot()] = geometry.ranks.trailing_zeros();
        width[Field::BankGroup.slot()] = geometry.bankgroups.trailing_zeros();
        width[Field::Bank.slot()] = geometry.banks_per_group.trailing_zeros();
        width[Field::Row.slot()] = geometry.rows.trailing_zeros();
        width[Field::Column.slot()] = geometry.columns.trailing_zeros();
        let offset_bits = geometry.request_bytes.trailing_zeros();
        if offset_bits + width.iter().sum::<u32>() > 63 {
            return Err("the address needs more than 63 bits".to_string());
        }
        let mut pos = [0u32; 6];
        let mut p = 0;
        for f in order.iter().rev() {
            pos[f.slot()] = p;
            p += width[f.slot()];
        }
        Ok(AddressMapping {
            order,
            pos,
            width,
            offset_bits,
        })
    }

    /// The coordinates of byte address `addr`. Bits above the mapped
    /// capacity are ignored, as in DRAMsim3.
    #[inline]
    pub fn decode(&self, addr: u64) -> Location {
        let a = addr >> self.offset_bits;
        let get = |f: Field| -> u32 {
            let w = self.width[f.slot()];
            ((a >> self.pos[f.slot()]) & ((1u64 << w) - 1)) as u32
        };
        Location {
            channel: get(Field::Channel),
            rank: get(Field::Rank),
            bankgroup: get(Field::BankGroup),
            bank: get(Field::Bank),
            row: get(Field::Row),
            column: get(Field::Column),
        }
    }

    /// The byte address of the first byte of the burst at `loc` (values
    /// wider than their field are truncated).
    pub fn encode(&self, loc: &Location) -> u64 {
        let mut a = 0u64;
        for (f, v) in [
            (Field::Channel, loc.channel),
            (Field::Rank, loc.rank),
            (Field::BankGroup, loc.bankgroup),
            (Field::Bank, loc.bank),
            (Field::Row, loc.row),
            (Field::Column, loc.column),
        ] {
            let w = self.width[f.slot()];
            a |= (v as u64 & ((1u64 << w) - 1)) << self.pos[f.slot()];
        }
        a << self.offset_bits
    }

    /// Bytes addressed by the mapping (every channel).
    pub fn capacity(&self) -> u64 {
        1u64 << (self.offset_bits + self.width.iter().sum::<u32>())
    }

    /// Bytes of one burst (the low bits below every field).
    pub fn burst_bytes(&self) -> u64 {
        1u64 << self.offset_bits
    }

    /// The mapping string (`rochrababgco`).
    pub fn spec(&self) -> String {
        self.order.iter().map(|f| f.token()).collect()
    }

    /// Each field with its bit range in the byte address, most significant
    /// first: `(field, lowest bit, width)`.
    pub fn fields(&self) -> Vec<(Field, u32, u32)> {
        self.order
            .iter()
            .map(|f| {
                (
                    *f,
                    self.pos[f.slot()] + self.offset_bits,
                    self.width[f.slot()],
                )
            })
            .collect()
    }

    /// Bits of `field`.
    pub fn width(&self, field: Field) -> u32 {
        debug_assert!(Field::ALL.contains(&field));
        self.width[field.slot()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geometry {
        Geometry {
            channels: 1,
            ranks: 2,
            bankgroups: 4,
            banks_per_group: 4,
            rows: 65536,
            columns: 128,
            devices_per_rank: 8,
            request_bytes: 64,
            burst_cycles: 4,
        }
    }

    #[test]
    fn dramsim3_ddr4_layout() {
        let m = AddressMapping::parse("rochrababgco", &geo()).unwrap();
        // 6 offset bits, then co 7, bg 2, ba 2, ra 1, ch 0, ro 16.
        assert_eq!(m.decode(64).column, 1);
        assert_eq!(m.decode(128 * 64).bankgroup, 1);
        assert_eq!(m.decode(128 * 64 * 4).bank, 1);
        assert_eq!(m.decode(128 * 64 * 16).rank, 1);
        assert_eq!(m.decode(128 * 64 * 32).row, 1);
        assert_eq!(m.capacity(), 16 << 30);
        for a in [0u64, 64, 4096, 123_456 * 64, (16 << 30) - 64] {
            assert_eq!(m.encode(&m.decode(a)), a);
        }
    }

    #[test]
    fn gradpim_layout() {
        let m = AddressMapping::parse(AddressMapping::GRADPIM, &geo()).unwrap();
        // Bank | Row | BG | Column | offset: 2 GiB per bank index per rank.
        let loc = m.decode((1 << 33) | (1 << 31));
        assert_eq!((loc.rank, loc.bank), (1, 1));
        assert_eq!(m.decode(8192).bankgroup, 1);
        assert_eq!(m.decode(4 * 8192).row, 1);
    }

    #[test]
    fn bad_strings() {
        let g = geo();
        assert!(AddressMapping::parse("rochrababg", &g).is_err());
        assert!(AddressMapping::parse("rochrababgxx", &g)
            .unwrap_err()
            .contains("`xx`"));
        assert!(AddressMapping::parse("rorochbabgco", &g)
            .unwrap_err()
            .contains("twice"));
    }
}
