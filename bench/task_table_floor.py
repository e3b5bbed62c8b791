# The floor of the first sync at 100,000 tasks: the same rows inserted into the guide's
# scheduled_tasks and maintd_tasks by plain SQL (Python sqlite3, one transaction). See
# docs/benchmarks.md, after issue 18.
import os
if os.path.exists("/tmp/maintd-floor.db"): os.remove("/tmp/maintd-floor.db")
import sqlite3, time, uuid
db = sqlite3.connect('/tmp/maintd-floor.db', isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("""CREATE TABLE scheduled_tasks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', task_type TEXT NOT NULL, scope_type TEXT NOT NULL DEFAULT 'global', schedule_expression TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1, config TEXT NOT NULL DEFAULT '{}', last_run_id TEXT, last_run_at TEXT, last_run_status TEXT, next_run_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""")
db.execute("""CREATE TABLE maintd_tasks (task_id TEXT PRIMARY KEY, origin TEXT NOT NULL, timezone TEXT, enabled_override INTEGER, timeout_seconds INTEGER, concurrency TEXT, catchup_seconds INTEGER, retries INTEGER, retry_backoff_seconds INTEGER, jitter_seconds INTEGER, expect_success_within_seconds INTEGER, dry_run INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)""")
ids=[str(uuid.uuid4()) for _ in range(100000)]
t=time.time()
db.execute("BEGIN IMMEDIATE")
db.executemany("INSERT INTO scheduled_tasks (id,name,display_name,description,task_type,scope_type,schedule_expression,enabled,config,created_at,updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
  [(ids[i], "bench-%06d"%i, "bench-%06d"%i, "", "debug.noop", "global", "3 13 31 1 *", 1, '{"sleep":"0s","fail":false}', "2026-12-07T00:00:00.000Z","2026-12-07T00:00:00.000Z") for i in range(100000)])
t1=time.time()
db.executemany("INSERT INTO maintd_tasks (task_id,origin,timezone,enabled_override,timeout_seconds,concurrency,catchup_seconds,retries,retry_backoff_seconds,jitter_seconds,expect_success_within_seconds,dry_run,updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (task_id) DO UPDATE SET origin=excluded.origin",
  [(ids[i], "file:schedules/bench.yaml", "UTC", None, 3600, "forbid", 0, 0, 30, 0, None, 0, "2026-12-07T00:00:00.000Z") for i in range(100000)])
db.execute("COMMIT")
t2=time.time()
print("scheduled_tasks %.2f s, maintd_tasks %.2f s, total %.2f s" % (t1-t, t2-t1, t2-t))
t=time.time(); n=db.execute("SELECT COUNT(*), SUM(length(name)) FROM scheduled_tasks s JOIN maintd_tasks m ON m.task_id=s.id").fetchone(); print("join read %.2f s"%(time.time()-t), n)
