"""The nearest thing to `import-prep profile` a user would run today: the same checks as DuckDB
SQL over the NDJSON (read_json + GROUP BYs). The peer of `profile` in scripts/bench.

    python3 profile_duckdb.py FILE.ndjson

Days without records inside the span (when it averages >= 10 a day), property kinds per scope
and key (type drift), exact duplicate records, users with events and no identify_user, companies
never identified, and junk ids. Prints one line per check.
"""
import sys

import duckdb

con = duckdb.connect()
con.execute("SET threads=2")
con.execute(f"""CREATE TEMP TABLE r AS SELECT *, TRY_CAST(inserted_at AS TIMESTAMPTZ) AS t
               FROM read_json('{sys.argv[1]}', format='newline_delimited', union_by_name=true,
                              columns={{event_type:'VARCHAR', user_id:'VARCHAR', company_id:'VARCHAR',
                                        event_name:'VARCHAR', inserted_at:'VARCHAR', url:'VARCHAR',
                                        hostname:'VARCHAR', pathname:'VARCHAR', metadata:'JSON'}})""")
print("gaps", con.execute("""
    WITH days AS (SELECT CAST(t AS DATE) d, count(*) n FROM r
                  WHERE t >= TIMESTAMPTZ '2000-01-01' AND t <= now() + INTERVAL 1 DAY GROUP BY 1),
         span AS (SELECT min(d) a, max(d) b, sum(n) total FROM days)
    SELECT count(*) FROM span, generate_series(span.a, span.b, INTERVAL 1 DAY) g(day)
    WHERE span.total >= 10 * (span.b - span.a + 1) AND CAST(g.day AS DATE) NOT IN (SELECT d FROM days)""").fetchone())
print("type drift", con.execute("""
    WITH kv AS (SELECT CASE event_type WHEN 'identify_user' THEN 'users' WHEN 'identify_company' THEN 'companies'
                       ELSE 'events' END scope, k, json_type(metadata, '$."' || k || '"') kind
                FROM (SELECT event_type, metadata, unnest(json_keys(metadata)) k FROM r))
    SELECT count(*) FROM (SELECT scope, k FROM kv WHERE kind <> 'NULL'
                          GROUP BY scope, k HAVING count(DISTINCT CASE WHEN kind IN ('BIGINT','UBIGINT','DOUBLE')
                          THEN 'number' ELSE kind END) > 1)""").fetchone())
print("duplicate records", con.execute("""
    SELECT count(*) - count(DISTINCT hash(event_type, user_id, company_id, event_name, t, url, hostname,
                                          pathname, CAST(metadata AS VARCHAR))) FROM r""").fetchone())
print("users never identified", con.execute("""
    SELECT count(*) FROM (SELECT DISTINCT user_id FROM r WHERE event_type IN ('track','page_view')
                          EXCEPT SELECT DISTINCT user_id FROM r WHERE event_type = 'identify_user')""").fetchone())
print("companies never identified", con.execute("""
    SELECT count(*) FROM (SELECT DISTINCT company_id FROM r WHERE event_type <> 'identify_company' AND company_id IS NOT NULL
                          EXCEPT SELECT DISTINCT company_id FROM r WHERE event_type = 'identify_company')""").fetchone())
print("junk ids", con.execute("""
    SELECT count(*) FROM r WHERE lower(user_id) IN ('anon','anonymous','nil','none','null','n/a','na','undefined',
        'unknown','<nil>','true','false','[]','{}','0','-1','test')
        OR lower(company_id) IN ('anon','anonymous','nil','none','null','n/a','na','undefined','unknown','<nil>',
        'true','false','[]','{}','0','-1','test')""").fetchone())
