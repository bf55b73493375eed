//! The Authenticode SHA-256 of a PE (lief's `authentihash_sha256`): every byte of the file
//! but the optional header's checksum, the certificate table's directory entry and the
//! certificate table itself. lief rebuilds the same bytes from its parsed structures; for
//! files whose headers and sections are consistent both give the same hash.

use sha2::Digest as _;

use super::pe_layout::PeLayout;

pub fn authentihash(data: &[u8], layout: &PeLayout<'_>) -> String {
    let mut hash = sha2::Sha256::new();
    let checksum = layout.checksum_offset.min(data.len());
    let entry = layout.certificate_entry_offset.clamp(checksum, data.len());
    hash.update(&data[..checksum]);
    hash.update(data.get(checksum + 4..entry).unwrap_or_default());
    let after_entry = (entry + 8).min(data.len());
    let (table_offset, table_size) = layout.certificate_table;
    let table_start = table_offset as usize;
    if table_offset > 0 && table_size > 0 && table_start >= after_entry && table_start < data.len()
    {
        let table_end = table_start
            .saturating_add(table_size as usize)
            .min(data.len());
        hash.update(&data[after_entry..table_start]);
        hash.update(&data[table_end..]);
    } else {
        hash.update(&data[after_entry..]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
