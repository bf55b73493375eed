//! What the firewall and WAF exporters share: reading settings, walking the attributes of
//! events in any layout, screening them (deleted, `to_ids`, type), validating network
//! indicators, turning them into vendor-neutral address/port matches, optional DNS
//! resolution, and the answer with its summary and warnings. Each exporter file keeps only
//! its own rule syntax.

mod attributes;
mod exporter;
mod matches;
mod settings;
mod values;

pub(in crate::builtin::export) use attributes::*;
pub(in crate::builtin::export) use exporter::*;
pub(in crate::builtin::export) use matches::*;
pub(in crate::builtin::export) use settings::*;
pub(in crate::builtin::export) use values::*;

#[cfg(test)]
pub(super) mod test_support;
#[cfg(test)]
mod tests;
