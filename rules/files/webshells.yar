// Web shells planted on Exchange servers (2021-2023 campaigns) and the families seen there.
// Written by the exhunt project from public reporting; conditions describe behaviour (what the
// page does with the request), never one sample's bytes.

rule China_Chopper_Eval_Request
{
    meta:
        id = "EXH-FY-001"
        title = "China Chopper: server-side eval of a request field"
        description = "A page evaluates a request field as code (JScript .NET eval(Request[...], \"unsafe\") and its variants: Item/Form/QueryString, base64-wrapped). This is the China Chopper one-liner planted by HAFNIUM and many groups after ProxyLogon; stock ASP.NET and Exchange pages never eval request data."
        severity = "critical"
        stage = "backdoor"
        cves = "CVE-2021-26855,CVE-2021-27065"
        tags = "China Chopper,HAFNIUM,ProxyLogon,web shell"
        attack = "T1505.003"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        reference = "https://www.mandiant.com/resources/blog/breaking-down-the-china-chopper-web-shell-part-i"
        remediation = "Preserve a copy, then remove the page; list every client that requested its URL in the IIS logs (each is an intruder); look for what it ran (w3wp.exe children, new files, LSASS dumps); treat the server as compromised and rebuild it."
    strings:
        $eval_req = /eval\s*\(\s*(System\.Text\.Encoding\.[A-Za-z0-9]{3,8}\.GetString\s*\(\s*System\.Convert\.FromBase64String\s*\(\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies))?\s*[\[\(]/ nocase
        $eval_unsafe = /eval\s*\([^;\n]{1,300},\s*["']unsafe["']\s*\)/ nocase
    condition:
        any of them
}

rule China_Chopper_OAB_ExternalUrl
{
    meta:
        id = "EXH-FY-002"
        title = "China Chopper in an exported OAB virtual directory (ExternalUrl http://f/<script>)"
        description = "ProxyLogon (CVE-2021-27065) wrote a China Chopper script block into the OAB virtual directory's ExternalUrl ('http://f/<script language=\"JScript\" runat=\"server\">...') and then reset/exported the directory configuration into an .aspx file under the web root. The leftover file holds the script behind the http://f/ URL."
        severity = "critical"
        stage = "backdoor"
        cves = "CVE-2021-26855,CVE-2021-27065"
        tags = "China Chopper,HAFNIUM,ProxyLogon,OAB"
        attack = "T1505.003"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        reference = "https://github.com/microsoft/CSS-Exchange/blob/main/Security/src/Test-ProxyLogon.ps1"
        remediation = "Preserve and remove the file; reset the OAB virtual directory (check its ExternalUrl/InternalUrl with Get-OabVirtualDirectory); find the requests that wrote it in the ECP and HttpProxy logs; treat the server as compromised."
    strings:
        $f = /https?:\/\/f\/\s*<script/ nocase
        $ext = /ExternalUrl[^\n]{0,200}<script[^>]{0,100}runat/ nocase
    condition:
        any of them
}

rule ASPXSpy_Like_File_Manager
{
    meta:
        id = "EXH-FY-003"
        title = "ASPXSpy-like web file manager / command shell"
        description = "A server-side page combining several web-shell capabilities: command execution, drive and folder browsing, file upload/delete, file time changes (timestomping), registry, port scanning or SQL access. ASPXSpy and its descendants (used by HAFNIUM and others on Exchange) are such pages; ordinary pages have one or two of these at most."
        severity = "critical"
        stage = "backdoor"
        tags = "ASPXSpy,web shell"
        attack = "T1505.003,T1059.003,T1070.006"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        reference = "https://www.welivesecurity.com/2021/03/10/exchange-servers-under-siege-10-apt-groups/"
        remediation = "Preserve and remove the page; list the clients that requested it; review file, account and process activity since its creation time; treat the server as compromised."
    strings:
        $name1 = "ASPXSpy" nocase
        $name2 = "Bin_Button" nocase
        $proc1 = "ProcessStartInfo" nocase
        $proc2 = "Process.Start" nocase
        $proc3 = "cmd.exe" nocase
        $drv1 = "GetLogicalDrives" nocase
        $drv2 = "DriveInfo" nocase
        $dir1 = "GetDirectories" nocase
        $dir2 = "DirectoryInfo" nocase
        $fdel = "File.Delete" nocase
        $up = ".SaveAs(" nocase
        $time1 = "SetCreationTime" nocase
        $time2 = "SetLastWriteTime" nocase
        $time3 = "CreationTime =" nocase
        $reg = "Registry.LocalMachine" nocase
        $sql = "SqlConnection" nocase
        $sock = "TcpClient" nocase
        $srv = /runat\s*=\s*["']?server/ nocase
        $dir3 = "<%@" nocase
    condition:
        ($srv or $dir3) and (
            any of ($name*) or
            (any of ($proc*) and any of ($drv*, $dir1, $dir2) and ($fdel or $up)) or
            (6 of ($proc*, $drv*, $dir1, $dir2, $fdel, $up, $time*, $reg, $sql, $sock))
        )
}

rule Encrypted_Payload_Loader
{
    meta:
        id = "EXH-FY-004"
        title = "Encrypted in-memory loader (Godzilla / Behinder / AntSword style)"
        description = "A page reads the request body or a request field, decodes or decrypts it (base64, AES/Rijndael, XOR) and loads the result as a .NET assembly (Assembly.Load + CreateInstance/Invoke). Godzilla, Behinder (Ice Scorpion) and AntSword loaders work this way; legitimate pages never turn request data into code."
        severity = "critical"
        stage = "backdoor"
        tags = "Godzilla,Behinder,AntSword,web shell"
        attack = "T1505.003,T1620,T1027"
        reference = "https://unit42.paloaltonetworks.com/manageengine-godzilla-nglite-kdcsponge/"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve and remove the page; the payloads it ran lived in memory only: recycle the application pool, capture w3wp.exe memory if possible, and treat the server as compromised."
    strings:
        $load = /Assembly\s*\.\s*Load\s*\(/ nocase
        $in1 = "Request.BinaryRead" nocase
        $in2 = "Request.InputStream" nocase
        $in3 = /Request\s*(\.\s*(Form|Item|Params|QueryString))?\s*\[/ nocase
        $in4 = "Request.TotalBytes" nocase
        $dec1 = "FromBase64String" nocase
        $dec2 = "RijndaelManaged" nocase
        $dec3 = "CreateDecryptor" nocase
        $dec4 = "TransformFinalBlock" nocase
        $dec5 = /Aes\s*\.\s*Create\s*\(/ nocase
        $dec6 = "AesManaged" nocase
        $dec7 = /\^\s*\w{1,20}\s*\[\s*\w{1,20}\s*(\+\s*1\s*)?&\s*15\s*\]/
        $run1 = "CreateInstance" nocase
        $run2 = ".Invoke(" nocase
        $run3 = "GetMethod(" nocase
        $run4 = ".Equals(this)" nocase
    condition:
        $load and any of ($in*) and any of ($dec*) and any of ($run*)
}

rule Socket_Tunnel_Page
{
    meta:
        id = "EXH-FY-005"
        title = "HTTP-to-socket tunnel page (reGeorg / Neo-reGeorg / suo5 / ABPTTS style)"
        description = "A server-side page opens outbound TCP sockets and relays bytes between them and HTTP requests (tunnel commands in headers or parameters such as CONNECT/FORWARD/READ/DISCONNECT, X-CMD/X-STATUS). Intruders use these SOCKS-over-HTTP tunnels (reGeorg was found on Exchange servers in 2021) to reach the internal network through the web server."
        severity = "critical"
        stage = "backdoor"
        tags = "reGeorg,Neo-reGeorg,tunnel,web shell"
        attack = "T1505.003,T1090.001,T1572"
        reference = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
        reference = "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a"
        remediation = "Preserve and remove the page; look in firewall/proxy logs for internal connections from the Exchange server; treat the server and every host it reached as exposed."
    strings:
        $sock1 = "System.Net.Sockets" nocase
        $sock2 = /new\s+Socket\s*\(/ nocase
        $sock3 = /new\s+TcpClient\s*\(/ nocase
        $sock4 = "AddressFamily.InterNetwork" nocase
        $cmd1 = "\"CONNECT\"" nocase
        $cmd2 = "\"DISCONNECT\"" nocase
        $cmd3 = "\"FORWARD\"" nocase
        $cmd4 = "\"READ\"" nocase
        $hdr1 = "X-CMD" nocase
        $hdr2 = "X-STATUS" nocase
        $hdr3 = "X-ERROR" nocase
        $rel1 = "Request.BinaryRead" nocase
        $rel2 = "Request.InputStream" nocase
        $rel3 = "Response.BinaryWrite" nocase
        $rel4 = "Response.OutputStream" nocase
        $rel5 = /\.Send\s*\(/
        $rel6 = /\.Receive\s*\(/
        $sess = /Session\s*\[/ nocase
        $dns = "Dns.GetHostAddresses" nocase
        $b64req = /FromBase64String\s*\(\s*Request\s*\./ nocase
    condition:
        any of ($sock*) and (
            2 of ($cmd*) or any of ($hdr*) or
            (any of ($rel1, $rel2) and any of ($rel3, $rel4) and ($rel5 or $rel6)) or
            ($sess and ($rel5 or $rel6) and any of ($rel1, $rel2, $rel3, $rel4) and $dns) or
            ($sess and $rel5 and $rel6 and $b64req)
        )
}

rule PST_Written_As_Web_Page
{
    meta:
        id = "EXH-FY-006"
        title = "Mailbox export (PST) written as a web page (ProxyShell)"
        description = "The file starts with the PST signature '!BDN' yet has a web-page extension or holds an ASP.NET directive: ProxyShell intruders (CVE-2021-34473/34523/31207) exported a mailbox holding a script with New-MailboxExportRequest -FilePath into the web root so that IIS would run it. No legitimate process writes a PST as .aspx."
        severity = "critical"
        stage = "backdoor"
        cves = "CVE-2021-34473,CVE-2021-34523,CVE-2021-31207"
        tags = "ProxyShell,web shell,mailbox export"
        attack = "T1505.003,T1114.002"
        reference = "https://www.huntress.com/blog/rapid-response-microsoft-exchange-servers-still-vulnerable-to-proxyshell-exploit"
        reference = "https://github.com/Neo23x0/signature-base/blob/master/yara/expl_proxyshell.yar"
        remediation = "Preserve and remove the file; review MSExchange Management events for New-MailboxExportRequest and New-ManagementRoleAssignment ('Mailbox Import Export'); remove unexpected role assignments; treat the server as compromised."
    strings:
        $page1 = "Page Language" nocase
        $page2 = /<script[^>]{0,60}runat/ nocase
        $page3 = "<%@" nocase
    condition:
        uint32(0) == 0x4e444221 and (exhunt_webpage or any of them)
}

rule Certificate_Request_As_Web_Page
{
    meta:
        id = "EXH-FY-007"
        title = "Certificate request (DER/PEM) written as a web page"
        description = "A DER-encoded (or PEM) certificate request with a web-page extension, or one that embeds a script block. ProxyShell-era intruders used New-ExchangeCertificate -GenerateRequest -BinaryEncoded -RequestFile <web root>\\x.aspx, smuggling a script into the request's subject so that IIS runs it."
        severity = "critical"
        stage = "backdoor"
        cves = "CVE-2021-34473,CVE-2021-34523,CVE-2021-31207"
        tags = "ProxyShell,web shell"
        attack = "T1505.003"
        reference = "https://github.com/Neo23x0/signature-base/blob/master/yara/expl_proxyshell.yar"
        reference = "https://www.huntress.com/blog/rapid-response-microsoft-exchange-servers-still-vulnerable-to-proxyshell-exploit"
        remediation = "Preserve and remove the file; review MSExchange Management events for New-ExchangeCertificate with -RequestFile; treat the server as compromised."
    strings:
        $script = /<script[^>]{0,60}runat/ nocase
        $pem = "-----BEGIN NEW CERTIFICATE REQUEST-----"
        $pem2 = "-----BEGIN CERTIFICATE REQUEST-----"
    condition:
        (uint16(0) == 0x8230 and (exhunt_webpage or $script)) or
        (any of ($pem*) and $script)
}

rule Stock_Exchange_Page_With_Server_Script
{
    meta:
        id = "EXH-FY-008"
        title = "Stock Exchange page name with an inline server-side script block"
        description = "The file has the name of a stock Exchange logon/error page for its folder (owa/auth, ecp/auth), but holds a <script runat=\"server\"> block. The stock pages are thin markup bound to compiled Exchange code; intruders edited them or wrote shells under their names so the shell would blend in."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,stock file"
        attack = "T1505.003,T1036.005"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        reference = "https://github.com/microsoft/CSS-Exchange/blob/main/Security/Defender-MSERT-Guidance.md"
        remediation = "Compare the file with the same build on a clean server or the installation media; restore the stock file; find who changed it (IIS logs, file times); treat the server as compromised."
    strings:
        $script = /<script[^>]{0,80}runat\s*=\s*["']?server/ nocase
    condition:
        exhunt_stock and $script
}

rule JScript_Server_Eval_Dynamic
{
    meta:
        id = "EXH-FY-014"
        title = "JScript .NET server code evaluates request or argument data (obfuscated Chopper, HandlerSpy)"
        description = "Server-side JScript .NET (a Page, WebHandler or WebService in Language=\"JScript\", or a <script language=\"JScript\" runat=\"server\"> block) calls eval on a variable with a second security-context argument (the 'unsafe' word hidden in escapes or concatenation), on context.Request[...], or, in a handler/web service, on a method argument. Obfuscated China Chopper one-liners and the 'HandlerSpy'/'asmxWebMethodSpy' handler shells work this way; JScript server code has no legitimate need to run request text as code."
        severity = "critical"
        stage = "backdoor"
        tags = "China Chopper,web shell,obfuscation,JScript"
        attack = "T1505.003,T1059.007,T1027"
        reference = "https://www.mandiant.com/resources/blog/breaking-down-the-china-chopper-web-shell-part-i"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve a copy, then remove the file; list every client that requested its URL in the IIS logs; look for what it ran (w3wp.exe children, new files); treat the server as compromised."
    strings:
        $lang = /Language\s*=\s*(["']|\xE2\x80[\x9C\x9D])?\s*JScript/ nocase
        $ctx_req = /[^.\w]eval\s*\(\s*[\w.]{0,40}Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies))?\s*[\[\(]/ nocase
        $two_args = /[^.\w]eval\s*\([^,()"';]{1,60},[^;)]{0,80}\)/
        $one_arg = /[^.\w]eval\s*\(\s*\w{1,40}\s*\)/
        $svc = /<%@\s*Web(Handler|Service)/ nocase
        // The security-context word cut into pieces ("un"+"safe") after any first argument.
        $split = /[^.\w]eval\s*\([^;\n]{1,300},\s*(["'][^"'\n]{0,8}["']\s*\+\s*){1,8}["'][^"'\n]{0,8}["']\s*\)/
        // A variable base64-decoded and evaluated.
        $b64var = /[^.\w]eval\s*\(\s*[\w.]{0,60}GetString\s*\(\s*(System\.)?Convert\s*\.\s*FromBase64String\s*\(\s*\w{1,40}\s*\)\s*\)/ nocase
    condition:
        // The plain one-liner is EXH-FY-001's; this rule covers what it cannot see.
        not China_Chopper_Eval_Request and
        $lang and ($ctx_req or $two_args or $split or $b64var or ($one_arg and $svc))
}

rule Script_Host_Runs_Request
{
    meta:
        id = "EXH-FY-015"
        title = "Script host runs request data (VBScript execute/eval, ScriptControl, WScript.Shell exec of a request field)"
        description = "A page hands request data straight to a script engine or a shell: classic ASP/VBScript 'execute request(...)' / 'eval request(...)', MSScriptControl.ScriptControl ExecuteStatement/Eval with the Request object, CreateObject(\"WScript.Shell\").Exec/Run of a request field, or a page that writes such a one-liner ('<%eval(Request...' / 'execute request') into a new file. These are the smallest ASP/ASPX backdoors and their droppers; no legitimate page executes request text."
        severity = "critical"
        stage = "backdoor"
        tags = "China Chopper,web shell,VBScript,dropper"
        attack = "T1505.003,T1059.005"
        reference = "https://www.mandiant.com/resources/blog/breaking-down-the-china-chopper-web-shell-part-i"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve a copy, then remove the file and any file it wrote (same folder, .asp/.aspx created at or after its time); list the clients that requested it; treat the server as compromised."
    strings:
        $vb_exec = /(^|[^.\w$])(execute|executeglobal|eval)(\s+|\s*\(\s*)request\s*(\(|\.\s*(form|querystring|item)\s*\()/ nocase
        $js_drop = /<%\s*eval\s*\(\s*Request\b/ nocase
        $sc = "MSScriptControl.ScriptControl" nocase
        $sc_run = /\.(ExecuteStatement|Eval|AddCode)\s*\(?/ nocase
        $sc_req = /AddObject\s*\(?\s*["']request["']/ nocase
        $wsh_req = /WScript\.Shell["']\s*\)\s*\.\s*(exec|run)\s*\(\s*[\w.]{0,40}Request\s*[\.\(\[]/ nocase
    condition:
        not China_Chopper_Eval_Request and
        ($vb_exec or $js_drop or $wsh_req or ($sc and $sc_run and $sc_req))
}

rule Hidden_Or_Request_Assembly_Load
{
    meta:
        id = "EXH-FY-016"
        title = "Assembly loaded from request bytes, via a reflected Assembly.Load, or from an XOR-decoded blob"
        description = "Server code loads a .NET assembly in one of the ways web-shell loaders use to stay small or dodge signatures: Assembly.Load(Request.BinaryRead/InputStream/...) straight from the request (Behinder/AntSword-style), Assembly.Load reached through reflection (typeof(Assembly).GetMethod(\"Load\") — Godzilla's C# templates), or an embedded byte array XOR-decoded with a key and then loaded and invoked (SharPyShell). Applications reference their assemblies; they do not load them from request bytes or hide the call."
        severity = "critical"
        stage = "backdoor"
        tags = "Godzilla,Behinder,SharPyShell,web shell"
        attack = "T1505.003,T1620,T1027"
        reference = "https://unit42.paloaltonetworks.com/manageengine-godzilla-nglite-kdcsponge/"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve and remove the file; the payloads it ran lived in memory only: recycle the application pool, capture w3wp.exe memory if possible, and treat the server as compromised."
    strings:
        $direct = /Assembly\s*\.\s*Load\s*\(\s*[\w.]{0,40}Request\s*\.\s*(BinaryRead|InputStream|Form|Params|Item|QueryString|Cookies|Headers)/ nocase
        $hidden = /typeof\s*\(\s*(System\.Reflection\.)?Assembly\s*\)\s*\.\s*GetMethod\s*\(\s*"Load"/ nocase
        $load = /Assembly\s*\.\s*Load\s*\(\s*\w{1,40}\s*\)/
        $xor = /\w{1,40}\s*\[\s*\w{1,20}\s*\]\s*\^=\s*(\(byte\)\s*)?\w{1,40}\s*\[\s*\w{1,20}\s*%\s*\w{1,40}\.Length\s*\]/
        $run1 = "CreateInstance" nocase
        $run2 = /\.Invoke\s*\(/
    condition:
        $direct or $hidden or ($load and $xor and any of ($run*))
}

rule Request_Hook_With_Command_Execution
{
    meta:
        id = "EXH-FY-026"
        title = "Code hooks requests or registers a handler at run time and executes commands or loaded code (memory / module shell)"
        description = "Server code (a page, an App_Code .cs, a compiled template) registers itself into the request pipeline — an IHttpModule hooking BeginRequest/AuthenticateRequest, RouteTable.Routes.Add, HostingEnvironment.RegisterVirtualPathProvider, DynamicModuleUtility.RegisterModule, BuildManager compilation from a virtual path, or HttpRuntime internals via reflection — and also starts processes or loads/evaluates code from request fields. Handler/module ('memory') shells and China Chopper 'Customize' modules work this way; legitimate modules do not spawn processes or run request-supplied code."
        severity = "critical"
        stage = "backdoor"
        tags = "memory shell,IIS module,web shell"
        attack = "T1505.003,T1505.004,T1059"
        reference = "https://www.microsoft.com/en-us/security/blog/2022/07/26/malicious-iis-extensions-quietly-open-persistent-backdoors-into-servers/"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve the file; check web.config <modules>/<handlers>, App_Code and bin for what loads it; recycle the application pool (in-memory registrations vanish only then); list the clients that reached the hook and treat the server as compromised."
    strings:
        $reg1 = /\.(BeginRequest|AuthenticateRequest|PostAuthenticateRequest|AcquireRequestState|PreRequestHandlerExecute|PostMapRequestHandler)\s*\+=/
        $reg2 = /RouteTable\s*\.\s*Routes\s*\.\s*(Add|Insert)\s*\(/
        $reg3 = "RegisterVirtualPathProvider"
        $reg4 = "DynamicModuleUtility.RegisterModule"
        $reg5 = /BuildManager\s*\.\s*(CreateInstanceFromVirtualPath|GetCompiledType)\s*\(/
        $reg6 = /typeof\s*\(\s*(System\.Web\.)?HttpRuntime\s*\)\s*\.\s*GetField\s*\(/
        $x1 = "ProcessStartInfo"
        $x2 = /Process\s*\.\s*Start\s*\(/
        $x3 = /Assembly\s*\.\s*Load\s*\(/
        $x4 = "CompileAssemblyFromSource"
        $x5 = /[^.\w]eval\s*\(/
        $in = /[Rr]equest\s*\.\s*(Form|Params|QueryString|Headers|Item|InputStream|BinaryRead|Cookies)\b/
    condition:
        any of ($reg*) and any of ($x*) and $in
}

rule Session_Cached_AES_Payload_Loader
{
    meta:
        id = "EXH-FY-028"
        title = "AES-keyed payload loader that keeps its assembly in the session (Godzilla / Behinder in .aspx/.ashx/.asmx/.svc/.cs)"
        description = "Code that decrypts its input with AES/Rijndael under a key written in the code or derived with MD5, loads the result as an assembly and keeps it in Session or Application state between requests — the published design of Godzilla (payload cached in Session, MD5 halves around the answer) and Behinder (Session key, Assembly.Load(...).CreateInstance). The input can be the request body, a WebMethod or handler argument, or a WCF operation's parameter, so the rule holds for pages, handlers, web services, .svc and App_Code .cs files alike."
        severity = "critical"
        stage = "backdoor"
        tags = "Godzilla,Behinder,web shell"
        attack = "T1505.003,T1620,T1027"
        reference = "https://unit42.paloaltonetworks.com/manageengine-godzilla-nglite-kdcsponge/"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve and remove the file; its payloads lived in memory: recycle the application pool, capture w3wp.exe memory if possible, and treat the server as compromised."
    strings:
        $aes1 = "RijndaelManaged" nocase
        $aes2 = /Aes\s*\.\s*Create\s*\(/ nocase
        $aes3 = "AesManaged" nocase
        $aes4 = "CreateDecryptor" nocase
        $load1 = /Assembly\s*\.\s*Load\s*\(/ nocase
        $load2 = /GetMethod\s*\(\s*"Load"/ nocase
        $state = /(Session|Application)\s*(\[\s*"[^"]{1,40}"\s*\]\s*=|\.\s*Add\s*\(\s*"[^"]{1,40}"\s*,)/ nocase
        $key1 = /"[0-9a-f]{16}"/ nocase
        $key2 = /MD5/ nocase
    condition:
        any of ($aes*) and any of ($load*) and $state and any of ($key*)
}

rule Compressed_Or_Encrypted_Code_Runner
{
    meta:
        id = "EXH-FY-029"
        title = "Web-facing code decompresses or decrypts its input and compiles or loads it (SharPyShell-style loader)"
        description = "Code reachable from the web (a page, handler, web service, WCF service or module) that base64-decodes its input, decompresses it (GZipStream/DeflateStream) or decrypts it (AES, XOR with a key) and then compiles it (CSharpCodeProvider/CompileAssemblyFromSource) or loads it (Assembly.Load) and invokes it. SharPyShell's stagers and their derivatives run attacker modules this way, leaving no command line and no file; a web application never builds code from what a client sent."
        severity = "critical"
        stage = "backdoor"
        tags = "SharPyShell,web shell,obfuscation"
        attack = "T1505.003,T1620,T1027.004,T1140"
        reference = "https://github.com/antonioCoco/SharPyShell"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve and remove the file; recycle the application pool; capture w3wp.exe memory if possible; treat the server as compromised."
    strings:
        $web1 = /Request\s*\.\s*(Form|Params|QueryString|Item|InputStream|BinaryRead)/ nocase
        $web2 = /Request\s*\[/ nocase
        $web3 = /\[\s*(System\.Web\.Services\.)?WebMethod/ nocase
        $web4 = /\[\s*(System\.ServiceModel\.)?OperationContract/ nocase
        $web5 = "IHttpHandler" nocase
        $web6 = "IHttpModule" nocase
        $b64 = "FromBase64String" nocase
        $unz1 = "GZipStream" nocase
        $unz2 = "DeflateStream" nocase
        $dec1 = "CreateDecryptor" nocase
        $dec2 = /\w{1,40}\s*\[\s*\w{1,20}\s*\]\s*(\^=|=\s*\(byte\)\s*\(\s*\w{1,40}\s*\[\s*\w{1,20}\s*\]\s*\^)/
        $run1 = "CompileAssemblyFromSource" nocase
        $run2 = /Assembly\s*\.\s*Load\s*\(/ nocase
        $inv1 = /\.Invoke\s*\(/
        $inv2 = "CreateInstance" nocase
        $inv3 = "CompiledAssembly" nocase
    condition:
        any of ($web*) and $b64 and any of ($unz*, $dec*) and any of ($run*) and any of ($inv*)
}
