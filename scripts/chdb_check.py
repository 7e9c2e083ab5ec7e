"""Apply the ClickHouse migrations on a current ClickHouse engine (chdb, in-process) and check
the documented read patterns there, next to the Debian 18.16 server used by the Go tests.

Run by `make test` (make check-chdb): python3 scripts/chdb_check.py sql/clickhouse
"""
import glob
import os
import sys

from chdb import session


def fail(msg):
    print("chdb check: FAIL: " + msg)
    sys.exit(1)


def main(sql_dir):
    files = sorted(glob.glob(os.path.join(sql_dir, "[0-9][0-9][0-9][0-9]_*.sql")))
    if not files:
        fail("no migrations in " + sql_dir)
    s = session.Session()
    version = str(s.query("SELECT version()", "TSV")).strip()
    s.query("CREATE DATABASE IF NOT EXISTS ft")
    # Twice: every statement must be idempotent (migrate re-runs a half-applied file).
    for _ in range(2):
        for f in files:
            with open(f, encoding="utf-8") as fh:
                try:
                    s.query("USE ft;\n" + fh.read())
                except Exception as e:  # chdb raises its own error types
                    fail("%s: %s" % (os.path.basename(f), e))

    tables = str(s.query("SELECT name FROM system.tables WHERE database = 'ft' ORDER BY name", "TSV")).split()
    bare = str(s.query(
        "SELECT table || '.' || name FROM system.columns WHERE database = 'ft' AND comment = ''", "TSV")).split()
    if bare:
        fail("columns without a comment: " + ", ".join(bare))

    # The dedup read patterns of docs/clickhouse.md, on a row written three times and deleted.
    s.query("""INSERT INTO ft.orders (id, customer_id, restaurant_id, courier_id, city_id, status, placed_at,
        items_count, subtotal, delivery_fee, total, distance_km, promised_minutes, is_promo, drop_lat, drop_lon,
        _version, _is_deleted, _source_ts_ms) VALUES
        (1, 1, 1, NULL, 1, 'placed',    '2026-11-25 12:00:00', 1, 10, 2, 12, 1.5, 30, 0, 36.8, 10.1, 100, 0, 0),
        (1, 1, 1, 7,    1, 'picked_up', '2026-11-25 12:00:00', 1, 10, 2, 12, 1.5, 30, 0, 36.8, 10.1, 300, 0, 0),
        (1, 1, 1, 7,    1, 'accepted',  '2026-11-25 12:00:00', 1, 10, 2, 12, 1.5, 30, 0, 36.8, 10.1, 200, 0, 0),
        (2, 1, 1, NULL, 1, 'placed',    '2026-11-25 12:00:00', 1, 10, 2, 12, 1.5, 30, 0, 36.8, 10.1, 100, 0, 0),
        (2, 0, 0, NULL, 0, '',          '1970-01-01 00:00:00', 0, 0, 0, 0, 0, 0, 0, 0, 0, 400, 1, 0)""")
    final = str(s.query("SELECT id, status FROM ft.orders FINAL WHERE _is_deleted = 0 ORDER BY id", "TSV")).strip()
    if final != "1\tpicked_up":
        fail("FINAL read gave %r, want the newest version of order 1 only" % final)
    latest = str(s.query("""SELECT id, t.1 AS status FROM (
            SELECT id, argMax(tuple(status, _is_deleted), _version) AS t FROM ft.orders GROUP BY id
        ) WHERE t.2 = 0 ORDER BY id""", "TSV")).strip()
    if latest != "1\tpicked_up":
        fail("argMax(tuple) read gave %r, want the newest version of order 1 only" % latest)

    # The rollup views of 0004: rows written twice, as a replay of the ingester does, count once.
    for _ in range(2):
        s.query("""INSERT INTO ft.orders_enriched (order_id, city_id, placed_at, _version)
            VALUES (1, 1, '2026-11-25 12:00:00', 1)""")
        s.query("""INSERT INTO ft.sla_violations (order_id, city_id, kind, observed_at, _version)
            VALUES (1, 1, 'breach', '2026-11-25 12:50:00', 2)""")
        s.query("""INSERT INTO ft.orders (id, city_id, status, delivered_at, total, _version)
            VALUES (1, 1, 'delivered', '2026-11-25 12:50:00', 12.5, 500)""")
    rollups = str(s.query("""SELECT (SELECT orders FROM ft.orders_per_city_minute),
        (SELECT breaches FROM ft.sla_breaches_per_city_minute),
        (SELECT toString(delivered_orders) || ' ' || toString(revenue) FROM ft.revenue_per_city_hour)""", "TSV")).strip()
    if rollups != "1\t1\t1 12.5":
        fail("rollup views gave %r, want one order, one breach, one delivery of 12.5" % rollups)
    # 0007: id bounds and the revenue hours that changed, fed by the same inserts, and the read
    # of internal/delivered (its join shape) on this engine.
    bounds = str(s.query("""SELECT source, minMerge(min_id), maxMerge(max_id) FROM ft.id_bounds_state
        WHERE source LIKE 'orders.%' GROUP BY source ORDER BY source""", "TSV")).strip()
    if bounds != "orders.delivered_at\t1\t1\norders.placed_at\t1\t2":
        fail("id bounds gave %r, want delivered 1-1 and placed 1-2" % bounds)
    hours = str(s.query("""SELECT hour, sealed_at > changed + 120 AS valid
        FROM (
            SELECT hour, maxMerge(changed) AS changed FROM ft.delivered_changes_state GROUP BY hour
        ) AS changes ANY LEFT JOIN (
            SELECT hour, max(sealed_at) AS sealed_at FROM ft.delivered_sealed_hours GROUP BY hour
        ) AS seals USING hour ORDER BY hour""", "TSV")).strip()
    if hours != "2026-11-25 12:00:00\t0":
        fail("revenue hours gave %r, want 12:00 not sealed" % hours)
    print("chdb check: ClickHouse %s applied %d migration file(s) twice; %d tables, every column commented; "
          "FINAL and argMax(tuple) reads agree; rollups count a replayed row once; id bounds and revenue hours read" % (version, len(files), len(tables)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sql/clickhouse")
