//! One NTX co-processor: its command set, loop nest and cycle count, read
//! from the released RTL (github.com/pulp-platform/ntx, `src/ntx_ctrl.vhd`,
//! `src/ntx.vhd`, `src/ntx_pkg.vhd`).
//!
//! A command runs a nest of up to five hardware loops (16-bit bounds). Three
//! address generators stream operand A (TCDM port 0), operand B (port 1) and
//! the write-back address. The controller's state machine spends
//!
//! ```text
//! C_fsm = 1 (IDLE -> CALC)  +  prod_{l < outer} L_l  (one step per innermost iteration)
//!       + [op has an init cycle] prod_{init <= l < outer} L_l    (init steps do not advance the loops)
//! ```
//!
//! cycles. Write-backs share the two 32-bit TCDM ports with the reads: a
//! result is written in a cycle where a port is free (the init cycle of a MAC
//! leaves one free) or steals a read slot, so a command also needs
//! `1 + (reads + writes) / 2` port cycles; it takes the larger of the two.
use serde::Serialize;

/// Hardware loops per NTX (`C_N_HW_LOOPS`).
pub const HW_LOOPS: usize = 5;
/// Largest loop bound: 16-bit loop counters (`C_HW_LOOP_WIDTH`).
pub const MAX_LOOP_BOUND: u32 = 1 << 16;
/// TCDM ports per NTX, shared by reads and write-backs (`ntx.vhd`).
pub const TCDM_PORTS: f64 = 2.0;

/// The nine NTX opcodes (`ntx_pkg.vhd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Opcode {
    /// `acc +-= A * B`; init clears or loads the accumulator.
    Mac,
    /// `acc +-= A`.
    VAddSub,
    /// `r = +-A * B`, no accumulation and no init cycle.
    VMult,
    /// `r = +-A * s`, the scalar `s` loaded at init.
    OuterP,
    /// Running maximum or minimum of B, or its index.
    MaxMin,
    /// Compare B with a constant: binary result or threshold.
    ThTst,
    /// A where the comparison of B holds, else 0.
    Mask,
    /// Conditional accumulate onto a stream.
    MaskMac,
    /// Replicate a constant (with init) or copy a vector (without).
    Copy,
}

impl Opcode {
    pub const ALL: [Opcode; 9] = [
        Opcode::Mac,
        Opcode::VAddSub,
        Opcode::VMult,
        Opcode::OuterP,
        Opcode::MaxMin,
        Opcode::ThTst,
        Opcode::Mask,
        Opcode::MaskMac,
        Opcode::Copy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Opcode::Mac => "MAC",
            Opcode::VAddSub => "VADDSUB",
            Opcode::VMult => "VMULT",
            Opcode::OuterP => "OUTERP",
            Opcode::MaxMin => "MAXMIN",
            Opcode::ThTst => "THTST",
            Opcode::Mask => "MASK",
            Opcode::MaskMac => "MASKMAC",
            Opcode::Copy => "COPY",
        }
    }

    /// TCDM reads of one step (`FpuCmdStepLut_D`: `opAReEn`, `opBReEn`).
    fn step_reads(self, copy_vector: bool) -> u64 {
        match self {
            Opcode::Mac | Opcode::VMult | Opcode::Mask | Opcode::MaskMac => 2,
            Opcode::VAddSub | Opcode::OuterP | Opcode::MaxMin | Opcode::ThTst => 1,
            Opcode::Copy => u64::from(copy_vector),
        }
    }

    /// Whether the op spends a cycle on each init (`InitCycleLut_D`); a
    /// vector COPY does not.
    fn has_init_cycle(self, copy_vector: bool) -> bool {
        match self {
            Opcode::VMult => false,
            Opcode::Copy => !copy_vector,
            _ => true,
        }
    }

    /// Floating-point operations of one step (a fused multiply-add is 2).
    pub fn flops_per_step(self) -> u64 {
        match self {
            Opcode::Mac | Opcode::MaskMac => 2,
            Opcode::VAddSub | Opcode::VMult | Opcode::OuterP => 1,
            Opcode::MaxMin | Opcode::ThTst | Opcode::Mask => 1,
            Opcode::Copy => 0,
        }
    }
}

/// A command the RTL would reject or a loop nest that does not fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("loop bound {bound} of level {level} is outside 1..={MAX_LOOP_BOUND} (16-bit loop counters)")]
    Bound { level: usize, bound: u64 },
    #[error("loop levels must satisfy inner ({inner}) <= init ({init}) <= outer ({outer}) <= 5")]
    Levels { inner: u8, init: u8, outer: u8 },
}

/// One NTX command: the opcode, the loop bounds of the active levels and
/// where the accumulator is initialised (`init_level`) and written back
/// (`inner_level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Command {
    pub op: Opcode,
    /// Bounds of loops 0 (innermost) to `outer - 1`; unused levels are 1.
    pub bounds: [u32; HW_LOOPS],
    /// Active loop levels, 0 to 5.
    pub outer: u8,
    /// At the start of each pass through this level the accumulator is
    /// initialised (cleared, or loaded when `init_load`).
    pub init_level: u8,
    /// At the end of each pass through this level the result is written back.
    pub inner_level: u8,
    /// The init reads a value from the TCDM (`initSel` != zero).
    pub init_load: bool,
    /// COPY of a vector rather than replication of a constant (`auxFunc(0)`).
    pub copy_vector: bool,
}

impl Command {
    /// A command over `bounds` (innermost first); errors name the bound or the
    /// level ordering the hardware rejects (`ntx_ctrl.vhd`: `InvOpCode_SN`).
    pub fn new(
        op: Opcode,
        bounds: &[u64],
        init_level: u8,
        inner_level: u8,
        init_load: bool,
    ) -> Result<Command, CommandError> {
        let outer = bounds.len();
        if outer > HW_LOOPS || inner_level > init_level || init_level as usize > outer {
            return Err(CommandError::Levels {
                inner: inner_level,
                init: init_level,
                outer: outer as u8,
            });
        }
        let mut b = [1u32; HW_LOOPS];
        for (level, &bound) in bounds.iter().enumerate() {
            if bound == 0 || bound > MAX_LOOP_BOUND as u64 {
                return Err(CommandError::Bound { level, bound });
            }
            b[level] = bound as u32;
        }
        Ok(Command {
            op,
            bounds: b,
            outer: outer as u8,
            init_level,
            inner_level,
            init_load,
            copy_vector: false,
        })
    }

    /// A vector COPY (`auxFunc(0) = 1`): one read and one write per step, no init.
    pub fn with_copy_vector(mut self) -> Command {
        self.copy_vector = true;
        self
    }

    fn product(&self, from: u8) -> u64 {
        self.bounds[from as usize..self.outer as usize]
            .iter()
            .map(|&b| b as u64)
            .product()
    }

    /// Innermost iterations: one step each.
    pub fn steps(&self) -> u64 {
        self.product(0)
    }

    /// Accumulator initialisations.
    pub fn inits(&self) -> u64 {
        if self.op.has_init_cycle(self.copy_vector) {
            self.product(self.init_level)
        } else {
            0
        }
    }

    /// Results written back.
    pub fn stores(&self) -> u64 {
        self.product(self.inner_level)
    }

    /// Cycles of the controller's state machine: `1 + steps + inits`.
    pub fn fsm_cycles(&self) -> u64 {
        1 + self.steps() + self.inits()
    }

    /// TCDM reads: operands of every step plus the loaded inits (a MASKMAC
    /// init always reads operand A).
    pub fn reads(&self) -> u64 {
        let init_reads = match self.op {
            Opcode::MaskMac => 1 + u64::from(self.init_load),
            _ => u64::from(self.init_load),
        };
        self.steps() * self.op.step_reads(self.copy_vector) + self.inits() * init_reads
    }

    /// TCDM accesses: reads plus write-backs, all on the two ports.
    pub fn accesses(&self) -> u64 {
        self.reads() + self.stores()
    }

    /// Cycles without bank conflicts: the state machine, or the two ports
    /// when reads and write-backs need more slots than it has cycles.
    pub fn cycles(&self) -> f64 {
        (self.fsm_cycles() as f64).max(1.0 + self.accesses() as f64 / TCDM_PORTS)
    }

    /// Floating-point operations of the command.
    pub fn flops(&self) -> u64 {
        self.steps() * self.op.flops_per_step()
    }

    /// Registers of the staging area a full configuration writes: the
    /// active loop bounds, the incremental strides of the three address
    /// generators for each active level, the three base addresses.
    pub fn config_registers(&self) -> u32 {
        let levels = self.outer as u32;
        levels + 3 * levels + 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_convolution_command_costs_one_init_per_output() {
        // kx, ky, ci, x, y = 3, 3, 64, 14, 14; init = inner = 3.
        let c = Command::new(Opcode::Mac, &[3, 3, 64, 14, 14], 3, 3, false).unwrap();
        assert_eq!(c.steps(), 9 * 64 * 196);
        assert_eq!(c.inits(), 196);
        assert_eq!(c.stores(), 196);
        assert_eq!(c.fsm_cycles(), 1 + 196 * (576 + 1));
        // Two reads per step, one write per output: the init cycles leave
        // room for the write-backs.
        assert_eq!(c.cycles(), c.fsm_cycles() as f64);
        assert_eq!(c.flops(), 2 * 9 * 64 * 196);
    }

    #[test]
    fn element_wise_ops_follow_the_port_and_init_rules() {
        // AXPY as a MAC that loads w at every element: 2 cycles per element.
        let axpy = Command::new(Opcode::Mac, &[1000], 0, 0, true).unwrap();
        assert_eq!(axpy.fsm_cycles(), 1 + 2000);
        assert_eq!(axpy.accesses(), 3000 + 1000);
        assert_eq!(axpy.cycles(), 2001.0);
        // VMULT: no init, but 2 reads and 1 write per element on 2 ports.
        let vmul = Command::new(Opcode::VMult, &[1000], 0, 0, false).unwrap();
        assert_eq!(vmul.fsm_cycles(), 1001);
        assert_eq!(vmul.cycles(), 1.0 + 1500.0);
        // A vector copy: no init cycle.
        let copy = Command::new(Opcode::Copy, &[1000], 0, 0, false)
            .unwrap()
            .with_copy_vector();
        assert_eq!(copy.inits(), 0);
        assert_eq!(copy.cycles(), 1001.0);
        // Replicating a constant: one init for the whole vector.
        let fill = Command::new(Opcode::Copy, &[1000], 1, 0, false).unwrap();
        assert_eq!(fill.inits(), 1);
        assert_eq!(fill.reads(), 0);
    }

    #[test]
    fn the_hardware_rejects_what_the_model_rejects() {
        assert!(matches!(
            Command::new(Opcode::Mac, &[70000], 0, 0, false),
            Err(CommandError::Bound { level: 0, .. })
        ));
        assert!(matches!(
            Command::new(Opcode::Mac, &[4, 4], 1, 2, false),
            Err(CommandError::Levels { .. })
        ));
        assert!(Command::new(Opcode::Mac, &[1, 1, 1, 1, 1, 1], 0, 0, false).is_err());
        assert!(Command::new(Opcode::Mac, &[4, 0], 0, 0, false).is_err());
    }
}
