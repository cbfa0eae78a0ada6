// Web-shell behaviour that only matters in a server-side page (.aspx, .ashx, .asmx, ...).
// Written by the exhunt project from public reporting; conditions describe behaviour (what the
// page does with the request), never one sample's bytes.
//
// Page scope: every condition here starts with `exhunt_webpage and`, so these rules can only
// match a file whose extension IIS runs as a page. The hunter compiles this file as its own
// rule set and runs it on pages only; other files are searched with the rest of the pack.
// The result is the same as running every rule on every file, without searching images,
// scripts and styles for patterns that could not count there. A test holds every rule here
// (and no rule elsewhere) to that form.

rule Web_Page_Runs_Processes_From_Request
{
    meta:
        id = "EXH-FY-009"
        title = "Web page starts processes from request data"
        description = "A server-side page (aspx/ashx/asmx...) starts a process (Process.Start, ProcessStartInfo, StartInfo.FileName, WScript.Shell) naming a command interpreter, and reads request fields or form controls. That is the core of a command web shell; Exchange and ordinary ASP.NET pages do not shell out on a request's say-so."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,heuristic"
        attack = "T1505.003,T1059"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        reference = "https://redcanary.com/blog/microsoft-exchange-attacks/"
        remediation = "Review the page: if nobody on the team wrote it, preserve and remove it, list the clients that requested it and treat the server as compromised."
    strings:
        $p1 = "ProcessStartInfo" nocase
        $p2 = /Process\s*\.\s*Start\s*\(/ nocase
        $p4 = "WScript.Shell" nocase
        $p6 = /StartInfo\s*\.\s*FileName/ nocase
        $p7 = /new\s+(System\.Diagnostics\.)?Process\s*\(\s*\)/ nocase
        $i1 = /cmd(\.exe)?["']?\s*,?\s*["']?\s*\/c/ nocase
        $i2 = "cmd.exe" nocase
        $i3 = "powershell" nocase
        $i4 = /["']cmd["']/ nocase
        $r1 = /Request\s*(\.\s*(Form|Item|Params|QueryString|Headers|Cookies))?\s*[\[\(]/ nocase
        $r2 = "Request.InputStream" nocase
        $r3 = "Request.BinaryRead" nocase
        $r4 = /\.Text\s*[;,)+]/
    condition:
        exhunt_webpage and any of ($p*) and any of ($i*) and any of ($r*)
}

rule Web_Page_Writes_Request_Chosen_File
{
    meta:
        id = "EXH-FY-012"
        title = "Web page writes a file whose path or content comes from the request"
        description = "A server-side page saves an upload or writes a stream to a path taken from the request or a form control (SaveAs(Request...), VB SaveAs(Server.MapPath(Request(\"f\"))), new StreamWriter(Request...), File.WriteAllText(...Request...), new FileInfo(box.Text).CreateText()). Uploaders that drop further shells work this way; ordinary upload handlers choose the target folder themselves."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,heuristic,uploader"
        attack = "T1505.003,T1105"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Review the page: if nobody on the team wrote it, preserve and remove it, look for files it wrote (same folder, recent times) and treat the server as compromised."
    strings:
        $w1 = /SaveAs\s*\([^;]{0,160}(Request\s*[\[\.\(]|\.Text\b|\.Value\b)/ nocase
        $w2 = /new\s+(System\.IO\.)?(StreamWriter|FileStream)\s*\([^;]{0,160}(Request\s*[\[\.]|\.Text\b|\.Value\b)/ nocase
        $w3 = /File\s*\.\s*(WriteAllText|WriteAllBytes|AppendAllText)\s*\([^;]{0,160}(Request\s*[\[\.]|\.Text\b|\.Value\b)/ nocase
        $w4 = /new\s+(System\.IO\.)?FileInfo\s*\(\s*\w{1,40}\.Text\s*\)\s*;[^}]{0,200}\.(CreateText|AppendText|OpenWrite)\s*\(/ nocase
    condition:
        exhunt_webpage and any of them
}

rule Web_Page_Database_Client
{
    meta:
        id = "EXH-FY-013"
        title = "Web page connects to a database named by the request"
        description = "A server-side page opens a database connection whose connection string comes from the request or a form control, or is assembled at run time with the password spliced in (\"...;pwd=\" + pass, \"Password = {2}\"), and runs arbitrary commands (ExecuteReader/ExecuteNonQuery/Fill). Web-shell kits ship such SQL clients to pivot into databases; applications read their connection strings from configuration."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,heuristic,database"
        attack = "T1505.003,T1213"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Review the page: if nobody on the team wrote it, preserve and remove it, check the database servers' logs for its connections and treat the server as compromised."
    strings:
        $c1 = /new\s+(System\.Data\.\w+\.)?(Sql|OleDb|Odbc|MySql)Connection\s*\([^;]{0,120}(Request\s*[\[\.]|\.Text\b|\.Value\b)/ nocase
        $c2 = /ConnectionString\s*=\s*[^;]{0,80}(Request\s*[\[\.]|\.Text\b)/ nocase
        $c3 = /(pwd|password)\s*=\s*["']\s*\+\s*\w/ nocase
        $c4 = /(pwd|password)\s*=\s*\{\d\}/ nocase
        $x1 = "ExecuteReader" nocase
        $x2 = "ExecuteNonQuery" nocase
        $x3 = ".Fill(" nocase
    condition:
        exhunt_webpage and any of ($c*) and any of ($x*)
}

rule Web_Page_Reflective_Loading
{
    meta:
        id = "EXH-FY-010"
        title = "Web page loads .NET code from bytes (reflection)"
        description = "A server-side page loads an assembly from a byte array (Assembly.Load(byte[])) or compiles code at run time (CSharpCodeProvider/CompileAssemblyFromSource, JScript Eval), together with base64 decoding. Web shells hide their payloads this way; ordinary pages reference compiled assemblies instead."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,heuristic"
        attack = "T1505.003,T1620"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Review the page: if nobody on the team wrote it, preserve and remove it, list the clients that requested it and treat the server as compromised."
    strings:
        $l1 = /Assembly\s*\.\s*Load\s*\(/ nocase
        $l2 = "CompileAssemblyFromSource" nocase
        $l3 = "Microsoft.JScript.Eval" nocase
        $l4 = "JScriptEvaluate" nocase
        $b1 = "FromBase64String" nocase
        $b2 = "GZipStream" nocase
        $b3 = "DeflateStream" nocase
    condition:
        exhunt_webpage and any of ($l*) and any of ($b*)
}

rule Web_Page_Heavy_Obfuscation
{
    meta:
        id = "EXH-FY-011"
        title = "Heavily obfuscated server-side page"
        description = "A server-side page whose code is mostly escape sequences, character-code arithmetic or long base64 strings that it decodes itself. Shell authors obfuscate to beat signatures; hand-written or generated ASP.NET pages do not. Base64 images (data:image/...) are not counted: the page must decode the blob itself."
        severity = "medium"
        stage = "backdoor"
        tags = "web shell,heuristic,obfuscation"
        attack = "T1505.003,T1027"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Decode and review the page; if nobody on the team wrote it, preserve and remove it and treat the server as compromised."
    strings:
        $uesc = /\\u00[0-9a-fA-F]{2}/
        $chr = /(Chr|ChrW|char)\s*\(\s*\d{2,3}\s*\)/ nocase
        $b64 = /["'][A-Za-z0-9+\/]{2000,}={0,2}["']/
        $dec = "FromBase64String" nocase
        $srv = /runat\s*=\s*["']?server|<%/ nocase
    condition:
        exhunt_webpage and $srv and (#uesc > 200 or #chr > 100 or ($b64 and $dec))
}

rule Web_Page_Runs_Program_From_Form_Or_Web_Folder
{
    meta:
        id = "EXH-FY-017"
        title = "Web page runs a program named in a form control or dropped in the web folder"
        description = "A server-side page builds a process whose program or arguments come from a form control's text (new ProcessStartInfo(box.Text), StartInfo.Arguments = box.Text, Process.Start(box.Text)) or whose program is an executable resolved inside the site (StartInfo.FileName = Server.MapPath(\"x.exe\")). VB and C# command shells ('cmd.aspx', 'cmdsql.aspx', privilege-escalation launchers) are built like this, often without naming cmd.exe; ordinary pages never let a visitor pick the program or run binaries from the web root."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,heuristic,command execution"
        attack = "T1505.003,T1059"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        reference = "https://redcanary.com/blog/microsoft-exchange-attacks/"
        remediation = "Review the page: if nobody on the team wrote it, preserve and remove it (and any .exe next to it), list the clients that requested it and treat the server as compromised."
    strings:
        $psi = /ProcessStartInfo\s*\(\s*\w{1,40}\.text\b/ nocase
        $arg = /\.(FileName|Arguments)\s*=\s*\w{1,40}\.text\b/ nocase
        $start = /Process\s*\.\s*Start\s*\(\s*\w{1,40}\.text\b/ nocase
        $mapexe = /\.FileName\s*=\s*(\w+\.)?Server\s*\.\s*MapPath\s*\(/ nocase
    condition:
        exhunt_webpage and any of them
}

rule Web_Page_Server_Recon_Sweep
{
    meta:
        id = "EXH-FY-018"
        title = "Web page sweeps the registry or the disk for writable folders (privilege-escalation recon)"
        description = "A server-side page walks every registry hive (ClassesRoot, CurrentUser, LocalMachine, Users, CurrentConfig) reading values or subkeys, or walks folders creating and deleting a probe file in each to find writable ones. Web-shell kits ship such 'writable directory' and registry-path scanners to find where the application pool identity can drop tools; applications do not enumerate the whole registry or test-write folders across the disk."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,heuristic,recon"
        attack = "T1505.003,T1012,T1083"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Review the page: if nobody on the team wrote it, preserve and remove it, look for probe files ('test') and tools written to the folders it found, and treat the server as compromised."
    strings:
        $h1 = "Registry.ClassesRoot" nocase
        $h2 = "Registry.CurrentUser" nocase
        $h3 = "Registry.LocalMachine" nocase
        $h4 = "Registry.Users" nocase
        $h5 = "Registry.CurrentConfig" nocase
        $rv1 = "GetValueNames" nocase
        $rv2 = "GetSubKeyNames" nocase
        $rv3 = "OpenSubKey" nocase
        $probe = /File\s*\.\s*Create\s*\(\s*[\w.]{1,40}\s*\+\s*@?"\\{1,2}\w{1,12}"\s*\)/ nocase
        $walk1 = "GetDirectories" nocase
        $walk2 = "File.Delete" nocase
    condition:
        exhunt_webpage and ((4 of ($h*) and any of ($rv*)) or ($probe and any of ($walk*)))
}

rule Web_Page_Raw_Socket_Sniffer
{
    meta:
        id = "EXH-FY-019"
        title = "Web page opens a raw socket in promiscuous mode (network sniffer)"
        description = "A server-side page creates a raw socket (SocketType.Raw) and switches it to receive-all mode with Socket.IOControl (SIO_RCVALL), to capture the server's traffic (FTP/HTTP/POP passwords). 'WebSniff' pages in web-shell kits do this; web applications never sniff the network."
        severity = "critical"
        stage = "espionage"
        tags = "web shell,sniffer,credential access"
        attack = "T1505.003,T1040"
        reference = "https://attack.mitre.org/techniques/T1040/"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve and remove the page; assume every credential that crossed the server in clear text since its creation is exposed (reset them); treat the server as compromised."
    strings:
        $raw = "SocketType.Raw" nocase
        $ioc = /\.IOControl\s*\(/ nocase
    condition:
        exhunt_webpage and $raw and $ioc
}

rule Web_Page_HTTP_Relay
{
    meta:
        id = "EXH-FY-027"
        title = "Web page relays the request body to a URL taken from the request (pystinger-style HTTP relay)"
        description = "A server-side page reads its own request body (Request.InputStream/BinaryRead), opens an outbound web request (WebRequest.Create) to an address built from request fields and writes the body into it (GetRequestStream), returning the reply. pystinger and similar HTTP-over-HTTP tunnels reach internal services through the web server this way; pages that call web services choose the endpoint themselves."
        severity = "high"
        stage = "backdoor"
        tags = "tunnel,web shell,pystinger"
        attack = "T1505.003,T1090.001,T1572"
        reference = "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve and remove the page; look in firewall/proxy logs for internal connections from the web server; treat the server and every host it reached as exposed."
    strings:
        $wr = /WebRequest\s*\.\s*Create\s*\(/ nocase
        $body1 = "Request.InputStream" nocase
        $body2 = "Request.BinaryRead" nocase
        $fwd = "GetRequestStream" nocase
        $url = /Request\s*\.\s*(Form|Params|QueryString|Headers)\s*\[/ nocase
    condition:
        exhunt_webpage and $wr and any of ($body*) and $fwd and $url
}

rule Web_Page_Reveals_Stored_Credentials
{
    meta:
        id = "EXH-FY-034"
        title = "Web page reveals stored credentials (IIS and application-pool passwords, connection strings on demand, decrypted configuration)"
        description = "A server-side page reads the passwords IIS keeps — application-pool and virtual-directory identities through Microsoft.Web.Administration (ProcessModel.Password, VirtualDirectory Password) or the IIS metabase through ADSI (IIS://localhost/W3SVC with AnonymousUserPass/WAMUserPass) — or hands out a configuration connection string named by the client, or decrypts protected configuration (aspnet_regiis -pdf). Intruders drop such tool pages to move on with service-account and database credentials; applications never show their own secrets to a visitor."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,credential theft,IIS"
        attack = "T1505.003,T1552.001"
        reference = "https://www.microsoft.com/en-us/security/blog/2022/12/12/iis-modules-the-evolution-of-web-shells-and-how-to-detect-them/"
        reference = "https://attack.mitre.org/techniques/T1552/001/"
        reference = "https://learn.microsoft.com/en-us/iis/manage/configuring-security/application-pool-identities"
        remediation = "Preserve and remove the page; change every application-pool, virtual-directory and database password the server holds; list the clients that requested the page."
    strings:
        $pool1 = /ProcessModel\s*\.\s*Password/ nocase
        $pool2 = /(AnonymousUserPass|WAMUserPass|AppPoolIdentity\w*Pass)/ nocase
        $pool3 = /IIS:\/\/localhost\/W3SVC/ nocase
        $pool4 = /VirtualDirector(y|ies)[^;\n]{0,80}\.Password/ nocase
        $pool5 = /GetSection\s*\(\s*"system\.applicationHost\/applicationPools"/ nocase
        $adsi = "DirectoryEntry" nocase
        $cs = /ConnectionStrings\s*\[\s*[A-Za-z_][\w.]*(\s*\.\s*Text)?\s*\]\s*\.\s*ConnectionString/ nocase
        $out1 = /\.Text\s*=/
        $out2 = /Response\s*\.\s*Write\s*\(/ nocase
        $regiis = /aspnet_regiis(\.exe)?["']?[^\n]{0,80}-pd[fe]\b/ nocase
    condition:
        exhunt_webpage and (
            $pool1 or $pool2 or $pool4 or $pool5 or ($pool3 and $adsi) or
            ($cs and any of ($out*)) or $regiis
        )
}

rule Web_Page_Server_Component_Probe
{
    meta:
        id = "EXH-FY-035"
        title = "Web page probes which server components and COM objects it can use (ASP 'probe' tool page)"
        description = "A page tries Server.CreateObject on a list of ProgIDs an intruder needs — WScript.Shell, Shell.Application, Scripting.FileSystemObject, ADODB.Stream, WScript.Network, MSXML2.ServerXMLHTTP, mail and upload components — to learn what the server lets it do, usually with a box for any other name and a dump of the server variables. These 'probe' (探针) pages are reconnaissance tools dropped with web shells; applications create the one component they use."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,reconnaissance"
        attack = "T1505.003,T1082"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        reference = "https://attack.mitre.org/techniques/T1082/"
        remediation = "Preserve and remove the page; look for the web shells that came with it (same folder and time); list the clients that requested it."
    strings:
        $co = /(Server\s*\.\s*)?CreateObject\s*\(/ nocase
        $p1 = "WScript.Shell" nocase
        $p2 = "Shell.Application" nocase
        $p3 = "Scripting.FileSystemObject" nocase
        $p4 = "ADODB.Stream" nocase
        $p5 = "WScript.Network" nocase
        $p6 = "MSXML2.ServerXMLHTTP" nocase
        $p7 = "JMail.SmtpMail" nocase
        $p8 = "Persits.Upload" nocase
        $p9 = "CDONTS.NewMail" nocase
        $p10 = "Microsoft.XMLHTTP" nocase
        $p11 = "SoftArtisans.FileUp" nocase
        $p12 = "ADOX.Catalog" nocase
    condition:
        exhunt_webpage and $co and 6 of ($p*)
}

rule Web_Page_Key_Gated_File_Access
{
    meta:
        id = "EXH-FY-036"
        title = "Web page behind a hard-coded key serves, lists or stores files at paths the client names"
        description = "A page compares a request field with a key written in its code and then lists folders or serves files at absolute paths taken from the request (no Server.MapPath), or stores an uploaded file under the client's file name next to itself (Request.PhysicalPath / MapPath(\".\")). These are the small file-browser and uploader backdoors ('filesystembrowser', 'fileupload' of the asp.net-backdoors kits) that ride along with web shells; application download and upload code works inside a folder of its own, not on any path a visitor types."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,file manager,uploader"
        attack = "T1505.003,T1105,T1005"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
        remediation = "Preserve and remove the page and anything uploaded next to it; list the clients that requested it (with the key, each is an intruder); treat the server as compromised."
    strings:
        $gate = /Request\s*(\.\s*(Params|Form|QueryString|Item))?\s*\[\s*"[^"]{1,40}"\s*\]\s*(!=|==)\s*(["'][^"']{3,64}["']|[A-Z][A-Z0-9_]{2,40}\b)/
        $serve = /Response\s*\.\s*(WriteFile|TransmitFile)\s*\(\s*[A-Za-z_]\w*\s*\)/ nocase
        $list = /Directory\s*\.\s*Get(Directories|Files|FileSystemEntries)\s*\(\s*[A-Za-z_]\w*\s*\)|new\s+(System\.IO\.)?DirectoryInfo\s*\(\s*[A-Za-z_]\w*\s*\)/ nocase
        $mappath = /MapPath\s*\(/ nocase
        $own1 = /FileInfo\s*\(\s*Request\s*\.\s*PhysicalPath\s*\)/ nocase
        $own2 = /MapPath\s*\(\s*"\.\/?"\s*\)/ nocase
        $name = /Path\s*\.\s*GetFileName\s*\(\s*\w+\s*\.\s*FileName\s*\)|PostedFile\s*\.\s*FileName/ nocase
        $write = /(new\s+(System\.IO\.)?FileStream\s*\(|\.SaveAs\s*\(|File\s*\.\s*WriteAllBytes\s*\()/ nocase
    condition:
        exhunt_webpage and $gate and (
            ($serve and $list and not $mappath) or
            (any of ($own*) and $name and $write)
        )
}

rule Web_Page_Keyed_Precompiled_Loader
{
    meta:
        id = "EXH-FY-037"
        title = "Small page whose only server code hands a hard-coded 16-hex-digit key to a precompiled class (keyed web-shell loader)"
        description = "A small server-side page whose script creates an object of a class from the application's bin folder, passing a 16-hex-digit string — the AES key shape of Behinder and Godzilla (the first half of an MD5) — and does nothing else: the web shell lives in a DLL and the page only arms it with its key. Application pages do not pass bare key literals to constructors in inline script."
        severity = "high"
        stage = "backdoor"
        tags = "web shell,Behinder,Godzilla,loader"
        attack = "T1505.003,T1027"
        reference = "https://unit42.paloaltonetworks.com/manageengine-godzilla-nglite-kdcsponge/"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        remediation = "Preserve and remove the page and the DLL in bin\\ that defines the class (its name is in the page); recycle the application pool; treat the server as compromised."
    strings:
        $srv = /runat\s*=\s*["']?server/ nocase
        $new = /new\s+[A-Za-z_][\w]*(\.[A-Za-z_]\w*){1,4}\s*\(\s*"[0-9a-f]{16}"\s*\)\s*;/ nocase
    condition:
        exhunt_webpage and filesize < 4KB and $srv and $new
}
