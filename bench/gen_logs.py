#!/usr/bin/env python3
"""Synthetic Exchange front-end log generator for the exhunt log-scan benchmark.

Writes a drive-root layout under OUTDIR:

  inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log                     (IIS W3C, ~65 % of bytes)
  Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/
      <Owa|Ecp|Ews|Eas|Mapi|Autodiscover>/HttpProxy_YYYYMMDDHH-1.LOG  (CSV, ~35 % of bytes)

Benign traffic (OWA, EAS, EWS, MAPI, RPC/HTTP, OAB, Autodiscover, ECP admin,
Managed Availability probes, load-balancer checks, EMS/WinRM, internet noise)
is mixed with a few planted attack lines (about 1 in 200,000 lines, and at
least --min-per-kind of each kind). Benign traffic deliberately contains the
usual false-positive bait: benign /powershell (WinRM, probes), benign
autodiscover.json with '@' in it (Outlook mobile), OWA explicit logon URLs
/owa/<mailbox>@<domain>/, ExchangeServicesClient/15.x, /owa/auth/ and /ecp/
paths, empty AuthenticatedUser rows and ServerInfo~<fqdn> anchors without '/'.

Lines end in CRLF like real Windows logs (--eol lf to change).

Output is byte-for-byte deterministic for a given (--seed, --size-gb, --eol,
--start), whatever --jobs is. A manifest of planted lines (file, 1-based line
number, kind) is written next to OUTDIR as OUTDIR.planted.json, outside the
scanned tree.

Standard library only. Fast path: every benign line is one %-format of a
precomputed template with four slots (timestamp, guid head, guid tail, a
per-template variable such as time-taken or a latency block), written in
multi-megabyte chunks; files are generated in parallel (one process per core).
"""

import argparse
import base64
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import sys
import time

# ----------------------------------------------------------------------------
# constants

MB = 1_000_000
GB = 1_000_000_000
IIS_SHARE = 0.65
ATTACK_EVERY = 200_000           # about one attack line per this many lines
FILE_MIN, FILE_MAX = 20 * MB, 100 * MB
FILE_TARGET = 60 * MB            # ceil(budget / 60 MB) files -> sizes in [20, 80] MB
CHUNK_LINES = 20_000

ORG = "contoso"
DOMAIN = "contoso.com"
NETBIOS = "CONTOSO"
ADDOMAIN = "contoso.local"
HOST = "mail.contoso.com"
FE_IP = "10.0.1.21"              # s-ip of the front end whose logs these are
FE_NAME = "EX01"
MBX_SERVERS = ["ex01.contoso.local", "ex02.contoso.local", "ex03.contoso.local"]
LB_IPS = ["10.0.0.2", "10.0.0.3"]
BUILD = "15.1.2176.2"            # Exchange 2016 CU19 (pre-ProxyLogon)
BUILD_LONG = "15.01.2176.002"
IIS_FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username "
              "c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken")

HP_FIELDS = (
    "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,"
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
    "PartitionEndpointLookupLatency,RoutingStatus")
HP_COLS = HP_FIELDS.split(",")
HP_IDX = {c: i for i, c in enumerate(HP_COLS)}
# columns 30..64 (ServerLocatorLatency .. RouteRefresherLatency) come from a
# per-protocol pool of precomputed "latency blocks"
HP_VAR_FIRST = HP_IDX["ServerLocatorLatency"]
HP_VAR_LAST = HP_IDX["RouteRefresherLatency"]

HP_PROTOCOLS = ["Eas", "Mapi", "Ews", "Owa", "Autodiscover", "Ecp"]
HP_WEIGHTS = {"Eas": 0.30, "Mapi": 0.25, "Ews": 0.18, "Owa": 0.13, "Autodiscover": 0.08, "Ecp": 0.06}

# Two traffic mixes. "sparse" (the original bench data): front-end IIS plus six HttpProxy
# protocols, where the rules' literals are rare. "realistic": what a busy multi-role Exchange
# 2016 server writes (see bench/README.md for the sources): both IIS sites (W3SVC1, the front end
# on 443, and W3SVC2, the "Exchange Back End" site on 444 that logs every proxied request again),
# all nine HttpProxy protocol logs, Managed Availability probes in every protocol, and the
# OWA/ECP/Autodiscover/PowerShell share that puts the common path prefixes on most lines.
MIXES = {
    "sparse": {
        "iis_share": IIS_SHARE,
        "sites": [("W3SVC1", 1.0)],
        "hp_weights": HP_WEIGHTS,
    },
    "realistic": {
        "iis_share": 0.50,
        "sites": [("W3SVC1", 0.56), ("W3SVC2", 0.44)],
        "hp_weights": {"Mapi": 0.20, "Eas": 0.18, "Owa": 0.16, "Ews": 0.13, "Autodiscover": 0.09,
                       "Ecp": 0.09, "PowerShell": 0.08, "RpcHttp": 0.04, "Oab": 0.03},
    },
}
# Front-end IIS request kinds (relative line counts). Realistic: OWA is chatty (service.svc and
# notification channels for every open browser), Outlook and mobile clients poll MAPI and EAS,
# autodiscover runs for every client start and hourly (JSON for Outlook mobile and modern auth),
# and Managed Availability plus load balancers probe every virtual directory around the clock.
IIS_KINDS = {
    "sparse": [
        ("eas", 24), ("mapi", 19), ("ews", 11), ("owa_svc", 10), ("owa_ev", 4), ("owa_static", 4),
        ("owa_auth", 2), ("owa_explicit", 0.3), ("autod_xml", 4), ("autod_json", 2), ("rpc", 3),
        ("oab", 1.5), ("ecp_admin", 1.2), ("ecp_user", 0.8), ("health", 7), ("lb", 2),
        ("ps_probe", 1.2), ("ps_admin", 0.4), ("noise", 1.5),
    ],
    "realistic": [
        ("eas", 15), ("mapi", 16), ("ews", 8), ("owa_svc", 17), ("owa_ev", 5), ("owa_static", 7),
        ("owa_auth", 3), ("owa_explicit", 0.3), ("autod_xml", 6), ("autod_json", 5), ("rpc", 2),
        ("oab", 1.5), ("ecp_admin", 2), ("ecp_user", 2.5), ("health", 4), ("lb", 2),
        ("am_probe", 6), ("ps_probe", 2), ("ps_admin", 0.5), ("noise", 1.5),
    ],
    # the back-end site sees every proxied request again (never static files, logon pages,
    # load balancers or internet noise, which the front end answers itself), plus the
    # front end's own session set-up calls (/ecp/proxyLogon.ecp)
    "backend": [
        ("eas", 15), ("mapi", 16), ("ews", 8), ("owa_svc", 17), ("owa_ev", 5), ("owa_explicit", 0.3),
        ("autod_xml", 6), ("autod_json", 5), ("rpc", 2), ("oab", 1.5), ("ecp_admin", 2),
        ("ecp_user", 2.5), ("be_proxylogon", 1.5), ("health", 3), ("am_probe", 6), ("ps_probe", 2),
        ("ps_admin", 0.5),
    ],
}
FE_IPS = ["10.0.1.21", "10.0.1.22", "10.0.1.23"]   # front ends proxying to this back end

IIS_ROOT = os.path.join("inetpub", "logs", "LogFiles")
IIS_DIR = os.path.join(IIS_ROOT, "W3SVC1")
HP_DIR = os.path.join("Program Files", "Microsoft", "Exchange Server", "V15", "Logging", "HttpProxy")

ATTACK_KINDS = {
    # kind: (log, description)
    "iis_proxylogon_ecp_js": ("iis", "ProxyLogon SSRF entry: POST /ecp/y.js"),
    "iis_webshell_aspnet_client": ("iis", "POST /aspnet_client/system_web/<8 chars>.aspx"),
    "iis_proxyshell_autodiscover": ("iis", "autodiscover.json ... /powershell ... X-Rps-CAT"),
    "iis_owassrf": ("iis", "POST /owa/<mbx>%40<dom>/powershell"),
    "iis_python_requests_ua": ("iis", "UA python-requests/2.25.1 on an Exchange endpoint"),
    "hp_proxylogon_serverinfo": ("Ecp", "AuthenticatedUser empty, AnchorMailbox ServerInfo~a]@...:444/...#"),
    "hp_proxyshell_autodiscover": ("Autodiscover", "autodiscover.json UrlQuery @.../powershell"),
    "hp_owassrf": ("Owa", "UrlStem /owa/<mbx>@<dom>/powershell"),
    "hp_python_requests_ua": ("Ews", "UA python-requests/2.25.1"),
}
HP_ATTACK_FOR = {"Ecp": "hp_proxylogon_serverinfo", "Autodiscover": "hp_proxyshell_autodiscover",
                 "Owa": "hp_owassrf", "Ews": "hp_python_requests_ua",
                 "Eas": "hp_python_requests_ua", "Mapi": "hp_python_requests_ua"}
# protocols of the realistic mix that get no planted attack (they are not where the published
# traces are)
HP_NO_ATTACK = {"PowerShell", "RpcHttp", "Oab"}
IIS_ATTACK_KINDS = [k for k, v in ATTACK_KINDS.items() if v[0] == "iis"]

ATTACKER_IPS = ["103.77.192.219", "104.140.114.110", "104.250.191.110", "108.61.246.56",
                "149.28.14.163", "157.230.221.198", "167.99.168.251", "185.250.151.72",
                "192.81.208.169", "203.160.69.66", "211.56.98.146", "5.254.43.18", "80.92.205.81",
                "86.105.18.116"]

# ----------------------------------------------------------------------------
# pools

FIRST = ("james mary john patricia robert jennifer michael linda william elizabeth david barbara "
         "richard susan joseph jessica thomas sarah charles karen christopher nancy daniel lisa "
         "matthew betty anthony margaret mark sandra donald ashley steven kimberly paul emily andrew "
         "donna joshua michelle kenneth dorothy kevin carol brian amanda george melissa timothy "
         "deborah ronald stephanie edward rebecca jason sharon jeffrey laura ryan cynthia jacob "
         "kathleen gary amy nicholas angela eric shirley jonathan anna stephen brenda larry pamela "
         "justin emma scott nicole brandon helen benjamin samantha samuel katherine gregory christine "
         "frank debra alexander rachel raymond carolyn patrick janet jack catherine dennis maria "
         "jerry heather tyler diane aaron ruth jose julie adam olivia henry joyce nathan virginia "
         "douglas victoria zachary kelly peter lauren kyle christina ethan joan walter evelyn noah "
         "judith jeremy megan christian andrea keith cheryl roger hannah terry jacqueline gerald "
         "martha harold gloria sean teresa austin ann carl sara arthur madison lawrence frances "
         "dylan kathryn jesse janice jordan jean bryan abigail billy alice joe julia bruce judy "
         "gabriel sophia logan grace albert denise willie amber alan doris juan marilyn wayne "
         "danielle elijah beverly randy isabella roy theresa vincent diana ralph natalie eugene "
         "brittany russell charlotte bobby marie mason kayla philip alexis louis lori").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
        "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris "
        "sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill "
        "flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips "
        "evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook "
        "rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward "
        "richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez "
        "castillo sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan "
        "bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan "
        "patterson alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant "
        "herrera gibson ellis tran medina aguilar stevens murray ford castro marshall owens "
        "harrison fernandez mcdonald woods washington kennedy wells vargas henry chen freeman webb "
        "tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder "
        "mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar "
        "fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver "
        "ryan gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen peters "
        "santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley "
        "andrews alvarado ray delgado berry perkins hoffman johnston matthews pena richards "
        "willis carpenter lawrence sandoval").split()

BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.72 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36 Edg/88.0.705.81",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.72 Safari/537.36 Edg/89.0.774.45",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 11_2_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.192 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:85.0) Gecko/20100101 Firefox/85.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 14_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 11; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.181 Mobile Safari/537.36",
]
OUTLOOK_UAS = [
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13530; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5122; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)",
    "Microsoft Office/15.0 (Windows NT 6.1; Microsoft Outlook 15.0.5311; Pro)",
]
MAC_UAS = [
    "MacOutlook/16.46.21021202 (Intelx64 Mac OS X 11.2.1 (Build 20D74))",
    "MacOutlook/16.45.21011103 (Intelx64 Mac OS X 10.15.7 (Build 19H524))",
    "Mac OS X/11.2.1 (20D74); ExchangeWebServices/11.0 (339.0.13); Mail/14.0 (3654.60.0.2.21)",
    "Mac OS X/10.15.7 (19H524); ExchangeWebServices/10.0 (269.4); Mail/13.4 (3608.120.23.2.4)",
]
EAS_DEVICES = [  # (DeviceType, UA, DeviceId prefix)
    ("iPhone", "Apple-iPhone12C1/1805.228", "Appl"),
    ("iPhone", "Apple-iPhone13C2/1805.228", "Appl"),
    ("iPhone", "Apple-iPhone11C8/1804.203", "Appl"),
    ("iPad", "Apple-iPad8C1/1805.228", "Appl"),
    ("SAMSUNGSMG973F", "SAMSUNG-SM-G973F/101.90001", "SEC"),
    ("SAMSUNGSMG991B", "SAMSUNG-SM-G991B/101.100000", "SEC"),
    ("Outlook", "Outlook-iOS/2.0", ""),
    ("Outlook", "Outlook-Android/2.0", ""),
    ("Android", "Android-Mail/2021.02.14.358563052.Release", "android"),
]
OTHER_EWS_UAS = [
    "ExchangeServicesClient/15.00.0913.015",     # EWS Managed API: benign (not 0.0.0.0)
    "ExchangeServicesClient/15.00.0847.030",
    "OC/16.0.13801.20004 (Skype for Business)",
]
MAPICPL_UA = "Microsoft Office/16.0 (Windows NT 10.0; MAPICPL 16.0.13801; Pro)"
IOS_AUTODISCOVER_UA = "iOS/14.4 (18D52) dataaccessd/1.0"
PROBE_UA = "AMProbe/Local/ClientAccess"
WINRM_UA = "Microsoft WinRM Client"
NOISE_UAS = [
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Expanse, a Palo Alto Networks company, searches across the global IPv4 space multiple times per day to identify customers' presences on the Internet.",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.169 Safari/537.36",
    "curl/7.68.0",
    "Go-http-client/1.1",
]

OWA_ACTIONS = ["GetItem", "FindItem", "FindConversation", "GetConversationItems", "GetOwaUserConfiguration",
               "FindFolder", "GetAttachmentDataProvider", "UpdateItem", "CreateItem", "GetCalendarView",
               "FindPeople", "GetMailTips", "SubscribeToNotification", "LogDatapoint", "GetPersona"]
EWS_ACTIONS = ["GetItem", "FindItem", "SyncFolderItems", "GetFolder", "GetUserAvailability",
               "GetStreamingEvents", "Subscribe", "GetUserPhoto", "ResolveNames", "GetUserOofSettings",
               "GetSharingMetadata", "FindFolder"]
EAS_CMDS = [("Ping", 40), ("Sync", 35), ("FolderSync", 6), ("SendMail", 2), ("ItemOperations", 4),
            ("MeetingResponse", 1), ("Search", 1), ("Settings", 1), ("GetItemEstimate", 3),
            ("SmartReply", 1)]
MAPI_ACTIONS = [("Execute", 70), ("NotificationWait", 20), ("Connect", 3), ("Disconnect", 2),
                ("NspiBind", 2), ("GetMatches", 1), ("QueryRows", 2)]
OWA_STATIC = [
    "/owa/prem/15.1.2176.2/resources/styles/0/boot.worldwide.mouse.css",
    "/owa/prem/15.1.2176.2/scripts/boot.worldwide.0.mouse.js",
    "/owa/prem/15.1.2176.2/scripts/boot.worldwide.1.mouse.js",
    "/owa/prem/15.1.2176.2/scripts/boot.worldwide.2.mouse.js",
    "/owa/prem/15.1.2176.2/resources/images/0/sprite1.mouse.png",
    "/owa/prem/15.1.2176.2/resources/images/0/sprite1.mouse.css",
    "/owa/prem/15.1.2176.2/resources/themes/base/0/icons.mouse.css",
    "/owa/15.1.2176/themes/resources/owafont_en.css",
    "/owa/auth/15.1.2176/themes/resources/favicon.ico",
    "/owa/auth/15.1.2176/themes/resources/logon.css",
    "/owa/auth/15.1.2176/themes/resources/signinbutton.png",
    "/owa/auth/15.1.2176/scripts/premium/flogon.js",
    "/owa/auth/15.1.2176/themes/resources/segoeui-regular.ttf",
]
ECP_PAGES = [
    ("GET", "/ecp/", "", "ecp"),
    ("GET", "/ecp/default.aspx", "", "ecp"),
    ("POST", "/ecp/DDI/DDIService.svc/GetList", "schema=MailboxService&msExchEcpCanary={canary}", "ecp"),
    ("POST", "/ecp/DDI/DDIService.svc/GetObject", "schema=MailboxPropertiesService&msExchEcpCanary={canary}", "ecp"),
    ("POST", "/ecp/DDI/DDIService.svc/GetList", "schema=DistributionGroupService&msExchEcpCanary={canary}", "ecp"),
    ("GET", "/ecp/UsersGroups/Mailboxes.slab", "showhelp=false", "ecp"),
    ("GET", "/ecp/Servers/VirtualDirectories.slab", "showhelp=false", "ecp"),
    ("GET", "/ecp/15.1.2176.2/scripts/common.js", "", "static"),
    ("GET", "/ecp/15.1.2176.2/themes/default/csssprites.png", "", "static"),
    ("POST", "/ecp/RulesEditor/InboxRules.svc/GetList", "msExchEcpCanary={canary}", "user"),
    ("GET", "/ecp/PersonalSettings/HomePage.aspx", "showhelp=false", "user"),
    ("POST", "/ecp/PersonalSettings/Accounts.svc/GetObject", "msExchEcpCanary={canary}", "user"),
]
HEALTH_STEMS = ["/owa/healthcheck.htm", "/ecp/healthcheck.htm", "/EWS/healthcheck.htm",
                "/Microsoft-Server-ActiveSync/healthcheck.htm", "/mapi/healthcheck.htm",
                "/Autodiscover/healthcheck.htm", "/oab/healthcheck.htm", "/rpc/healthcheck.htm"]
# Managed Availability probes (run by MSExchangeHMWorker as HealthMailbox users, every few
# minutes per protocol and database): (method, stem, query, user agent, time-taken pool)
AM_PROBES = [
    ("GET", "/owa/", "", "AMProbe/Local/ClientAccess", "fast"),
    ("POST", "/owa/auth.owa", "", "AMProbe/Local/ClientAccess", "fast"),
    ("GET", "/ecp/", "", "AMProbe/Local/ClientAccess", "fast"),
    ("GET", "/ecp/ReportingWebService/", "", "AMProbe/Local/ClientAccess", "fast"),
    ("POST", "/Microsoft-Server-ActiveSync/Proxy/default.eas", "Cmd=FolderSync&User={mbx}&DeviceId=ActiveMonitoringProbe&DeviceType=WindowsPhone", "AMProbe/Local/ClientAccess", "med"),
    ("POST", "/mapi/emsmdb/", "useMailboxOfAuthenticatedUser=true", "MapiHttpClient", "med"),
    ("POST", "/mapi/nspi/", "useMailboxOfAuthenticatedUser=true", "MapiHttpClient", "med"),
    ("POST", "/EWS/Exchange.asmx", "", "AMProbe/Local/ClientAccess", "med"),
    ("POST", "/autodiscover/autodiscover.xml", "", "AMProbe/Local/ClientAccess", "fast"),
    ("GET", "/OAB/", "", "AMProbe/Local/ClientAccess", "fast"),
    ("RPC_IN_DATA", "/rpc/rpcproxy.dll", "{mbx}@contoso.com:6001", "MSRPC", "med"),
    ("POST", "/powershell", "clientApplication=ActiveMonitor;PSVersion=5.1.14393.4046", "Microsoft WinRM Client", "med"),
]
NOISE_REQS = [("GET", "/", 200), ("GET", "/favicon.ico", 404), ("GET", "/robots.txt", 404),
              ("GET", "/.env", 404), ("GET", "/wp-login.php", 404), ("HEAD", "/", 200),
              ("GET", "/owa/", 302), ("GET", "/remote/login", 404), ("POST", "/GponForm/diag_Form", 404),
              ("GET", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404)]


def csvq(s):
    """CSV-quote one field the way Exchange's log writer does."""
    if not s:
        return ""
    if "," in s or '"' in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def plus(s):
    """IIS encodes spaces in cs(User-Agent)/cs(Referer) as '+'."""
    return s.replace(" ", "+")


def guid(rnd):
    return "%08x-%04x-%04x-%04x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16),
                                           0x4000 | rnd.getrandbits(12),
                                           0x8000 | rnd.getrandbits(14), rnd.getrandbits(48))


class Slot:
    pass


T, GH, GT, V = Slot(), Slot(), Slot(), Slot()   # timestamp, guid head, guid tail, variable


def fmt(*parts):
    """Build a %-format string: str parts are literal (escaped), slots become %s.

    Every format consumes exactly (T, GH, GT, V) in that order; unused ones are
    consumed in place with %.0s so one 4-tuple fits every template."""
    order = [T, GH, GT, V]
    out = []
    idx = 0
    for p in parts:
        if isinstance(p, Slot):
            while order[idx] is not p:
                out.append("%.0s")
                idx += 1
            out.append("%s")
            idx += 1
        else:
            out.append(p.replace("%", "%%"))
    while idx < 4:
        out.append("%.0s")
        idx += 1
    return "".join(out)


# ----------------------------------------------------------------------------
# world: users, IPs, per-user devices


class User:
    __slots__ = ("sam", "upn", "ext_ip", "int_ip", "browser", "outlook", "eas", "dev_id",
                 "mbx_guid", "sid", "db", "mac", "admin", "home_mbx")


def make_world(rnd, n_users=3000):
    users = []
    seen = set()
    while len(users) < n_users:
        f, l = rnd.choice(FIRST), rnd.choice(LAST)
        style = rnd.random()
        sam = (f[0] + l) if style < 0.5 else (f + "." + l)
        if sam in seen:
            sam = sam + str(rnd.randint(2, 99))
            if sam in seen:
                continue
        seen.add(sam)
        u = User()
        u.sam = sam
        u.upn = sam + "@" + DOMAIN
        # home / carrier IP: a few big carrier ranges plus random
        a = rnd.choice([24, 66, 67, 68, 71, 73, 76, 81, 82, 84, 86, 88, 90, 92, 98, 99, 107, 108,
                        109, 172, 174, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217])
        if a == 172:
            a = 174
        u.ext_ip = "%d.%d.%d.%d" % (a, rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))
        u.int_ip = "10.%d.%d.%d" % (rnd.choice([10, 11, 12, 20, 21, 30]), rnd.randint(0, 255),
                                    rnd.randint(1, 254))
        u.browser = rnd.choice(BROWSER_UAS)
        u.mac = rnd.random() < 0.12
        u.outlook = rnd.choice(MAC_UAS[:2]) if u.mac else rnd.choice(OUTLOOK_UAS)
        u.eas = rnd.choice(EAS_DEVICES) if rnd.random() < 0.8 else None
        pref = u.eas[2] if u.eas else ""
        u.dev_id = (pref + ("%X" % rnd.getrandbits(96))[:20]) if pref != "android" else \
            "androidc%d" % rnd.getrandbits(40)
        if u.eas and u.eas[0] == "Outlook":
            u.dev_id = "%032X" % rnd.getrandbits(128)
        u.mbx_guid = guid(rnd)
        u.sid = "S-1-5-21-1004336348-1177238915-682003330-%d" % rnd.randint(1100, 99999)
        u.db = rnd.choice(["DB01", "DB02", "DB03", "DB04"])
        u.admin = False
        u.home_mbx = rnd.choice(MBX_SERVERS)
        users.append(u)
    admins = rnd.sample(users, 6)
    for a in admins:
        a.admin = True
    health = []
    for i in range(8):
        h = User()
        h.sam = "HealthMailbox%07x%s" % (rnd.getrandbits(28), "".join(rnd.choice("0123456789abcdef") for _ in range(25)))
        h.upn = h.sam + "@" + DOMAIN
        h.ext_ip = h.int_ip = rnd.choice(["127.0.0.1", "::1", FE_IP, "10.0.1.22", "10.0.1.23"])
        h.browser = h.outlook = PROBE_UA
        h.eas = ("WindowsPhone", PROBE_UA, "")
        h.dev_id = "ActiveMonitoringProbe%d" % i
        h.mbx_guid = guid(rnd)
        h.sid = "S-1-5-21-1004336348-1177238915-682003330-%d" % rnd.randint(1100, 99999)
        h.db = "DB0%d" % (1 + i % 4)
        h.mac = False
        h.admin = False
        h.home_mbx = rnd.choice(MBX_SERVERS)
        health.append(h)
    return users, admins, health


# ----------------------------------------------------------------------------
# time-taken pools (IIS) and latency blocks (HttpProxy)


def tt_pools(rnd):
    def pool(lo, hi, skew=2.0, n=256):
        return [str(int(lo + (hi - lo) * (rnd.random() ** skew))) for _ in range(n)]
    return {
        "fast": pool(0, 40), "med": pool(5, 600), "slow": pool(40, 4000, 1.5),
        "ping": pool(120000, 900000, 0.7), "notif": pool(30000, 600000, 0.8),
        "stream": pool(60000, 1800000, 0.6), "rpc": pool(1000, 3600000, 1.2), "auth": pool(0, 15),
    }


def hp_latency_pools(rnd, n=512):
    """Pools of joined CSV text for columns ServerLocatorLatency..RouteRefresherLatency."""
    pools = {}
    for kind, (lo, hi) in {"fast": (2, 60), "med": (10, 900), "slow": (50, 5000),
                           "ping": (120000, 900000), "notif": (30000, 600000),
                           "stream": (60000, 1800000)}.items():
        blocks = []
        for _ in range(n):
            total = int(lo + (hi - lo) * rnd.random() ** 1.8)
            be = max(0, total - rnd.randint(0, max(1, min(total, 40))))
            v = {
                "ServerLocatorLatency": str(rnd.randint(0, 3)),
                "RequestBytes": str(rnd.choice([0, 0, rnd.randint(200, 4000), rnd.randint(100, 90000)])),
                "ResponseBytes": str(rnd.randint(300, 120000)),
                "TargetOutstandingRequests": str(rnd.randint(0, 4)),
                "AuthModulePerfContext": "",
                "HttpPipelineLatency": str(rnd.randint(0, 3)),
                "CalculateTargetBackEndLatency": str(rnd.randint(0, 2)),
                "GlsLatencyBreakup": "", "TotalGlsLatency": "",
                "AccountForestLatencyBreakup": "", "TotalAccountForestLatency": "",
                "ResourceForestLatencyBreakup": "", "TotalResourceForestLatency": "",
                "ADLatency": "", "SharedCacheLatencyBreakup": "", "TotalSharedCacheLatency": "",
                "ActivityContextLifeTime": str(total + rnd.randint(0, 5)),
                "ModuleToHandlerSwitchingLatency": "0",
                "ClientReqStreamLatency": str(rnd.randint(0, 2)),
                "BackendReqInitLatency": str(rnd.randint(0, 4)),
                "BackendReqStreamLatency": str(rnd.randint(0, 2)),
                "BackendProcessingLatency": str(be),
                "BackendRespInitLatency": str(rnd.randint(0, 3)),
                "BackendRespStreamLatency": str(rnd.randint(0, 3)),
                "ClientRespStreamLatency": str(rnd.randint(0, 2)),
                "KerberosAuthHeaderLatency": str(rnd.randint(0, 1)),
                "HandlerCompletionLatency": "0",
                "RequestHandlerLatency": str(rnd.randint(1, 30)),
                "HandlerToModuleSwitchingLatency": "0",
                "ProxyTime": str(be + rnd.randint(0, 4)),
                "CoreLatency": str(rnd.randint(1, 25)),
                "RoutingLatency": str(rnd.randint(0, 8)),
                "HttpProxyOverhead": str(rnd.randint(1, 20)),
                "TotalRequestTime": str(total),
                "RouteRefresherLatency": "",
            }
            if rnd.random() < 0.3:
                v["AuthModulePerfContext"] = "ADL=%d;" % rnd.randint(0, 12)
            if rnd.random() < 0.15:
                v["ADLatency"] = str(rnd.randint(1, 30))
                v["SharedCacheLatencyBreakup"] = "SCL=%d" % rnd.randint(0, 3)
                v["TotalSharedCacheLatency"] = str(rnd.randint(0, 3))
            if rnd.random() < 0.05:   # breakup with commas -> quoted
                v["AccountForestLatencyBreakup"] = "[%s:%d,%s:%d]" % (ADDOMAIN, rnd.randint(1, 9), ADDOMAIN, rnd.randint(1, 9))
                v["TotalAccountForestLatency"] = str(rnd.randint(2, 18))
            cols = HP_COLS[HP_VAR_FIRST:HP_VAR_LAST + 1]
            blocks.append(",".join(csvq(v[c]) for c in cols))
        pools[kind] = blocks
    return pools


# ----------------------------------------------------------------------------
# IIS templates


# Set while building the back-end site's templates: every request arrives on port 444 from a
# front end, with the user as the front end resolved it (DOMAIN\user).
BACKEND = {"on": False, "rnd": None}


def iis_line(method, stem, query, port, user, cip, ua, ref, status, tt_kind, cafe=True):
    """Return (format, tt_kind). query '' -> '-' (or just the cafe suffix if proxied)."""
    if BACKEND["on"]:
        port = 444
        cip = BACKEND["rnd"].choice(FE_IPS)
        if user and user != "-" and "@" in user:
            user = NETBIOS + "\\" + user.split("@")[0]
    parts = [T, " " + FE_IP + " " + method + " " + stem + " "]
    if cafe:
        q = (query + "&" if query else "&") + "CorrelationID=<empty>;&cafeReqId="
        parts += [q, GH, GT, ";"]
    else:
        parts.append(query or "-")
    parts.append(" %s %s %s %s %s %s " % (port, user or "-", cip, plus(ua) if ua else "-",
                                          plus(ref) if ref else "-", status))
    parts.append(V)
    parts.append("\n")
    return fmt(*parts), tt_kind


def status_pick(rnd, ok="200 0 0", p401=0.0, other=()):
    """sc-status sc-substatus sc-win32-status"""
    r = rnd.random()
    if r < p401:
        return rnd.choice(["401 2 5", "401 1 2148074254", "401 0 0"]), True
    for s, p in other:
        r -= p
        if r < 0:
            return s, False
    return ok, False


def build_iis_templates(rnd, users, admins, health, n=65536, kinds=None):
    owa_ref = "https://%s/owa/" % HOST
    kinds = kinds or IIS_KINDS["sparse"]
    names = [k for k, _ in kinds]
    weights = [w for _, w in kinds]
    out = []
    mobile_users = [u for u in users if u.eas]
    for _ in range(n):
        k = rnd.choices(names, weights)[0]
        u = rnd.choice(users)
        ext = rnd.random() < 0.45
        cip = u.ext_ip if ext else u.int_ip
        if k == "eas":
            u = rnd.choice(mobile_users) if rnd.random() < 0.93 else rnd.choice(health)
            devtype, ua, _ = u.eas
            cmd = rnd.choices([c for c, _ in EAS_CMDS], [w for _, w in EAS_CMDS])[0]
            cip = u.ext_ip if u not in health else u.int_ip
            st, unauth = status_pick(rnd, p401=0.04, other=[("200 0 64", 0.01), ("503 0 0", 0.002)])
            method = "POST" if rnd.random() > 0.01 else "OPTIONS"
            q = "Cmd=%s&User=%s%%5C%s&DeviceId=%s&DeviceType=%s" % (cmd, NETBIOS, u.sam, u.dev_id, devtype)
            if method == "OPTIONS":
                q = ""
            user = "-" if unauth else rnd.choice([NETBIOS + "\\" + u.sam, u.upn])
            ttk = "auth" if unauth else ("ping" if cmd == "Ping" and method == "POST" else "med")
            out.append(iis_line(method, "/Microsoft-Server-ActiveSync/default.eas", q, 443, user, cip, ua, "",
                                st, ttk))
        elif k == "mapi":
            act = rnd.choices([a for a, _ in MAPI_ACTIONS], [w for _, w in MAPI_ACTIONS])[0]
            nspi = act.startswith("Nspi") or act in ("GetMatches", "QueryRows")
            stem = "/mapi/nspi/" if nspi else "/mapi/emsmdb/"
            q = "MailboxId=%s@%s" % (u.mbx_guid, DOMAIN)
            st, unauth = status_pick(rnd, p401=0.06)
            user = "-" if unauth else rnd.choice([NETBIOS + "\\" + u.sam, u.upn])
            ttk = "auth" if unauth else ("notif" if act == "NotificationWait" else "med")
            out.append(iis_line("POST", stem, q, 443, user, cip, u.outlook, "", st, ttk))
        elif k == "ews":
            r = rnd.random()
            ua = u.outlook if r < 0.6 else (rnd.choice(MAC_UAS) if r < 0.85 else rnd.choice(OTHER_EWS_UAS))
            st, unauth = status_pick(rnd, p401=0.07, other=[("500 0 0", 0.003)])
            user = "-" if unauth else rnd.choice([NETBIOS + "\\" + u.sam, u.upn])
            stream = ua.startswith("Mac") and rnd.random() < 0.2
            stem = rnd.choice(["/EWS/Exchange.asmx", "/EWS/Exchange.asmx", "/ews/exchange.asmx"])
            out.append(iis_line("POST", stem, "", 443, user, cip, ua, "", st,
                                "auth" if unauth else ("stream" if stream else "med")))
        elif k == "owa_svc":
            act = rnd.choice(OWA_ACTIONS)
            q = "action=%s&EP=1&ID=-%d&AC=1" % (act, rnd.randint(1, 300))
            st, _ = status_pick(rnd, other=[("440 0 0", 0.005)])
            out.append(iis_line("POST", "/owa/service.svc", q, 443, u.upn, cip, u.browser, owa_ref, st, "med"))
        elif k == "owa_ev":
            q = "ns=PendingRequest&ev=PendingNotificationRequest&UA=0&cid=%s&X-OWA-CANARY=%s" % (
                guid(rnd), "%x" % rnd.getrandbits(200))
            out.append(iis_line("POST", "/owa/ev.owa2", q, 443, u.upn, cip, u.browser, owa_ref, "200 0 0",
                                "stream"))
        elif k == "owa_static":
            stem = rnd.choice(OWA_STATIC)
            auth = "/owa/auth/" in stem
            ref = ("https://%s/owa/auth/logon.aspx?url=https%%3a%%2f%%2f%s%%2fowa%%2f&reason=0" % (HOST, HOST)) \
                if auth else owa_ref
            out.append(iis_line("GET", stem, "", 443, "" if auth else u.upn, cip, u.browser, ref,
                                rnd.choice(["200 0 0", "304 0 0", "304 0 0"]), "fast", cafe=False))
        elif k == "owa_auth":
            r = rnd.random()
            if r < 0.35:
                out.append(iis_line("GET", "/owa/auth/logon.aspx",
                                    "url=https%%3a%%2f%%2f%s%%2fowa%%2f&reason=0" % HOST, 443, "", cip,
                                    u.browser, "", "200 0 0", "fast"))
            elif r < 0.7:
                out.append(iis_line("POST", "/owa/auth.owa", "", 443, u.upn, cip, u.browser,
                                    "https://%s/owa/auth/logon.aspx?replaceCurrent=1&url=https%%3a%%2f%%2f%s%%2fowa%%2f" % (HOST, HOST),
                                    rnd.choice(["302 0 0"] * 9 + ["200 0 0"]), "med"))
            elif r < 0.85:
                out.append(iis_line("GET", "/owa/", "", 443, u.upn, cip, u.browser, "", "200 0 0", "slow"))
            else:
                out.append(iis_line("GET", "/owa/", "", 443, "", cip, u.browser, "", "302 0 0", "fast"))
        elif k == "owa_explicit":     # benign explicit logon to a shared mailbox
            shared = rnd.choice(["helpdesk", "info", "hr", "finance", "support", "reception"])
            out.append(iis_line("GET", "/owa/%s@%s/" % (shared, DOMAIN), "", 443, u.upn, cip, u.browser,
                                owa_ref, "200 0 0", "slow"))
        elif k == "autod_xml":
            ua = u.outlook if rnd.random() < 0.8 else MAPICPL_UA
            st, unauth = status_pick(rnd, p401=0.25)
            out.append(iis_line("POST", rnd.choice(["/Autodiscover/Autodiscover.xml", "/autodiscover/autodiscover.xml"]),
                                "", 443, "-" if unauth else u.upn, cip, ua, "", st, "auth" if unauth else "med"))
        elif k == "autod_json":       # Outlook mobile: benign autodiscover.json with '@'
            if rnd.random() < 0.5:
                stem = "/autodiscover/autodiscover.json"
                q = "Email=%s%%40%s&Protocol=%s&RedirectCount=1" % (u.sam, DOMAIN, rnd.choice(["ActiveSync", "Ews", "AutodiscoverV1"]))
            else:
                stem = "/autodiscover/autodiscover.json/v1.0/%s" % u.upn
                q = "Protocol=%s&RedirectCount=1" % rnd.choice(["ActiveSync", "Ews", "AutodiscoverV1"])
            ua = rnd.choice(["Outlook-iOS/2.0", "Outlook-Android/2.0", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)"])
            out.append(iis_line("GET", stem, q, 443, "", u.ext_ip, ua, "", "200 0 0", "fast"))
        elif k == "rpc":
            method = rnd.choice(["RPC_IN_DATA", "RPC_OUT_DATA"])
            q = "%s.%s:%d" % (u.mbx_guid, DOMAIN, rnd.choice([6001, 6002, 6004]))
            st, unauth = status_pick(rnd, p401=0.3)
            out.append(iis_line(method, "/rpc/rpcproxy.dll", q, 443, "-" if unauth else NETBIOS + "\\" + u.sam, cip,
                                "MSRPC", "", st, "auth" if unauth else "rpc"))
        elif k == "oab":
            oab = "a8a1f8b3-7c7e-4b6f-9d1a-3e2f5c0d9b11"
            stem = rnd.choice(["/OAB/%s/oab.xml" % oab, "/OAB/%s/a8a1f8b3-7c7e-4b6f-9d1a-3e2f5c0d9b11-data-%d.lzx" % (oab, rnd.randint(1, 40))])
            out.append(iis_line("GET", stem, "", 443, NETBIOS + "\\" + u.sam, cip, u.outlook, "", "200 0 0", "fast"))
        elif k == "ecp_admin":
            a = rnd.choice(admins)
            m, stem, q, cls = rnd.choice([p for p in ECP_PAGES if p[3] != "user"])
            q = q.replace("{canary}", "%x" % rnd.getrandbits(200))
            out.append(iis_line(m, stem, q, 443, a.upn, a.int_ip, a.browser, "https://%s/ecp/" % HOST,
                                "200 0 0", "med", cafe=(cls != "static")))
        elif k == "ecp_user":
            m, stem, q, cls = rnd.choice([p for p in ECP_PAGES if p[3] == "user"])
            q = q.replace("{canary}", "%x" % rnd.getrandbits(200))
            out.append(iis_line(m, stem, q, 443, u.upn, cip, u.browser, "https://%s/owa/" % HOST, "200 0 0", "med"))
        elif k == "health":
            h = rnd.choice(health)
            stem = rnd.choice(HEALTH_STEMS)
            out.append(iis_line("GET", stem, "", 443, "", h.int_ip, PROBE_UA, "", "200 0 0", "fast", cafe=False))
        elif k == "lb":
            stem = rnd.choice(HEALTH_STEMS)
            out.append(iis_line("GET", stem, "", 443, "", rnd.choice(LB_IPS), "", "", "200 0 0", "fast", cafe=False))
        elif k == "ps_probe":          # Managed Availability remote PowerShell probe (benign /powershell)
            h = rnd.choice(health)
            q = "clientApplication=ActiveMonitor;PSVersion=5.1.14393.4046"
            st, unauth = status_pick(rnd, p401=0.5)
            out.append(iis_line("POST", "/powershell", q, 80, "-" if unauth else h.upn, h.int_ip, WINRM_UA, "",
                                st, "auth" if unauth else "med"))
        elif k == "ps_admin":          # admin EMS session (benign /powershell)
            a = rnd.choice(admins)
            q = "serializationLevel=Full;ExchClientVer=%s;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.14393.4046" % BUILD
            st, unauth = status_pick(rnd, p401=0.5)
            out.append(iis_line("POST", "/powershell", q, 80, "-" if unauth else NETBIOS + "\\" + a.sam, a.int_ip,
                                WINRM_UA, "", st, "auth" if unauth else "slow"))
        elif k == "am_probe":          # Managed Availability probe through a protocol, as a HealthMailbox
            h = rnd.choice(health)
            m, stem, q, ua, ttk = rnd.choice(AM_PROBES)
            q = q.replace("{mbx}", h.mbx_guid)
            st, unauth = status_pick(rnd, p401=0.1)
            out.append(iis_line(m, stem, q, 443, "-" if unauth else h.upn, h.int_ip, ua, "", st,
                                "auth" if unauth else ttk))
        elif k == "be_proxylogon":     # the front end opening an ECP session on the back end
            a = rnd.choice(admins + [u])
            out.append(iis_line("POST", "/ecp/proxyLogon.ecp", "", 444, a.upn, FE_IP, a.browser, "",
                                rnd.choice(["241 0 0"] * 9 + ["200 0 0"]), "med"))
        elif k == "noise":
            m, stem, code = rnd.choice(NOISE_REQS)
            ip = "%d.%d.%d.%d" % (rnd.choice([45, 89, 92, 162, 167, 185, 193, 194, 198, 205, 209]),
                                  rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))
            out.append(iis_line(m, stem, "", 443, "", ip, rnd.choice(NOISE_UAS), "", "%d 0 0" % code, "fast",
                                cafe=(stem.startswith("/owa"))))
    return out


# ----------------------------------------------------------------------------
# HttpProxy templates


def hp_row(vals):
    """Build a HttpProxy format string from a dict of column -> value; DateTime,
    RequestId and the latency block are slots."""
    parts = [T, ",", GH, GT, ","]
    cols = []
    for c in HP_COLS[2:HP_VAR_FIRST]:
        cols.append(csvq(vals.get(c, "")))
    parts.append(",".join(cols) + ",")
    parts.append(V)
    tail = [csvq(vals.get(c, "")) for c in HP_COLS[HP_VAR_LAST + 1:]]
    parts.append("," + ",".join(tail) + "\n")
    return fmt(*parts)


def hp_common(rnd, proto, u, ip, ua, method, stem, status="200", authtype="Negotiate", authed=True,
              anchor=None, action="", query="", target=None):
    tgt = target or u.home_mbx
    v = {
        "MajorVersion": "15", "MinorVersion": "1", "BuildVersion": "2176", "RevisionVersion": "2",
        "Protocol": proto, "UrlHost": HOST, "UrlStem": stem, "ProtocolAction": action,
        "AuthenticationType": authtype if authed else "", "IsAuthenticated": "true" if authed else "false",
        "AuthenticatedUser": (rnd.choice([u.upn, NETBIOS + "\\" + u.sam]) if authed else ""),
        "AnchorMailbox": anchor if anchor is not None else "Smtp~" + u.upn,
        "UserAgent": ua, "ClientIpAddress": ip, "ServerHostName": FE_NAME,
        "HttpStatus": status, "BackEndStatus": status if status != "401" else "",
        "Method": method, "ProxyAction": "Proxy" if status != "401" else "",
        "TargetServer": tgt if status != "401" else "",
        "TargetServerVersion": BUILD_LONG if status != "401" else "",
        "RoutingType": "", "RoutingHint": "",
        "BackEndCookie": "", "ServerLocatorHost": tgt if status != "401" else "",
        "UrlQuery": query, "GenericInfo": "", "GenericErrors": "",
        "EdgeTraceId": "", "DatabaseGuid": "", "UserADObjectGuid": "",
        "PartitionEndpointLookupLatency": "", "RoutingStatus": "",
    }
    if status != "401":
        hint = rnd.choice(["X-AnchorMailbox", "CommonAccessToken-Windows", "Cookie-X-BackEndCookie",
                           "Url-MailboxGuid", "SmtpFromAuth"])
        v["RoutingHint"] = hint
        v["RoutingType"] = rnd.choice(["Anchor-Mailbox", "DatabaseGuid", "Server"])
        v["BackEndCookie"] = "Database~%s~~2021-03-%02dT%02d:%02d:%02d" % (
            guid(rnd), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59))
        v["DatabaseGuid"] = guid(rnd)
        v["UserADObjectGuid"] = guid(rnd)
        gi = ["RoutingEntryUpdate=%s" % u.db,
              "FEAuth=BEVersion-%d" % rnd.randint(1941997000, 1941997999),
              "ProxyState-Run=None",
              "ProxyState-Complete=ProxyResponseData"]
        if rnd.random() < 0.3:
            gi.append("BackEndCommandInfo=Protocol:%s" % proto)
        v["GenericInfo"] = ";".join(gi) + ";"
    else:
        v["GenericErrors"] = "AuthenticationFailed;"
    if rnd.random() < 0.01:
        # error text with commas and embedded quotes: exercises CSV quoting
        v["GenericErrors"] = ('WebExceptionStatus=ProtocolError;ResponseStatusCode=500;'
                              'WebException=System.Net.WebException: The remote server returned an error: '
                              '(500) Internal Server Error., "%s";' % rnd.choice(["Unexpected end of stream",
                                                                                   "Service Unavailable",
                                                                                   "The operation has timed out"]))
    return v


# HttpProxy stems of the Managed Availability probes per protocol (realistic mix)
HP_PROBE_STEMS = {
    "Eas": ("POST", "/Microsoft-Server-ActiveSync/Proxy/default.eas", "AMProbe/Local/ClientAccess"),
    "Mapi": ("POST", "/mapi/emsmdb/", "MapiHttpClient"),
    "Ews": ("POST", "/EWS/Exchange.asmx", "AMProbe/Local/ClientAccess"),
    "Owa": ("GET", "/owa/", "AMProbe/Local/ClientAccess"),
    "Autodiscover": ("POST", "/autodiscover/autodiscover.xml", "AMProbe/Local/ClientAccess"),
    "Ecp": ("GET", "/ecp/ReportingWebService/", "AMProbe/Local/ClientAccess"),
    "RpcHttp": ("RPC_IN_DATA", "/rpc/rpcproxy.dll", "MSRPC"),
    "Oab": ("GET", "/OAB/", "AMProbe/Local/ClientAccess"),
    "PowerShell": ("POST", "/powershell", "Microsoft WinRM Client"),
}
OAB_GUID = "a8a1f8b3-7c7e-4b6f-9d1a-3e2f5c0d9b11"


def build_hp_templates(rnd, users, admins, health, proto, n=4096, probes=0.0):
    out = []
    mobile_users = [u for u in users if u.eas]
    for _ in range(n):
        u = rnd.choice(users)
        ext = rnd.random() < 0.45
        ip = u.ext_ip if ext else u.int_ip
        r = rnd.random()
        lat = "med"
        if probes and rnd.random() < probes:
            h = rnd.choice(health)
            m, stem, ua = HP_PROBE_STEMS[proto]
            v = hp_common(rnd, proto, h, h.int_ip, ua, m, stem, authtype="Negotiate",
                          anchor="DatabaseGuid~%s" % h.mbx_guid if proto != "Ecp" else "ServerInfo~%s" % h.home_mbx,
                          target=h.home_mbx)
            lat = "fast"
        elif proto == "RpcHttp":
            st = "401" if rnd.random() < 0.3 else "200"
            v = hp_common(rnd, "RpcHttp", u, ip, "MSRPC", rnd.choice(["RPC_IN_DATA", "RPC_OUT_DATA"]),
                          "/rpc/rpcproxy.dll", st, authtype="Ntlm", authed=(st != "401"),
                          anchor="MailboxGuidWithDomain~%s@%s" % (u.mbx_guid, DOMAIN),
                          query="?%s@%s:6001" % (u.mbx_guid, DOMAIN))
            lat = "stream" if st == "200" else "fast"
        elif proto == "Oab":
            stem = rnd.choice(["/OAB/%s/oab.xml" % OAB_GUID,
                               "/OAB/%s/%s-data-%d.lzx" % (OAB_GUID, OAB_GUID, rnd.randint(1, 40))])
            v = hp_common(rnd, "Oab", u, ip, u.outlook, "GET", stem, authtype="Negotiate",
                          anchor="OrganizationMailbox~%s" % OAB_GUID)
            lat = "fast"
        elif proto == "PowerShell":
            if r < 0.7:   # Managed Availability and Exchange Server remote sessions
                h = rnd.choice(health)
                v = hp_common(rnd, "PowerShell", h, h.int_ip, WINRM_UA, "POST", "/powershell",
                              authtype="Kerberos", anchor="Sid~%s" % h.sid,
                              query="?clientApplication=ActiveMonitor;PSVersion=5.1.14393.4046")
            else:         # administrators in the Exchange Management Shell
                a = rnd.choice(admins)
                st = "401" if rnd.random() < 0.3 else "200"
                v = hp_common(rnd, "PowerShell", a, a.int_ip, WINRM_UA, "POST", "/powershell", st,
                              authtype="Kerberos", authed=(st != "401"), anchor="Sid~%s" % a.sid,
                              query="?serializationLevel=Full;ExchClientVer=%s;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.14393.4046" % BUILD)
            lat = "slow"
        elif proto == "Eas":
            if r < 0.05:
                u = rnd.choice(health)
                ip = u.int_ip
            else:
                u = rnd.choice(mobile_users)
                ip = u.ext_ip
            devtype, ua, _ = u.eas
            cmd = rnd.choices([c for c, _ in EAS_CMDS], [w for _, w in EAS_CMDS])[0]
            st = "401" if rnd.random() < 0.04 else "200"
            q = "?Cmd=%s&User=%s%%5C%s&DeviceId=%s&DeviceType=%s" % (cmd, NETBIOS, u.sam, u.dev_id, devtype)
            v = hp_common(rnd, "Eas", u, ip, ua, "POST", "/Microsoft-Server-ActiveSync/default.eas", st,
                          authtype="Basic", authed=(st != "401"), action=cmd, query=q)
            lat = "ping" if cmd == "Ping" and st == "200" else ("fast" if st == "401" else "med")
        elif proto == "Mapi":
            act = rnd.choices([a for a, _ in MAPI_ACTIONS], [w for _, w in MAPI_ACTIONS])[0]
            nspi = act.startswith("Nspi") or act in ("GetMatches", "QueryRows")
            st = "401" if rnd.random() < 0.06 else "200"
            v = hp_common(rnd, "Mapi", u, ip, u.outlook, "POST", "/mapi/nspi/" if nspi else "/mapi/emsmdb/", st,
                          authtype=rnd.choice(["Negotiate", "Ntlm", "Bearer"]), authed=(st != "401"),
                          anchor="MailboxGuidWithDomain~%s@%s" % (u.mbx_guid, DOMAIN), action=act,
                          query="?MailboxId=%s@%s" % (u.mbx_guid, DOMAIN))
            lat = "notif" if act == "NotificationWait" else ("fast" if st == "401" else "med")
        elif proto == "Ews":
            ua = u.outlook if r < 0.6 else (rnd.choice(MAC_UAS) if r < 0.85 else rnd.choice(OTHER_EWS_UAS))
            act = rnd.choice(EWS_ACTIONS)
            st = "401" if rnd.random() < 0.07 else "200"
            v = hp_common(rnd, "Ews", u, ip, ua, "POST", "/EWS/Exchange.asmx", st,
                          authtype=rnd.choice(["Negotiate", "Ntlm", "Basic"]), authed=(st != "401"), action=act,
                          anchor=rnd.choice(["Smtp~" + u.upn, "Sid~" + u.sid]))
            lat = "stream" if act == "GetStreamingEvents" else ("fast" if st == "401" else "med")
        elif proto == "Owa":
            if r < 0.65:
                act = rnd.choice(OWA_ACTIONS)
                v = hp_common(rnd, "Owa", u, ip, u.browser, "POST", "/owa/service.svc", authtype="Cookie",
                              action=act, query="?action=%s&app=Mail&n=%d" % (act, rnd.randint(1, 400)))
                v["ClientRequestId"] = "%X_%d" % (rnd.getrandbits(128), rnd.randint(10 ** 12, 10 ** 13))
            elif r < 0.8:
                v = hp_common(rnd, "Owa", u, ip, u.browser, "POST", "/owa/ev.owa2", authtype="Cookie",
                              action="PendingRequest", query="?ns=PendingRequest&ev=PendingNotificationRequest&UA=0")
                lat = "stream"
            elif r < 0.9:
                v = hp_common(rnd, "Owa", u, ip, u.browser, "GET", "/owa/", authtype="Cookie")
                lat = "slow"
            elif r < 0.97:
                # pre-auth form post: empty AuthenticatedUser, benign
                v = hp_common(rnd, "Owa", u, ip, u.browser, "POST", "/owa/auth.owa", "302", authed=False,
                              anchor="")
                lat = "fast"
            elif r < 0.99:
                shared = rnd.choice(["helpdesk", "info", "hr", "finance", "support"])
                v = hp_common(rnd, "Owa", u, ip, u.browser, "GET", "/owa/%s@%s/" % (shared, DOMAIN),
                              authtype="Cookie", anchor="Smtp~%s@%s" % (shared, DOMAIN))
                lat = "slow"
            else:
                h = rnd.choice(health)
                v = hp_common(rnd, "Owa", h, h.int_ip, PROBE_UA, "GET", "/owa/", authtype="Cookie")
                lat = "fast"
        elif proto == "Autodiscover":
            if r < 0.6:
                st = "401" if rnd.random() < 0.25 else "200"
                v = hp_common(rnd, "Autodiscover", u, ip, u.outlook if rnd.random() < 0.85 else MAPICPL_UA,
                              "POST", "/autodiscover/autodiscover.xml", st, authed=(st != "401"),
                              anchor="" if st == "401" else "Smtp~" + u.upn)
                lat = "fast" if st == "401" else "med"
            elif r < 0.85:
                ua = rnd.choice(["Outlook-iOS/2.0", "Outlook-Android/2.0"])
                if rnd.random() < 0.5:
                    stem, q = "/autodiscover/autodiscover.json", "?Email=%s%%40%s&Protocol=ActiveSync&RedirectCount=1" % (u.sam, DOMAIN)
                else:
                    stem, q = "/autodiscover/autodiscover.json/v1.0/%s" % u.upn, "?Protocol=ActiveSync&RedirectCount=1"
                v = hp_common(rnd, "Autodiscover", u, u.ext_ip, ua, "GET", stem, authed=False,
                              anchor="Smtp~" + u.upn, query=q)
                lat = "fast"
            elif r < 0.95:
                v = hp_common(rnd, "Autodiscover", u, u.ext_ip, IOS_AUTODISCOVER_UA, "POST",
                              "/Autodiscover/Autodiscover.xml", authtype="Basic")
            else:
                h = rnd.choice(health)
                v = hp_common(rnd, "Autodiscover", h, h.int_ip, PROBE_UA, "POST", "/autodiscover/autodiscover.xml")
                lat = "fast"
        elif proto == "Ecp":
            if r < 0.55:
                a = rnd.choice(admins)
                m, stem, q, cls = rnd.choice([p for p in ECP_PAGES if p[3] == "ecp"])
                q = ("?" + q.replace("{canary}", "%x" % rnd.getrandbits(200))) if q else ""
                v = hp_common(rnd, "Ecp", a, a.int_ip, a.browser, m, stem, authtype="Cookie", query=q)
            elif r < 0.85:
                m, stem, q, cls = rnd.choice([p for p in ECP_PAGES if p[3] == "user"])
                q = ("?" + q.replace("{canary}", "%x" % rnd.getrandbits(200))) if q else ""
                v = hp_common(rnd, "Ecp", u, ip, u.browser, m, stem, authtype="Cookie", query=q)
            else:
                # Managed Availability probe routed to a specific server:
                # ServerInfo~ anchor WITHOUT '/' and with an authenticated user (benign)
                h = rnd.choice(health)
                v = hp_common(rnd, "Ecp", h, h.int_ip, PROBE_UA, "GET", "/ecp/", authtype="Cookie",
                              anchor="ServerInfo~%s" % h.home_mbx, target=h.home_mbx)
                lat = "fast"
        else:
            raise ValueError(proto)
        out.append((hp_row(v), lat))
    return out


# ----------------------------------------------------------------------------
# attack lines


def rps_cat(rnd):
    user = "administrator@" + DOMAIN
    sid = "S-1-5-21-1004336348-1177238915-682003330-500"
    tok = (b"V\x01\x00T\x07Windows" + b"C\x00A\x08Kerberos" + b"L" + bytes([len(user)]) + user.encode()
           + b"U" + bytes([len(sid)]) + sid.encode() + b"G\x01\x00\x00\x00\x07\x00\x00\x00\x0cS-1-5-32-544E\x00\x00\x00\x00")
    return base64.b64encode(tok).decode()


def rand8(rnd):
    return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(8))


def attack_line(kind, rnd, ts, users, proto=None):
    """Return one complete attack line (ts already formatted for the log type)."""
    ip = rnd.choice(ATTACKER_IPS)
    g = guid(rnd)
    tt = str(rnd.randint(20, 900))
    chrome105 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/105.0.5195.54 Safari/537.36"
    victim = rnd.choice(users)
    evil = rnd.choice(["evil.corp", "xx.xx", "ffff.flq", "gmail.com"])
    cat = rps_cat(rnd)
    if kind == "iis_proxylogon_ecp_js":
        return "%s %s POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=%s; 443 - %s python-requests/2.25.1 - 200 0 0 %s\n" % (
            ts, FE_IP, g, ip, tt)
    if kind == "iis_webshell_aspnet_client":
        ua = rnd.choice(["antSword/v2.1", plus(BROWSER_UAS[0])])
        return "%s %s POST /aspnet_client/system_web/%s.aspx - 443 - %s %s - 200 0 0 %s\n" % (
            ts, FE_IP, rand8(rnd), ip, ua, tt)
    if kind == "iis_proxyshell_autodiscover":
        q = "@%s/powershell/?X-Rps-CAT=%s&Email=autodiscover/autodiscover.json%%3F@%s&CorrelationID=<empty>;&cafeReqId=%s;" % (
            evil, cat, evil, g)
        return "%s %s POST /autodiscover/autodiscover.json %s 443 - %s %s - 200 0 0 %s\n" % (
            ts, FE_IP, q, ip, plus(BROWSER_UAS[4]), tt)
    if kind == "iis_owassrf":
        return "%s %s POST /owa/mastermailbox%%40outlook.com/powershell &CorrelationID=<empty>;&cafeReqId=%s; 443 %s %s %s - 200 0 0 %s\n" % (
            ts, FE_IP, g, victim.upn, ip, plus(chrome105), tt)
    if kind == "iis_python_requests_ua":
        return "%s %s POST /EWS/Exchange.asmx &CorrelationID=<empty>;&cafeReqId=%s; 443 %s %s python-requests/2.25.1 - 200 0 0 %s\n" % (
            ts, FE_IP, g, victim.upn, ip, tt)
    # HttpProxy kinds: build a row dict and fill every slot
    if kind == "hp_proxylogon_serverinfo":
        path = rnd.choice(["autodiscover/autodiscover.xml?#", "mapi/emsmdb/?#", "ecp/proxyLogon.ecp?#",
                           "ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary=%x&a=~1942062522#" % rnd.getrandbits(128)])
        v = hp_common(rnd, "Ecp", victim, ip, "python-requests/2.25.1", "POST", "/ecp/y.js", authed=False,
                      anchor="ServerInfo~a]@%s:444/%s" % (MBX_SERVERS[0], path), target=MBX_SERVERS[0])
    elif kind == "hp_proxyshell_autodiscover":
        v = hp_common(rnd, "Autodiscover", victim, ip, BROWSER_UAS[4], "POST", "/autodiscover/autodiscover.json",
                      authed=False, anchor="",
                      query="?@%s/powershell/?X-Rps-CAT=%s&Email=autodiscover/autodiscover.json%%3F@%s" % (evil, cat, evil))
    elif kind == "hp_owassrf":
        v = hp_common(rnd, "Owa", victim, ip, chrome105, "POST", "/owa/mastermailbox@outlook.com/powershell",
                      authtype="Basic", anchor="Smtp~mastermailbox@outlook.com")
    elif kind == "hp_python_requests_ua":
        stems = {"Ews": "/EWS/Exchange.asmx", "Eas": "/Microsoft-Server-ActiveSync/default.eas",
                 "Mapi": "/mapi/emsmdb/"}
        p = proto if proto in stems else "Ews"
        v = hp_common(rnd, p, victim, ip, "python-requests/2.25.1", "POST", stems[p], authtype="Basic")
    else:
        raise ValueError(kind)
    f = hp_row(v)
    lat = rnd.choice(G["hp_lat"]["med"])
    g2 = guid(rnd)
    return f % (ts, g2[:19], g2[19:], lat)


# ----------------------------------------------------------------------------
# plan


G = {}   # globals shared with worker processes via fork


def plan(args):
    rnd = random.Random(args.seed)
    total = int(args.size_gb * GB)
    mix = G["mix"]
    iis_budget = int(total * mix["iis_share"])
    hp_budget = total - iis_budget
    start = dt.datetime.strptime(args.start, "%Y-%m-%d")

    def split(budget):
        if budget <= 0:
            return []
        n = max(1, -(-budget // FILE_TARGET))
        if budget >= FILE_MIN:
            n = min(n, budget // FILE_MIN) or 1
        w = [rnd.uniform(1.0, 2.0) for _ in range(n)]
        s = sum(w)
        sizes = [int(budget * x / s) for x in w]
        sizes[-1] += budget - sum(sizes)
        return sizes

    files = []
    for site, share in mix["sites"]:
        for i, size in enumerate(split(int(iis_budget * share))):
            day = start + dt.timedelta(days=i)
            files.append({"type": "iis", "proto": None, "site": site, "size": size, "day": day,
                          "rel": os.path.join(IIS_ROOT, site, "u_ex%s.log" % day.strftime("%y%m%d"))})
    for proto, weight in mix["hp_weights"].items():
        for h, size in enumerate(split(int(hp_budget * weight))):
            hour = start + dt.timedelta(hours=8 + h)   # business hours onward
            files.append({"type": "hp", "proto": proto, "size": size, "day": hour,
                          "rel": os.path.join(HP_DIR, proto, "HttpProxy_%s-1.LOG" % hour.strftime("%Y%m%d%H"))})
    # estimated lines per file
    for f in files:
        avg = G["avg_iis"][f["site"]] if f["type"] == "iis" else G["avg_hp"][f["proto"]]
        f["est"] = max(1, int(f["size"] / avg))
    # attacks: ~1 per ATTACK_EVERY lines, placed uniformly over the line stream
    # Attacks arrive through the front end: never planted in the back-end IIS site, nor in the
    # HttpProxy protocols that carry none of the published traces.
    def takes_attacks(f):
        return f["site"] == "W3SVC1" if f["type"] == "iis" else f["proto"] not in HP_NO_ATTACK

    targets = [f for f in files if takes_attacks(f)]
    total_lines = sum(f["est"] for f in files)
    target_lines = sum(f["est"] for f in targets)
    n_att = int(round(total_lines / ATTACK_EVERY))
    cum = []
    acc = 0
    for f in files:
        f["attacks"] = []
    for f in targets:
        acc += f["est"]
        cum.append(acc)
    import bisect

    def kind_for(f):
        return rnd.choice(IIS_ATTACK_KINDS) if f["type"] == "iis" else HP_ATTACK_FOR[f["proto"]]

    for _ in range(n_att):
        x = rnd.randrange(target_lines)
        fi = bisect.bisect_right(cum, x)
        f = targets[fi]
        f["attacks"].append(kind_for(f))
    # guarantee --min-per-kind of every kind
    counts = {k: 0 for k in ATTACK_KINDS}
    for f in files:
        for k in f["attacks"]:
            counts[k] += 1
    for k, (log, _) in ATTACK_KINDS.items():
        cands = [f for f in targets if (f["type"] == "iis" if log == "iis" else f["proto"] == log)]
        while counts[k] < args.min_per_kind and cands:
            rnd.choice(cands)["attacks"].append(k)
            counts[k] += 1
    # positions inside each file (data-line index, before header repeats)
    for fi, f in enumerate(files):
        hi = max(1, int(f["est"] * 0.95))
        pos = sorted(rnd.sample(range(hi), min(hi, len(f["attacks"]))))
        while len(pos) < len(f["attacks"]):
            pos.append(pos[-1] if pos else 0)
        rnd.shuffle(f["attacks"])
        f["attacks"] = sorted(zip(pos, f["attacks"]))
        f["seed"] = (args.seed * 1_000_003 + fi * 7919) & 0xFFFFFFFFFFFF
        # IIS: sometimes the service restarted mid-file and wrote a new header block
        f["rehdr"] = int(f["est"] * rnd.uniform(0.2, 0.8)) if (f["type"] == "iis" and rnd.random() < 0.4) else None
    return files


# ----------------------------------------------------------------------------
# writing


def gen_file(f):
    out_dir, eol = G["outdir"], G["eol"]
    rnd = random.Random(f["seed"])
    grb = rnd.getrandbits
    path = os.path.join(out_dir, f["rel"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    est = f["est"]
    planted = []
    if f["type"] == "iis":
        day = f["day"]
        dstr = day.strftime("%Y-%m-%d")
        header = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
                  "#Date: %s 00:00:00\n#Fields: %s\n" % (dstr, IIS_FIELDS))
        tick = 86400
        stamps = ["%s %02d:%02d:%02d" % (dstr, s // 3600, (s // 60) % 60, s % 60) for s in range(tick)]
        templates = G["iis_t"][f["site"]]
        pools = G["tt"]
        bom = b""
    else:
        hour = f["day"]
        hstr = hour.strftime("%Y-%m-%dT%H:")
        header = ("#Software: Microsoft Exchange Server\n#Version: %s\n#Log-type: HttpProxy Logs\n"
                  "#Date: %s00:00.000Z\n#Fields: %s\n" % (BUILD_LONG, hstr, HP_FIELDS))
        tick = 36000   # 100 ms resolution, random ms inside
        stamps = ["%s%02d:%02d.%03dZ" % (hstr, (k // 10) // 60, (k // 10) % 60, (k % 10) * 100 + rnd.randint(0, 99))
                  for k in range(tick)]
        templates = G["hp_t"][f["proto"]]
        pools = G["hp_lat"]
        bom = b"\xef\xbb\xbf"
    nt = len(templates)
    assert nt & (nt - 1) == 0, "template count must be a power of two"
    tmask = nt - 1
    tbits = nt.bit_length() - 1
    # resolve pool names once: templates become (format, pool list)
    tl = [(fm, pools[p]) for fm, p in templates]
    gh, gtl = G["gh"], G["gt"]
    scale = (tick << 32) // max(1, int(est * 1.02))
    last = tick - 1
    header_lines = header.count("\n")
    if eol == "\r\n":
        header = header.replace("\n", "\r\n")
    size = f["size"]
    attacks = list(f["attacks"])
    rehdr = f["rehdr"]
    avg = G["avg_iis"][f["site"]] if f["type"] == "iis" else G["avg_hp"][f["proto"]]
    with open(path, "wb", buffering=0) as fh:
        head = bom + header.encode()
        fh.write(head)
        written = len(head)
        i = 0
        extra_lines = 0    # lines inserted by header repeats
        while written < size or attacks:
            remaining = size - written
            n = CHUNK_LINES if remaining > 0 else 0
            if 0 < remaining < CHUNK_LINES * avg:
                n = max(1, int(remaining / avg) + 1)
            if n == 0:
                # out of budget but attacks remain (estimate too high): put them now
                n = 1
                attacks = [(i, k) for _, k in attacks]
            lines = []
            app = lines.append
            for j in range(i, i + n):
                r = grb(64)
                fm, pool = tl[r & tmask]
                s = (j * scale) >> 32
                r >>= tbits
                app(fm % (stamps[s if s < last else last], gh[r & 0xFFF], gtl[(r >> 12) & 0xFFF],
                          pool[(r >> 24) & 0xFF]))
            while attacks and attacks[0][0] < i + n:
                pos, kind = attacks.pop(0)
                pos = max(pos, i)
                s = min(last, (pos * scale) >> 32)
                lines[pos - i] = attack_line(kind, rnd, stamps[s], G["users"], f["proto"])
                planted.append([pos, kind])
            if rehdr is not None and i <= rehdr < i + n:
                s = min(last, (rehdr * scale) >> 32)
                rh = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
                      "#Date: %s\n#Fields: %s\n" % (stamps[s], IIS_FIELDS))
                lines.insert(rehdr - i, rh)
                f["rehdr_done"] = rehdr
            text = "".join(lines)
            if eol == "\r\n":
                text = text.replace("\n", "\r\n")
            data = text.encode()
            fh.write(data)
            written += len(data)
            i += n
    # manifest line numbers (1-based, physical lines incl. headers)
    rd = f.get("rehdr_done")
    man = []
    for pos, kind in planted:
        ln = header_lines + pos + 1 + (4 if rd is not None and pos >= rd else 0)
        man.append({"file": f["rel"], "line": ln, "kind": kind})
    return {"rel": f["rel"], "bytes": written, "lines": i, "planted": man}


def setup(args):
    rnd = random.Random(args.seed ^ 0x5EED)
    users, admins, health = make_world(rnd)
    G["users"] = users
    G["tt"] = tt_pools(rnd)
    G["hp_lat"] = hp_latency_pools(rnd)
    mix = MIXES[args.mix]
    G["mix"] = mix
    G["protocols"] = list(mix["hp_weights"])
    if args.mix == "sparse":
        G["iis_t"] = {"W3SVC1": build_iis_templates(rnd, users, admins, health)}
        G["hp_t"] = {p: build_hp_templates(rnd, users, admins, health, p) for p in HP_PROTOCOLS}
    else:
        G["iis_t"] = {"W3SVC1": build_iis_templates(rnd, users, admins, health, kinds=IIS_KINDS["realistic"])}
        BACKEND["on"], BACKEND["rnd"] = True, random.Random(args.seed ^ 0xBE)
        G["iis_t"]["W3SVC2"] = build_iis_templates(rnd, users, admins, health, kinds=IIS_KINDS["backend"])
        BACKEND["on"] = False
        G["hp_t"] = {p: build_hp_templates(rnd, users, admins, health, p, probes=0.08)
                     for p in G["protocols"]}
    heads, tails = [], []
    for _ in range(4096):
        g = guid(rnd)
        heads.append(g[:19])
        tails.append(g[19:])
    G["gh"], G["gt"] = heads, tails
    G["outdir"] = args.outdir
    G["eol"] = "\r\n" if args.eol == "crlf" else "\n"
    # average line length for line-count estimates (with EOL)
    extra = len(G["eol"]) - 1

    def avg(templates, pools, stamp):
        tot = 0
        m = 4000
        for k in range(m):
            fm, p = templates[(k * 2654435761) % len(templates)]
            tot += len(fm % (stamp, heads[k % 4096], tails[k % 4096], pools[p][k % 256]))
        return tot / m + extra
    G["avg_iis"] = {site: avg(t, G["tt"], "2021-03-01 00:00:00") for site, t in G["iis_t"].items()}
    G["avg_hp"] = {p: avg(G["hp_t"][p], G["hp_lat"], "2021-03-01T08:00:00.000Z") for p in G["protocols"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--size-gb", type=float, default=1.0, help="total bytes / 1e9 (default 1.0)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mix", choices=sorted(MIXES), default="sparse",
                    help="traffic mix: sparse (rule literals rare) or realistic (a busy server: "
                         "common path prefixes on most lines); default sparse")
    ap.add_argument("--start", default="2021-03-01", help="first log day, YYYY-MM-DD (default 2021-03-01)")
    ap.add_argument("--eol", choices=["crlf", "lf"], default="crlf", help="line ending (default crlf, like Windows)")
    ap.add_argument("--min-per-kind", type=int, default=1, help="plant at least this many lines of every attack kind")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--manifest", default=None, help="planted-lines JSON (default OUTDIR.planted.json, outside OUTDIR)")
    args = ap.parse_args()
    if args.size_gb <= 0:
        ap.error("--size-gb must be > 0")
    args.outdir = os.path.abspath(args.outdir)
    if os.path.isdir(args.outdir) and os.listdir(args.outdir):
        ap.error("%s exists and is not empty; remove it first" % args.outdir)
    t0 = time.time()
    setup(args)
    files = plan(args)
    os.makedirs(args.outdir, exist_ok=True)
    # biggest first for better load balance
    order = sorted(files, key=lambda f: -f["size"])
    if args.jobs > 1 and len(files) > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(min(args.jobs, len(files))) as pool:
            results = pool.map(gen_file, order, chunksize=1)
    else:
        results = [gen_file(f) for f in order]
    results.sort(key=lambda r: r["rel"])
    el = time.time() - t0
    tot_bytes = sum(r["bytes"] for r in results)
    tot_lines = sum(r["lines"] for r in results)
    iis_bytes = sum(r["bytes"] for r in results if r["rel"].startswith("inetpub"))
    by_dir = {}
    for r in results:
        d = os.path.basename(os.path.dirname(r["rel"]))
        by_dir[d] = by_dir.get(d, 0) + r["bytes"]
    planted = [p for r in results for p in r["planted"]]
    counts = {k: 0 for k in ATTACK_KINDS}
    for p in planted:
        counts[p["kind"]] += 1
    manifest = args.manifest or (args.outdir.rstrip("/") + ".planted.json")
    with open(manifest, "w") as fh:
        json.dump({"seed": args.seed, "size_gb": args.size_gb, "mix": args.mix, "eol": args.eol, "bytes": tot_bytes,
                   "data_lines": tot_lines, "files": len(results), "counts": counts,
                   "kinds": {k: {"log": v[0], "what": v[1]} for k, v in ATTACK_KINDS.items()},
                   "planted": planted}, fh, indent=1)
    print("wrote %d files, %.1f MB (IIS %.0f %%, HttpProxy %.0f %%), %d data lines in %.1f s (%.1f MB/s)" % (
        len(results), tot_bytes / MB, 100 * iis_bytes / tot_bytes, 100 - 100 * iis_bytes / tot_bytes,
        tot_lines, el, tot_bytes / MB / el))
    print("mix %s: %s" % (args.mix, ", ".join("%s %.1f %%" % (d, 100 * b / tot_bytes)
                                              for d, b in sorted(by_dir.items(), key=lambda kv: -kv[1]))))
    print("planted attack lines (%d total, manifest: %s):" % (len(planted), manifest))
    for k, c in counts.items():
        print("  %-30s %4d   %s" % (k, c, ATTACK_KINDS[k][1]))


if __name__ == "__main__":
    main()
