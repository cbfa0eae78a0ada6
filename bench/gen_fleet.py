#!/usr/bin/env python3
"""Generate N servers' exhunt JSONL result files, as a national CERT's hunt returns them.

usage: gen_fleet.py OUT_DIR --servers N [--seed S] [--orgs K]

One file per server (OUT_DIR/<org>/<host>.jsonl): 10-200 finding lines in exhunt's format
(rule id, title, severity, stage, cves, host, org, source, path, line, timestamp, client ip,
request id, url path, outcome, evidence, fields, notes, story, tags, attack, description,
remediation, references; file findings with sha256, size, modified), then the summary line
with the host's verdict and coverage.

Mix (realistic for an Exchange campaign): ~15 % compromised (ProxyLogon SSRF from operator
addresses, web-shell access, a China Chopper file on disk — shell files shared as a few hundred
variants, shell names unique per server or from the published lists), ~50 % with exploitation
attempts only (mass scanners: 5,000 addresses with a Zipf-like spread, a handful seen on most
servers), ~35 % with informational findings only. Every server has one exposure finding.
"""
import argparse
import hashlib
import json
import os
import random

VERSION = 1

RULES = {
    "EXH-PL-001": ("ProxyLogon SSRF (CVE-2021-26855) — ServerInfo~ anchor mailbox in HttpProxy log", "high", "exploitation", ["CVE-2021-26855"], ["ProxyLogon", "HAFNIUM"], "httpproxy"),
    "EXH-PL-002": ("ProxyLogon SSRF attempt with an autodiscover-only anchor (CVE-2021-26855, failed probe)", "medium", "exploitation", ["CVE-2021-26855"], ["ProxyLogon", "scanning"], "httpproxy"),
    "EXH-PL-007": ("ProxyLogon SSRF entry point — request to /ecp/<name>.js, a file Exchange does not have", "medium", "exploitation", ["CVE-2021-26855"], ["ProxyLogon", "HAFNIUM"], "iis"),
    "EXH-UA-001": ("Attacker tool user agent published for the Exchange campaigns", "medium", "exploitation", ["CVE-2021-26855"], ["ProxyLogon", "HAFNIUM", "AntSword"], "iis"),
    "EXH-WS-001": ("Web-shell access — ASP.NET page requested under /aspnet_client", "high", "backdoor", ["CVE-2021-26855", "CVE-2021-27065"], ["ProxyLogon", "HAFNIUM", "China Chopper", "web shell"], "iis"),
    "EXH-FY-001": ("China Chopper: server-side eval of a request field", "critical", "backdoor", ["CVE-2021-26855", "CVE-2021-27065"], ["China Chopper", "HAFNIUM", "web shell"], "files"),
    "EXH-PL-003": ("ProxyLogon-like anchor from localhost (Microsoft's own nmap check)", "info", "exploitation", ["CVE-2021-26855"], ["ProxyLogon"], "httpproxy"),
    "EXH-EXP-001": ("Installed Exchange Server 2016 build 15.1.2176.2 lacks security fixes", "high", "exposure", ["CVE-2021-26855", "CVE-2021-27065"], ["exposure"], "files"),
}
DESCRIPTION = ("Requests whose AnchorMailbox is a ServerInfo~ anchor reach the back end as SYSTEM: the "
               "server-side request forgery of CVE-2021-26855 that HAFNIUM and later many groups used.")
REMEDIATION = ("Look up the client address in the other logs, hunt for web shells in owa/auth and "
               "aspnet_client, and install the March 2021 security update or later.")
REFS = ["https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"]
SCANNER_UAS = ["python-requests/2.25.1", "ExchangeServicesClient/0.0.0.0", "Mozilla/5.0 zgrab/0.x",
               "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"]
OPERATOR_UAS = ["antSword/v2.1", "python-requests/2.19.1", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0"]
PUBLISHED = ["errorEE.aspx", "shell.aspx", "discover.aspx", "supp0rt.aspx", "help.aspx", "one.aspx"]


def ip_of(n, base):
    return "%d.%d.%d.%d" % (base, (n >> 16) & 255, (n >> 8) & 255, n & 255 or 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--servers", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orgs", type=int, default=0, help="organisations (default: servers / 40)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    orgs = a.orgs or max(1, a.servers // 40)
    # 5,000 scanners with a Zipf-like weight; 300 operator addresses; 400 shell variants.
    scanners = [ip_of(rng.randrange(1 << 24), rng.choice([45, 89, 104, 185, 193])) for _ in range(5000)]
    weights = [1.0 / (k + 1) ** 1.1 for k in range(len(scanners))]
    operators = [ip_of(rng.randrange(1 << 24), rng.choice([103, 161, 194, 211])) for _ in range(300)]
    variants = [("<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"" + "%08x" % rng.getrandbits(32) + "\"],\"unsafe\");%>")
                for _ in range(400)]
    os.makedirs(a.out, exist_ok=True)
    total_lines = 0
    for s in range(a.servers):
        org = "org%03d" % (s % orgs)
        host = "EX%05d" % s
        d = os.path.join(a.out, org)
        os.makedirs(d, exist_ok=True)
        kind = rng.random()
        n = rng.randint(10, 200)
        day0 = rng.randint(1, 20)
        lines = []

        def finding(rule, t, ip=None, url=None, ua=None, extra=None, status="200"):
            title, sev, stage, cves, tags, source = RULES[rule]
            ts = "2021-03-%02dT%02d:%02d:%02dZ" % (t // 86400 + 1, t // 3600 % 24, t // 60 % 60, t % 60)
            path = ("C/inetpub/logs/LogFiles/W3SVC1/u_ex2103%02d.log" % (t // 86400 + 1) if source == "iis" else
                    "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_202103%02d%02d-1.LOG" % (t // 86400 + 1, t // 3600 % 24)
                    if source == "httpproxy" else "C/inetpub/wwwroot/aspnet_client/system_web/x.aspx")
            fields = {"cs-method": "POST", "cs-uri-stem": url or "/ecp/y.js", "sc-status": status,
                      "cs-username": "", "cs(User-Agent)": (ua or "-").replace(" ", "+"), "s-ip": "10.0.0.10"}
            v = {
                "kind": "finding", "rule_id": rule, "title": title, "severity": sev, "stage": stage, "cves": cves,
                "host": host, "source": source, "path": path, "line": rng.randint(5, 90000), "record_id": None,
                "timestamp": ts if source != "files" or rule == "EXH-FY-001" else None,
                "client_ip": ip, "request_id": "%032x" % rng.getrandbits(128), "url_path": url,
                "outcome": "success" if status == "200" else "failure",
                "evidence": "%s 10.0.0.10 POST %s - 443 - %s %s - %s 0 0 %d" % (ts, url or "/ecp/y.js", ip or "-", (ua or "-").replace(" ", "+"), status, rng.randint(2, 900)),
                "fields": fields, "notes": [], "story": 1, "tags": tags, "attack": ["T1190"],
                "description": DESCRIPTION, "remediation": REMEDIATION, "references": REFS,
                "rule_origin": "embedded:logs/proxylogon.yml", "org": org,
            }
            if extra:
                v.update(extra)
            lines.append(v)

        finding("EXH-EXP-001", 0, extra={"fields": {"build": "15.1.2176.2"}, "timestamp": None, "line": None})
        t = day0 * 86400
        if kind < 0.15:
            op = rng.choice(operators)
            shell = "/aspnet_client/system_web/%s" % (rng.choice(PUBLISHED) if rng.random() < 0.3 else "%08x.aspx" % rng.getrandbits(32))
            body = rng.choice(variants[:50] if rng.random() < 0.7 else variants)
            sha = hashlib.sha256(body.encode()).hexdigest()
            finding("EXH-FY-001", t, url=shell.lower(), extra={"sha256": sha, "size": len(body), "modified": "2021-03-03T02:44:17Z"})
            for i in range(n - 2):
                t += rng.randint(5, 3600)
                if i % 3 == 0:
                    finding("EXH-PL-001", t, ip=op, url="/ecp/y.js", ua=rng.choice(OPERATOR_UAS))
                else:
                    finding("EXH-WS-001", t, ip=op, url=shell, ua="antSword/v2.1")
            verdict, reason = "compromised", "proof of compromise: web-shell access [EXH-WS-001]"
        elif kind < 0.65:
            for i in range(n - 1):
                t += rng.randint(5, 7200)
                ip = rng.choices(scanners, weights)[0]
                finding(rng.choice(["EXH-PL-002", "EXH-PL-007", "EXH-UA-001"]), t, ip=ip, url="/ecp/x.js",
                        ua=rng.choice(SCANNER_UAS), status="500")
            verdict, reason = "exploitation attempted", "attack activity without proof that it succeeded"
        else:
            for i in range(n - 1):
                t += rng.randint(5, 7200)
                finding("EXH-PL-003", t, ip="127.0.0.1", url="/ecp/x.js", ua="Nmap", status="500")
            verdict, reason = "no evidence found", "only informational observations"
        cov = {"iis": {"files": 30, "bytes": 50_000_000, "lines": 200_000, "first": "2021-01-01T00:00:01Z", "last": "2021-03-31T23:59:59Z"},
               "httpproxy": {"files": 700, "bytes": 20_000_000, "lines": 90_000, "first": "2021-01-01T00:00:03Z", "last": "2021-03-31T23:59:00Z"}}
        summary = {"kind": "summary", "verdict": verdict, "reason": reason,
                   "hosts": [{"name": host, "org": org, "verdict": verdict, "reason": reason, "coverage": cov,
                              "missing_sources": ["ecp", "oab", "rps"], "exchange_installs": ["C/Program Files/Microsoft/Exchange Server/V15"],
                              "system_roots": ["C"], "findings_by_severity": {}}],
                   "coverage": cov, "findings": len(lines), "stories": 1,
                   "scan_issues": {"listed": 0, "not_listed": 0, "by_kind": {}}, "suppressed": [], "filtered_out": 0,
                   "rules_loaded": 300, "rule_errors": 0, "root": "C:\\", "org": org, "version": "0.1.0",
                   "started": "2021-04-01T10:00:00Z", "finished": "2021-04-01T10:%02d:00Z" % (s % 60)}
        with open(os.path.join(d, host + ".jsonl"), "w") as f:
            for v in lines:
                f.write(json.dumps(v, separators=(",", ":")))
                f.write("\n")
            f.write(json.dumps(summary, separators=(",", ":")))
            f.write("\n")
        total_lines += len(lines) + 1
    print("servers=%d orgs=%d lines=%d version=%d" % (a.servers, orgs, total_lines, VERSION))


if __name__ == "__main__":
    main()
