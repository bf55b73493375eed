//! The members of a SigMF archive (a tar file of `.sigmf-meta`/`.sigmf-data` pairs).

use std::io::Read;

pub(super) const META_EXT: &str = ".sigmf-meta";
pub(super) const DATA_EXT: &str = ".sigmf-data";
/// Members are read whole into memory; an archive claiming more than this in total is
/// refused rather than trusted.
const MAX_TOTAL: u64 = 512 * 1024 * 1024;

pub(super) struct Member {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One recording of the archive: its metadata file and the data file of the same base
/// name, when the archive holds one.
pub(super) struct Pair {
    pub meta: Member,
    pub data: Option<Member>,
}

/// The regular files whose names end in the SigMF extensions, in archive order.
fn members(archive: &[u8]) -> Result<Vec<Member>, String> {
    let mut reader = tar::Archive::new(archive);
    let mut found = Vec::new();
    let mut total = 0u64;
    for entry in reader.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !name.ends_with(META_EXT) && !name.ends_with(DATA_EXT) {
            continue;
        }
        total = total.saturating_add(entry.size());
        if total > MAX_TOTAL {
            return Err(format!("members larger than {MAX_TOTAL} bytes"));
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        found.push(Member { name, bytes });
    }
    Ok(found)
}

/// The recordings of the archive, one per metadata file.
pub(super) fn recordings(archive: &[u8]) -> Result<Vec<Pair>, String> {
    let mut metas = Vec::new();
    let mut datas = Vec::new();
    for member in members(archive)? {
        if member.name.ends_with(META_EXT) {
            metas.push(member);
        } else {
            datas.push(member);
        }
    }
    Ok(metas
        .into_iter()
        .map(|meta| {
            let stem = &meta.name[..meta.name.len() - META_EXT.len()];
            let data = datas
                .iter()
                .position(|d| d.name[..d.name.len() - DATA_EXT.len()] == *stem)
                .map(|at| datas.remove(at));
            Pair { meta, data }
        })
        .collect())
}
