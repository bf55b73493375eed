//! The import hash lief computes in its pefile-compatible mode (what pymisp asks for):
//! per library, its name without a `.dll`/`.ocx`/`.sys` extension and each function as
//! `library.function`, ordinals resolved for ws2_32, wsock32 and oleaut32 and written
//! `ordN` otherwise, all lower-cased, joined with commas (a library without functions
//! still adds its comma), MD5 in hex. No imports: no hash.

use md5::Digest as _;

use super::ordinals;
use super::pe_layout::{Import, ImportedFunction};

pub fn imphash(imports: &[Import]) -> Option<String> {
    if imports.is_empty() {
        return None;
    }
    let listed: Vec<String> = imports.iter().map(library_entries).collect();
    let digest = md5::Md5::digest(listed.join(",").as_bytes());
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn library_entries(import: &Import) -> String {
    let library = match import.library.rsplit_once('.') {
        Some((stem, extension))
            if ["dll", "ocx", "sys"].contains(&extension.to_ascii_lowercase().as_str()) =>
        {
            stem
        }
        _ => import.library.as_str(),
    };
    let table = ordinal_table(&import.library);
    import
        .functions
        .iter()
        .map(|function| {
            let name = match function {
                ImportedFunction::Name(name) => name.clone(),
                ImportedFunction::Ordinal(ordinal) => table
                    .and_then(|t| t.binary_search_by_key(ordinal, |(o, _)| *o).ok())
                    .and_then(|i| table.map(|t| t[i].1.to_owned()))
                    .unwrap_or_else(|| format!("ord{ordinal}")),
            };
            format!("{library}.{name}").to_lowercase()
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn ordinal_table(library: &str) -> Option<&'static [(u16, &'static str)]> {
    match library.to_lowercase().as_str() {
        "ws2_32.dll" | "wsock32.dll" => Some(ordinals::WS2_32),
        "oleaut32.dll" => Some(ordinals::OLEAUT32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(library: &str, functions: Vec<ImportedFunction>) -> Import {
        Import {
            library: library.to_owned(),
            functions,
        }
    }

    /// The value lief 1.0 gave for the test PE a32.exe (testdata/pe), which imports these.
    #[test]
    fn resolves_ordinals_and_keeps_empty_libraries() {
        use ImportedFunction::{Name, Ordinal};
        let imports = [
            import(
                "KERNEL32.dll",
                vec![Name("ExitProcess".into()), Name("GetProcAddress".into())],
            ),
            import("WS2_32.dll", vec![Ordinal(23), Ordinal(115), Ordinal(9999)]),
            import("oleaut32.dll", vec![Ordinal(2)]),
            import("empty.dll", vec![]),
        ];
        assert_eq!(
            imphash(&imports).as_deref(),
            Some("eb04d4feab7a54e1cec59b5aa88555a0")
        );
        assert_eq!(imphash(&[]), None);
    }
}
