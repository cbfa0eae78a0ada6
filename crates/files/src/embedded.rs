//! The YARA files and hash lists of `rules/files/`, compiled into the binary by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));
