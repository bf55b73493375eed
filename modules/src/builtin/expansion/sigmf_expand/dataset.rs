//! Whether a recording's metadata and data make a SigMF file the reference's `sigmf`
//! library opens: it parses the datatype leniently (no schema check), maps the data as
//! samples of that type, and compares the data's SHA-512 with `core:sha512`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha512};

/// How the library lays samples out for one datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Bytes of one real component (of the I or Q part for complex data).
    component_size: usize,
    complex: bool,
    fixed_point: bool,
}

/// The layout the library reads from a datatype, `None` where it fails: an endianness
/// part that does not start with `l` or `b`, no 8/16/32/64 size, a one-byte float, or a
/// complex float of two bytes (no such type to map).
pub(super) fn layout(datatype: &str) -> Option<Layout> {
    let lower = datatype.to_lowercase();
    let parts: Vec<&str> = lower.split('_').collect();
    if let [_, endianness] = parts.as_slice()
        && !(endianness.starts_with('l') || endianness.starts_with('b'))
    {
        return None;
    }
    let base = parts.first().copied().unwrap_or_default();
    let component_size = [("64", 8), ("32", 4), ("16", 2), ("8", 1)]
        .into_iter()
        .find(|(digits, _)| base.contains(digits))
        .map(|(_, size)| size)?;
    // The library tests these letters on the datatype as written, not lower-cased.
    let complex = datatype.contains('c');
    let fixed_point = !datatype.contains('f');
    if !fixed_point && (component_size == 1 || (complex && component_size == 2)) {
        return None;
    }
    Some(Layout {
        component_size,
        complex,
        fixed_point,
    })
}

/// Whether the data maps onto whole samples per channel: empty data cannot be mapped,
/// and complex integers are read as I/Q component pairs.
pub(super) fn maps_onto_samples(data: &[u8], layout: Layout, channels: usize) -> bool {
    if data.is_empty() {
        return false;
    }
    let channels = channels.max(1);
    if layout.complex && layout.fixed_point {
        let components = data.len() / layout.component_size;
        // A channel count past usize::MAX / 2 cannot divide any real data length.
        channels
            .checked_mul(2)
            .is_some_and(|pair| components.is_multiple_of(pair))
    } else {
        let sample_size = layout.component_size * if layout.complex { 2 } else { 1 };
        (data.len() / sample_size).is_multiple_of(channels)
    }
}

/// The channel count the library assumes: `core:num_channels`, 1 when absent.
pub(super) fn channels(global: &Map<String, Value>) -> usize {
    global
        .get("core:num_channels")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1)
}

/// `core:sha512`, when present, must be the lower-case hex SHA-512 of the data.
pub(super) fn checksum_matches(global: &Map<String, Value>, data: &[u8]) -> bool {
    match global.get("core:sha512") {
        None | Some(Value::Null) => true,
        Some(Value::String(expected)) => *expected == hex(&Sha512::digest(data)),
        Some(_) => false,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datatypes_the_library_reads() {
        // Answers of the reference for these datatypes (plotted or not).
        for read in [
            "ci16_le", "ci16", "i8", "ci8", "cf32_le", "cf32", "ri16_le", "cu8", "ci8_le",
            "c16_le", "CI16_LE", "rf16",
        ] {
            assert!(layout(read).is_some(), "{read}");
        }
        for refused in ["xx", "i8_x", "foo8", "cf32_", "cf16", ""] {
            assert!(layout(refused).is_none(), "{refused}");
        }
    }

    #[test]
    fn data_must_map_onto_samples() {
        let ci16 = layout("ci16_le").unwrap();
        assert!(maps_onto_samples(&[0; 8], ci16, 1));
        assert!(!maps_onto_samples(&[], ci16, 1));
        assert!(!maps_onto_samples(&[1, 2, 3], ci16, 1));
        assert!(!maps_onto_samples(&[0; 6], ci16, 1));
        assert!(!maps_onto_samples(&[0; 4], ci16, 2));
        // 2 * channels used to overflow (a panic in debug builds).
        assert!(!maps_onto_samples(&[0; 8], ci16, usize::MAX));
        assert!(!maps_onto_samples(&[0; 8], ci16, usize::MAX / 2 + 1));
        let cf32 = layout("cf32_le").unwrap();
        assert!(maps_onto_samples(&[0; 12], cf32, 1));
    }

    #[test]
    fn checksums_are_compared_as_written() {
        let global = |v: Value| json!({"core:sha512": v}).as_object().cloned().unwrap();
        let data = b"";
        assert!(checksum_matches(&Map::new(), data));
        assert!(!checksum_matches(&global(json!("00")), data));
        assert!(!checksum_matches(&global(json!(1)), data));
        let digest = hex(&Sha512::digest(data));
        assert!(!checksum_matches(
            &global(json!(digest.to_uppercase())),
            data
        ));
        assert!(checksum_matches(&global(json!(digest)), data));
    }
}
