//! Reads what the PE objects need from a Windows executable, as leniently as lief does:
//! the headers must be complete, but a truncated section table, section data beyond the
//! end of the file or an unreadable import or debug directory only lose what is missing.
//! Every read is bounds-checked (`object`'s `ReadRef`), so garbage never panics.

use object::LittleEndian as LE;
use object::ReadRef;
use object::pe;

/// One section header, with the bytes lief calls its content.
pub struct Section<'a> {
    pub name: String,
    pub virtual_address: u32,
    pub virtual_size: u32,
    pub raw_size: u32,
    pub raw_offset: u32,
    pub content: &'a [u8],
}

/// One imported library: its name and its functions, by name or by ordinal.
pub struct Import {
    pub library: String,
    pub functions: Vec<ImportedFunction>,
}

pub enum ImportedFunction {
    Name(String),
    Ordinal(u16),
}

pub struct PeLayout<'a> {
    pub characteristics: u16,
    pub time_date_stamp: u32,
    /// Image base plus entry point RVA, as lief's `entrypoint`.
    pub entrypoint: u64,
    pub sections: Vec<Section<'a>>,
    pub imports: Vec<Import>,
    pub pdb: Option<String>,
    /// File offsets of the checksum field and the certificate table's directory entry,
    /// and the certificate table itself (offset, size): what Authenticode leaves out.
    pub checksum_offset: usize,
    pub certificate_entry_offset: usize,
    pub certificate_table: (u32, u32),
}

const DIRECTORY_IMPORT: usize = 1;
const DIRECTORY_SECURITY: usize = 4;
const DIRECTORY_DEBUG: usize = 6;
const OPTIONAL_HEADER_32: u16 = 0xE0;
const OPTIONAL_HEADER_64: u16 = 0xF0;
/// More would be garbage; lief reads no more either.
const MAX_IMPORTS: usize = 4096;
const MAX_FUNCTIONS: usize = 65536;

/// The PE's layout, or `None` when lief would not take it for a PE (no `MZ`, no `PE`
/// signature, or headers cut short).
pub fn parse(data: &[u8]) -> Option<PeLayout<'_>> {
    let dos = data.read_at::<pe::ImageDosHeader>(0).ok()?;
    if dos.e_magic.get(LE) != pe::IMAGE_DOS_SIGNATURE {
        return None;
    }
    let nt = u64::from(dos.e_lfanew.get(LE));
    if data.read_at::<object::U32<LE>>(nt).ok()?.get(LE) != pe::IMAGE_NT_SIGNATURE {
        return None;
    }
    let file_header = data.read_at::<pe::ImageFileHeader>(nt + 4).ok()?;
    let optional_offset = nt + 4 + 20;
    let optional_size = file_header.size_of_optional_header.get(LE);
    // lief trusts the magic first, then the optional header's size (a zeroed magic with
    // a PE32 size is still a PE32).
    let magic = data
        .read_at::<object::U16<LE>>(optional_offset)
        .ok()?
        .get(LE);
    let is_64 = match magic {
        pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC => false,
        pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC => true,
        _ if optional_size == OPTIONAL_HEADER_32 => false,
        _ if optional_size == OPTIONAL_HEADER_64 => true,
        _ => return None,
    };
    let (image_base, entry_rva, checksum_offset, directories_offset) = if is_64 {
        let h = data
            .read_at::<pe::ImageOptionalHeader64>(optional_offset)
            .ok()?;
        (
            h.image_base.get(LE),
            h.address_of_entry_point.get(LE),
            optional_offset + 64,
            optional_offset + 112,
        )
    } else {
        let h = data
            .read_at::<pe::ImageOptionalHeader32>(optional_offset)
            .ok()?;
        (
            u64::from(h.image_base.get(LE)),
            h.address_of_entry_point.get(LE),
            optional_offset + 64,
            optional_offset + 96,
        )
    };
    let directories = data
        .read_slice_at::<pe::ImageDataDirectory>(directories_offset, 16)
        .ok()?;
    let directory = |index: usize| {
        let d = &directories[index];
        (d.virtual_address.get(LE), d.size.get(LE))
    };

    let table = optional_offset + u64::from(optional_size);
    let sections: Vec<Section<'_>> = (0..u64::from(file_header.number_of_sections.get(LE)))
        .map_while(|i| data.read_at::<pe::ImageSectionHeader>(table + i * 40).ok())
        .map(|header| section(data, header))
        .collect();

    let mut layout = PeLayout {
        characteristics: file_header.characteristics.get(LE),
        time_date_stamp: file_header.time_date_stamp.get(LE),
        entrypoint: image_base.wrapping_add(u64::from(entry_rva)),
        sections,
        imports: Vec::new(),
        pdb: None,
        checksum_offset: usize::try_from(checksum_offset).ok()?,
        certificate_entry_offset: usize::try_from(directories_offset + 8 * 4).ok()?,
        certificate_table: directory(DIRECTORY_SECURITY),
    };
    layout.imports = imports(data, &layout, directory(DIRECTORY_IMPORT).0, is_64);
    layout.pdb = pdb(data, &layout, directory(DIRECTORY_DEBUG));
    Some(layout)
}

fn section<'a>(data: &'a [u8], header: &pe::ImageSectionHeader) -> Section<'a> {
    let raw_size = header.size_of_raw_data.get(LE);
    let virtual_size = header.virtual_size.get(LE);
    // lief's content stops at the virtual size when there is one, and at the file's end.
    let wanted = if virtual_size > 0 {
        raw_size.min(virtual_size)
    } else {
        raw_size
    };
    let start = (header.pointer_to_raw_data.get(LE) as usize).min(data.len());
    let end = start.saturating_add(wanted as usize).min(data.len());
    let name_length = header.name.iter().position(|&b| b == 0).unwrap_or(8);
    Section {
        name: String::from_utf8_lossy(&header.name[..name_length]).into_owned(),
        virtual_address: header.virtual_address.get(LE),
        virtual_size,
        raw_size,
        raw_offset: header.pointer_to_raw_data.get(LE),
        content: data.get(start..end).unwrap_or_default(),
    }
}

impl PeLayout<'_> {
    /// The file offset of an RVA: inside the section that maps it, else the RVA itself
    /// (the headers are mapped at their file offsets).
    fn offset(&self, rva: u32) -> u64 {
        for s in &self.sections {
            let span = s.virtual_size.max(s.raw_size);
            if rva >= s.virtual_address && rva - s.virtual_address < span {
                return u64::from(s.raw_offset) + u64::from(rva - s.virtual_address);
            }
        }
        u64::from(rva)
    }
}

fn c_string(data: &[u8], offset: u64) -> Option<String> {
    let bytes = data
        .read_bytes_at_until(offset..data.len() as u64, 0)
        .ok()?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

fn imports(data: &[u8], layout: &PeLayout<'_>, rva: u32, is_64: bool) -> Vec<Import> {
    let mut found = Vec::new();
    if rva == 0 {
        return found;
    }
    let start = layout.offset(rva);
    for index in 0..MAX_IMPORTS as u64 {
        let Ok(descriptor) = data.read_at::<pe::ImageImportDescriptor>(start + index * 20) else {
            break;
        };
        if descriptor.is_null() {
            break;
        }
        let Some(library) = c_string(data, layout.offset(descriptor.name.get(LE))) else {
            break;
        };
        let lookup = match descriptor.original_first_thunk.get(LE) {
            0 => descriptor.first_thunk.get(LE),
            rva => rva,
        };
        let functions = functions(data, layout, layout.offset(lookup), is_64);
        found.push(Import { library, functions });
    }
    found
}

fn functions(data: &[u8], layout: &PeLayout<'_>, start: u64, is_64: bool) -> Vec<ImportedFunction> {
    let width = if is_64 { 8 } else { 4 };
    let mut functions = Vec::new();
    for index in 0..MAX_FUNCTIONS as u64 {
        let at = start + index * width;
        let (thunk, by_ordinal) = if is_64 {
            let Ok(v) = data.read_at::<object::U64<LE>>(at) else {
                break;
            };
            let v = v.get(LE);
            (v, v & pe::IMAGE_ORDINAL_FLAG64 != 0)
        } else {
            let Ok(v) = data.read_at::<object::U32<LE>>(at) else {
                break;
            };
            let v = v.get(LE);
            (u64::from(v), v & pe::IMAGE_ORDINAL_FLAG32 != 0)
        };
        if thunk == 0 {
            break;
        }
        if by_ordinal {
            functions.push(ImportedFunction::Ordinal((thunk & 0xffff) as u16));
        } else if let Some(name) = c_string(data, layout.offset((thunk & 0x7fff_ffff) as u32) + 2) {
            functions.push(ImportedFunction::Name(name));
        }
    }
    functions
}

/// The PDB path of the first CodeView debug entry (RSDS or NB10 record).
fn pdb(data: &[u8], layout: &PeLayout<'_>, (rva, size): (u32, u32)) -> Option<String> {
    if rva == 0 {
        return None;
    }
    let start = layout.offset(rva);
    let count = u64::from(size) / 28;
    (0..count.min(64))
        .map_while(|i| data.read_at::<pe::ImageDebugDirectory>(start + i * 28).ok())
        .filter(|entry| entry.typ.get(LE) == pe::IMAGE_DEBUG_TYPE_CODEVIEW)
        .find_map(|entry| {
            let at = match entry.address_of_raw_data.get(LE) {
                0 => u64::from(entry.pointer_to_raw_data.get(LE)),
                rva => layout.offset(rva),
            };
            let signature = data.read_bytes_at(at, 4).ok()?;
            let name_at = match signature {
                b"RSDS" => at + 24,
                b"NB10" => at + 16,
                _ => return None,
            };
            c_string(data, name_at)
        })
}
