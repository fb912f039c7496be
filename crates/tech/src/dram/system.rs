//! Every channel of a memory system, each fed the requests that map to it.
use super::address::AddressMapping;
use super::channel::{Channel, Request};
use super::config::DramConfig;
use super::error::DramError;
use super::report::SystemReport;

/// The channels of one configuration. Requests go to the channel their
/// address maps to; each channel admits its own requests in order and runs
/// on its own (there is no cross-channel ordering).
#[derive(Clone, Debug)]
pub struct MemorySystem {
    mapping: AddressMapping,
    channels: Vec<Channel>,
}

impl MemorySystem {
    pub fn new(config: &DramConfig) -> Result<MemorySystem, DramError> {
        let channel = Channel::new(config)?;
        Ok(MemorySystem {
            mapping: config.address_mapping()?,
            channels: vec![channel; config.system.channels as usize],
        })
    }

    pub fn address_mapping(&self) -> &AddressMapping {
        &self.mapping
    }

    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    pub fn channels_mut(&mut self) -> &mut [Channel] {
        &mut self.channels
    }

    /// Serve the requests `source()` yields (called once per channel, so it
    /// must yield the same sequence each time) and report.
    pub fn run<F, I>(&mut self, source: F) -> Result<SystemReport, DramError>
    where
        F: Fn() -> I,
        I: Iterator<Item = Request>,
    {
        let n = self.channels.len();
        let mut reports = Vec::with_capacity(n);
        for (c, ch) in self.channels.iter_mut().enumerate() {
            let report = if n == 1 {
                ch.run_source(source())?
            } else {
                let m = &self.mapping;
                ch.run_source(source().filter(|r| m.decode(r.addr).channel as usize == c))?
            };
            reports.push(report);
        }
        Ok(SystemReport::from_channels(reports))
    }
}
