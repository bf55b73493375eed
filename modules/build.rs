//! Embeds every MISP object template under `data/objects/` so that answers can be built
//! from the templates without any file at run time.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    let objects =
        Path::new(&env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("data/objects");
    println!("cargo:rerun-if-changed={}", objects.display());
    let mut names: Vec<String> = fs::read_dir(&objects)
        .expect("data/objects exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("definition.json").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut code = String::from(
        "/// (template name, definition.json), sorted by name.\npub static TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        let path = objects.join(name).join("definition.json");
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("string write");
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").expect("set by cargo")).join("object_templates.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}
