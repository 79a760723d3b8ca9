/*
 * schema.c — every table of hub's database, as an ordered list of migrations (db layer).
 *
 * PRAGMA user_version counts the steps applied; each step runs in one transaction. A step
 * names the module that owns what it creates (see db/db.h). Steps are never edited once
 * released: a change is a new step.
 */
#include "db/db.h"

/* The steps, in order. */
const char *const hub__migrations[] = {
    /* 1: items, reasons, contributors, validators, runs, settings */
    "CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE items("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"      /* github.com/owner/repo#12, at://did/coll/rkey ... */
    "  source TEXT NOT NULL,"          /* github, tangled, gfi ... */
    "  host TEXT, repo TEXT, number INTEGER,"
    "  kind TEXT NOT NULL DEFAULT 'issue'," /* issue | pull */
    "  title TEXT NOT NULL DEFAULT '', body TEXT, state TEXT NOT NULL DEFAULT 'open',"
    "  author TEXT, labels TEXT NOT NULL DEFAULT '[]', assignees TEXT NOT NULL DEFAULT '[]',"
    "  comments INTEGER NOT NULL DEFAULT 0, reactions INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER, updated_at INTEGER, url TEXT,"
    "  unread INTEGER NOT NULL DEFAULT 0,"
    "  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  base REAL NOT NULL DEFAULT 1, rank REAL NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX items_rank ON items(state, rank DESC);"
    "CREATE TABLE item_reasons(item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  reason TEXT NOT NULL, PRIMARY KEY(item_id, reason)) WITHOUT ROWID;"
    "CREATE TABLE contributors(login TEXT PRIMARY KEY COLLATE NOCASE, weight REAL NOT NULL)"
    "  WITHOUT ROWID;"
    "CREATE TABLE validators(token_hash TEXT NOT NULL, url TEXT NOT NULL, etag TEXT,"
    "  last_modified TEXT, next_url TEXT, PRIMARY KEY(token_hash, url)) WITHOUT ROWID;"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER,"
    "  status TEXT NOT NULL, new INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,"
    "  unchanged INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,"
    "  requests INTEGER NOT NULL DEFAULT 0, not_modified INTEGER NOT NULL DEFAULT 0,"
    "  charged INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0,"
    "  waited_ms INTEGER NOT NULL DEFAULT 0, errors TEXT NOT NULL DEFAULT '[]',"
    "  limits TEXT NOT NULL DEFAULT '{}');",
    /* 2: one tip — models, decisions, reactions, per-item state, policies, settings (tip.c) */
    "CREATE TABLE tip_models(user TEXT NOT NULL, policy TEXT NOT NULL, d INTEGER NOT NULL,"
    "  state BLOB NOT NULL, updates INTEGER NOT NULL DEFAULT 0, updated_at INTEGER,"
    "  PRIMARY KEY(user, policy)) WITHOUT ROWID;"
    "CREATE TABLE tip_decisions("
    "  id INTEGER PRIMARY KEY, user TEXT NOT NULL, at INTEGER NOT NULL," /* at: ms */
    "  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL, item_key TEXT NOT NULL,"
    "  policy TEXT NOT NULL, fallback TEXT NOT NULL DEFAULT '[]',"
    "  features TEXT NOT NULL," /* JSON array of the served item's features */
    "  score REAL, propensity REAL NOT NULL, candidates INTEGER NOT NULL,"
    "  explore TEXT, epsilon REAL, seed INTEGER, latency_us INTEGER,"
    "  policies TEXT NOT NULL DEFAULT '{}'," /* {policy:{choice,p,score}}: served + shadows */
    "  why TEXT, reward REAL);"             /* reward: sum of the reactions' rewards */
    "CREATE INDEX tip_decisions_user ON tip_decisions(user, id);"
    "CREATE TABLE tip_reactions(id INTEGER PRIMARY KEY,"
    "  decision_id INTEGER NOT NULL REFERENCES tip_decisions(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL, reaction TEXT NOT NULL, reward REAL NOT NULL, snooze_until INTEGER,"
    "  UNIQUE(decision_id, reaction));"
    "CREATE TABLE tip_item_state(user TEXT NOT NULL,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL, until INTEGER, item_hash TEXT, at INTEGER NOT NULL," /* done|snoozed|dismissed */
    "  PRIMARY KEY(user, item_id)) WITHOUT ROWID;"
    "CREATE TABLE tip_policies(name TEXT PRIMARY KEY, enabled INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE tip_config(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;",
    /* 3: AT Protocol (atproto.c) — identity cache (handle → DID, DID → PDS + handle, with an
     * expiry in ms), the tangled records items are built from, repo names, backlink-index
     * counts, and work parked until an identity resolves (cleared at every run start) */
    "CREATE TABLE at_identity(id TEXT PRIMARY KEY, did TEXT, pds TEXT, handle TEXT,"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE at_records(uri TEXT PRIMARY KEY, did TEXT NOT NULL, collection TEXT NOT NULL,"
    "  kind TEXT NOT NULL," /* issue | pull | state | comment */
    "  subject TEXT,"       /* issue/pull: the repo (AT URI or DID); else the issue/pull URI */
    "  value TEXT,"         /* issue/pull: the record as JSON; state: open|closed|merged */
    "  ts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX at_records_subject ON at_records(subject, kind);"
    "CREATE TABLE at_repos(uri TEXT PRIMARY KEY, did TEXT NOT NULL, name TEXT, repo_did TEXT,"
    "  watched INTEGER NOT NULL DEFAULT 0, tried INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX at_repos_repo_did ON at_repos(repo_did);"
    "CREATE TABLE at_counts(subject TEXT PRIMARY KEY, comments INTEGER NOT NULL,"
    "  states INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE at_pending(id TEXT NOT NULL, action TEXT NOT NULL, a TEXT NOT NULL,"
    "  b TEXT NOT NULL, PRIMARY KEY(id, action, a, b));",
    /* 4: good-first-issue lists (gfi.c) — repos deduplicated by (owner, name) across lists,
     * which walk (repo search or the user's query) and page each listed issue came from, and
     * a repo-activity factor stored with the item */
    "CREATE TABLE repos(id INTEGER PRIMARY KEY,"
    "  owner TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,"
    "  label TEXT NOT NULL,"                         /* the label its beginner issues carry */
    "  technologies TEXT NOT NULL DEFAULT '[]',"     /* as the lists name them (JSON array) */
    "  languages TEXT NOT NULL DEFAULT '[]',"        /* GET /languages, most bytes first */
    "  lists TEXT NOT NULL DEFAULT '[]',"            /* every list that names it, sorted */
    "  source TEXT NOT NULL,"                        /* the last source that changed it */
    "  activity REAL NOT NULL DEFAULT 1, hash TEXT NOT NULL,"
    "  first_seen INTEGER NOT NULL, changed INTEGER NOT NULL, UNIQUE(owner, name));"
    "CREATE TABLE gfi_issues(item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  walk TEXT NOT NULL, page_url TEXT NOT NULL, PRIMARY KEY(item_id, walk)) WITHOUT ROWID;"
    "CREATE INDEX gfi_issues_walk ON gfi_issues(walk, page_url);"
    "ALTER TABLE items ADD COLUMN activity REAL NOT NULL DEFAULT 1;",
    /* 5: run statistics per source and skip reasons (sync.c) */
    ("ALTER TABLE runs ADD COLUMN sources TEXT NOT NULL DEFAULT '{}';"
    "ALTER TABLE runs ADD COLUMN skip_reasons TEXT NOT NULL DEFAULT '{}';"),
    /* 6: AT Protocol walks (atproto.c) — per DID and walk ("list" | "repos"): the repo rev of
     * the last complete walk and when it settled (ms), the rev being walked with its pages in
     * flight, and the latest rev the PDS reported in run latest_run */
    ("CREATE TABLE at_sync(did TEXT NOT NULL, what TEXT NOT NULL, rev TEXT,"
    "  polled INTEGER NOT NULL DEFAULT 0, pending TEXT, open INTEGER NOT NULL DEFAULT 0,"
    "  latest TEXT, latest_run INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(did, what)) WITHOUT ROWID;"),
    /* 7: the re-layering. Reasons become (code, detail) (items/items.c): "good first issue in
     * o/r (C)" was one string split on commas by the tip; now code "gfi" with detail "o/r (C)".
     * The tip's key/value store folds into settings under "tip." (db/kv.c). Things that are
     * gone upstream (404/410) are remembered for a day (sync/engine.c). Runs record an error
     * code. A rescore is due: the score gained a reason factor (rank/score.c). */
    ("CREATE TABLE item_reasons2(item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  code TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', PRIMARY KEY(item_id, code)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO item_reasons2(item_id,code,detail) SELECT item_id,"
    "  CASE WHEN reason LIKE 'good first issue in %' THEN 'gfi'"
    "       WHEN reason='good first issue search' THEN 'gfi_search' ELSE reason END,"
    "  CASE WHEN reason LIKE 'good first issue in %' THEN substr(reason,21) ELSE '' END"
    "  FROM item_reasons;"
    "DROP TABLE item_reasons;"
    "ALTER TABLE item_reasons2 RENAME TO item_reasons;"
    "CREATE INDEX item_reasons_code ON item_reasons(code, item_id);"
    "INSERT OR REPLACE INTO settings(k,v) SELECT 'tip.'||k, v FROM tip_config;"
    "DROP TABLE tip_config;"
    "CREATE TABLE gone(url TEXT PRIMARY KEY, status INTEGER NOT NULL, reason TEXT NOT NULL,"
    "  first INTEGER NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID;"
    "ALTER TABLE runs ADD COLUMN code TEXT;"
    "UPDATE settings SET k='github.next_poll_ms' WHERE k='notif_next_poll_ms';"
    "UPDATE settings SET k='github.reconciled_ms' WHERE k='notif_reconcile_ms';"
    "INSERT OR REPLACE INTO settings(k,v) VALUES('state.rescore','1');"),
    /* 8: the insight console's saved queries (db/rosql.c); builtin ones ship with hub */
    ("CREATE TABLE saved_queries(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, sql TEXT NOT NULL,"
    "  builtin INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO saved_queries(name,sql,builtin) VALUES"
    "('Top cards','SELECT key, title, round(rank, 3) AS rank FROM items WHERE state = ''open''"
    " ORDER BY rank DESC LIMIT 20',1),"
    "('Items per source and state','SELECT source, state, count(*) AS items FROM items GROUP BY source, state"
    " ORDER BY items DESC',1),"
    "('Why items are here','SELECT code, count(*) AS items FROM item_reasons GROUP BY code ORDER BY items DESC',1),"
    "('Recent syncs','SELECT id, status, code, new, updated, requests, not_modified, charged FROM runs"
    " ORDER BY id DESC LIMIT 20',1),"
    "('Tips and reactions','SELECT d.id, d.policy, d.item_key, round(d.propensity, 4) AS propensity,"
    " r.reaction, r.reward FROM tip_decisions d LEFT JOIN tip_reactions r ON r.decision_id = d.id"
    " ORDER BY d.id DESC LIMIT 50',1),"
    "('Items without a body','SELECT key, title FROM items WHERE body IS NULL OR body = '''' LIMIT 100',1),"
    "('Tables','SELECT type, name FROM sqlite_master WHERE name NOT LIKE ''sqlite%'' ORDER BY type, name',1);"),
    /* 9: the briefing and the AI queue (brief/brief.c, brief/aiqueue.c) — briefings built by
     * rules or an LLM, keyed by the hash of the items they name (an LLM attempt also by the hash
     * of its prompt; a failed one keeps its error kind and when to try again); one queue entry
     * per entity (a good-first issue, a repository) with the hash of the input it was queued
     * for; the outputs, one per entity and kind */
    ("CREATE TABLE briefings(id INTEGER PRIMARY KEY, kind TEXT NOT NULL," /* rule | llm */
    "  hash TEXT NOT NULL, prompt_hash TEXT, json TEXT," /* json NULL: a failed attempt */
    "  model TEXT, created_at INTEGER NOT NULL, error_kind TEXT, error TEXT, retry_at INTEGER);"
    "CREATE INDEX briefings_hash ON briefings(hash, kind);"
    "CREATE TABLE ai_queue(id INTEGER PRIMARY KEY, kind TEXT NOT NULL," /* gfi_intro | repo_summary */
    "  entity TEXT NOT NULL, hash TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending'," /* pending | processing | completed | failed */
    "  priority INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    "  error_kind TEXT, last_error TEXT, enqueued_at INTEGER NOT NULL, started_at INTEGER,"
    "  finished_at INTEGER, UNIQUE(kind, entity));"
    "CREATE INDEX ai_queue_next ON ai_queue(state, priority DESC, id);"
    "CREATE TABLE ai_outputs(kind TEXT NOT NULL, entity TEXT NOT NULL, hash TEXT NOT NULL,"
    "  json TEXT NOT NULL, model TEXT, created_at INTEGER NOT NULL, PRIMARY KEY(kind, entity))"
    "  WITHOUT ROWID;"),
    /* 10: triage (triage/triage.c: triage, triage_log, searches; triage/outbox.c: outbox) and the
     * notification thread of each GitHub item (sources/github.c: gh_threads). Times in ms except
     * gh_threads.updated_at (s, as GitHub's). The tip's per-item state becomes triage state:
     * done → done_at, snoozed → snoozed_until, dismissed → dismissed (any user's). */
    ("CREATE TABLE triage(item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,"
    "  read INTEGER,"                      /* NULL: GitHub's unread flag stands; 0 unread; 1 read */
    "  read_at INTEGER,"                   /* when read was last set */
    "  done_at INTEGER, snoozed_until INTEGER,"
    "  saved INTEGER NOT NULL DEFAULT 0, muted INTEGER NOT NULL DEFAULT 0,"
    "  dismissed INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL);"
    "CREATE INDEX triage_done ON triage(done_at) WHERE done_at IS NOT NULL;"
    "CREATE TABLE triage_log(id INTEGER PRIMARY KEY, batch INTEGER NOT NULL,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE, action TEXT NOT NULL,"
    "  before TEXT,"                       /* the triage row before, as JSON; NULL: none */
    "  at INTEGER NOT NULL);"
    "CREATE INDEX triage_log_batch ON triage_log(batch);"
    "CREATE TABLE searches(pos INTEGER PRIMARY KEY, name TEXT NOT NULL, q TEXT NOT NULL);"
    "CREATE TABLE outbox(id INTEGER PRIMARY KEY,"
    "  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,"
    "  thread_id TEXT,"                    /* NULL for read_all */
    "  action TEXT NOT NULL,"              /* read | done | mute | read_all */
    "  method TEXT NOT NULL, path TEXT NOT NULL, body TEXT,"
    "  batch INTEGER NOT NULL,"            /* the triage batch that queued it */
    "  state TEXT NOT NULL DEFAULT 'pending'," /* pending | sent | dropped | cancelled */
    "  cancelled_by INTEGER,"              /* the batch that cancelled it (undo brings it back) */
    "  superseded_by INTEGER,"             /* the entry that made it unnecessary */
    "  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, note TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX outbox_state ON outbox(state, id);"
    "CREATE INDEX outbox_thread ON outbox(thread_id, state);"
    "CREATE INDEX outbox_item ON outbox(item_id);"
    "CREATE TABLE gh_threads(item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,"
    "  thread_id TEXT NOT NULL, updated_at INTEGER);"
    "INSERT INTO triage(item_id,done_at,snoozed_until,dismissed,updated_at)"
    "  SELECT item_id, max(CASE WHEN state='done' THEN at END),"
    "  max(CASE WHEN state='snoozed' THEN until END), max(state='dismissed'), max(at)"
    "  FROM tip_item_state GROUP BY item_id;"
    "DROP TABLE tip_item_state;"),
    /* 11: scheduled jobs (sync/jobs.c) — one row per job and slot (ms, UTC): claimed as
     * "running" before the work starts, so a slot never runs twice, even after a crash */
    ("CREATE TABLE job_runs(job TEXT NOT NULL, slot INTEGER NOT NULL, status TEXT NOT NULL,"
    "  started INTEGER NOT NULL, finished INTEGER, coalesced INTEGER NOT NULL DEFAULT 0,"
    "  stats TEXT NOT NULL DEFAULT '{}', error TEXT, PRIMARY KEY(job, slot)) WITHOUT ROWID;"),
    /* 12: the tip learns any user (tip/exposure.c, tip/learn.c): per (user, item) views, the
     * decaying exposure count (fatigue, as of `at`, ms), the last reaction and the item's
     * activity mark at the last view; per (user, repo) the decayed reaction count and reward
     * sum (affinity); per decision the seed design's features, how many times in a row its
     * item was served, Thompson's Monte Carlo draws, the repo and the item's mark */
    ("CREATE TABLE tip_exposure(user TEXT NOT NULL,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  views INTEGER NOT NULL DEFAULT 0, fatigue REAL NOT NULL DEFAULT 0, at INTEGER NOT NULL DEFAULT 0,"
    "  last_shown INTEGER, last_reaction TEXT, mark INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY(user, item_id)) WITHOUT ROWID;"
    "CREATE TABLE tip_affinity(user TEXT NOT NULL, repo TEXT NOT NULL, n REAL NOT NULL, s REAL NOT NULL,"
    "  at INTEGER NOT NULL, PRIMARY KEY(user, repo)) WITHOUT ROWID;"
    "ALTER TABLE tip_decisions ADD COLUMN xseed TEXT;"
    "ALTER TABLE tip_decisions ADD COLUMN in_row INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE tip_decisions ADD COLUMN mc_samples INTEGER;"
    "ALTER TABLE tip_decisions ADD COLUMN repo TEXT;"
    "ALTER TABLE tip_decisions ADD COLUMN item_mark INTEGER;"),
    /* 13: the activity heatmap (sources/activity_store.c) — the user's own commits over two
     * years: per repository the walk's state; per commit its day and whether its file list was
     * read; per commit the languages its files count as; then, rebuilt per day from those, the
     * day's counts and the reverse indexes repo → days and language → days */
    ("CREATE TABLE activity_repos(repo TEXT PRIMARY KEY COLLATE NOCASE,"
    "  pushed_at INTEGER NOT NULL DEFAULT 0,"  /* GitHub's pushed_at (s) as last seen */
    "  walked_at INTEGER,"                    /* pushed_at when a walk last read its last page */
    "  since INTEGER,"                        /* the newest commit (s) when that walk finished */
    "  via TEXT NOT NULL) WITHOUT ROWID;"     /* repos | events */
    "CREATE TABLE activity_commits(repo TEXT NOT NULL COLLATE NOCASE, sha TEXT NOT NULL,"
    "  day TEXT NOT NULL,"                    /* YYYY-MM-DD (UTC) of the author date */
    "  at INTEGER NOT NULL,"                  /* the author date (s) */
    "  files INTEGER,"                        /* files read from its file list; NULL: not yet */
    "  PRIMARY KEY(repo, sha)) WITHOUT ROWID;"
    "CREATE INDEX activity_commits_day ON activity_commits(day);"
    "CREATE INDEX activity_commits_pending ON activity_commits(at) WHERE files IS NULL;"
    "CREATE TABLE activity_commit_langs(repo TEXT NOT NULL COLLATE NOCASE, sha TEXT NOT NULL,"
    "  language TEXT NOT NULL, PRIMARY KEY(repo, sha, language)) WITHOUT ROWID;"
    "CREATE TABLE activity_days(day TEXT PRIMARY KEY, commits INTEGER NOT NULL,"
    "  repos INTEGER NOT NULL, languages INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE activity_repo_days(repo TEXT NOT NULL COLLATE NOCASE, day TEXT NOT NULL,"
    "  commits INTEGER NOT NULL, PRIMARY KEY(repo, day)) WITHOUT ROWID;"
    "CREATE INDEX activity_repo_days_day ON activity_repo_days(day);"
    "CREATE TABLE activity_language_days(language TEXT NOT NULL, day TEXT NOT NULL,"
    "  commits INTEGER NOT NULL, PRIMARY KEY(language, day)) WITHOUT ROWID;"
    "CREATE INDEX activity_language_days_day ON activity_language_days(day);"),
    /* 14: Web Push (notify/subs.c: push_subs; notify/plan.c: push_log, push_deliveries) — one
     * row per device subscribed (its endpoint is a capability URL), one per push decided (the
     * item, why, its Topic and both payloads), one per (push, device) delivery with its retry
     * state. Times in ms; push_log.mark is the item's updated_at (s) when it was pushed. */
    ("CREATE TABLE push_subs(id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL UNIQUE,"
    "  p256dh TEXT NOT NULL, auth TEXT NOT NULL, device TEXT, tz_offset_min INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_ok INTEGER, last_status INTEGER,"
    "  last_error TEXT, failures INTEGER NOT NULL DEFAULT 0, vapid_mismatch INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE push_log(id INTEGER PRIMARY KEY,"
    "  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL, item_key TEXT NOT NULL,"
    "  kind TEXT NOT NULL," /* new | tip */
    "  topic TEXT NOT NULL, urgency TEXT NOT NULL, ttl INTEGER NOT NULL, mark INTEGER NOT NULL,"
    "  payload TEXT NOT NULL, payload_small TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX push_log_at ON push_log(created_at);"
    "CREATE INDEX push_log_key ON push_log(item_key, mark);"
    "CREATE TABLE push_deliveries(push_id INTEGER NOT NULL REFERENCES push_log(id) ON DELETE CASCADE,"
    "  sub_id INTEGER NOT NULL REFERENCES push_subs(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL DEFAULT 'pending'," /* pending | sent | failed */
    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, status INTEGER, error TEXT,"
    "  updated_at INTEGER NOT NULL, PRIMARY KEY(push_id, sub_id)) WITHOUT ROWID;"
    "CREATE INDEX push_deliveries_due ON push_deliveries(state, next_at);"
    "CREATE INDEX push_deliveries_sub ON push_deliveries(sub_id);"),
    /* 15: sync between databases (replica/) — this database's origin (random, made
     * again by the triggers after a purge) and counter of triage actions; the change log, one
     * row per thing changed (kind, ref) at its latest sequence number (AUTOINCREMENT: a number
     * is never used twice); the stamp of each item's latest triage action — (ms, origin,
     * counter), ms at least one past the stamp it replaces; which database a tip decision came
     * from (tip/share.c). Triggers record what changed: items and their reasons, triage (and
     * stamp local actions), LLM briefings, AI outputs, reactions to local tips. */
    ("CREATE TABLE replica_self(id INTEGER PRIMARY KEY CHECK(id = 1), origin TEXT NOT NULL,"
    "  ctr INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO replica_self(id, origin) VALUES(1, lower(hex(randomblob(8))));"
    "CREATE TABLE replica_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
    "  ref TEXT NOT NULL, UNIQUE(kind, ref));"
    "CREATE TABLE replica_stamps(item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL, origin TEXT NOT NULL, ctr INTEGER NOT NULL);"
    "ALTER TABLE tip_decisions ADD COLUMN origin TEXT;"
    "CREATE UNIQUE INDEX tip_decisions_origin ON tip_decisions(origin) WHERE origin IS NOT NULL;"
    "INSERT INTO replica_log(kind, ref) SELECT 'item', key FROM items ORDER BY id;"
    "INSERT INTO replica_stamps(item_id, at, origin, ctr) SELECT t.item_id, t.updated_at, s.origin, 0"
    "  FROM triage t, replica_self s;"
    "INSERT INTO replica_log(kind, ref) SELECT 'triage', i.key FROM triage t JOIN items i ON i.id = t.item_id;"
    "INSERT INTO replica_log(kind, ref) SELECT 'brief', id FROM briefings WHERE kind = 'llm' AND json IS NOT NULL;"
    "INSERT INTO replica_log(kind, ref) SELECT 'ai', kind || ' ' || entity FROM ai_outputs;"
    "CREATE TRIGGER replica_items_ins AFTER INSERT ON items BEGIN"
    "  INSERT INTO replica_self(id, origin) SELECT 1, lower(hex(randomblob(8)))"
    "    WHERE NOT EXISTS (SELECT 1 FROM replica_self);"
    "  DELETE FROM replica_log WHERE kind = 'item' AND ref = NEW.key;"
    "  INSERT INTO replica_log(kind, ref) VALUES('item', NEW.key); END;"
    "CREATE TRIGGER replica_items_upd AFTER UPDATE ON items BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'item' AND ref = NEW.key;"
    "  INSERT INTO replica_log(kind, ref) VALUES('item', NEW.key); END;"
    "CREATE TRIGGER replica_items_del AFTER DELETE ON items BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'item' AND ref = OLD.key;"
    "  INSERT INTO replica_log(kind, ref) VALUES('item', OLD.key); END;"
    "CREATE TRIGGER replica_reasons_ins AFTER INSERT ON item_reasons BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'item' AND ref = (SELECT key FROM items WHERE id = NEW.item_id);"
    "  INSERT INTO replica_log(kind, ref) SELECT 'item', key FROM items WHERE id = NEW.item_id; END;"
    "CREATE TRIGGER replica_reasons_upd AFTER UPDATE ON item_reasons BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'item' AND ref = (SELECT key FROM items WHERE id = NEW.item_id);"
    "  INSERT INTO replica_log(kind, ref) SELECT 'item', key FROM items WHERE id = NEW.item_id; END;"
    "CREATE TRIGGER replica_reasons_del AFTER DELETE ON item_reasons BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'item' AND ref = (SELECT key FROM items WHERE id = OLD.item_id);"
    "  INSERT INTO replica_log(kind, ref) SELECT 'item', key FROM items WHERE id = OLD.item_id; END;"
    "CREATE TRIGGER replica_triage_ins AFTER INSERT ON triage BEGIN"
    "  INSERT INTO replica_self(id, origin) SELECT 1, lower(hex(randomblob(8)))"
    "    WHERE NOT EXISTS (SELECT 1 FROM replica_self);"
    "  UPDATE replica_self SET ctr = ctr + 1 WHERE id = 1;"
    "  UPDATE replica_stamps SET at = max(NEW.updated_at, at + 1), origin = (SELECT origin FROM replica_self WHERE id = 1),"
    "    ctr = (SELECT ctr FROM replica_self WHERE id = 1) WHERE item_id = NEW.item_id;"
    "  INSERT INTO replica_stamps(item_id, at, origin, ctr) SELECT NEW.item_id, NEW.updated_at, origin, ctr"
    "    FROM replica_self WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM replica_stamps WHERE item_id = NEW.item_id);"
    "  DELETE FROM replica_log WHERE kind = 'triage' AND ref = (SELECT key FROM items WHERE id = NEW.item_id);"
    "  INSERT INTO replica_log(kind, ref) SELECT 'triage', key FROM items WHERE id = NEW.item_id; END;"
    "CREATE TRIGGER replica_triage_upd AFTER UPDATE ON triage BEGIN"
    "  INSERT INTO replica_self(id, origin) SELECT 1, lower(hex(randomblob(8)))"
    "    WHERE NOT EXISTS (SELECT 1 FROM replica_self);"
    "  UPDATE replica_self SET ctr = ctr + 1 WHERE id = 1;"
    "  UPDATE replica_stamps SET at = max(NEW.updated_at, at + 1), origin = (SELECT origin FROM replica_self WHERE id = 1),"
    "    ctr = (SELECT ctr FROM replica_self WHERE id = 1) WHERE item_id = NEW.item_id;"
    "  INSERT INTO replica_stamps(item_id, at, origin, ctr) SELECT NEW.item_id, NEW.updated_at, origin, ctr"
    "    FROM replica_self WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM replica_stamps WHERE item_id = NEW.item_id);"
    "  DELETE FROM replica_log WHERE kind = 'triage' AND ref = (SELECT key FROM items WHERE id = NEW.item_id);"
    "  INSERT INTO replica_log(kind, ref) SELECT 'triage', key FROM items WHERE id = NEW.item_id; END;"
    "CREATE TRIGGER replica_triage_del AFTER DELETE ON triage"
    "  WHEN EXISTS (SELECT 1 FROM items WHERE id = OLD.item_id) BEGIN"
    "  INSERT INTO replica_self(id, origin) SELECT 1, lower(hex(randomblob(8)))"
    "    WHERE NOT EXISTS (SELECT 1 FROM replica_self);"
    "  UPDATE replica_self SET ctr = ctr + 1 WHERE id = 1;"
    "  UPDATE replica_stamps SET at = at + 1, origin = (SELECT origin FROM replica_self WHERE id = 1),"
    "    ctr = (SELECT ctr FROM replica_self WHERE id = 1) WHERE item_id = OLD.item_id;"
    "  INSERT INTO replica_stamps(item_id, at, origin, ctr) SELECT OLD.item_id, 0, origin, ctr"
    "    FROM replica_self WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM replica_stamps WHERE item_id = OLD.item_id);"
    "  DELETE FROM replica_log WHERE kind = 'triage' AND ref = (SELECT key FROM items WHERE id = OLD.item_id);"
    "  INSERT INTO replica_log(kind, ref) SELECT 'triage', key FROM items WHERE id = OLD.item_id; END;"
    "CREATE TRIGGER replica_briefings AFTER INSERT ON briefings WHEN NEW.kind = 'llm' AND NEW.json IS NOT NULL BEGIN"
    "  INSERT INTO replica_log(kind, ref) VALUES('brief', NEW.id); END;"
    "CREATE TRIGGER replica_ai_ins AFTER INSERT ON ai_outputs BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'ai' AND ref = NEW.kind || ' ' || NEW.entity;"
    "  INSERT INTO replica_log(kind, ref) VALUES('ai', NEW.kind || ' ' || NEW.entity); END;"
    "CREATE TRIGGER replica_ai_upd AFTER UPDATE ON ai_outputs BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'ai' AND ref = NEW.kind || ' ' || NEW.entity;"
    "  INSERT INTO replica_log(kind, ref) VALUES('ai', NEW.kind || ' ' || NEW.entity); END;"
    "CREATE TRIGGER replica_tip AFTER INSERT ON tip_reactions"
    "  WHEN (SELECT origin FROM tip_decisions WHERE id = NEW.decision_id) IS NULL BEGIN"
    "  DELETE FROM replica_log WHERE kind = 'tip' AND ref = NEW.decision_id;"
    "  INSERT INTO replica_log(kind, ref) VALUES('tip', NEW.decision_id); END;"),
};

const int hub__n_migrations = (int)(sizeof hub__migrations / sizeof hub__migrations[0]);
