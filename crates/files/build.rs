//! Embeds the YARA files (`rules/files/*.yar`) and hash IOC lists (`rules/files/iocs/*.txt`)
//! of the workspace rule pack, so that a new rule file needs no code change. (`*.yml` file
//! rules are embedded by exhunt-core with the other YAML rules.)

use std::fs;
use std::path::{Path, PathBuf};

fn list(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().and_then(|e| e.to_str()) == Some(ext))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn table(name: &str, files: &[PathBuf], base: &Path) -> String {
    let mut code =
        format!("/// Embedded files: (name, text).\npub static {name}: &[(&str, &str)] = &[\n");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(base)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    code
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let base = manifest.join("../../rules/files");
    let base = base.canonicalize().unwrap_or(base);
    println!("cargo:rerun-if-changed={}", base.display());
    println!("cargo:rerun-if-changed={}", base.join("iocs").display());
    let mut code = table("YARA", &list(&base, "yar"), &base);
    code.push_str(&table("IOCS", &list(&base.join("iocs"), "txt"), &base));
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded_files.rs");
    fs::write(out, code).expect("write embedded_files.rs");
}
