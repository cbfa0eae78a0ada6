//! Stock-file awareness: which file names a clean Exchange/IIS install has in the folders
//! web shells were planted in.
//!
//! Reasoning: a page in `FrontEnd/HttpProxy/owa/auth` is normal if it is one of the logon and
//! error pages Exchange ships there; the same folder is the most published web-shell location,
//! so every other page name is suspect (rule EXH-FN-002). A stock *name* is not proof of a stock
//! *file*: intruders edited stock pages or wrote shells under their names, so the content rules
//! run on stock names too, and EXH-FY-008 flags a stock-named page holding an inline
//! `<script runat="server">` block, which the shipped pages (markup bound to compiled Exchange
//! code) do not have. `aspnet_client` has no stock page at all (only `system_web/<version>/`
//! scripts), so nothing there is stock.

/// Stock page names (lower case) of `FrontEnd/HttpProxy/owa/auth` (Exchange 2013 to SE), also
/// valid in its `Current/` and version folders.
pub const OWA_AUTH: &[&str] = &[
    "logon.aspx",
    "logoff.aspx",
    "errorfe.aspx",
    "expiredpassword.aspx",
    "frowny.aspx",
    "outlookcn.aspx",
    "redirsuiteserviceproxy.aspx",
    "svmfeedback.aspx",
    "timeoutlogout.aspx",
    "signout.aspx",
    "getidtokens.aspx",
    "web.config",
];

/// Stock page names (lower case) of `FrontEnd/HttpProxy/ecp/auth`.
pub const ECP_AUTH: &[&str] = &["timeoutlogoff.aspx", "web.config"];

/// Stock IIS start files of `inetpub/wwwroot`.
pub const WWWROOT: &[&str] = &["iisstart.htm", "iisstart.png", "welcome.png", "web.config"];

/// Is `name` a stock file of `folder`? Both are lower case; `folder` is the path below the
/// system drive root with a leading `/`.
pub fn is_stock(folder: &str, name: &str) -> bool {
    if let Some(i) = folder.find("/frontend/httpproxy/owa/auth") {
        let rest = &folder[i + "/frontend/httpproxy/owa/auth".len()..];
        let in_auth = rest.is_empty() || rest == "/current" || is_version_folder(rest);
        return in_auth && OWA_AUTH.contains(&name);
    }
    if folder.ends_with("/frontend/httpproxy/ecp/auth") {
        return ECP_AUTH.contains(&name);
    }
    if folder.ends_with("/inetpub/wwwroot") {
        return WWWROOT.contains(&name);
    }
    false
}

/// `/15.1.2375.7` and the like.
fn is_version_folder(rest: &str) -> bool {
    let Some(v) = rest.strip_prefix('/') else {
        return false;
    };
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_names_depend_on_the_folder() {
        let owa = "/program files/microsoft/exchange server/v15/frontend/httpproxy/owa/auth";
        assert!(is_stock(owa, "logon.aspx"));
        assert!(is_stock(&format!("{owa}/current"), "errorfe.aspx"));
        assert!(is_stock(&format!("{owa}/15.1.2375.7"), "logon.aspx"));
        assert!(!is_stock(&format!("{owa}/themes"), "logon.aspx"));
        assert!(!is_stock(owa, "erroree.aspx"));
        assert!(!is_stock("/inetpub/wwwroot/aspnet_client", "logon.aspx"));
        assert!(is_stock(
            "/exchange/frontend/httpproxy/ecp/auth",
            "timeoutlogoff.aspx"
        ));
        assert!(!is_stock(
            "/exchange/frontend/httpproxy/ecp/auth",
            "logon.aspx"
        ));
    }
}
