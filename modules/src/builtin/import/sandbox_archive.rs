//! Reads the sandbox report archives (`cuckooimport`: zip or tar.bz2, `threatanalyzer_import`:
//! zip) into memory under hard limits, so that a crafted archive (a zip bomb, millions of
//! entries, absurd nesting) ends in a clear error instead of exhausting the worker.

use std::io::{Cursor, Read};

use crate::engine::ModuleError;

/// What one archive may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Entries (files and directories).
    pub entries: usize,
    /// Bytes of one entry once extracted.
    pub entry_bytes: u64,
    /// Bytes of all the entries together once extracted.
    pub total_bytes: u64,
    /// Path components of an entry name.
    pub depth: usize,
}

pub(crate) const LIMITS: Limits = Limits {
    entries: 10_000,
    entry_bytes: 64 * 1024 * 1024,
    total_bytes: 256 * 1024 * 1024,
    depth: 32,
};

/// The regular files of an archive, in archive order.
pub(crate) type Files = Vec<(String, Vec<u8>)>;

fn too_many(limits: Limits) -> ModuleError {
    ModuleError::reported(format!(
        "The archive has too many entries (more than {})",
        limits.entries
    ))
}

fn too_big(what: &str, limit: u64) -> ModuleError {
    ModuleError::reported(format!(
        "The archive is too large: {what} exceeds {} MiB once extracted",
        limit as f64 / (1024.0 * 1024.0)
    ))
}

struct Budget {
    limits: Limits,
    entries: usize,
    total: u64,
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            entries: 0,
            total: 0,
        }
    }

    fn entry(&mut self, name: &str) -> Result<(), ModuleError> {
        self.entries += 1;
        if self.entries > self.limits.entries {
            return Err(too_many(self.limits));
        }
        if name.split('/').filter(|part| !part.is_empty()).count() > self.limits.depth {
            return Err(ModuleError::reported(format!(
                "The archive nests its entries too deep (more than {} levels)",
                self.limits.depth
            )));
        }
        Ok(())
    }

    /// Reads one entry, never trusting the size the archive declares.
    fn read(&mut self, name: &str, reader: impl Read) -> Result<Vec<u8>, ModuleError> {
        let mut content = Vec::new();
        reader
            .take(self.limits.entry_bytes + 1)
            .read_to_end(&mut content)
            .map_err(|error| {
                ModuleError::reported(format!("The archive entry {name} cannot be read: {error}"))
            })?;
        let size = content.len() as u64;
        if size > self.limits.entry_bytes {
            return Err(too_big(
                &format!("the entry {name}"),
                self.limits.entry_bytes,
            ));
        }
        self.total += size;
        if self.total > self.limits.total_bytes {
            return Err(too_big("the whole archive", self.limits.total_bytes));
        }
        Ok(content)
    }
}

pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK")
}

/// The regular files of a zip archive; symbolic links and directories are left out.
pub(crate) fn read_zip(bytes: &[u8], limits: Limits) -> Result<Files, ModuleError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| {
        ModuleError::reported(format!("The zip archive cannot be read: {error}"))
    })?;
    if archive.len() > limits.entries {
        return Err(too_many(limits));
    }
    let mut budget = Budget::new(limits);
    let mut files = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|error| {
            ModuleError::reported(format!("The zip archive cannot be read: {error}"))
        })?;
        let name = entry
            .name()
            .map_err(|error| {
                ModuleError::reported(format!("The zip archive cannot be read: {error}"))
            })?
            .into_owned();
        budget.entry(&name)?;
        if entry.is_dir() || entry.is_symlink() {
            continue;
        }
        if entry.size() > limits.entry_bytes {
            return Err(too_big(&format!("the entry {name}"), limits.entry_bytes));
        }
        let content = budget.read(&name, entry)?;
        files.push((name, content));
    }
    Ok(files)
}

/// The regular files of a bzip2-compressed tar archive (Cuckoo's API download).
pub(crate) fn read_tar_bz2(bytes: &[u8], limits: Limits) -> Result<Files, ModuleError> {
    let unreadable = |error: std::io::Error| {
        ModuleError::reported(format!("The tar.bz2 archive cannot be read: {error}"))
    };
    let decoder = bzip2::read::BzDecoder::new(bytes);
    // The decompressed stream itself is bounded too: tar headers and padding count.
    let mut archive = tar::Archive::new(decoder.take(limits.total_bytes + 1));
    let mut budget = Budget::new(limits);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry
            .path()
            .map_err(unreadable)?
            .to_string_lossy()
            .into_owned();
        budget.entry(&name)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        if entry.size() > limits.entry_bytes {
            return Err(too_big(&format!("the entry {name}"), limits.entry_bytes));
        }
        let content = budget.read(&name, entry)?;
        files.push((name, content));
    }
    Ok(files)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A zip archive of `(name, content)` entries, deflated.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    pub(crate) fn tar_bz2_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, content) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *content).unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        encoder.write_all(&tar).unwrap();
        encoder.finish().unwrap()
    }

    fn message(result: Result<Files, ModuleError>) -> String {
        match result {
            Err(ModuleError::Reported(message)) => message,
            other => panic!("expected an error, got {:?}", other.map(|f| f.len())),
        }
    }

    /// Small limits, so that the tests stay fast; the checks are the same.
    const SMALL: Limits = Limits {
        entries: 50,
        entry_bytes: 1024 * 1024,
        total_bytes: 4 * 1024 * 1024,
        depth: 8,
    };

    #[test]
    fn reads_regular_files_in_order() {
        let zip = zip_of(&[("a/b.txt", b"one"), ("c", b"")]);
        assert!(is_zip(&zip));
        let files = read_zip(&zip, LIMITS).unwrap();
        assert_eq!(
            files,
            vec![
                ("a/b.txt".to_owned(), b"one".to_vec()),
                ("c".to_owned(), Vec::new())
            ]
        );
        let tar = tar_bz2_of(&[("reports/report.json", b"{}")]);
        assert_eq!(
            read_tar_bz2(&tar, LIMITS).unwrap()[0].0,
            "reports/report.json"
        );
    }

    #[test]
    fn zip_bombs_fail_clearly() {
        let zeros = vec![0u8; 1024 * 1024 + 1];
        let bomb = zip_of(&[("zeros", &zeros)]);
        assert!(bomb.len() < 10 * 1024, "deflate shrinks zeros");
        assert_eq!(
            message(read_zip(&bomb, SMALL)),
            "The archive is too large: the entry zeros exceeds 1 MiB once extracted"
        );
        let chunk = vec![0u8; 900 * 1024];
        let many: Vec<(String, &[u8])> = (0..5)
            .map(|i| (format!("part{i}"), chunk.as_slice()))
            .collect();
        let refs: Vec<(&str, &[u8])> = many.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        assert_eq!(
            message(read_zip(&zip_of(&refs), SMALL)),
            "The archive is too large: the whole archive exceeds 4 MiB once extracted"
        );
        let tar_bomb = tar_bz2_of(&[("zeros", &zeros)]);
        assert_eq!(
            message(read_tar_bz2(&tar_bomb, SMALL)),
            "The archive is too large: the entry zeros exceeds 1 MiB once extracted"
        );
    }

    #[test]
    fn entry_count_and_depth_are_bounded() {
        let names: Vec<String> = (0..=SMALL.entries).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        assert_eq!(
            message(read_zip(&zip_of(&entries), SMALL)),
            "The archive has too many entries (more than 50)"
        );
        assert_eq!(
            message(read_tar_bz2(&tar_bz2_of(&entries), SMALL)),
            "The archive has too many entries (more than 50)"
        );
        let deep = "d/".repeat(SMALL.depth) + "file";
        assert_eq!(
            message(read_zip(&zip_of(&[(&deep, b"x")]), SMALL)),
            "The archive nests its entries too deep (more than 8 levels)"
        );
        assert!(
            message(read_zip(b"PK\x03\x04 broken", LIMITS))
                .starts_with("The zip archive cannot be read")
        );
        assert!(
            message(read_tar_bz2(b"not bzip2", LIMITS))
                .starts_with("The tar.bz2 archive cannot be read")
        );
    }
}
