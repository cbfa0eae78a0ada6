//! Stock-file awareness: which file names a clean Exchange/IIS install has in the folders web
//! shells were planted in. The list, and the reasoning behind it, is data:
//! `rules/files/stock-files.txt`, compiled into the binary.

use std::sync::OnceLock;

/// The embedded list.
const STOCK_FILES: &str = include_str!("../../../rules/files/stock-files.txt");

/// The marker that makes a folder line cover `Current/` and version sub-folders too.
const VERSION_MARK: &str = "/{version}";

/// One folder of the list.
#[derive(Debug)]
struct StockFolder {
    /// Folder suffix (lower case, leading `/`).
    folder: String,
    /// Also `Current/` and four-part version sub-folders.
    versions: bool,
    /// Stock names (lower case).
    names: Vec<String>,
}

/// Parse the list; a malformed line is returned as an error naming its number.
fn parse(text: &str) -> Result<Vec<StockFolder>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((folder, names)) = line.split_once(':') else {
            return Err(format!("line {}: expected '<folder>: <name> ...'", i + 1));
        };
        let folder = folder.trim().to_lowercase();
        let (folder, versions) = match folder.strip_suffix(VERSION_MARK) {
            Some(f) => (f.to_string(), true),
            None => (folder, false),
        };
        let names: Vec<String> = names.split_whitespace().map(str::to_lowercase).collect();
        if !folder.starts_with('/') || names.is_empty() {
            return Err(format!(
                "line {}: the folder must start with '/' and name at least one file",
                i + 1
            ));
        }
        out.push(StockFolder {
            folder,
            versions,
            names,
        });
    }
    Ok(out)
}

fn list() -> &'static [StockFolder] {
    static LIST: OnceLock<Vec<StockFolder>> = OnceLock::new();
    // The embedded list is checked by a test; a broken build of it marks nothing as stock
    // (every file is then treated as possibly planted), never the other way round.
    LIST.get_or_init(|| parse(STOCK_FILES).unwrap_or_default())
}

/// Is `name` a stock file of `folder`? Both are lower case; `folder` is the path below the
/// system drive root with a leading `/`.
pub fn is_stock(folder: &str, name: &str) -> bool {
    list().iter().any(|s| {
        let here = folder.ends_with(&s.folder)
            || (s.versions
                && folder.rsplit_once('/').is_some_and(|(parent, last)| {
                    parent.ends_with(&s.folder) && (last == "current" || is_version(last))
                }));
        here && s.names.iter().any(|n| n == name)
    })
}

/// `15.1.2375.7` and the like.
fn is_version(folder: &str) -> bool {
    let parts: Vec<&str> = folder.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_parses_and_covers_the_published_folders() {
        let list = parse(STOCK_FILES).unwrap();
        assert_eq!(list.len(), 3, "{list:?}");
        assert!(list.iter().any(|s| s.versions && s.names.len() >= 10));
        assert!(parse("/a/b").unwrap_err().contains("line 1"));
        assert!(parse("# c\nb: x.aspx").unwrap_err().contains("line 2"));
        assert!(parse("/a:").is_err());
    }

    #[test]
    fn stock_names_depend_on_the_folder() {
        let owa = "/program files/microsoft/exchange server/v15/frontend/httpproxy/owa/auth";
        assert!(is_stock(owa, "logon.aspx"));
        assert!(is_stock(&format!("{owa}/current"), "errorfe.aspx"));
        assert!(is_stock(&format!("{owa}/15.1.2375.7"), "logon.aspx"));
        assert!(!is_stock(&format!("{owa}/themes"), "logon.aspx"));
        assert!(!is_stock(&format!("{owa}/15.1.2375"), "logon.aspx"));
        assert!(!is_stock(owa, "erroree.aspx"));
        assert!(!is_stock("/inetpub/wwwroot/aspnet_client", "logon.aspx"));
        assert!(is_stock("/inetpub/wwwroot", "iisstart.htm"));
        assert!(is_stock(
            "/exchange/frontend/httpproxy/ecp/auth",
            "timeoutlogoff.aspx"
        ));
        assert!(!is_stock(
            "/exchange/frontend/httpproxy/ecp/auth/current",
            "timeoutlogoff.aspx"
        ));
        assert!(!is_stock(
            "/exchange/frontend/httpproxy/ecp/auth",
            "logon.aspx"
        ));
    }
}
