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
    /* 8: the tip learns any user (tip/exposure.c, tip/learn.c): per (user, item) views, the
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
};

const int hub__n_migrations = (int)(sizeof hub__migrations / sizeof hub__migrations[0]);
