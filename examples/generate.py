#!/usr/bin/env python3
"""Generate the synthetic Exchange demo evidence that lives under examples/.

Run from anywhere:   python3 examples/generate.py [--scale N]

The output is deterministic: fixed random seeds and no dependence on the
current time.  The script deletes and rewrites

    examples/compromised-ex2016/   (EX01, KAPE-style copy of C:, compromised)
    examples/clean-ex2016/         (EX02, Velociraptor-style, benign only)
    examples/README.md             (description, timeline and line index)

except the Windows event logs (<server>/.../Windows/System32/winevt/Logs/*.evtx) and the
README section between the demo_evtx markers, which are written by
`cargo run -p exhunt-events --example demo_evtx -- examples` and kept here.

All data is synthetic.  Attackers use documentation ranges 203.0.113.0/24 and
198.51.100.0/24; benign internet clients use 192.0.2.0/24.

--scale multiplies the amount of benign background traffic.  The committed
evidence is generated with the default scale (1.0), which keeps the whole
examples/ folder under ~3 MB.  Line numbers quoted in README.md are only
valid for the default scale.
"""

import argparse
import csv
import io
import os
import random
import shutil
import uuid
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# Field lists
# --------------------------------------------------------------------------

HP_FIELDS = (
    "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,"
    "ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,"
    "IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,"
    "ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,"
    "ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,"
    "BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,"
    "ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,"
    "HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,"
    "TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,"
    "ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,"
    "SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,"
    "ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,"
    "BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,"
    "BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,"
    "HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,"
    "ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,"
    "RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,"
    "EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,"
    "RoutingStatus"
).split(",")

RPS_FIELDS = (
    "DateTime,StartTime,RequestId,MajorVersion,MinorVersion,BuildVersion,"
    "RevisionVersion,ClientRequestId,UrlHost,UrlStem,AuthenticationType,"
    "IsAuthenticated,AuthenticatedUser,Organization,ManagedOrganization,"
    "ClientIpAddress,ServerHostName,FrontEndServer,HttpStatus,SubStatus,ErrorCode,"
    "Action,CommandId,CommandName,SessionId,ShellId,FailFast,ContributeToFailFast,"
    "RequestBytes,ClientInfo,CPU,Memory,ActivityContextLifeTime,TotalTime,UrlQuery,"
    "GenericLatency,GenericInfo,GenericErrors"
).split(",")

ECP_FIELDS = ["TimeStamp", "ServerName", "EventId", "EventData"]
OAB_FIELDS = ["Timestamp", "ServerName", "Level", "EventId", "Message"]

IIS_FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port "
              "cs-username c-ip cs(User-Agent) cs(Referer) sc-status "
              "sc-substatus sc-win32-status time-taken")
IIS_FIELDS_HOST = IIS_FIELDS.replace("cs-uri-query ", "cs-uri-query cs-host ")

PROTOCOLS = ["Autodiscover", "Eas", "Ecp", "Ews", "Mapi", "Oab", "Owa",
             "PowerShell", "RpcHttp"]

# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

SERVERS = {
    "EX01": dict(
        name="EX01", outdir="compromised-ex2016", root="C",
        fqdn="ex01.contoso.local", ip="10.10.1.10",
        install="Program Files/Microsoft/Exchange Server/V15",
        win_install="C:\\Program Files\\Microsoft\\Exchange Server\\V15",
        build=(15, 1, 2176, 2), version="15.01.2176.002",
        proto_dir={p: p for p in PROTOCOLS},
        oab_dir="OABGeneratorLog",
        seed=101,
        # (day, hour) HttpProxy samples per protocol (attack hours are added)
        hp_samples={
            "Autodiscover": [(1, 9), (4, 10), (8, 14)],
            "Eas": [(1, 8), (3, 12), (9, 17)],
            "Ecp": [(1, 10), (8, 15)],
            "Ews": [(2, 9), (5, 11), (10, 10)],
            "Mapi": [(1, 8), (4, 14), (10, 17)],   # last file: truncated row
            "Oab": [(2, 8), (8, 9)],
            "Owa": [(1, 12), (5, 9), (9, 13)],
            "PowerShell": [(2, 16), (8, 16)],
            "RpcHttp": [(3, 10), (8, 11)],
        },
        ecp_days=[1, 8], ecp_hours={1: 10, 8: 15},
        ems_days={2: 16, 8: 16},
    ),
    "EX02": dict(
        name="EX02", outdir="clean-ex2016", root="uploads/auto/C%3A",
        fqdn="ex02.contoso.local", ip="10.10.1.11",
        install="Exchange/V15",
        win_install="C:\\Exchange\\V15",
        build=(15, 1, 2176, 9), version="15.01.2176.009",
        # odd casing, as produced by Windows copies of renamed folders
        proto_dir=dict({p: p for p in PROTOCOLS}, Owa="OWA",
                       Autodiscover="autodiscover"),
        oab_dir="OabGeneratorLog",
        seed=202,
        hp_samples={
            "Autodiscover": [(2, 9), (5, 10), (9, 14)],
            "Eas": [(1, 9), (4, 12), (10, 17)],
            "Ecp": [(2, 11), (9, 14)],
            "Ews": [(1, 10), (3, 11), (8, 10)],
            "Mapi": [(2, 8), (5, 14), (9, 16)],
            "Oab": [(3, 8), (9, 9)],
            "Owa": [(2, 12), (6, 14), (10, 13)],   # (6, 14): nmap check
            "PowerShell": [(3, 16), (9, 15)],
            "RpcHttp": [(4, 10), (8, 11)],
        },
        ecp_days=[2, 9], ecp_hours={2: 11, 9: 14},
        ems_days={3: 16, 9: 15},
    ),
}

EX01_USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace",
              "heidi", "ivan", "judy", "ken", "laura", "mike", "nina",
              "oscar", "paula"]
EX02_USERS = ["quinn", "rachel", "steve", "tina", "uma", "victor", "wendy",
              "xavier", "yara", "zack", "amir", "beth", "chen", "dana",
              "eli", "fiona"]

N_USERS = 10   # mailboxes per server with client activity (keeps examples/ under ~3 MB)
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
SERVER_ANCHOR_VER = "1942062522"

# --------------------------------------------------------------------------
# User agents (raw, with spaces; IIS encodes spaces as '+')
# --------------------------------------------------------------------------

UA_OUTLOOK = ["Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
              "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
              "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.10371; Pro)"]
UA_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36"
UA_EDGE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.192 Safari/537.36 Edg/88.0.705.81"
UA_IOS = ["Apple-iPhone12C1/1804.52", "Apple-iPhone11C8/1804.52", "Apple-iPhone13C2/1803.70"]
UA_ANDROID = "Android-Mail/2021.01.31.355613026.Release"
UA_OLMOBILE = "Outlook-iOS-Android/1.0"
UA_MACMAIL = "Mac OS X/10.15.7 (19H524); ExchangeWebServices/11.0 (339); Mail/13.4 (3608.120.23.2.4)"
UA_MSRPC = "MSRPC"
UA_AMPROBE = "AMProbe/Local/ClientAccess"
UA_WINRM = "Microsoft WinRM Client"

UA_PYREQ = "python-requests/2.25.1"
UA_ESC = "ExchangeServicesClient/0.0.0.0"
UA_ANTSWORD = "antSword/v2.1"
UA_GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
UA_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0"
UA_ZGRAB = "Mozilla/5.0 zgrab/0.x"
UA_NMAP = "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"
# edge case: a user agent with a comma and a double quote (benign)
UA_ODD = 'Microsoft Office/16.0 (Windows NT 10.0; "Microsoft Outlook", 16.0.13801)'

EXT_HOST = "mail.contoso.com"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def mkguid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hexid(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def canary(rng):
    alphabet = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789-_")
    return "".join(rng.choice(alphabet) for _ in range(76)) + "."


def ts(day, h, m, s, ms=0):
    return datetime(2021, 3, day, h, m, s, ms * 1000)


def iso_ms(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def csv_line(values):
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="")
    w.writerow(values)
    return buf.getvalue()


class Req:
    """One HTTP request seen by the front end (W3SVC1)."""
    _seq = 0

    def __init__(self, t, method, stem, query="", *, port=443, user=None,
                 cip="", ua=None, referer=None, status=200, sub=0, win32=0,
                 taken=15, host=EXT_HOST, proto=None, backend=None, hp=None,
                 tag=None, reqid=None, cafe=True, own_rng=False):
        Req._seq += 1
        self.seq = Req._seq
        self.t, self.method, self.stem, self.query = t, method, stem, query
        self.port, self.user, self.cip, self.ua = port, user, cip, ua
        self.referer, self.status, self.sub, self.win32 = referer, status, sub, win32
        self.taken, self.host, self.proto = taken, host, proto
        self.backend = backend      # dict(stem, query, user, taken) or None
        self.hp = hp or {}          # HttpProxy field overrides
        self.tag = tag              # dict(id, kind, what) or None
        self.reqid = reqid
        self.cafe = cafe and proto is not None
        # HttpProxy columns drawn from a stream of this request's own (seeded by its id), so
        # that adding it does not move the random columns of every later row
        self.own_rng = own_rng


# --------------------------------------------------------------------------
# Benign traffic
# --------------------------------------------------------------------------

class Ctx:
    def __init__(self, srv, rng, scale):
        self.srv, self.rng, self.scale = srv, rng, scale
        self.reqs = []
        self.ecp_events = []   # (t, eventid, eventdata, tag)
        self.rps_events = []   # (t, dict, tag)
        self.oab_events = []   # (t, level, eventid, message, tag)

    def add(self, r):
        if r.reqid is None:
            r.reqid = mkguid(self.rng)
        self.reqs.append(r)
        return r


def make_users(srv, names, rng):
    users = []
    dbs = [mkguid(rng), mkguid(rng)]
    for i, n in enumerate(names):
        mobile = rng.choice(["ios", "ios", "android", "olmobile", None])
        if i in (2, 8):
            mobile = "olmobile"     # at least two Outlook mobile users per server
        u = dict(
            name=n, upn="%s@contoso.local" % n, dom="CONTOSO\\%s" % n,
            sid="%s-%d" % (DOMAIN_SID, 1105 + i + (0 if srv["name"] == "EX01" else 40)),
            mbx=mkguid(rng), adguid=mkguid(rng), db=rng.choice(dbs),
            ip="10.10.%d.%d" % (rng.choice([3, 4]), rng.randint(20, 240)),
            ext_ip="192.0.2.%d" % rng.randint(10, 250),
            outlook=rng.choice(UA_OUTLOOK),
            browser=rng.choice([UA_CHROME, UA_EDGE]),
            mobile=mobile,
            mobile_ua=(rng.choice(UA_IOS) if mobile == "ios" else
                       UA_ANDROID if mobile == "android" else UA_OLMOBILE),
            devid=("Appl" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(11))
                   if mobile == "ios" else
                   "androidc" + hexid(rng, 10) if mobile == "android" else
                   hexid(rng, 32).upper()),
            devtype=("iPhone" if mobile == "ios" else "Android" if mobile == "android" else "Outlook"),
            rpc=(i in (3, 7)),     # two legacy Outlook 2010 (RPC over HTTP) users
            mac=(i == 9),           # one Mac Mail (EWS) user
        )
        users.append(u)
    return users, dbs


def anchor_for(srv, u, kind):
    if kind == "smtp":
        return "SMTP:" + u["upn"], "AnchorMailboxHeader-SMTP"
    if kind == "sid":
        return "Sid~" + u["sid"], "LogonUser-Sid"
    if kind == "db":
        return "DatabaseGuid~" + u["db"], "DatabaseGuid"
    return ("Server~%s~%s" % (srv["fqdn"], SERVER_ANCHOR_VER), "TargetServerHeader")


def ok_hp(srv, u, kind, action=""):
    a, h = anchor_for(srv, u, kind)
    return dict(AuthenticatedUser=u["upn"], AnchorMailbox=a, RoutingHint=h,
                ProtocolAction=action, DatabaseGuid=u.get("db", ""),
                UserADObjectGuid=u.get("adguid", ""))


def be(stem, query, user, taken=None):
    return dict(stem=stem, query=query, user=user, taken=taken)


def gen_benign_day(c, users, day):
    srv, rng = c.srv, c.rng
    d = day.day
    wk = day.weekday() >= 5
    act = (0.35 if wk else 1.0) * c.scale

    def rt(h0, h1):
        return day + timedelta(seconds=rng.uniform(h0 * 3600, h1 * 3600),
                               microseconds=0)

    def ms(t):
        return t.replace(microsecond=rng.randint(0, 999) * 1000)

    # Load balancer health check every 30 minutes
    for k in range(0, 48):
        t = ms(day + timedelta(minutes=30 * k, seconds=rng.randint(0, 4)))
        c.add(Req(t, "GET", "/owa/healthcheck.htm", cip="10.10.0.5", ua=None,
                  taken=rng.randint(0, 3), proto="Owa", host=srv["fqdn"],
                  hp=dict(AuthenticationType="", IsAuthenticated="false")))

    # Managed availability probes (HealthMailbox, AMProbe)
    hm = srv["healthmbx"]
    probe_targets = [
        ("GET", "/owa/", "", "Owa", be("/owa/", "", "CONTOSO\\" + hm.split("@")[0])),
        ("POST", "/EWS/Exchange.asmx", "", "Ews", be("/EWS/Exchange.asmx", "", "CONTOSO\\" + hm.split("@")[0])),
        ("POST", "/Microsoft-Server-ActiveSync/default.eas",
         "Cmd=FolderSync&User=%s&DeviceId=HealthProbe&DeviceType=AMProbe" % hm.split("@")[0],
         "Eas", be("/Microsoft-Server-ActiveSync/Proxy/default.eas", "Cmd=FolderSync", "CONTOSO\\" + hm.split("@")[0])),
        ("POST", "/autodiscover/autodiscover.xml", "", "Autodiscover",
         be("/Autodiscover/Autodiscover.xml", "", "CONTOSO\\" + hm.split("@")[0])),
        ("POST", "/mapi/emsmdb/", "mailboxId=%s@contoso.local" % srv["healthguid"], "Mapi",
         be("/mapi/emsmdb/", "mailboxId=%s@contoso.local" % srv["healthguid"], "CONTOSO\\" + hm.split("@")[0])),
        ("GET", "/ecp/", "", "Ecp", be("/ecp/", "", "CONTOSO\\" + hm.split("@")[0])),
        ("RPC_IN_DATA", "/rpc/rpcproxy.dll", "%s:6001" % srv["fqdn"], "RpcHttp",
         be("/rpc/rpcproxy.dll", "%s:6001" % srv["fqdn"], "CONTOSO\\" + hm.split("@")[0])),
    ]
    hmu = dict(upn=hm, sid="%s-%d" % (DOMAIN_SID, 1150 if srv["name"] == "EX01" else 1190),
               db=srv["dbs"][0], adguid=srv["healthadguid"])
    for h in range(24):
        for (meth, stem, q, proto, b) in rng.sample(probe_targets, 1):
            t = ms(day + timedelta(hours=h, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)))
            kind = "server" if proto in ("RpcHttp", "Mapi") else "smtp"
            c.add(Req(t, meth, stem, q, user=hm, cip="127.0.0.1", ua=UA_AMPROBE,
                      taken=rng.randint(15, 300), proto=proto, host="localhost",
                      backend=b, hp=dict(ok_hp(srv, hmu, kind), AuthenticationType="Negotiate")))

    for u in users:
        present = rng.random() < (0.35 if wk else 0.92)
        # ---------------- Outlook desktop (MAPI/HTTP or RPC/HTTP) --------------
        if present:
            t = rt(7.3, 9.6)
            # autodiscover: 401 then 200
            c.add(Req(ms(t), "POST", "/autodiscover/autodiscover.xml", user=None, cip=u["ip"],
                      ua=u["outlook"], status=401, sub=1, win32=2148074254, taken=rng.randint(0, 3),
                      proto="Autodiscover", hp=dict(IsAuthenticated="false")))
            t += timedelta(seconds=1)
            c.add(Req(ms(t), "POST", "/autodiscover/autodiscover.xml", user=u["dom"], cip=u["ip"],
                      ua=u["outlook"], taken=rng.randint(30, 250), proto="Autodiscover",
                      backend=be("/Autodiscover/Autodiscover.xml", "", u["dom"]),
                      hp=dict(ok_hp(srv, u, "smtp"), AuthenticationType="Negotiate")))
            if u["rpc"]:
                for k in range(int(rng.randint(3, 6) * act) + 1):
                    t2 = ms(t + timedelta(minutes=rng.randint(0, 540)))
                    for meth in ("RPC_IN_DATA", "RPC_OUT_DATA"):
                        q = "%s@contoso.local:6001" % u["mbx"]
                        c.add(Req(t2, meth, "/rpc/rpcproxy.dll", q, user=u["dom"], cip=u["ip"],
                                  ua=UA_MSRPC, taken=rng.randint(1000, 900000), proto="RpcHttp",
                                  backend=be("/rpc/rpcproxy.dll", q, u["dom"]),
                                  hp=dict(ok_hp(srv, u, "server"), AuthenticationType="Negotiate")))
                        t2 += timedelta(milliseconds=rng.randint(20, 400))
            else:
                q = "mailboxId=%s@contoso.local" % u["mbx"]
                t += timedelta(seconds=2)
                c.add(Req(ms(t), "POST", "/mapi/emsmdb/", q, user=None, cip=u["ip"], ua=u["outlook"],
                          status=401, sub=1, win32=2148074254, taken=rng.randint(0, 2), proto="Mapi",
                          hp=dict(IsAuthenticated="false")))
                t += timedelta(seconds=1)
                c.add(Req(ms(t), "POST", "/mapi/emsmdb/", q, user=u["dom"], cip=u["ip"], ua=u["outlook"],
                          taken=rng.randint(40, 900), proto="Mapi",
                          backend=be("/mapi/emsmdb/", q, u["dom"]),
                          hp=dict(ok_hp(srv, u, "db", "Connect"), AuthenticationType="Negotiate")))
                c.add(Req(ms(t + timedelta(seconds=1)), "POST", "/mapi/nspi/", q, user=u["dom"], cip=u["ip"],
                          ua=u["outlook"], taken=rng.randint(20, 200), proto="Mapi",
                          backend=be("/mapi/nspi/", q, u["dom"]),
                          hp=dict(ok_hp(srv, u, "smtp", "Bind"), AuthenticationType="Negotiate")))
                for k in range(int(rng.randint(3, 5) * act)):
                    t2 = ms(t + timedelta(minutes=rng.randint(5, 560)))
                    c.add(Req(t2, "POST", "/mapi/emsmdb/", q, user=u["dom"], cip=u["ip"], ua=u["outlook"],
                              taken=rng.choice([rng.randint(30, 400), rng.randint(30000, 600000)]),
                              proto="Mapi", backend=be("/mapi/emsmdb/", q, u["dom"]),
                              hp=dict(ok_hp(srv, u, "db", rng.choice(["Execute", "NotificationWait"])),
                                      AuthenticationType="Negotiate")))
            # EWS (free/busy, MailTips) from Outlook
            for k in range(int(rng.randint(0, 2) * act)):
                t2 = ms(t + timedelta(minutes=rng.randint(10, 540)))
                c.add(Req(t2, "POST", "/EWS/Exchange.asmx", user=None, cip=u["ip"], ua=u["outlook"],
                          status=401, sub=1, win32=2148074254, taken=rng.randint(0, 2), proto="Ews",
                          hp=dict(IsAuthenticated="false")))
                c.add(Req(t2 + timedelta(milliseconds=rng.randint(50, 300)), "POST", "/EWS/Exchange.asmx",
                          user=u["dom"], cip=u["ip"], ua=u["outlook"], taken=rng.randint(20, 500),
                          proto="Ews", backend=be("/EWS/Exchange.asmx", "", u["dom"]),
                          hp=dict(ok_hp(srv, u, "smtp", rng.choice(["GetUserAvailability", "GetMailTips", "FindItem"])),
                                  AuthenticationType="Negotiate")))
            # OAB download
            if rng.random() < 0.5:
                t2 = ms(t + timedelta(minutes=rng.randint(1, 30)))
                oq = "/OAB/%s/oab.xml" % srv["oabguid"]
                c.add(Req(t2, "GET", oq, user=None, cip=u["ip"], ua=u["outlook"], status=401, sub=1,
                          win32=2148074254, taken=1, proto="Oab", hp=dict(IsAuthenticated="false")))
                c.add(Req(t2 + timedelta(milliseconds=120), "GET", oq, user=u["dom"], cip=u["ip"],
                          ua=u["outlook"], taken=rng.randint(5, 60), proto="Oab",
                          backend=be(oq, "", u["dom"]),
                          hp=dict(ok_hp(srv, u, "sid"), AuthenticationType="Negotiate")))
                if rng.random() < 0.3:
                    lz = "/OAB/%s/%s-data-%d.lzx" % (srv["oabguid"], srv["oabguid"], rng.randint(30, 40))
                    c.add(Req(t2 + timedelta(seconds=1), "GET", lz, user=u["dom"], cip=u["ip"],
                              ua=u["outlook"], taken=rng.randint(50, 900), proto="Oab",
                              backend=be(lz, "", u["dom"]),
                              hp=dict(ok_hp(srv, u, "sid"), AuthenticationType="Negotiate")))
        # ---------------- Mac Mail (EWS) ----------------
        if u["mac"] and present:
            for k in range(int(10 * act)):
                t2 = ms(rt(7.5, 19))
                c.add(Req(t2, "POST", "/EWS/Exchange.asmx", user=u["upn"], cip=u["ip"], ua=UA_MACMAIL,
                          taken=rng.randint(15, 400), proto="Ews",
                          backend=be("/EWS/Exchange.asmx", "", u["dom"]),
                          hp=dict(ok_hp(srv, u, "smtp", rng.choice(["SyncFolderItems", "GetItem", "FindItem"])),
                                  AuthenticationType="Basic")))
        # ---------------- Mobile (EAS) ----------------
        if u["mobile"]:
            ext = u["mobile"] == "olmobile" or rng.random() < 0.5
            mip = u["ext_ip"] if ext else "10.10.9.%d" % (20 + len(u["name"]))
            if u["mobile"] == "olmobile":
                mip = "192.0.2.%d" % (40 + sum(map(ord, u["name"])) % 5)
                # Outlook mobile service autodiscover (benign autodiscover.json)
                for k in range(rng.randint(1, 2)):
                    t2 = ms(rt(6, 22))
                    c.add(Req(t2, "GET", "/autodiscover/autodiscover.json",
                              "Email=%s%%40contoso.com&Protocol=ActiveSync" % u["name"],
                              user=None, cip=mip, ua=UA_OLMOBILE, taken=rng.randint(5, 40),
                              proto="Autodiscover",
                              hp=dict(IsAuthenticated="false", AnchorMailbox="SMTP:%s@contoso.com" % u["name"],
                                      RoutingHint="AnchorMailboxQuery-SMTP")))
            user_q = u["name"]
            iuser = u["upn"] if u["mobile"] == "ios" else u["dom"]
            n_ping = int(rng.randint(4, 7) * act)
            for k in range(n_ping):
                t2 = ms(rt(6.5, 23))
                for cmd in (["Ping"] + (["Sync"] if rng.random() < 0.45 else [])
                            + (["FolderSync"] if rng.random() < 0.08 else [])):
                    q = "Cmd=%s&User=%s&DeviceId=%s&DeviceType=%s" % (cmd, user_q, u["devid"], u["devtype"])
                    taken = rng.randint(470000, 900000) if cmd == "Ping" else rng.randint(20, 600)
                    win32 = 64 if (cmd == "Ping" and rng.random() < 0.1) else 0
                    c.add(Req(t2, "POST", "/Microsoft-Server-ActiveSync/default.eas", q, user=iuser, cip=mip,
                              ua=u["mobile_ua"], taken=taken, win32=win32, proto="Eas",
                              backend=be("/Microsoft-Server-ActiveSync/Proxy/default.eas", q, u["dom"]),
                              hp=dict(ok_hp(srv, u, "sid", cmd), AuthenticationType="Basic")))
                    t2 += timedelta(seconds=rng.randint(1, 20), milliseconds=rng.randint(0, 999))
        # ---------------- OWA ----------------
        if rng.random() < (0.1 if wk else 0.3) * c.scale:
            t = ms(rt(8, 18))
            ext = rng.random() < 0.3
            ip = u["ext_ip"] if ext else u["ip"]
            ua = u["browser"]
            owa_session(c, u, t, ip, ua)


def owa_session(c, u, t, ip, ua, stems_only=False, host=EXT_HOST):
    srv, rng = c.srv, c.rng
    ref_logon = "https://%s/owa/auth/logon.aspx?url=https%%3a%%2f%%2f%s%%2fowa%%2f&reason=0" % (host, host)
    ref_owa = "https://%s/owa/" % host
    anon = dict(IsAuthenticated="false")

    def step(sec):
        nonlocal t
        t = t + timedelta(seconds=sec, milliseconds=rng.randint(0, 999))
        return t

    c.add(Req(step(0), "GET", "/owa/", user=None, cip=ip, ua=ua, status=302, taken=rng.randint(0, 5),
              proto="Owa", hp=anon))
    c.add(Req(step(0), "GET", "/owa/auth/logon.aspx",
              "url=https%%3a%%2f%%2f%s%%2fowa%%2f&reason=0" % host, user=None, cip=ip, ua=ua,
              taken=rng.randint(5, 40), proto="Owa", hp=anon))
    for res in ("logon.css", "favicon.ico", "olk_logo_white.png", "sign_in_arrow.png"):
        c.add(Req(step(0), "GET", "/owa/auth/15.1.2176/themes/resources/" + res, user=None, cip=ip, ua=ua,
                  referer=ref_logon, status=rng.choice([200, 200, 304]), taken=rng.randint(0, 8),
                  proto="Owa", hp=anon))
    c.add(Req(step(rng.randint(5, 15)), "POST", "/owa/auth.owa", user=u["dom"], cip=ip, ua=ua,
              referer=ref_logon, status=302, taken=rng.randint(30, 150), proto="Owa",
              hp=dict(ok_hp(srv, u, "smtp"), AuthenticationType="Basic")))
    c.add(Req(step(1), "GET", "/owa/", user=u["dom"], cip=ip, ua=ua, referer=ref_logon,
              taken=rng.randint(60, 400), proto="Owa", backend=be("/owa/", "", u["dom"]),
              hp=dict(ok_hp(srv, u, "smtp"), AuthenticationType="Basic")))
    actions = ["GetOwaUserConfiguration", "FindConversation", "GetConversationItems",
               "FindItem", "GetItem", "GetFolderChangeDigest", "FindFolder", "GetReminders"]
    n = rng.randint(3, 7)
    for k in range(n):
        a = actions[k] if k < 2 else rng.choice(actions[2:])
        q = "action=%s&EP=1&ID=-%d&AC=1" % (a, rng.randint(1, 40))
        c.add(Req(step(rng.randint(1, 90)), "POST", "/owa/service.svc", q, user=u["dom"], cip=ip, ua=ua,
                  referer=ref_owa, taken=rng.randint(15, 450), proto="Owa",
                  backend=be("/owa/service.svc", q, u["dom"]),
                  hp=dict(ok_hp(srv, u, "smtp", a), AuthenticationType="Basic",
                          ClientRequestId=mkguid(rng).replace("-", "").upper() + "_%d" % (1614000000000 + k))))
    return t


def gen_ecp_admin(c, admin, day, hour, with_set_vdir=False):
    """An admin session in ECP (benign), with matching ECP Server log lines."""
    srv, rng = c.srv, c.rng
    t = day + timedelta(hours=hour, minutes=rng.randint(2, 20), seconds=rng.randint(0, 59))
    ip = "10.10.2.15"
    ua = UA_EDGE
    cn = canary(rng)
    refd = "https://%s/ecp/default.aspx" % EXT_HOST
    anon = dict(IsAuthenticated="false")
    hpok = lambda a="": dict(ok_hp(srv, admin, "smtp", a), AuthenticationType="Basic")

    def step(sec):
        nonlocal t
        t = t + timedelta(seconds=sec, milliseconds=rng.randint(0, 999))
        return t

    c.add(Req(step(0), "GET", "/ecp/", user=None, cip=ip, ua=ua, status=302, taken=3, proto="Ecp", hp=anon))
    c.add(Req(step(0), "GET", "/owa/auth/logon.aspx",
              "replaceCurrent=1&url=https%%3a%%2f%%2f%s%%2fecp%%2f" % EXT_HOST, user=None, cip=ip, ua=ua,
              taken=12, proto="Owa", hp=anon))
    c.add(Req(step(9), "POST", "/owa/auth.owa", user=admin["dom"], cip=ip, ua=ua, status=302, taken=88,
              proto="Owa", hp=dict(ok_hp(srv, admin, "smtp"), AuthenticationType="Basic")))
    c.add(Req(step(1), "GET", "/ecp/", user=admin["dom"], cip=ip, ua=ua, status=302, taken=40,
              proto="Ecp", backend=be("/ecp/", "", admin["dom"]), hp=hpok()))
    c.add(Req(step(0), "GET", "/ecp/default.aspx", user=admin["dom"], cip=ip, ua=ua, taken=410,
              proto="Ecp", backend=be("/ecp/default.aspx", "", admin["dom"]), hp=hpok()))
    for js in ("microsoftajax.js", "common.js", "extendedcontrols.js", "navigation.js", "listview.js"):
        c.add(Req(step(0), "GET", "/ecp/15.1.2176/scripts/" + js, user=admin["dom"], cip=ip, ua=ua,
                  referer=refd, taken=rng.randint(0, 20), proto="Ecp",
                  backend=be("/ecp/15.1.2176/scripts/" + js, "", admin["dom"]), hp=hpok()))
    calls = [("GetList", "MailboxService", "Get-Mailbox.ResultSize='500'.SortBy='DisplayName'"),
             ("GetList", "RecipientService", "Get-Recipient.ResultSize='500'.RecipientTypeDetails='UserMailbox'"),
             ("GetObject", "MailboxPropertiesService", "Get-Mailbox.Identity='%s'" % rng.choice(c.users)["upn"]),
             ("GetList", "DatabaseService", "Get-MailboxDatabase.Status='True'"),
             ("GetList", "QueueViewerService", "Get-Queue.Server='%s'" % srv["name"])]
    for (op, schema, cmd) in calls:
        q = "schema=%s&msExchEcpCanary=%s" % (schema, cn)
        r = c.add(Req(step(rng.randint(3, 40)), "POST", "/ecp/DDI/DDIService.svc/" + op, q, user=admin["dom"],
                      cip=ip, ua=ua, referer=refd, taken=rng.randint(80, 1600), proto="Ecp",
                      backend=be("/ecp/DDI/DDIService.svc/" + op, q, admin["dom"]), hp=hpok(op)))
        c.ecp_events.append((r.t + timedelta(milliseconds=40), "Request",
                             "S:CMD=%s;S:URL=/ecp/DDI/DDIService.svc/%s?%s;S:REQID=%s" % (cmd, op, q, r.reqid),
                             None))
    if with_set_vdir:
        q = "schema=OWAVirtualDirectory&msExchEcpCanary=%s" % cn
        r = c.add(Req(step(25), "POST", "/ecp/DDI/DDIService.svc/SetObject", q, user=admin["dom"], cip=ip,
                      ua=ua, referer=refd, taken=2210, proto="Ecp",
                      backend=be("/ecp/DDI/DDIService.svc/SetObject", q, admin["dom"]), hp=hpok("SetObject")))
        c.ecp_events.append((
            r.t + timedelta(milliseconds=60), "Request",
            "S:CMD=Set-OwaVirtualDirectory.ExternalUrl='https://%s/owa'.Identity='%s\\owa (Default Web Site)';"
            "S:URL=/ecp/DDI/DDIService.svc/SetObject?%s;S:REQID=%s" % (EXT_HOST, srv["name"], q, r.reqid),
            dict(id="T-ECP-SETVDIR", kind="trap",
                 what="benign Set-OwaVirtualDirectory with a valid ExternalUrl (no script): must NOT be flagged")))


def gen_ems(c, admin, day, hour):
    """Admin Exchange Management Shell session (remote PowerShell, port 80)."""
    srv, rng = c.srv, c.rng
    t = day + timedelta(hours=hour, minutes=rng.randint(0, 30), seconds=rng.randint(0, 59))
    q = ("serializationLevel=Full;ExchClientVer=15.1.2176.%d;clientApplication=ManagementShell;"
         "TargetServer=;PSVersion=5.1.14393.4046" % srv["build"][3])
    ip = "10.10.2.15"
    c.add(Req(t, "POST", "/powershell", q, port=80, user=None, cip=ip, ua=UA_WINRM, status=401, sub=1,
              win32=2148074254, taken=2, proto="PowerShell", host=srv["fqdn"],
              hp=dict(IsAuthenticated="false")))
    session, shell = mkguid(rng), mkguid(rng)
    cmds = ["", "Get-Mailbox", "Get-MailboxDatabaseCopyStatus", "Get-ExchangeServer", "Get-Queue", ""]
    for i, cmd in enumerate(cmds):
        t = t + timedelta(seconds=rng.randint(1, 50), milliseconds=rng.randint(0, 999))
        r = c.add(Req(t, "POST", "/powershell", q, port=80, user=admin["dom"], cip=ip, ua=UA_WINRM,
                      taken=rng.randint(10, 2500), proto="PowerShell", host=srv["fqdn"],
                      backend=be("/PowerShell", q, admin["dom"]),
                      hp=dict(ok_hp(srv, admin, "sid"), AuthenticationType="Kerberos")))
        c.rps_events.append((t, dict(
            RequestId=r.reqid, UrlHost=srv["fqdn"], UrlStem="/powershell",
            AuthenticationType="Kerberos", IsAuthenticated="true", AuthenticatedUser=admin["dom"],
            ClientIpAddress=ip, HttpStatus="200", SubStatus="0",
            Action=("Create" if i == 0 else "Command" if cmd else "Remove"),
            CommandId=mkguid(rng) if cmd else "", CommandName=cmd, SessionId=session, ShellId=shell,
            FailFast="False", ContributeToFailFast="False", RequestBytes=str(rng.randint(900, 8000)),
            ClientInfo=UA_WINRM, UrlQuery="?" + q), None))


def gen_rps_background(c, day):
    srv, rng = c.srv, c.rng
    for h in range(1, 24, 4):
        t = day + timedelta(hours=h, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59),
                            milliseconds=rng.randint(0, 999))
        c.rps_events.append((t, dict(
            RequestId=mkguid(rng), UrlHost="localhost", UrlStem="/powershell",
            AuthenticationType="Kerberos", IsAuthenticated="true",
            AuthenticatedUser="NT AUTHORITY\\SYSTEM", ClientIpAddress="127.0.0.1",
            HttpStatus="200", SubStatus="0", Action="Command", CommandId=mkguid(rng),
            CommandName="Get-ExchangeServer", SessionId=mkguid(rng), ShellId=mkguid(rng),
            FailFast="False", ContributeToFailFast="False", RequestBytes=str(rng.randint(900, 3000)),
            ClientInfo="Exchange BackEnd Probes"), None))
    # a scheduled reporting task with no ClientInfo
    t = day + timedelta(hours=5, minutes=rng.randint(0, 10), seconds=rng.randint(0, 59),
                        milliseconds=rng.randint(0, 999))
    c.rps_events.append((t, dict(
        RequestId=mkguid(rng), UrlHost=srv["fqdn"], UrlStem="/powershell",
        AuthenticationType="Kerberos", IsAuthenticated="true",
        AuthenticatedUser="CONTOSO\\svc-reporting", ClientIpAddress="10.10.2.40",
        HttpStatus="200", SubStatus="0", Action="Command", CommandId=mkguid(rng),
        CommandName="Get-MailboxStatistics", SessionId=mkguid(rng), ShellId=mkguid(rng),
        FailFast="False", ContributeToFailFast="False", RequestBytes=str(rng.randint(900, 3000)),
        ClientInfo=""), None))


def gen_oab_day(c, day, fail_benign=False):
    srv, rng = c.srv, c.rng
    base = srv["win_install"] + "\\ClientAccess\\OAB\\Temp\\"
    for h in (0, 8, 16):
        t = day + timedelta(hours=h, minutes=rng.randint(0, 3), seconds=rng.randint(0, 59),
                            milliseconds=rng.randint(0, 999))
        tmp = mkguid(rng)
        c.oab_events.append((t, "Info", "OABGen.Start",
                             "Processing offline address book '\\Default Offline Address Book' (%s)" % srv["oabguid"],
                             None))
        t += timedelta(seconds=rng.randint(2, 9), milliseconds=rng.randint(0, 999))
        c.oab_events.append((t, "Info", "OABGen.Download",
                             "Download completed for file %s%s\\oab.xml" % (base, tmp), None))
        if fail_benign and h == 8:
            t += timedelta(seconds=3, milliseconds=rng.randint(0, 999))
            lzx = "%s-data-%d.lzx" % (srv["oabguid"], rng.randint(30, 40))
            c.oab_events.append((t, "Warning", "OABGen.Download",
                                 "Download failed and temporary file '%s%s\\%s' needs to be removed" % (base, tmp, lzx),
                                 dict(id="T-OAB-FAIL", kind="trap",
                                      what="benign OAB download failure inside the install folder's ClientAccess\\OAB\\Temp: must NOT be flagged")))
        t += timedelta(seconds=rng.randint(5, 40), milliseconds=rng.randint(0, 999))
        c.oab_events.append((t, "Info", "OABGen.Complete",
                             "Offline address book '\\Default Offline Address Book' generation completed", None))


# --------------------------------------------------------------------------
# The attack on EX01
# --------------------------------------------------------------------------

def gen_attack_ex01(c):
    srv = c.srv
    rng = random.Random(7777)   # separate stream: attack ids do not move when benign volume changes
    fq = srv["fqdn"]
    H1 = "203.0.113.77"
    SCAN = "198.51.100.50"
    G2 = "198.51.100.23"

    def T(kind, aid, what):
        return dict(id=aid, kind=kind, what=what)

    # --- 1. mass scanning, failed ProxyLogon attempt (autodiscover-only anchor) ---
    c.add(Req(ts(2, 23, 29, 51, 204), "GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2f192.0.2.1%2fowa%2f&reason=0",
              cip=SCAN, ua=UA_ZGRAB, taken=19, proto="Owa", host="192.0.2.1",
              hp=dict(IsAuthenticated="false"), reqid=mkguid(rng),
              tag=T("context", "A1.0", "scanner fingerprints OWA build (logon.aspx)")))
    c.add(Req(ts(2, 23, 30, 14, 733), "POST", "/ecp/x.js", cip=SCAN, ua=UA_ESC, status=500, taken=187,
              proto="Ecp", host="192.0.2.1", reqid=mkguid(rng),
              hp=dict(IsAuthenticated="false", AuthenticatedUser="",
                      AnchorMailbox="ServerInfo~a]@%s:444/autodiscover/autodiscover.xml?#" % fq,
                      RoutingHint="X-BEResource-Cookie", ProxyAction="Proxy", BackEndStatus="",
                      ErrorCode="", GenericErrors=""),
              tag=T("attack", "A1", "failed ProxyLogon attempt (autodiscover-only ServerInfo anchor), HTTP 500")))

    # --- 2. HAFNIUM-like chain 2021-03-03 02:41-02:44 ---
    cn = canary(rng)
    chain = [
        (ts(3, 2, 41, 27, 513), "autodiscover/autodiscover.xml?#", 200, UA_ESC,
         "/autodiscover/autodiscover.xml", "", "CONTOSO\\EX01$", "SSRF step 1: autodiscover.xml (leak LegacyDN)"),
        (ts(3, 2, 41, 29, 86), "mapi/emsmdb/?#", 200, UA_ESC,
         "/mapi/emsmdb/", "", "CONTOSO\\EX01$", "SSRF step 2: mapi/emsmdb (leak administrator SID)"),
        (ts(3, 2, 41, 31, 640), "ecp/proxyLogon.ecp?#", 241, UA_PYREQ,
         "/ecp/proxyLogon.ecp", "", "CONTOSO\\EX01$", "SSRF step 3: proxyLogon.ecp (HTTP 241, ECP session as admin)"),
        (ts(3, 2, 42, 5, 377), "ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=%s&schema=OABVirtualDirectory#" % cn,
         200, UA_PYREQ, "/ecp/DDI/DDIService.svc/GetObject", "msExchEcpCanary=%s&schema=OABVirtualDirectory" % cn,
         "CONTOSO\\EX01$", "SSRF step 4: GetObject OABVirtualDirectory"),
        (ts(3, 2, 42, 8, 902), "ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=OABVirtualDirectory#" % cn,
         200, UA_PYREQ, "/ecp/DDI/DDIService.svc/SetObject", "msExchEcpCanary=%s&schema=OABVirtualDirectory" % cn,
         "CONTOSO\\EX01$", "SSRF step 5: SetObject OABVirtualDirectory (China Chopper in ExternalUrl)"),
        (ts(3, 2, 44, 16, 255), "ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=ResetOABVirtualDirectory#" % cn,
         200, UA_PYREQ, "/ecp/DDI/DDIService.svc/SetObject", "msExchEcpCanary=%s&schema=ResetOABVirtualDirectory" % cn,
         "CONTOSO\\EX01$", "SSRF step 6: SetObject ResetOABVirtualDirectory (CVE-2021-27065 file write)"),
    ]
    chain_reqs = []
    for i, (t, tail, st, ua, bstem, bq, buser, what) in enumerate(chain, 1):
        r = c.add(Req(t, "POST", "/ecp/y.js", cip=H1, ua=ua, status=st, taken=rng.randint(180, 2400),
                      proto="Ecp", host=EXT_HOST, reqid=mkguid(rng),
                      backend=dict(be(bstem, bq, buser), tag=T("attack", "A2.%d" % i, what + " [back end]")),
                      hp=dict(IsAuthenticated="false", AuthenticatedUser="", AuthenticationType="",
                              AnchorMailbox="ServerInfo~a]@%s:444/%s" % (fq, tail),
                              RoutingHint="X-BEResource-Cookie", ProxyAction="Proxy",
                              TargetServer=fq, TargetServerVersion="Version 15.1 (Build 2176.2)"),
                      tag=T("attack", "A2.%d" % i, what)))
        chain_reqs.append(r)

    # --- 3. ECP server log: script in OAB ExternalUrl, then reset ---
    chopper = ('http://f/<script language="JScript" runat="server">function Page_Load()'
               '{eval(Request["klk123456"],"unsafe");}</script>')
    vdir_id = "%s\\OAB (Default Web Site)" % srv["name"]
    r5, r6 = chain_reqs[4], chain_reqs[5]
    c.ecp_events.append((r5.t + timedelta(milliseconds=811), "Request",
                         "S:CMD=Set-OabVirtualDirectory.ExternalUrl='%s'.Identity='%s';"
                         "S:URL=/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=OABVirtualDirectory;"
                         "S:REQID=%s" % (chopper, vdir_id, cn, r5.reqid),
                         T("attack", "A3.1", "Set-OabVirtualDirectory with China Chopper script in ExternalUrl")))
    c.ecp_events.append((r6.t + timedelta(milliseconds=420), "Request",
                         "S:CMD=Remove-OabVirtualDirectory.Identity='%s'.Force='True';"
                         "S:URL=/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=ResetOABVirtualDirectory;"
                         "S:REQID=%s" % (vdir_id, cn, r6.reqid),
                         T("attack", "A3.2", "Remove-OabVirtualDirectory (reset)")))
    c.ecp_events.append((r6.t + timedelta(milliseconds=1377), "Request",
                         "S:CMD=New-OabVirtualDirectory.WebSiteName='Default Web Site'.Server='%s';"
                         "S:URL=/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=ResetOABVirtualDirectory;"
                         "S:REQID=%s" % (srv["name"], cn, r6.reqid),
                         T("attack", "A3.3", "New-OabVirtualDirectory (reset)")))

    # --- 4. OAB generator: file written outside ClientAccess\OAB ---
    t = ts(3, 2, 45, 3, 118)
    c.oab_events.append((t, "Info", "OABGen.Start",
                         "Processing offline address book '\\Default Offline Address Book' (%s)" % srv["oabguid"], None))
    c.oab_events.append((ts(3, 2, 45, 6, 402), "Warning", "OABGen.Download",
                         "Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\KZsqDfnb.aspx' needs to be removed",
                         T("attack", "A4", "CVE-2021-26858: OAB download written outside ClientAccess\\OAB (web shell KZsqDfnb.aspx)")))
    c.oab_events.append((ts(3, 2, 45, 9, 877), "Error", "OABGen.Complete",
                         "Offline address book '\\Default Offline Address Book' generation completed with errors", None))

    # --- 5. web shell use by 203.0.113.77 ---
    shell = "/aspnet_client/system_web/KZsqDfnb.aspx"
    kz_times = [ts(3, 2, 47, 10, 331), ts(3, 2, 47, 45, 12), ts(3, 2, 49, 3, 870), ts(3, 2, 52, 30, 145),
                ts(3, 3, 5, 12, 698), ts(3, 3, 31, 40, 3), ts(3, 4, 2, 9, 554), ts(3, 4, 2, 51, 230),
                ts(3, 5, 44, 18, 760), ts(3, 7, 55, 2, 91), ts(5, 14, 5, 31, 402), ts(5, 14, 7, 2, 613)]
    for i, t in enumerate(kz_times, 1):
        c.add(Req(t, "POST", shell, cip=H1, ua=UA_ANTSWORD, taken=rng.randint(150, 4800), proto=None,
                  host=EXT_HOST, reqid=mkguid(rng),
                  tag=T("attack", "A5.%d" % i, "POST to web shell KZsqDfnb.aspx (antSword)")))
    for i, t in enumerate([ts(3, 2, 58, 44, 507), ts(3, 3, 40, 15, 966)], 1):
        c.add(Req(t, "POST", "/owa/auth/RedirSuiteServerProxy.aspx", cip=H1, ua=UA_ANTSWORD,
                  taken=rng.randint(150, 3000), proto="Owa", host=EXT_HOST, reqid=mkguid(rng),
                  hp=dict(IsAuthenticated="false", AuthenticatedUser="", AnchorMailbox="", RoutingHint=""),
                  tag=T("attack", "A5.R%d" % i, "POST to web shell RedirSuiteServerProxy.aspx (written by the OAB reset)")))
    for i, t in enumerate([ts(3, 5, 12, 33, 180), ts(3, 5, 13, 2, 744), ts(4, 2, 20, 41, 95)], 1):
        c.add(Req(t, "POST", "/owa/auth/Current/themes/resources/logon.css", cip=H1, ua=UA_FIREFOX,
                  taken=rng.randint(40, 900), proto="Owa", host=EXT_HOST, reqid=mkguid(rng),
                  hp=dict(IsAuthenticated="false", AuthenticatedUser="", AnchorMailbox="", RoutingHint=""),
                  tag=T("attack", "A5.C%d" % i, "POST to static logon.css (Volexity pattern)")))

    # --- 6. second group 198.51.100.23 reuses the shell ---
    for i, t in enumerate([ts(4, 9, 12, 7, 18), ts(4, 9, 12, 39, 660), ts(4, 9, 14, 2, 301),
                           ts(4, 9, 17, 55, 842)], 1):
        c.add(Req(t, "POST", shell, cip=G2, ua=UA_GOOGLEBOT, taken=rng.randint(150, 4800), host=EXT_HOST,
                  reqid=mkguid(rng), tag=T("attack", "A6.%d" % i, "POST to KZsqDfnb.aspx, spoofed Googlebot UA")))
    c.add(Req(ts(4, 9, 25, 13, 477), "GET", "/owa/auth/errorEE.aspx", cip=G2, ua=UA_GOOGLEBOT, taken=233,
              proto="Owa", host=EXT_HOST, reqid=mkguid(rng),
              hp=dict(IsAuthenticated="false", AuthenticatedUser="", AnchorMailbox="", RoutingHint=""),
              tag=T("attack", "A6.E1", "GET of new web shell errorEE.aspx")))
    nine = [ts(9, 21, 3, 44, 120), ts(9, 21, 4, 20, 937), ts(9, 21, 9, 58, 301), ts(9, 21, 16, 12, 55),
            ts(9, 21, 29, 40, 712), ts(9, 21, 41, 7, 468)]
    for i, t in enumerate(nine, 1):
        c.add(Req(t, "POST", shell, cip=G2, ua=UA_GOOGLEBOT, taken=rng.randint(150, 9000), host=EXT_HOST,
                  reqid=mkguid(rng), tag=T("attack", "A6.%d" % (4 + i), "POST to KZsqDfnb.aspx (ransomware staging prelude)")))
    for i, t in enumerate([ts(9, 21, 5, 31, 377), ts(9, 21, 33, 2, 804)], 2):
        c.add(Req(t, "POST", "/owa/auth/errorEE.aspx", cip=G2, ua=UA_GOOGLEBOT, taken=rng.randint(150, 3000),
                  proto="Owa", host=EXT_HOST, reqid=mkguid(rng),
                  hp=dict(IsAuthenticated="false", AuthenticatedUser="", AnchorMailbox="", RoutingHint=""),
                  tag=T("attack", "A6.E%d" % i, "POST to web shell errorEE.aspx")))

    # --- 7. anomalous remote PowerShell client, 2021-03-05 (after the IIS restart) ---
    rps_t = ts(5, 14, 3, 22, 871)
    rid = mkguid(rng)
    c.add(Req(rps_t, "POST", "/powershell", cip=H1, ua=UA_PYREQ, taken=1877, proto="PowerShell",
              host=EXT_HOST, reqid=rid,
              hp=dict(IsAuthenticated="true", AuthenticatedUser="NT AUTHORITY\\SYSTEM", AuthenticationType="",
                      AnchorMailbox="", RoutingHint="", ProxyAction="Proxy", TargetServer=fq,
                      TargetServerVersion="Version 15.1 (Build 2176.2)"),
              tag=T("attack", "A7.1", "front-end request to /powershell from python-requests")))
    c.rps_events.append((rps_t, dict(
        StartTime=iso_ms(rps_t - timedelta(milliseconds=1877)),
        RequestId=rid, UrlHost=EXT_HOST, UrlStem="/powershell", AuthenticationType="Kerberos",
        IsAuthenticated="true", AuthenticatedUser="NT AUTHORITY\\SYSTEM", ClientIpAddress=H1,
        HttpStatus="200", SubStatus="0", Action="Create", CommandId="", CommandName="",
        SessionId=mkguid(rng), ShellId=mkguid(rng), FailFast="False", ContributeToFailFast="False",
        RequestBytes="5214", ClientInfo=UA_PYREQ, ActivityContextLifeTime="1877", TotalTime="1877"),
        T("attack", "A7", "RPS from ClientInfo python-requests/2.25.1 as NT AUTHORITY\\SYSTEM, HTTP 200")))

    # --- edge: benign line with an odd user agent (comma and double quote) ---
    c.add(Req(ts(7, 10, 14, 9, 330), "POST", "/autodiscover/autodiscover.xml", user="CONTOSO\\frank",
              cip="10.10.4.22", ua=UA_ODD, taken=78, proto="Autodiscover", reqid=mkguid(rng),
              backend=be("/Autodiscover/Autodiscover.xml", "", "CONTOSO\\frank"),
              hp=dict(AuthenticatedUser="frank@contoso.local", AnchorMailbox="SMTP:frank@contoso.local",
                      RoutingHint="AnchorMailboxHeader-SMTP", AuthenticationType="Negotiate"),
              tag=T("edge", "E2", "benign IIS line whose user agent contains a comma and a double quote")))

    # --- 8. mail theft by 203.0.113.77: two mailboxes read through the SSRF, a third exported
    #        into a web folder through the SSRF's ECP session and fetched, then read again through
    #        a hijacked OWA session. Drawn after everything above (attack stream) and with
    #        own_rng, so that no earlier line or random column moves. ---
    def ssrf(t, target, nbytes, aid, what):
        return c.add(Req(t, "POST", "/ecp/y.js", cip=H1, ua=UA_PYREQ, taken=rng.randint(180, 2400),
                         proto="Ecp", host=EXT_HOST, reqid=mkguid(rng), own_rng=True,
                         hp=dict(IsAuthenticated="false", AuthenticatedUser="", AuthenticationType="",
                                 AnchorMailbox="ServerInfo~a]@%s:444/%s" % (fq, target),
                                 RoutingHint="X-BEResource-Cookie", ProxyAction="Proxy",
                                 TargetServer=fq, TargetServerVersion="Version 15.1 (Build 2176.2)",
                                 ResponseBytes=nbytes),
                         tag=T("attack", aid, what)))
    reads = [
        (ts(3, 2, 51, 12, 334), "ceo", "FindItem&EP=1&ID=-2&AC=1", 24576),
        (ts(3, 2, 51, 40, 102), "ceo", "GetItem&EP=1&ID=-5&AC=1", 387210),
        (ts(3, 2, 52, 5, 877), "ceo", "GetItem&EP=1&ID=-6&AC=1", 1204337),
        (ts(3, 2, 53, 18, 510), "cfo", "FindItem&EP=1&ID=-2&AC=1", 19980),
        (ts(3, 2, 53, 44, 291), "cfo", "GetItem&EP=1&ID=-4&AC=1", 842133),
    ]
    for i, (t, who, action, nbytes) in enumerate(reads, 1):
        ssrf(t, "owa/%s@contoso.local/service.svc?action=%s#" % (who, action), nbytes, "A8.%d" % i,
             "SSRF read of %s@contoso.local through OWA explicit logon (X-BEResource cookie), %d bytes"
             % (who, nbytes))
    ssrf(ts(3, 2, 55, 9, 640), "EWS/Exchange.asmx?a=~%s#" % SERVER_ANCHOR_VER, 523288, "A8.6",
         "SSRF to EWS (the mailbox is only in the SOAP body: not logged), 523288 bytes")
    export_req = ssrf(
        ts(3, 2, 57, 21, 418),
        "ecp/DDI/DDIService.svc/NewObject?msExchEcpCanary=%s&schema=MailboxExportRequest#" % cn, 1822,
        "A10.1", "SSRF to ECP: new mailbox export request")
    pst_path = "\\\\EX01\\C$\\inetpub\\wwwroot\\aspnet_client\\system_web\\carol.pst"
    c.ecp_events.append((export_req.t + timedelta(milliseconds=912), "Request",
                         "S:CMD=New-MailboxExportRequest.Mailbox='carol'.FilePath='%s';"
                         "S:URL=/ecp/DDI/DDIService.svc/NewObject?msExchEcpCanary=%s&schema=MailboxExportRequest;"
                         "S:REQID=%s" % (pst_path, cn, export_req.reqid),
                         T("attack", "A10.2", "New-MailboxExportRequest of carol into aspnet_client\\system_web\\carol.pst")))
    c.add(Req(ts(3, 5, 31, 2, 557), "GET", "/aspnet_client/system_web/carol.pst", cip=H1, ua=UA_PYREQ,
              taken=2210, host=EXT_HOST, reqid=mkguid(rng),
              tag=T("attack", "A10.3", "carol.pst (98304 bytes on disk) downloaded from the web folder")))
    carol = next(u for u in c.users if u["name"] == "carol")
    anon = dict(IsAuthenticated="false")
    as_carol = lambda action, nbytes: dict(ok_hp(srv, carol, "smtp", action), AuthenticationType="Basic",
                                           ProxyAction="Proxy", ResponseBytes=nbytes)
    ref_owa = "https://%s/owa/" % EXT_HOST
    hijack = [
        (ts(4, 2, 31, 5, 212), "GET", "/owa/", "", None, 302, anon, "A9.1"),
        (ts(4, 2, 31, 5, 640), "GET", "/owa/auth/logon.aspx",
         "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0", None, 200, anon, "A9.2"),
        (ts(4, 2, 31, 19, 83), "POST", "/owa/auth.owa", "", carol["dom"], 302, as_carol("", 0), "A9.3"),
        (ts(4, 2, 31, 20, 411), "GET", "/owa/", "", carol["dom"], 200, as_carol("", 48211), "A9.4"),
        (ts(4, 2, 31, 27, 930), "POST", "/owa/service.svc", "action=FindConversation&EP=1&ID=-3&AC=1",
         carol["dom"], 200, as_carol("FindConversation", 15833), "A9.5"),
        (ts(4, 2, 31, 45, 602), "POST", "/owa/service.svc", "action=GetConversationItems&EP=1&ID=-4&AC=1",
         carol["dom"], 200, as_carol("GetConversationItems", 96310), "A9.6"),
        (ts(4, 2, 32, 10, 377), "POST", "/owa/service.svc", "action=GetItem&EP=1&ID=-5&AC=1",
         carol["dom"], 200, as_carol("GetItem", 402557), "A9.7"),
        (ts(4, 2, 33, 2, 118), "POST", "/owa/service.svc", "action=GetItem&EP=1&ID=-6&AC=1",
         carol["dom"], 200, as_carol("GetItem", 288904), "A9.8"),
        (ts(4, 2, 34, 40, 905), "GET", "/owa/service.svc/s/GetFileAttachment",
         "id=AAMkADk0ZjE2%3D&X-OWA-CANARY=" + hexid(rng, 32), carol["dom"], 200,
         as_carol("GetFileAttachment", 2310455), "A9.9"),
    ]
    for (t, meth, stem, q, user, st, hp, aid) in hijack:
        c.add(Req(t, meth, stem, q, user=user, cip=H1, ua=UA_CHROME, status=st, referer=ref_owa,
                  taken=rng.randint(20, 900), proto="Owa", host=EXT_HOST, reqid=mkguid(rng), own_rng=True,
                  hp=hp, tag=T("attack", aid, "hijacked OWA session: %s %s as carol from 203.0.113.77 (stolen credentials)"
                                % (meth, stem))))


def gen_nmap_ex02(c):
    rng = random.Random(8888)
    c.add(Req(ts(6, 14, 7, 31, 562), "GET", "/owa/auth/x.js", cip="10.10.5.5", ua=UA_NMAP, status=500,
              taken=31, proto="Owa", host=c.srv["fqdn"], reqid=mkguid(rng), cafe=False,
              hp=dict(IsAuthenticated="false", AuthenticatedUser="",
                      AnchorMailbox="ServerInfo~localhost/ecp/default.flt?",
                      RoutingHint="X-AnonResource-Backend-Cookie", ProxyAction="Proxy",
                      TargetServer="localhost"),
              tag=dict(id="I1", kind="info",
                       what="Microsoft nmap CVE-2021-26855 check by the admin (ServerInfo~localhost): informational only")))


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------

class Out:
    def __init__(self, base):
        self.base = base
        self.files = []        # (relpath, nlines)
        self.index = []        # (tag, relpath, lineno)

    def write(self, relpath, lines, tags, *, bom=False, eol="\n", final_eol=True):
        full = os.path.join(self.base, relpath)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        text = eol.join(lines) + (eol if final_eol else "")
        with open(full, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            f.write(text)
        self.files.append((relpath, len(lines)))
        for i, tg in enumerate(tags):
            if tg:
                self.index.append((tg, relpath, i + 1))


def iis_val(v):
    if v is None or v == "":
        return "-"
    return str(v).replace(" ", "+")


def iis_line(srv, r, with_host=False, backend=False):
    if backend:
        b = r.backend
        q = b["query"] or "-"
        vals = [r.t.strftime("%Y-%m-%d"), r.t.strftime("%H:%M:%S"), srv["ip"], r.method, b["stem"], q]
        if with_host:
            vals.append("%s:444" % srv["fqdn"])
        taken = b["taken"] if b.get("taken") is not None else max(0, int(r.taken * 0.8) - 3)
        vals += ["444", iis_val(b["user"]), srv["ip"], iis_val(r.ua), "-", str(r.status), "0", "0", str(taken)]
        return " ".join(vals)
    if r.cafe:
        q = (("%s" % r.query) if r.query else "") + "&CorrelationID=<empty>;&cafeReqId=%s;&encoding=;" % r.reqid
    else:
        q = r.query or "-"
    vals = [r.t.strftime("%Y-%m-%d"), r.t.strftime("%H:%M:%S"), srv["ip"], r.method, r.stem, q]
    if with_host:
        vals.append(r.host)
    vals += [str(r.port), iis_val(r.user), r.cip, iis_val(r.ua), iis_val(r.referer), str(r.status),
             str(r.sub), str(r.win32), str(r.taken)]
    return " ".join(vals)


def iis_header(t):
    return ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
            "#Date: " + t.strftime("%Y-%m-%d %H:%M:%S")]


def write_iis(out, srv, reqs, restart=None):
    pre = srv["root"] + "/inetpub/logs/LogFiles/"
    for d in range(1, 11):
        day = datetime(2021, 3, d)
        todays = sorted([r for r in reqs if r.t.date() == day.date()], key=lambda r: (r.t, r.seq))
        # front end
        lines = iis_header(day) + ["#Fields: " + IIS_FIELDS]
        tags = [None] * len(lines)
        crlf = restart is not None and restart.date() == day.date()
        restarted = False
        for r in todays:
            if crlf and not restarted and r.t >= restart:
                h = iis_header(restart) + ["#Fields: " + IIS_FIELDS_HOST]
                lines += h
                tags += [dict(id="E3", kind="edge",
                              what="IIS restart: second header block, #Fields adds cs-host (CRLF file)")] + [None] * 3
                restarted = True
            lines.append(iis_line(srv, r, with_host=restarted))
            tags.append(r.tag)
        out.write(pre + "W3SVC1/u_ex%s.log" % day.strftime("%y%m%d"), lines, tags,
                  eol="\r\n" if crlf else "\n")
        # back end
        lines = iis_header(day) + ["#Fields: " + IIS_FIELDS]
        tags = [None] * len(lines)
        for r in todays:
            if r.backend and r.status not in (401,):
                lines.append(iis_line(srv, r, backend=True))
                tags.append(r.backend.get("tag"))
        out.write(pre + "W3SVC2/u_ex%s.log" % day.strftime("%y%m%d"), lines, tags)


def hp_row(srv, r, rng):
    row = {f: "" for f in HP_FIELDS}
    maj, mnr, bld, rev = srv["build"]
    proxied = bool(r.backend) or r.hp.get("ProxyAction") == "Proxy"
    row.update(
        DateTime=iso_ms(r.t), RequestId=r.reqid, MajorVersion=maj, MinorVersion=mnr, BuildVersion=bld,
        RevisionVersion=rev, Protocol=r.proto, UrlHost=r.host, UrlStem=r.stem,
        IsAuthenticated="true" if r.user else "false",
        UserAgent=r.ua or "", ClientIpAddress=r.cip, ServerHostName=srv["name"], HttpStatus=r.status,
        BackEndStatus=r.status if proxied else "", Method=r.method,
        ProxyAction="Proxy" if proxied else "",
        TargetServer=srv["fqdn"] if proxied else "",
        TargetServerVersion="Version 15.1 (Build 2176.%d)" % rev if proxied else "",
        ServerLocatorHost=srv["fqdn"] if proxied else "",
        ServerLocatorLatency=rng.randint(0, 3) if proxied else "",
        RequestBytes=rng.randint(0, 4000) if r.method != "GET" else 0,
        ResponseBytes=rng.randint(200, 60000),
        TargetOutstandingRequests=rng.randint(0, 3) if proxied else "",
        HttpPipelineLatency=rng.randint(0, 12),
        CalculateTargetBackEndLatency=rng.randint(0, 2) if proxied else "",
        ADLatency=rng.randint(0, 4) if proxied else "",
        ActivityContextLifeTime=r.taken + rng.randint(0, 3),
        ModuleToHandlerSwitchingLatency=0,
        BackendProcessingLatency=max(0, r.taken - rng.randint(1, 10)) if proxied else "",
        ProxyTime=max(0, r.taken - 2) if proxied else "",
        CoreLatency=rng.randint(0, 6), RoutingLatency=rng.randint(0, 3) if proxied else "",
        HttpProxyOverhead=rng.randint(1, 12), TotalRequestTime=r.taken,
        UrlQuery=("?" + r.query) if r.query else "",
    )
    if r.user and r.status != 401:
        row["AuthenticationType"] = "Negotiate"
    row.update(r.hp)
    return row


def write_httpproxy(out, srv, reqs, extra_hours, truncate_last=None, ecp_bare_header=False):
    rng = random.Random(srv["seed"] + 5)
    samples = {p: list(v) for p, v in srv["hp_samples"].items()}
    for p, dh in extra_hours:
        if dh not in samples[p]:
            samples[p].append(dh)
    base = "%s/%s/Logging/HttpProxy/" % (srv["root"], srv["install"])
    for p in PROTOCOLS:
        for (d, h) in sorted(samples[p]):
            start = datetime(2021, 3, d, h)
            rows = sorted([r for r in reqs if r.proto == p and start <= r.t < start + timedelta(hours=1)],
                          key=lambda r: (r.t, r.seq))
            lines, tags = [], []
            if p == "Ecp" and ecp_bare_header:
                lines.append(",".join(HP_FIELDS))
                tags.append(dict(id="E4", kind="edge",
                                 what="bare CSV header line before the # directives (EX01 Ecp files)"))
            lines += ["#Software: Microsoft Exchange Server", "#Version: " + srv["version"],
                      "#Log-type: HttpProxy Logs", "#Date: " + iso_ms(start),
                      "#Fields: " + ",".join(HP_FIELDS)]
            tags += [None] * 5
            for r in rows:
                row = hp_row(srv, r, random.Random(r.reqid) if r.own_rng else rng)
                lines.append(csv_line([row[f] for f in HP_FIELDS]))
                tags.append(r.tag)
            final_eol = True
            if truncate_last == (p, d, h):
                # copy truncated inside the last record: cut in the middle of TargetServer
                row = hp_row(srv, rows[-1], rng)
                k = HP_FIELDS.index("TargetServer")
                vals = [row[f] for f in HP_FIELDS[:k]]
                lines[-1] = csv_line(vals) + "," + str(row["TargetServer"])[:9]
                tags[-1] = dict(id="E1", kind="edge",
                                what="last record cut mid-field (%d of %d columns), no trailing newline"
                                     % (k + 1, len(HP_FIELDS)))
                final_eol = False
            out.write(base + "%s/HttpProxy_%04d%02d%02d%02d-1.LOG" % (srv["proto_dir"][p], 2021, 3, d, h),
                      lines, tags, bom=True, final_eol=final_eol)


def directive_block(srv, logtype, start, fields):
    return ["#Software: Microsoft Exchange Server", "#Version: " + srv["version"],
            "#Log-type: " + logtype, "#Date: " + iso_ms(start), "#Fields: " + ",".join(fields)]


def write_ecp(out, srv, events):
    base = "%s/%s/Logging/ECP/Server/" % (srv["root"], srv["install"])
    days = sorted(set(e[0].day for e in events))
    for d in days:
        evs = sorted([e for e in events if e[0].day == d], key=lambda e: e[0])
        lines = directive_block(srv, "ECP Server Log", datetime(2021, 3, d), ECP_FIELDS)
        tags = [None] * len(lines)
        for (t, eid, data, tag) in evs:
            lines.append(csv_line([iso_ms(t), srv["name"], eid, data]))
            tags.append(tag)
        out.write(base + "ECPServer202103%02d00-1.LOG" % d, lines, tags, bom=True)


def write_oab(out, srv, events):
    base = "%s/%s/Logging/%s/" % (srv["root"], srv["install"], srv["oab_dir"])
    for d in range(1, 11):
        evs = sorted([e for e in events if e[0].day == d], key=lambda e: e[0])
        lines = directive_block(srv, "OABGenerator Log", datetime(2021, 3, d), OAB_FIELDS)
        tags = [None] * len(lines)
        for (t, lvl, eid, msg, tag) in evs:
            lines.append("%s,%s,%s,%s,\"%s\"" % (iso_ms(t), srv["name"], lvl, eid, msg.replace('"', '""')))
            tags.append(tag)
        out.write(base + "OABGenerator_202103%02d00-1.LOG" % d, lines, tags, bom=True)


def write_rps(out, srv, events):
    rng = random.Random(srv["seed"] + 9)
    base = "%s/%s/Logging/CmdletInfra/Powershell-Proxy/Http/" % (srv["root"], srv["install"])
    maj, mnr, bld, rev = srv["build"]
    for d in range(1, 11):
        evs = sorted([e for e in events if e[0].day == d], key=lambda e: e[0])
        lines = directive_block(srv, "Rps Http Logs", datetime(2021, 3, d), RPS_FIELDS)
        tags = [None] * len(lines)
        for (t, vals, tag) in evs:
            row = {f: "" for f in RPS_FIELDS}
            tt = rng.randint(15, 2500)
            row.update(DateTime=iso_ms(t), StartTime=iso_ms(t - timedelta(milliseconds=tt)),
                       MajorVersion=maj, MinorVersion=mnr, BuildVersion=bld, RevisionVersion=rev,
                       ServerHostName=srv["name"], FrontEndServer=srv["fqdn"], CPU=rng.randint(0, 400),
                       Memory=rng.randint(100000, 9000000), ActivityContextLifeTime=tt, TotalTime=tt,
                       GenericLatency="")
            row.update(vals)
            lines.append(csv_line([row[f] for f in RPS_FIELDS]))
            tags.append(tag)
        out.write(base + "Rps_Http_202103%02d00-1.LOG" % d, lines, tags, bom=True)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

# The Windows event logs (EVTX) are written by crates/events/examples/demo_evtx.rs, not by this
# script; they and their README section survive a regeneration.
EVTX_DIR = os.path.join("Windows", "System32", "winevt", "Logs")
DISK_SECTION = """## Files on disk (written by `examples/generate_files.py`)

Synthetic files, written by `python3 examples/generate_files.py` (also run at the end of
`generate.py`). None of them comes from a real web shell or a real Exchange install.

| server | path (under the drive) | what | expected |
|---|---|---|---|
| both | `…/FrontEnd/HttpProxy/owa/auth/{logon,logoff,errorFE,expiredpassword,frowny,OutlookCN,RedirSuiteServiceProxy,signout}.aspx`, `ecp/auth/TimeoutLogoff.aspx`, `owa/auth/15.1.2176/themes/resources/*.css` | stock-looking OWA/ECP pages | nothing (stock names, stock content) |
| both | `inetpub/wwwroot/{iisstart.htm,iisstart.png,web.config}`, `aspnet_client/system_web/4_0_30319/WebUIValidation.js` | stock IIS root | nothing |
| both | `inetpub/wwwroot/intranet/phonebook.aspx` | a benign page with `DataBinder.Eval`, `Eval(...)`, a JavaScript `eval` of JSON and a base64 image | nothing |
| both | `Windows/System32/inetsrv/config/applicationHost.config` | stock sites and virtual directories | nothing |
| both | `ProgramData/McAfee/Common Framework/Update/catalog.zip` | an antivirus update archive (what made Test-ProxyLogon cry wolf) | nothing |
| EX01 | `inetpub/wwwroot/aspnet_client/system_web/KZsqDfnb.aspx` | China Chopper one-liner written through the OAB file write | web shell (critical) |
| EX01 | `…/FrontEnd/HttpProxy/owa/auth/errorEE.aspx` | a mailbox export written as a page: `!BDN` PST header with a JScript `eval` in a draft (Exchange Management #15) | web shell / PST-as-aspx (critical) |
| EX01 | `inetpub/wwwroot/aspnet_client/system_web/carol.pst` | carol's mailbox exported into the web folder (`!BDN` PST header, 98,304 bytes; ECP server log 2021-03-03 02:57) and fetched (W3SVC1 05:31) | mailbox export in a web folder (high) |
| EX01 | `Windows/Temp/lsass.dmp` | LSASS minidump (`MDMP`) made with comsvcs.dll (Sysmon #16) | credential dump (critical) |
| EX01 | `ProgramData/pst/it.zip` | 7-Zip staging of `alice.pst`, `bob.pst` (Sysmon #29) | staging archive with mailbox data (high) |
| EX01 | `Users/Public/Documents/budget-2021.xlsx.CRYPT`, `readme.txt` | a file encrypted by DearCry (`DEARCRY!` marker) and its note, after the `msupdate` service (System #44) | ransomware (critical) |

Git does not keep file times: after a clone the files carry the checkout time, so file findings
of the demo show that time, not 2021.

"""

EVTX_BEGIN = "<!-- demo_evtx:begin"
EVTX_END = "<!-- demo_evtx:end -->"


def keep_event_logs(outdir):
    """(relative path, bytes) of every file under <outdir>/**/Windows/System32/winevt/Logs."""
    kept = []
    for root, _, fs in os.walk(outdir):
        if os.path.normpath(root).endswith(EVTX_DIR):
            for fn in sorted(fs):
                p = os.path.join(root, fn)
                with open(p, "rb") as f:
                    kept.append((os.path.relpath(p, outdir), f.read()))
    return kept


def restore_event_logs(outdir, kept):
    for rel, data in kept:
        p = os.path.join(outdir, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def kept_readme_section():
    """The marked event-log section of the current README (written by demo_evtx), or ''."""
    try:
        with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return ""
    b, e = text.find(EVTX_BEGIN), text.find(EVTX_END)
    if b < 0 or e < b:
        return ""
    return text[b:e + len(EVTX_END)] + "\n\n"


def build_server(key, scale):
    srv = SERVERS[key]
    rng = random.Random(srv["seed"])
    srv["healthmbx"] = "HealthMailbox%s@contoso.local" % hexid(rng, 32)
    srv["healthguid"] = mkguid(rng)
    srv["healthadguid"] = mkguid(rng)
    srv["oabguid"] = mkguid(rng)
    users, dbs = make_users(srv, (EX01_USERS if key == "EX01" else EX02_USERS)[:N_USERS], rng)
    srv["dbs"] = dbs
    admin = dict(name="exadmin", upn="exadmin@contoso.local", dom="CONTOSO\\exadmin",
                 sid="%s-1104" % DOMAIN_SID, db=dbs[0], adguid=mkguid(rng))
    c = Ctx(srv, rng, scale)
    c.users = users
    for d in range(1, 11):
        day = datetime(2021, 3, d)
        gen_benign_day(c, users, day)
        if d in srv["ecp_days"]:
            gen_ecp_admin(c, admin, day, srv["ecp_hours"][d], with_set_vdir=(d == srv["ecp_days"][0]))
        if d in srv["ems_days"]:
            gen_ems(c, admin, day, srv["ems_days"][d])
        gen_rps_background(c, day)
        gen_oab_day(c, day, fail_benign=(d == (2 if key == "EX01" else 8)))
    return srv, c


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplier for benign background traffic (default 1.0 = committed evidence)")
    args = ap.parse_args()

    results = {}
    for key in ("EX01", "EX02"):
        Req._seq = 0
        srv, c = build_server(key, args.scale)
        outdir = os.path.join(HERE, srv["outdir"])
        kept = keep_event_logs(outdir)
        if os.path.isdir(outdir):
            shutil.rmtree(outdir)
        restore_event_logs(outdir, kept)
        out = Out(outdir)
        if key == "EX01":
            gen_attack_ex01(c)
            restart = datetime(2021, 3, 5, 13, 20, 4)
            # drop benign requests during the ~20 s restart window
            c.reqs = [r for r in c.reqs if not (restart - timedelta(seconds=16) <= r.t < restart + timedelta(seconds=3))]
            write_iis(out, srv, c.reqs, restart=restart)
            extra = []
            for r in c.reqs:
                if r.tag and r.tag["kind"] in ("attack", "context") and r.proto:
                    extra.append((r.proto, (r.t.day, r.t.hour)))
            write_httpproxy(out, srv, c.reqs, extra, truncate_last=("Mapi", 10, 17), ecp_bare_header=True)
        else:
            gen_nmap_ex02(c)
            write_iis(out, srv, c.reqs)
            write_httpproxy(out, srv, c.reqs, [("Owa", (6, 14))])
        write_ecp(out, srv, c.ecp_events)
        write_oab(out, srv, c.oab_events)
        write_rps(out, srv, c.rps_events)
        results[key] = (srv, out)
    write_readme(results, args.scale)


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

README_HEAD = r"""# exhunt demo evidence (synthetic)

**Everything under `examples/` is synthetic.** It was produced by
`examples/generate.py` (fixed seeds, no clock input) and contains no real
customer data.  Attacker addresses come from the documentation ranges
`203.0.113.0/24` and `198.51.100.0/24`; benign internet clients use
`192.0.2.0/24` (192.0.2.1 stands for EX01's public address, seen as the
Host header of the mass scanner); internal clients use `10.10.0.0/16`.  Names (`contoso`,
`alice`, ...) are placeholders.  Regenerate with:

    python3 examples/generate.py          # rewrites both servers and this README

`--scale N` multiplies the benign background traffic (for load tests); the
committed files use the default scale 1.0 and the line numbers below are
only valid for that scale.

## The two servers

| | EX01 (`compromised-ex2016/`) | EX02 (`clean-ex2016/`) |
|---|---|---|
| Collection style | KAPE copy of drive C: (paths start with `C/`) | Velociraptor collection (paths start with `uploads/auto/C%3A/`, literally) |
| Product / build | Exchange 2016 CU19, 15.01.2176.002, **unpatched** | Exchange 2016 CU19 + March 2021 SU, 15.01.2176.009 (patched) |
| Host / FQDN / IP | EX01 / ex01.contoso.local / 10.10.1.10 | EX02 / ex02.contoso.local / 10.10.1.11 |
| Install folder | default `C:\Program Files\Microsoft\Exchange Server\V15` | **non-default** `C:\Exchange\V15` |
| Exposure | directly on the internet (no reverse proxy), external name mail.contoso.com | same external name |
| Period | 2021-03-01 00:00 to 2021-03-10 23:59 UTC | same |
| Content | benign traffic + two intrusion sets (below) | benign traffic only + the admin's nmap check |

Folder-name casing on EX02 varies as it does in copies of real Windows
systems: `Logging/HttpProxy/OWA` (not `Owa`), `Logging/HttpProxy/autodiscover`
and `Logging/OabGeneratorLog`.  A tool must match these names
case-insensitively and must find the install folder without assuming the
default path.

### Logs present (per server)

* IIS W3C: `inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log` (front end, 443 and
  80 for EMS) and `W3SVC2/u_exYYMMDD.log` (Exchange Back End, 444), one file
  per day.
* HttpProxy: `<Install>/Logging/HttpProxy/<Protocol>/HttpProxy_YYYYMMDDHH-1.LOG`
  for Autodiscover, Eas, Ecp, Ews, Mapi, Oab, Owa, PowerShell and RpcHttp.  Only
  a sample of hours has a file (each file holds every request of that protocol
  in that hour, so its `RequestId` values match `cafeReqId=` in W3SVC1).
* ECP server log: `<Install>/Logging/ECP/Server/ECPServer2021MMDD00-1.LOG`
  (only on days with ECP activity).
* OAB generator: `<Install>/Logging/OABGeneratorLog/OABGenerator_2021MMDD00-1.LOG`.
* Remote PowerShell HTTP: `<Install>/Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2021MMDD00-1.LOG`.

### Format notes and reconstructions

* IIS: default W3C field set, UTC, `-` for empty, spaces in the user agent
  written as `+`.  Requests to Exchange virtual directories carry
  `&CorrelationID=<empty>;&cafeReqId=<guid>;&encoding=;` appended to the query
  (alone if there was no query); requests outside Exchange vdirs
  (`/aspnet_client/...`) do not.  Line endings are LF, except in the one file
  with the IIS restart (see edge cases), which is CRLF.
* HttpProxy: UTF-8 with BOM, CSV with `#` directives, the 2016 CU23 / 2019
  column list from the reference (74 columns), LF line endings.  Fields are
  quoted only when needed (commas or quotes, e.g. browser user agents that
  contain `KHTML, like Gecko`).
* ECP server, OAB generator and RPS logs: UTF-8 with BOM, `#` directives,
  CSV.  The OAB generator column list
  `Timestamp,ServerName,Level,EventId,Message` and its `EventId` values
  (`OABGen.Start`, `OABGen.Download`, `OABGen.Complete`) are **our best
  reconstruction**, not copied from a real file; the Message text
  (`Download failed and temporary file '...' needs to be removed`) is the
  string that Microsoft's guidance searches for.  Messages are always quoted.
  The ECP `EventId` value `Request` is likewise a reconstruction.
* W3SVC2 (back end) lines: user names are the proxied user; for the
  ProxyLogon SSRF requests, which carry no user token, we log the front end's
  machine account `CONTOSO\EX01$`.  This is a plausible reconstruction,
  provided only to corroborate; rules should not depend on it.
* In the attack's DDIService URLs the query order is
  `msExchEcpCanary=<canary>&schema=<schema>`, as in the published real traces
  (helsecert), so the Reset anchor ends in `...ResetOABVirtualDirectory#` and
  matches Test-ProxyLogon's `ServerInfo~*/*Reset*VirtualDirectory#` test.
* `S:REQID=` in ECP server lines equals the HttpProxy `RequestId` (and the
  IIS `cafeReqId`) of the request that caused it.

"""


def write_readme(results, scale):
    ex01, out1 = results["EX01"]
    ex02, out2 = results["EX02"]
    L = [README_HEAD]

    def loc(out, aid, fragment=None):
        hits = [(p, n) for (t, p, n) in out.index if t["id"] == aid and (fragment is None or fragment in p)]
        return hits

    L.append(r"""## Attack timeline on EX01 (all times UTC)

| Time | Source | What | Evidence (EX01) |
|---|---|---|---|
| 2021-03-02 23:29:51 | 198.51.100.50 (`Mozilla/5.0 zgrab/0.x`) | mass scanner fetches `/owa/auth/logon.aspx` (version fingerprint) | W3SVC1 u_ex210302.log |
| 2021-03-02 23:30:14 | 198.51.100.50 (`ExchangeServicesClient/0.0.0.0`) | ProxyLogon (CVE-2021-26855) attempt: `POST /ecp/x.js`, AnchorMailbox `ServerInfo~a]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#`, HTTP 500. **Failed** (autodiscover-only, no valid mailbox) | W3SVC1 u_ex210302.log; HttpProxy/Ecp/HttpProxy_2021030223-1.LOG |
| 2021-03-03 02:41:27 - 02:44:16 | 203.0.113.77 | HAFNIUM-like SSRF chain, six `POST /ecp/y.js` with `X-BEResource-Cookie` and empty AuthenticatedUser; anchors autodiscover.xml (200), mapi/emsmdb (200), ecp/proxyLogon.ecp (**241**), DDIService GetObject OABVirtualDirectory (200), SetObject OABVirtualDirectory (200), SetObject **ResetOABVirtualDirectory** (200). Steps 1-2 use UA `ExchangeServicesClient/0.0.0.0`, steps 3-6 `python-requests/2.25.1` (the same UA in IIS and HttpProxy for a given request) | W3SVC1 u_ex210303.log (cafeReqId = RequestId); HttpProxy/Ecp/HttpProxy_2021030302-1.LOG; W3SVC2 u_ex210303.log (back-end side) |
| 2021-03-03 02:42:09 | (via ECP) | CVE-2021-27065: `Set-OabVirtualDirectory.ExternalUrl='http://f/<script language="JScript" runat="server">...eval(Request["klk123456"],"unsafe")...'` | ECP/Server/ECPServer2021030300-1.LOG |
| 2021-03-03 02:44:16 - 02:44:17 | (via ECP) | OAB virtual directory reset: `Remove-OabVirtualDirectory`, `New-OabVirtualDirectory` (writes `owa\auth\RedirSuiteServerProxy.aspx`) | ECP/Server/ECPServer2021030300-1.LOG |
| 2021-03-03 02:45:06 | (OAB generator) | CVE-2021-26858: `Download failed and temporary file 'C:\inetpub\wwwroot\aspnet_client\system_web\KZsqDfnb.aspx' needs to be removed` (path outside `ClientAccess\OAB`) | OABGeneratorLog/OABGenerator_2021030300-1.LOG |
| 2021-03-03 02:47:10 - 07:55:02, 2021-03-05 14:05:31 - 14:07:02 | 203.0.113.77 (`antSword/v2.1`) | 12 x `POST /aspnet_client/system_web/KZsqDfnb.aspx` 200 | W3SVC1 u_ex210303.log, u_ex210305.log (after the restart, cs-host layout) |
| 2021-03-03 02:51:12 - 02:55:09 | 203.0.113.77 (`python-requests/2.25.1`) | mail read through the SSRF: 3 x `POST /ecp/y.js` whose AnchorMailbox is `ServerInfo~a]@ex01.contoso.local:444/owa/ceo@contoso.local/service.svc?action=...` (ResponseBytes 1,616,123 in all), 2 for `cfo@contoso.local` (862,113), 1 to `EWS/Exchange.asmx` whose mailbox is only in the (unlogged) SOAP body (523,288) | W3SVC1 u_ex210303.log; HttpProxy/Ecp/HttpProxy_2021030302-1.LOG |
| 2021-03-03 02:57:21 | 203.0.113.77, through the SSRF's ECP session | `New-MailboxExportRequest` of `carol` to `\\EX01\C$\inetpub\wwwroot\aspnet_client\system_web\carol.pst` (the file is on disk, 98,304 bytes) | ECP/Server/ECPServer2021030300-1.LOG; W3SVC1 u_ex210303.log; HttpProxy/Ecp 2021030302 |
| 2021-03-03 02:58:44, 03:40:15 | 203.0.113.77 (`antSword/v2.1`) | `POST /owa/auth/RedirSuiteServerProxy.aspx` 200 | W3SVC1 u_ex210303.log; HttpProxy/Owa 2021030302, 2021030303 |
| 2021-03-03 05:12:33, 05:13:02, 2021-03-04 02:20:41 | 203.0.113.77 (Firefox UA) | `POST /owa/auth/Current/themes/resources/logon.css` 200 (Volexity pattern) | W3SVC1 u_ex210303.log, u_ex210304.log; HttpProxy/Owa 2021030305, 2021030402 |
| 2021-03-03 05:31:02 | 203.0.113.77 (`python-requests/2.25.1`) | `GET /aspnet_client/system_web/carol.pst` 200: the export fetched | W3SVC1 u_ex210303.log |
| 2021-03-04 02:31:05 - 02:34:40 | 203.0.113.77 (Chrome UA) | hijacked OWA session: forms logon as `CONTOSO\carol` (credentials from the LSASS dump), `/owa/`, 4 x `service.svc` and an attachment download, ResponseBytes 3,162,270 in all. No rule flags these lines: only a second look at the intruder's address finds them | W3SVC1 u_ex210304.log; HttpProxy/Owa/HttpProxy_2021030402-1.LOG |
| 2021-03-04 09:12:07 - 09:17:55 | 198.51.100.23 (spoofed Googlebot UA) | second group reuses the shell: 4 x `POST /aspnet_client/system_web/KZsqDfnb.aspx` | W3SVC1 u_ex210304.log |
| 2021-03-04 09:25:13 | 198.51.100.23 | `GET /owa/auth/errorEE.aspx` 200 (new shell) | W3SVC1 u_ex210304.log; HttpProxy/Owa 2021030409 |
| 2021-03-05 13:20:04 | - | IIS restart on EX01 (log header repeated, `cs-host` added) | W3SVC1 u_ex210305.log |
| 2021-03-05 14:03:22 | 203.0.113.77 | anomalous remote PowerShell: Rps_Http row with ClientInfo `python-requests/2.25.1`, AuthenticatedUser `NT AUTHORITY\SYSTEM`, HTTP 200, UrlStem `/powershell` | CmdletInfra/Powershell-Proxy/Http/Rps_Http_2021030500-1.LOG; W3SVC1 u_ex210305.log; HttpProxy/PowerShell 2021030514 |
| 2021-03-09 21:03:44 - 21:41:07 | 198.51.100.23 (spoofed Googlebot UA) | 6 x `POST` KZsqDfnb.aspx and 2 x `POST /owa/auth/errorEE.aspx` (ransomware staging prelude) | W3SVC1 u_ex210309.log; HttpProxy/Owa 2021030921 |

## What a correct tool should conclude

* **EX01: compromised.**  Successful ProxyLogon chain (CVE-2021-26855 with a
  non-autodiscover `ServerInfo~` anchor, 241 on proxyLogon.ecp, a
  `ResetOABVirtualDirectory` SetObject with HTTP 200), CVE-2021-27065 (script
  in the OAB ExternalUrl), CVE-2021-26858 (OAB file written under
  `aspnet_client`), web shells in use (`KZsqDfnb.aspx`,
  `RedirSuiteServerProxy.aspx`, `errorEE.aspx`, POSTs to `logon.css`) by two
  different source groups, and an anomalous RPS client.  The 2021-03-02 scan
  (autodiscover-only anchor, HTTP 500) is at most a *failed attempt* on its
  own.
* **EX01, mail the intruders reached:** `ceo@contoso.local` (SSRF to OWA, 3 requests,
  1,616,123 bytes; exported to `ProgramData\pst` by the first group), `cfo@contoso.local`
  (SSRF, 2 requests, 862,113 bytes; exported likewise), `carol@contoso.local` (hijacked OWA
  session, 6 requests, 3,162,270 bytes; exported into `aspnet_client`, 98,304 bytes on disk,
  and downloaded), `legal` (exported), `Administrator` (the second group's export written as
  `errorEE.aspx`, 818 bytes); with no mailbox recorded: the SSRF to EWS (523,288 bytes), the
  SSRF to MAPI of the chain, the `it.zip` archive of PSTs; and, since code ran as SYSTEM
  through the web shells, all mailboxes on the server were reachable.  Benign users reading
  their own mail from their own addresses never count.
* **EX01, who used the backdoor:** `KZsqDfnb.aspx` by two actors: 203.0.113.77 with
  AntSword (`antSword/v2.1`, 12 POSTs, 2021-03-03 02:47 to 03-05 14:07) and, from the next
  day, 198.51.100.23 with a spoofed Googlebot user agent (10 POSTs, 2021-03-04 09:12 to
  03-09 21:41): the backdoor was reused by another actor.
* **EX02: no evidence of compromise found.**  The only hit is the admin's own
  Microsoft nmap check (`/owa/auth/x.js`, AnchorMailbox
  `ServerInfo~localhost/ecp/default.flt?`, HTTP 500, from 10.10.5.5 on
  2021-03-06), which should be reported as **informational**.

### Benign look-alikes that must NOT raise findings (both servers unless noted)

* `GET /autodiscover/autodiscover.json?Email=<user>%40contoso.com&Protocol=ActiveSync`
  from Outlook mobile (no `/powershell`, no `@` path trick).
* HttpProxy `AnchorMailbox` values `Server~<fqdn>~1942062522`, `SMTP:...`,
  `Sid~...`, `DatabaseGuid~...`; 401 rows with an empty AuthenticatedUser and
  an empty anchor.
* ECP `POST /ecp/DDI/DDIService.svc/GetList|GetObject|SetObject` by
  `CONTOSO\exadmin`, including a `Set-OwaVirtualDirectory` with a valid
  `https://mail.contoso.com/owa` ExternalUrl (matches the loose
  `Set-.+VirtualDirectory` search, but has no script).
* An OAB `Download failed and temporary file '...\ClientAccess\OAB\Temp\...lzx'`
  warning; on EX02 the path is under the non-default `C:\Exchange\V15`, so a
  tool that hard-codes `C:\Program Files\...` would wrongly flag it.
* RPS rows with ClientInfo empty, `Microsoft WinRM Client` or
  `Exchange BackEnd Probes` (the probes run as `NT AUTHORITY\SYSTEM`, so the
  user alone does not identify the attack row).
* Health probes (`HealthMailbox...`, UA `AMProbe/Local/ClientAccess`), load
  balancer checks (`/owa/healthcheck.htm`), EAS pings with `sc-win32-status` 64.

### Edge cases in EX01 (deliberate)

* `W3SVC1/u_ex210305.log` uses CRLF line endings and contains an IIS restart
  at 13:20:04: a second `#Software/#Version/#Date/#Fields` block whose
  `#Fields:` adds `cs-host` after `cs-uri-query`; lines after it have 16
  columns instead of 15.
* All EX01 `HttpProxy/Ecp` files start with a bare CSV header line (column
  names, no `#Fields: `) before the `#` directives; EX02 files and other EX01
  protocols do not.
* `HttpProxy/Mapi/HttpProxy_2021031017-1.LOG` (the chronologically last
  HttpProxy file) ends with a record cut off in the middle of the
  `TargetServer` field, with fewer columns and no trailing newline.
* `W3SVC1/u_ex210307.log` has a benign line whose user agent contains a comma
  and a double quote.

""")

    def table(title, out, kinds, prefix):
        rows = [(t, p, n) for (t, p, n) in out.index if t["kind"] in kinds]
        order = {"attack": 0, "context": 1, "info": 2, "edge": 3, "trap": 4}
        rows.sort(key=lambda x: (order[x[0]["kind"]], x[0]["id"].split(".")[0], x[1], x[2]))
        L.append("### %s\n\n| ID | Kind | File (under `examples/%s/`) | Line | What |\n|---|---|---|---|---|\n"
                 % (title, prefix))
        for (t, p, n) in rows:
            L.append("| %s | %s | `%s` | %d | %s |\n" % (t["id"], t["kind"], p, n, t["what"].replace("|", "\\|")))
        L.append("\n")

    L.append(kept_readme_section() or
             EVTX_BEGIN + " (written by crates/events/examples/demo_evtx.rs; generate.py keeps it) -->\n"
             "## Windows event logs (EVTX)\n\nRun `cargo run -p exhunt-events --example demo_evtx -- examples` "
             "to write them and their index here.\n" + EVTX_END + "\n\n")
    L.append(DISK_SECTION)
    L.append("## Line index (1-based line numbers, default scale)\n\n"
             "IDs are shared between artifacts: the same ID appears once per log that records "
             "the event (for example `A2.3` in W3SVC1, W3SVC2 and HttpProxy/Ecp).  `attack` lines are "
             "evidence of compromise, `context` is supporting reconnaissance, `info` is informational, "
             "`edge` marks malformed/odd lines, `trap` marks benign look-alikes.  For `E3` the listed "
             "line is the second `#Software:` line (the restart block is that line plus the next three).\n\n")
    table("EX01", out1, ("attack", "context", "edge", "trap"), ex01["outdir"])
    table("EX02", out2, ("info", "edge", "trap"), ex02["outdir"])

    def files(out, srv):
        L.append("### %s files (line counts)\n\n| File (under `examples/%s/`) | Lines |\n|---|---|\n"
                 % (srv["name"], srv["outdir"]))
        for (p, n) in sorted(out.files):
            L.append("| `%s` | %d |\n" % (p, n))
        L.append("\n")

    L.append("## File list\n\n")
    files(out1, ex01)
    files(out2, ex02)
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(L))
    tot = 0
    for root, _, fs in os.walk(HERE):
        for fn in fs:
            tot += os.path.getsize(os.path.join(root, fn))
    print("scale %.2f: %d files for EX01, %d for EX02, examples/ total %d bytes"
          % (scale, len(out1.files), len(out2.files), tot))


if __name__ == "__main__":
    main()
    # The disk side (web folders, dumps, staging, ransomware leftovers) is written by its own
    # script; run it after the log trees were rewritten.
    import generate_files
    generate_files.main()
