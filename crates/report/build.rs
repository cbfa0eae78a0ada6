//! Computes the Content-Security-Policy hashes of the report's own inline style and script at
//! build time, so the page can forbid every other style and script (CSP level 2 hash sources).

use std::path::PathBuf;

use base64::Engine;
use sha2::{Digest, Sha256};

fn csp_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("out dir"));
    let mut code = String::new();
    for (name, file) in [
        ("STYLE", "assets/report.css"),
        ("SCRIPT", "assets/report.js"),
    ] {
        let path = manifest.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        code.push_str(&format!(
            "/// The CSP source expression (`'sha256-…'`) of `{file}`, byte for byte as embedded.\npub const {name}_HASH: &str = {:?};\n",
            csp_hash(&bytes)
        ));
    }
    std::fs::write(out.join("csp_hashes.rs"), code).expect("write csp_hashes.rs");
}
