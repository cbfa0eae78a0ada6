#!/usr/bin/env python3
"""The reference for bench/merge.sh: DuckDB computing what `exhunt merge` computes over the same
result files — the per-server verdict table (verdict, organisation, findings per severity, first
exploitation) and the indicator spread (addresses, user agents, web-shell paths, file SHA-256:
servers, organisations, first and last seen, rules), with private addresses left out.

usage: merge_duckdb.py DATA_DIR OUT_DIR [--threads N]
Writes OUT_DIR/duckdb-hosts.csv and OUT_DIR/duckdb-indicators.csv; prints the row counts.
"""
import argparse
import os

import duckdb

COLUMNS = {
    "kind": "VARCHAR", "rule_id": "VARCHAR", "severity": "VARCHAR", "stage": "VARCHAR",
    "host": "VARCHAR", "org": "VARCHAR", "source": "VARCHAR", "timestamp": "VARCHAR",
    "client_ip": "VARCHAR", "url_path": "VARCHAR", "sha256": "VARCHAR", "fields": "JSON",
    "hosts": "JSON", "finished": "VARCHAR",
}

SQL = """
CREATE TEMP TABLE lines AS
SELECT * FROM read_json('{glob}', format='newline_delimited', columns={columns},
                        maximum_object_size=67108864);

CREATE TEMP TABLE f AS
SELECT host, org, rule_id, severity, stage, source, client_ip, url_path, sha256,
       CAST("timestamp" AS TIMESTAMP) AS ts,
       replace(json_extract_string(fields, '$."cs(User-Agent)"'), '+', ' ') AS ua,
       severity IN ('medium', 'high', 'critical') AND stage <> 'exposure' AS weighty
FROM lines WHERE kind = 'finding';

COPY (
  WITH s AS (
    SELECT json_extract_string(h, '$.name') AS host, json_extract_string(h, '$.org') AS org,
           json_extract_string(h, '$.verdict') AS verdict
    FROM (SELECT unnest(CAST(hosts AS JSON[])) AS h FROM lines WHERE kind = 'summary')
  ),
  c AS (
    SELECT host, org, count(*) AS findings,
           count(*) FILTER (WHERE severity = 'critical') AS critical,
           count(*) FILTER (WHERE severity = 'high') AS high,
           count(*) FILTER (WHERE severity = 'medium') AS medium,
           min(ts) FILTER (WHERE stage = 'exploitation' AND weighty) AS first_attempt
    FROM f GROUP BY host, org
  )
  SELECT s.org, s.host, s.verdict, c.findings, c.critical, c.high, c.medium, c.first_attempt
  FROM s LEFT JOIN c USING (host, org)
  ORDER BY s.verdict DESC, s.org, s.host
) TO '{out}/duckdb-hosts.csv' (HEADER);

COPY (
  WITH i AS (
    SELECT 'ip' AS type, client_ip AS value, host, org, ts, rule_id FROM f
    WHERE weighty AND client_ip IS NOT NULL
      AND NOT (client_ip LIKE '10.%' OR client_ip LIKE '192.168.%' OR client_ip LIKE '127.%'
               OR regexp_matches(client_ip, '^172\\.(1[6-9]|2[0-9]|3[01])\\.'))
    UNION ALL
    SELECT 'user_agent', ua, host, org, ts, rule_id FROM f
    WHERE weighty AND ua IS NOT NULL AND ua <> '-' AND source IN ('iis', 'httpproxy', 'rps')
    UNION ALL
    SELECT 'url_path', lower(url_path), host, org, ts, rule_id FROM f
    WHERE weighty AND stage = 'backdoor' AND url_path IS NOT NULL
    UNION ALL
    SELECT 'sha256', sha256, host, org, ts, rule_id FROM f
    WHERE weighty AND sha256 IS NOT NULL AND source = 'files'
  )
  SELECT type, value, count(DISTINCT (org, host)) AS host_count, count(DISTINCT org) AS org_count,
         min(ts) AS first_seen, max(ts) AS last_seen, list(DISTINCT rule_id ORDER BY rule_id) AS rules
  FROM i GROUP BY type, value
  ORDER BY host_count DESC, org_count DESC, type, value
) TO '{out}/duckdb-indicators.csv' (HEADER);
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET threads TO %d" % a.threads)
    columns = "{" + ", ".join("'%s': '%s'" % kv for kv in COLUMNS.items()) + "}"
    glob = os.path.join(a.data, "*", "*.jsonl")
    for stmt in SQL.format(glob=glob, columns=columns, out=a.out).split(";"):
        if stmt.strip():
            con.execute(stmt)
    hosts = con.execute("SELECT count(*) FROM read_csv('%s/duckdb-hosts.csv')" % a.out).fetchone()[0]
    inds = con.execute("SELECT count(*) FROM read_csv('%s/duckdb-indicators.csv')" % a.out).fetchone()[0]
    print("hosts=%d indicators=%d" % (hosts, inds))


if __name__ == "__main__":
    main()
