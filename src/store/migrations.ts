// Numbered migrations, applied in order on open; `PRAGMA user_version` records the
// last one applied. A migration is never edited once released: a change is a new one.
//
// Every table is STRICT (a plain table would store 1.5 in an INTEGER column).
// Money columns are INTEGER fen.
//
// A migration is SQL, or a function for one that must compute what SQL cannot (7
// encodes records into their files' kept bytes, 8 packs keys into runs); both run
// inside the step's transaction.
import type { Transaction } from '../core/types';
import type Database from 'better-sqlite3';

/** The store's connection (db.ts's Db, named here apart: db.ts runs the migrations, which keep files). */
type Db = Database.Database;
import { KeptFileWriter, recordFrame } from './kept-files';
import { appendRuns, KEY_RUNS_TABLE } from './key-runs';

export type Migration = string | ((db: Db) => void);

/** Applies migration i (0-based: MIGRATIONS[i] takes a store from user_version i to i + 1), without touching user_version. */
export function applyMigration(db: Db, i: number): void {
  const m = MIGRATIONS[i]!;
  if (typeof m === 'string') db.exec(m);
  else m(db);
}

export const MIGRATIONS: readonly Migration[] = [
  // 1: the whole first schema.
  `
  CREATE TABLE days (
    date         TEXT PRIMARY KEY,            -- YYYYMMDD
    status       TEXT NOT NULL CHECK (status IN ('OPEN', 'CLOSED')),
    produced_at  TEXT,                        -- created_at of every file the day writes (YYYYMMDDhhmmss)
    summary_json TEXT,                        -- the day's summary, fixed when it closes
    reconciliation_json TEXT,                 -- reports/YYYYMMDD/reconciliation.json, fixed when it closes
    exceptions_json TEXT,                     -- reports/YYYYMMDD/exceptions.json, fixed when it closes
    journal_head TEXT                         -- hash of the last journal entry when the day closed: anchors the chain's end
  ) STRICT;

  -- Every file seen in an inbox, with its outcome. One row per sighting that
  -- changed something: imported, refused. Skipped resends are counted in sightings.
  CREATE TABLE files (
    id              INTEGER PRIMARY KEY,      -- import order
    batch_date      TEXT NOT NULL,            -- the day whose batch saw it
    name            TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    kind            TEXT NOT NULL,            -- a FileType, or BANK_STATEMENT
    sender_id       TEXT,
    receiver_id     TEXT,
    business_date   TEXT,
    file_seq        INTEGER,
    outcome         TEXT NOT NULL CHECK (outcome IN ('IMPORTED', 'REFUSED')),
    refusal_code    TEXT,
    refusal_frame   INTEGER,
    refusal_detail  TEXT,
    ref_file        TEXT,                     -- INTEROP_RESULT: the INTEROP_OUT it answers
    first_record_id INTEGER,                  -- records of a file are contiguous: [first, first + record_count)
    record_count    INTEGER NOT NULL DEFAULT 0,
    total_fen       INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX files_by_name ON files(name, sha256);
  CREATE UNIQUE INDEX files_identity ON files(kind, sender_id, receiver_id, business_date, file_seq)
    WHERE outcome = 'IMPORTED';

  CREATE TABLE sightings (
    batch_date TEXT NOT NULL,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('SKIPPED')),
    PRIMARY KEY (batch_date, name, sha256)
  ) STRICT;

  -- The terminals seen in records, numbered so that a terminal key fits one integer.
  CREATE TABLE terminals (
    id           INTEGER PRIMARY KEY,
    acquirer_id  TEXT NOT NULL,
    terminal_id  TEXT NOT NULL,
    UNIQUE (acquirer_id, terminal_id)
  ) STRICT;

  -- Every record of every imported TXN_UPLOAD and INTEROP_IN file.
  CREATE TABLE records (
    id                 INTEGER PRIMARY KEY,   -- import order
    file_id            INTEGER NOT NULL,
    idx                INTEGER NOT NULL,      -- 0-based position in its file
    source             TEXT NOT NULL CHECK (source IN ('TXN_UPLOAD', 'INTEROP_IN')),
    card_key           INTEGER NOT NULL,      -- card hash * 65536 + card_seq (src/store/record-keys.ts)
    terminal_key       INTEGER NOT NULL,      -- terminals.id * 2^32 + terminal_seq
    issuer_id          TEXT NOT NULL,
    card_no            TEXT NOT NULL,
    card_type          INTEGER NOT NULL,
    txn_type           INTEGER NOT NULL,
    amount_fen         INTEGER NOT NULL,
    balance_before_fen INTEGER NOT NULL,
    balance_after_fen  INTEGER NOT NULL,
    card_seq           INTEGER NOT NULL,
    terminal_id        TEXT NOT NULL,
    terminal_seq       INTEGER NOT NULL,
    acquirer_id        TEXT NOT NULL,
    merchant_id        TEXT NOT NULL,
    occurred_at        TEXT NOT NULL,
    tac                TEXT NOT NULL,
    batch_no           TEXT NOT NULL,
    line_id            TEXT NOT NULL,
    station_id         TEXT NOT NULL,
    local              INTEGER NOT NULL,      -- 1: a local card
    verdict_status     TEXT NOT NULL,         -- the verdict given at import (answered in the TXN_ACK)
    verdict_reason     TEXT NOT NULL,
    verdict_detail     TEXT NOT NULL,         -- for operators: the field or record that decided it
    status             TEXT NOT NULL,         -- the current status (a national rejection turns PENDING_INTEROP into REJECTED)
    reason             TEXT NOT NULL,
    blacklisted_load   INTEGER NOT NULL DEFAULT 0,
    cleared_date       TEXT,                  -- the day it was cleared, once
    suspense_date      TEXT,                  -- SUSPENDED: the day it was posted to suspense:blacklist
    exported_date      TEXT,                  -- PENDING_INTEROP: the day of the INTEROP_OUT it went in
    export_idx         INTEGER,               -- its index in that INTEROP_OUT
    national_status    TEXT,                  -- ACCEPTED / REJECTED / AMOUNT_MISMATCH once answered
    national_reason    TEXT,
    national_file_id   INTEGER,               -- the INTEROP_RESULT that answered it
    national_date      TEXT                   -- the batch day that processed the answer
  ) STRICT;
  CREATE INDEX records_card_key ON records(card_key);
  CREATE INDEX records_terminal_key ON records(terminal_key);
  CREATE INDEX records_export ON records(exported_date, export_idx) WHERE exported_date IS NOT NULL;
  CREATE INDEX records_national ON records(national_date) WHERE national_date IS NOT NULL;


  -- E09 conflicts: both records side by side for the exceptions report.
  CREATE TABLE key_conflicts (
    record_id      INTEGER PRIMARY KEY,
    held_json      TEXT NOT NULL
  ) STRICT;

  CREATE TABLE blacklist_entries (
    id           INTEGER PRIMARY KEY,         -- import order
    file_id      INTEGER NOT NULL,
    issuer_id    TEXT NOT NULL,
    card_no      TEXT NOT NULL,
    action       INTEGER NOT NULL,
    effective_at TEXT NOT NULL,
    reason       TEXT NOT NULL
  ) STRICT;

  -- INTEROP_RESULT verdicts as received, matched or not.
  CREATE TABLE national_verdicts (
    id           INTEGER PRIMARY KEY,
    file_id      INTEGER NOT NULL,
    idx          INTEGER NOT NULL,            -- position in the INTEROP_RESULT
    ref_file     TEXT NOT NULL,
    ref_index    INTEGER NOT NULL,
    record_id    INTEGER,                     -- the record it answers, when we sent one
    verdict_json TEXT NOT NULL
  ) STRICT;

  CREATE TABLE bank_lines (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER NOT NULL,
    line_no        INTEGER NOT NULL,
    value_date     TEXT NOT NULL,
    instruction_id TEXT NOT NULL,
    payer_id       TEXT NOT NULL,
    payee_id       TEXT NOT NULL,
    amount_fen     INTEGER NOT NULL,
    bank_ref       TEXT NOT NULL,
    matched        INTEGER NOT NULL DEFAULT 0 -- 1: matched an instruction exactly and was posted
  ) STRICT;

  CREATE TABLE statement_lines (
    business_date  TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    category       INTEGER NOT NULL,
    merchant_id    TEXT NOT NULL,
    count          INTEGER NOT NULL,
    gross_fen      INTEGER NOT NULL,
    fee_fen        INTEGER NOT NULL,
    net_fen        INTEGER NOT NULL,
    fee_rate       TEXT NOT NULL,
    PRIMARY KEY (business_date, participant_id, category, merchant_id)
  ) STRICT;

  CREATE TABLE instructions (
    instruction_id TEXT PRIMARY KEY,
    business_date  TEXT NOT NULL,
    payer_id       TEXT NOT NULL,
    payee_id       TEXT NOT NULL,
    amount_fen     INTEGER NOT NULL CHECK (amount_fen > 0),
    confirmed_line INTEGER                      -- bank_lines.id that confirmed it
  ) STRICT;

  -- The journal: append only, hash-chained (clearing-rules.md, "The ledger").
  CREATE TABLE entries (
    seq           INTEGER PRIMARY KEY,          -- chain order
    id            TEXT NOT NULL UNIQUE,         -- deterministic: the same step never posts twice
    business_date TEXT NOT NULL,
    kind          TEXT NOT NULL,
    memo          TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
  ) STRICT;
  CREATE TABLE postings (
    entry_seq  INTEGER NOT NULL,
    line       INTEGER NOT NULL,
    account    TEXT NOT NULL,
    debit_fen  INTEGER NOT NULL CHECK (debit_fen >= 0),
    credit_fen INTEGER NOT NULL CHECK (credit_fen >= 0),
    PRIMARY KEY (entry_seq, line)
  ) STRICT;
  CREATE TRIGGER entries_append_only_u BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'the journal is append only'); END;
  CREATE TRIGGER entries_append_only_d BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'the journal is append only'); END;
  CREATE TRIGGER postings_append_only_u BEFORE UPDATE ON postings BEGIN SELECT RAISE(ABORT, 'the journal is append only'); END;
  CREATE TRIGGER postings_append_only_d BEFORE DELETE ON postings BEGIN SELECT RAISE(ABORT, 'the journal is append only'); END;

  -- Reconciliation items (clearing-rules.md, "Reconciliation"). Never deleted:
  -- an item closes (by later data or by an operator) and keeps its history.
  CREATE TABLE recon_items (
    id            TEXT PRIMARY KEY,             -- deterministic from kind and ref
    kind          TEXT NOT NULL CHECK (kind IN ('uploads', 'national', 'bank', 'float')),
    category      TEXT NOT NULL,                -- MATCHED, LOCAL_ONLY, REMOTE_ONLY, AMOUNT_MISMATCH, SEQ_GAP, BALANCE_BREAK
    ref           TEXT NOT NULL,
    participant_id TEXT,
    opened_date   TEXT NOT NULL,
    closed_date   TEXT,
    closed_by     TEXT,                         -- 'data' or the operator's name
    close_note    TEXT,
    ours_json     TEXT NOT NULL,
    theirs_json   TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL DEFAULT 0,   -- float items: the balance jump across it
    range_lo      INTEGER,                      -- uploads/float: the first missing number
    range_hi      INTEGER                       -- and the last
  ) STRICT;
  CREATE INDEX recon_open ON recon_items(kind, closed_date);
  CREATE INDEX recon_by_ref ON recon_items(ref);

  -- Per local card: what the cards say about the float (first balance_before, last balance_after).
  CREATE TABLE card_float (
    card_base      INTEGER NOT NULL,            -- card hash * 65536
    issuer_id      TEXT NOT NULL,
    card_no        TEXT NOT NULL,
    movement_fen   INTEGER NOT NULL,            -- last balance_after - first balance_before
    first_id       INTEGER NOT NULL,            -- the card's held record with the lowest card_seq
    first_seq      INTEGER NOT NULL,
    first_before_fen INTEGER NOT NULL,
    last_id        INTEGER NOT NULL,            -- and with the highest: where tonight's walk starts
    last_seq       INTEGER NOT NULL,
    last_after_fen INTEGER NOT NULL,
    PRIMARY KEY (card_base, issuer_id, card_no)
  ) STRICT, WITHOUT ROWID;

  -- Per terminal: the highest and lowest terminal_seq seen, for completeness.
  CREATE TABLE terminal_span (
    terminal_ref  INTEGER PRIMARY KEY,          -- terminals.id
    min_seq       INTEGER NOT NULL,
    max_seq       INTEGER NOT NULL
  ) STRICT;

  -- Every file the centre wrote, to rebuild it byte for byte and check that it did.
  CREATE TABLE outputs (
    business_date TEXT NOT NULL,
    name          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    PRIMARY KEY (business_date, name)
  ) STRICT;

  -- Operators' resolutions and other human acts, kept for the auditors.
  CREATE TABLE operator_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    operator  TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    note      TEXT NOT NULL
  ) STRICT;
  `,

  // 2: the key indexes move off the records table into two key tables, one
  // partition per night (the batch date leads the key), filled when the day closes:
  // a night's keys append at the end of the table instead of landing on every page
  // of it, and an index on records was updated at a random page for every record and
  // rewritten into the WAL by every file's commit. A filter over the keys
  // (src/machinery/key-filter.ts) spares the partitions nearly every lookup. Tonight's
  // keys, until the day closes, are in memory (src/machinery/night-keys.ts).
  `
  CREATE TABLE card_keys (
    night     INTEGER NOT NULL,                 -- the batch date, YYYYMMDD
    card_key  INTEGER NOT NULL,                 -- records.card_key
    record_id INTEGER NOT NULL,
    PRIMARY KEY (night, card_key, record_id)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE terminal_keys (
    night        INTEGER NOT NULL,
    terminal_key INTEGER NOT NULL,              -- records.terminal_key
    record_id    INTEGER NOT NULL,
    PRIMARY KEY (night, terminal_key, record_id)
  ) STRICT, WITHOUT ROWID;
  -- The filters' bits, saved by the close that adds the night's keys.
  CREATE TABLE key_filters (
    name  TEXT PRIMARY KEY CHECK (name IN ('card', 'terminal')),
    keys  INTEGER NOT NULL,
    bits  BLOB NOT NULL
  ) STRICT;
  INSERT INTO card_keys (night, card_key, record_id)
    SELECT CAST(f.batch_date AS INTEGER), r.card_key, r.id FROM records r JOIN files f ON f.id = r.file_id JOIN days d ON d.date = f.batch_date
     WHERE d.status = 'CLOSED' ORDER BY 1, 2, 3;
  INSERT INTO terminal_keys (night, terminal_key, record_id)
    SELECT CAST(f.batch_date AS INTEGER), r.terminal_key, r.id FROM records r JOIN files f ON f.id = r.file_id JOIN days d ON d.date = f.batch_date
     WHERE d.status = 'CLOSED' ORDER BY 1, 2, 3;
  DROP INDEX records_card_key;
  DROP INDEX records_terminal_key;
  `,

  // 3: each day's summary carries the journal's extent at its close (summary.json's
  // \`journal\`: entries and head), published with the day's reports to anchor the chain
  // outside the store. A closed day of an older store gets it from what its close
  // recorded: journal_head (NULL: the journal was empty) and that entry's seq, which
  // is the count (entries are numbered 1..N). A head no longer in the journal gets
  // nothing, so that \`ledger verify\` names the day. The join is done once into a
  // temporary table: a lookup by hash per day would read the whole journal each time.
  `
  CREATE TEMP TABLE close_heads (date TEXT PRIMARY KEY, entries INTEGER NOT NULL, head TEXT NOT NULL) STRICT;
  INSERT OR IGNORE INTO temp.close_heads (date, entries, head)
    SELECT d.date, e.seq, e.hash FROM days d JOIN entries e ON e.hash = d.journal_head WHERE d.status = 'CLOSED'
    UNION ALL
    SELECT d.date, 0, '${'0'.repeat(64)}' FROM days d WHERE d.status = 'CLOSED' AND d.journal_head IS NULL;
  UPDATE days SET summary_json = json_set(summary_json, '$.journal',
      json((SELECT json_object('entries', h.entries, 'head', h.head) FROM temp.close_heads h WHERE h.date = days.date)))
   WHERE status = 'CLOSED' AND summary_json IS NOT NULL AND json_type(summary_json, '$.journal') IS NULL
     AND date IN (SELECT date FROM temp.close_heads);
  DROP TABLE temp.close_heads;
  `,

  // 4: corrections (clearing-rules.md, "Corrections"): proposed by one operator,
  // approved or rejected by another, posted by the batch of the effective day. The
  // corrections table holds each one's state; triggers let it move only forward
  // (proposed -> approved | rejected, approved -> posted), never change what was
  // proposed or decided, and never delete a row. Every move is written by trigger
  // into correction_events, which is append only like the journal: the history is
  // kept with each operator's name, time and note. Ids are C1, C2, ... from n, and n
  // is never reused because no row is ever deleted.
  // Statement lines gain `ref` (the correction id of a category-5 line, '' on every
  // other line) and it joins their key: a participant may have several adjustments
  // on one day.
  `
  CREATE TABLE corrections (
    n              INTEGER PRIMARY KEY CHECK (n >= 1),
    id             TEXT NOT NULL UNIQUE CHECK (id = 'C' || n),
    kind           TEXT NOT NULL CHECK (kind IN ('adjustment', 'release')),
    participant_id TEXT NOT NULL,            -- adjustment: whose account; release: the record's acquirer
    account        TEXT CHECK (account IN ('float:cards', 'income:fees', 'suspense:blacklist', 'expense:adjustments')),
    amount_fen     INTEGER NOT NULL CHECK (amount_fen <> 0),
    record_id      INTEGER,                   -- release: records.id
    record_ref     TEXT,                      -- FILE_NAME#INDEX
    item_id        TEXT,                      -- the reconciliation item it settles
    note           TEXT NOT NULL,
    proposed_by    TEXT NOT NULL,
    proposed_at    TEXT NOT NULL,             -- YYYYMMDDhhmmss, Beijing time
    status         TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected', 'posted')),
    decided_by     TEXT,
    decided_at     TEXT,
    decision_note  TEXT,
    effective_date TEXT,                      -- approved: the first day not yet closed (NULL: the next batch's); posted: the day
    entry_id       TEXT,                      -- posted: the journal entry
    posted_at      TEXT,
    CHECK ((kind = 'adjustment') = (account IS NOT NULL AND record_id IS NULL AND record_ref IS NULL)),
    CHECK (kind = 'adjustment' OR (record_id IS NOT NULL AND record_ref IS NOT NULL AND amount_fen > 0)),
    CHECK ((status = 'proposed') = (decided_by IS NULL AND decided_at IS NULL)),
    CHECK (status NOT IN ('approved', 'posted') OR decided_by <> proposed_by),
    CHECK ((status = 'posted') = (entry_id IS NOT NULL AND posted_at IS NOT NULL AND effective_date IS NOT NULL)),
    CHECK (status IN ('approved', 'posted') OR effective_date IS NULL)
  ) STRICT;
  CREATE INDEX corrections_by_status ON corrections(status, effective_date);
  CREATE INDEX corrections_by_record ON corrections(record_id) WHERE record_id IS NOT NULL;

  CREATE TABLE correction_events (
    seq           INTEGER PRIMARY KEY,
    correction_id TEXT NOT NULL REFERENCES corrections(id),
    event         TEXT NOT NULL CHECK (event IN ('proposed', 'approved', 'rejected', 'posted')),
    operator      TEXT,                       -- NULL for posted: the batch posts
    at            TEXT NOT NULL,
    note          TEXT,
    business_date TEXT,                       -- approved: the effective day; posted: the day
    entry_id      TEXT
  ) STRICT;
  CREATE TRIGGER correction_events_append_only_u BEFORE UPDATE ON correction_events
    BEGIN SELECT RAISE(ABORT, 'the history of corrections is append only'); END;
  CREATE TRIGGER correction_events_append_only_d BEFORE DELETE ON correction_events
    BEGIN SELECT RAISE(ABORT, 'the history of corrections is append only'); END;

  CREATE TRIGGER corrections_begin_proposed BEFORE INSERT ON corrections
    WHEN NEW.status <> 'proposed' OR NEW.effective_date IS NOT NULL OR NEW.entry_id IS NOT NULL OR NEW.posted_at IS NOT NULL
      OR NEW.decision_note IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'a correction begins as a proposal'); END;
  CREATE TRIGGER corrections_never_deleted BEFORE DELETE ON corrections
    BEGIN SELECT RAISE(ABORT, 'corrections are never deleted'); END;
  CREATE TRIGGER corrections_only_forward BEFORE UPDATE ON corrections
    WHEN NOT (
      NEW.n = OLD.n AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.participant_id = OLD.participant_id
      AND NEW.account IS OLD.account AND NEW.amount_fen = OLD.amount_fen AND NEW.record_id IS OLD.record_id
      AND NEW.record_ref IS OLD.record_ref AND NEW.item_id IS OLD.item_id AND NEW.note = OLD.note
      AND NEW.proposed_by = OLD.proposed_by AND NEW.proposed_at = OLD.proposed_at
      AND (
        (OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected') AND NEW.entry_id IS NULL AND NEW.posted_at IS NULL)
        OR (OLD.status = 'approved' AND NEW.status = 'posted'
            AND NEW.decided_by = OLD.decided_by AND NEW.decided_at = OLD.decided_at AND NEW.decision_note IS OLD.decision_note
            AND (OLD.effective_date IS NULL OR NEW.effective_date >= OLD.effective_date))
      )
    )
    BEGIN SELECT RAISE(ABORT, 'a correction only moves forward (proposed -> approved or rejected, approved -> posted), and what was proposed or decided never changes'); END;
  CREATE TRIGGER corrections_history_proposed AFTER INSERT ON corrections
    BEGIN
      INSERT INTO correction_events (correction_id, event, operator, at, note) VALUES (NEW.id, 'proposed', NEW.proposed_by, NEW.proposed_at, NEW.note);
    END;
  CREATE TRIGGER corrections_history_decided AFTER UPDATE OF status ON corrections WHEN NEW.status IN ('approved', 'rejected')
    BEGIN
      INSERT INTO correction_events (correction_id, event, operator, at, note, business_date)
        VALUES (NEW.id, NEW.status, NEW.decided_by, NEW.decided_at, NEW.decision_note, NEW.effective_date);
    END;
  CREATE TRIGGER corrections_history_posted AFTER UPDATE OF status ON corrections WHEN NEW.status = 'posted'
    BEGIN
      INSERT INTO correction_events (correction_id, event, at, business_date, entry_id)
        VALUES (NEW.id, 'posted', NEW.posted_at, NEW.effective_date, NEW.entry_id);
    END;

  CREATE TABLE statement_lines_3 (
    business_date  TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    category       INTEGER NOT NULL,
    merchant_id    TEXT NOT NULL,
    count          INTEGER NOT NULL,
    gross_fen      INTEGER NOT NULL,
    fee_fen        INTEGER NOT NULL,
    net_fen        INTEGER NOT NULL,
    fee_rate       TEXT NOT NULL,
    ref            TEXT NOT NULL DEFAULT '',  -- category 5: the correction id
    PRIMARY KEY (business_date, participant_id, category, merchant_id, ref)
  ) STRICT;
  INSERT INTO statement_lines_3 (business_date, participant_id, category, merchant_id, count, gross_fen, fee_fen, net_fen, fee_rate)
    SELECT business_date, participant_id, category, merchant_id, count, gross_fen, fee_fen, net_fen, fee_rate FROM statement_lines;
  DROP TABLE statement_lines;
  ALTER TABLE statement_lines_3 RENAME TO statement_lines;
  `,

  // 5: one writer at a time (src/store/writer-lock.ts). At most one row: the command
  // that holds the store, removed when it ends; one left by a killed process is taken over.
  `
  CREATE TABLE writer_lock (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    command       TEXT NOT NULL,                -- as given, e.g. batch --date 2026-01-05
    pid           INTEGER NOT NULL,
    host          TEXT NOT NULL,
    process_start TEXT,                         -- boot id and start tick of the process (Linux): a reused pid is not the holder
    since         TEXT NOT NULL,                -- YYYYMMDDhhmmss, Beijing time
    token         TEXT NOT NULL                 -- the holder's own random id: only it lets go
  ) STRICT;
  `,

  // 6: the day's participants, and whom each upload's answer goes to.
  // - A closed day is written again, at any time, as it was first written: its files
  //   go to the participants of that day, not to those of today's participants file.
  //   day_configs holds each participants configuration a day closed with (the parsed
  //   file, as canonical JSON), once per content (keyed by its SHA-256); days.config_hash
  //   names the day's. A day closed before this migration has none: its first rerun
  //   uses the participants file of that run and records it (docs/decisions.md).
  // - files.answer_to: who the file's TXN_ACK (TXN_UPLOAD) or INTEROP_IN_RESULT
  //   (INTEROP_IN) goes to, an institution code checked at import; NULL: not answered
  //   (its header could not be read, or neither header nor name names an institution).
  //   Filled here for the files imported before, as the outbox answered them.
  `
  CREATE TABLE day_configs (
    hash              TEXT PRIMARY KEY,         -- SHA-256 of participants_json, hex
    participants_json TEXT NOT NULL
  ) STRICT;
  ALTER TABLE days ADD COLUMN config_hash TEXT;  -- day_configs.hash: the participants the day closed with
  ALTER TABLE files ADD COLUMN answer_to TEXT;
  UPDATE files SET answer_to = CASE
      WHEN sender_id GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' THEN sender_id
      WHEN substr(name, 1, 11) = 'TXN_UPLOAD_' AND substr(name, 12, 8) GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' AND substr(name, 20, 1) IN ('_', '.', '')
        THEN substr(name, 12, 8)
    END
    WHERE kind = 'TXN_UPLOAD' AND sender_id IS NOT NULL;
  UPDATE files SET answer_to = COALESCE(
      (SELECT n.sender_id FROM files n WHERE n.kind IN ('INTEROP_IN', 'INTEROP_RESULT') AND n.outcome = 'IMPORTED' ORDER BY n.id DESC LIMIT 1),
      CASE WHEN sender_id GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' THEN sender_id END)
    WHERE kind = 'INTEROP_IN' AND sender_id IS NOT NULL;
  `,

  // 7: a narrow row per record, the record's fields kept once in its file's bytes
  // (src/store/kept-files.ts; issue 12). The row keeps what the night's SQL selects,
  // groups and updates on; statuses and sources become numbers (the proto's Status;
  // TXN_UPLOAD 1, INTEROP_IN 2) in columns of new names, so that a query written for
  // the old text cannot run unnoticed; (acquirer, merchant) becomes a number in
  // merchants; the export and the national centre's answer move to exports. record_view shows the rows as the old table did, less the fields.
  // A store written before this change never kept its files' bytes: each imported
  // file's records are encoded again, in their order, into blocks of record frames
  // (files.kept = 'RECORDS'); a file imported from now on keeps its bytes whole
  // (files.kept = 'FILE'). The encoding is the exchange format's, so every field
  // reads back as it was stored.
  narrowRecords,

  // 8: history's keys as runs (src/store/key-runs.ts; issue 12): a night's card keys
  // and terminal keys, sorted, a few dozen to a row, in place of a b-tree row per key
  // in card_keys and terminal_keys. The close wrote a million rows a night into each
  // table; it now writes a few thousand, and the keys take a third of the bytes.
  keyRuns,
];

/** Migration 8: each night's partition of the key tables becomes that night's runs. */
function keyRuns(db: Db): void {
  db.exec(KEY_RUNS_TABLE);
  for (const [kind, table, column] of [
    ['card', 'card_keys', 'card_key'],
    ['terminal', 'terminal_keys', 'terminal_key'],
  ] as const) {
    // The tables' own order is the runs' (night, key, record id): no sort. A slice of
    // rows at a time into typed arrays (a 5M night's rows as arrays took a gigabyte).
    const firstOf = db.prepare(
      `SELECT ${column}, record_id FROM ${table} WHERE night = ? ORDER BY ${column}, record_id LIMIT ${MIGRATION_SLICE * 16}`,
    );
    const after = db.prepare(
      `SELECT ${column}, record_id FROM ${table} WHERE night = ? AND (${column}, record_id) > (?, ?)
        ORDER BY ${column}, record_id LIMIT ${MIGRATION_SLICE * 16}`,
    );
    const countOf = db.prepare(`SELECT COUNT(*) FROM ${table} WHERE night = ?`).pluck();
    for (const night of db.prepare(`SELECT DISTINCT night FROM ${table} ORDER BY 1`).pluck().all() as number[]) {
      const n = countOf.get(night) as number;
      const keys = new Float64Array(n);
      const ids = new Float64Array(n);
      let filled = 0;
      for (let slice = firstOf.raw(true).all(night) as [number, number][]; slice.length > 0; ) {
        for (const [key, id] of slice) {
          keys[filled] = key;
          ids[filled++] = id;
        }
        slice = after.raw(true).all(night, keys[filled - 1], ids[filled - 1]) as [number, number][];
      }
      if (filled !== n) throw new Error(`migration 8: night ${night} of ${table} read ${filled} of ${n} keys`);
      appendRuns(db, kind, night, keys, ids, n);
    }
  }
  db.exec('DROP TABLE card_keys; DROP TABLE terminal_keys;');
}

/** Records of an older store encoded at once by migration 7. */
const MIGRATION_SLICE = 4096;

function narrowRecords(db: Db): void {
  db.exec(`
  ALTER TABLE files ADD COLUMN kept TEXT CHECK (kept IN ('FILE', 'RECORDS'));
  CREATE TABLE merchants (
    id          INTEGER PRIMARY KEY,
    acquirer_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    UNIQUE (acquirer_id, merchant_id)
  ) STRICT;
  CREATE TABLE kept_blocks (
    id        INTEGER PRIMARY KEY,
    file_id   INTEGER NOT NULL,
    first_idx INTEGER NOT NULL,              -- the first record that begins in the block
    records   INTEGER NOT NULL,              -- how many begin in it
    lead      INTEGER NOT NULL,              -- bytes before the first record's frame (the Header's, in the first block)
    raw_bytes INTEGER NOT NULL,
    data      BLOB NOT NULL                  -- brotli
  ) STRICT;
  CREATE INDEX kept_blocks_at ON kept_blocks(file_id, first_idx);
  CREATE TABLE records_narrow (
    id               INTEGER PRIMARY KEY,    -- import order; a file's records have consecutive ids
    file_id          INTEGER NOT NULL,
    idx              INTEGER NOT NULL,       -- 0-based position in its file
    source_code      INTEGER NOT NULL,       -- 1 TXN_UPLOAD, 2 INTEROP_IN
    card_key         INTEGER NOT NULL,
    terminal_key     INTEGER NOT NULL,
    txn_type         INTEGER NOT NULL,
    amount_fen       INTEGER NOT NULL,
    balance_after_fen INTEGER NOT NULL,      -- the card-float walk reads a card's history in bulk (before: by E04 from after and amount)
    merchant         INTEGER NOT NULL,       -- merchants.id: (acquirer_id, merchant_id)
    local            INTEGER NOT NULL,
    verdict_code     INTEGER NOT NULL,       -- the verdict given at import: 1 ACCEPTED 2 REJECTED 3 SUSPENDED 4 PENDING_INTEROP
    verdict_reason   TEXT NOT NULL,
    verdict_detail   TEXT NOT NULL,
    status_code      INTEGER NOT NULL,       -- the current status, coded as verdict_code
    reason           TEXT NOT NULL,
    blacklisted_load INTEGER NOT NULL,
    cleared_date     INTEGER,                -- YYYYMMDD (record_view spells it as text): half the bytes of the text
    suspense_date    TEXT
  ) STRICT;
  -- A remote card's record once it went in an INTEROP_OUT, and the national centre's
  -- answer. Apart from the row: a night's rows are written once, full, and never grow
  -- (a row that grows splits its page: a row in 37 exported halved the records' pages).
  CREATE TABLE exports (
    record_id        INTEGER PRIMARY KEY,    -- records.id
    exported_date    TEXT NOT NULL,          -- the day of the INTEROP_OUT it went in
    export_idx       INTEGER NOT NULL,       -- its index in that INTEROP_OUT
    national_status  TEXT,                   -- ACCEPTED / REJECTED / AMOUNT_MISMATCH once answered
    national_reason  TEXT,
    national_file_id INTEGER,                -- the INTEROP_RESULT that answered it
    national_date    TEXT                    -- the batch day that processed the answer
  ) STRICT;
  INSERT INTO merchants (acquirer_id, merchant_id) SELECT DISTINCT acquirer_id, merchant_id FROM records ORDER BY 1, 2;
  INSERT INTO records_narrow
    SELECT r.id, r.file_id, r.idx, CASE r.source WHEN 'TXN_UPLOAD' THEN 1 ELSE 2 END, r.card_key, r.terminal_key, r.txn_type,
           r.amount_fen, r.balance_after_fen, m.id, r.local,
           CASE r.verdict_status WHEN 'ACCEPTED' THEN 1 WHEN 'REJECTED' THEN 2 WHEN 'SUSPENDED' THEN 3 WHEN 'PENDING_INTEROP' THEN 4 END,
           r.verdict_reason, r.verdict_detail,
           CASE r.status WHEN 'ACCEPTED' THEN 1 WHEN 'REJECTED' THEN 2 WHEN 'SUSPENDED' THEN 3 WHEN 'PENDING_INTEROP' THEN 4 END,
           r.reason, r.blacklisted_load, r.cleared_date, r.suspense_date
      FROM records r JOIN merchants m ON m.acquirer_id = r.acquirer_id AND m.merchant_id = r.merchant_id
     ORDER BY r.id;
  INSERT INTO exports
    SELECT id, exported_date, export_idx, national_status, national_reason, national_file_id, national_date FROM records
     WHERE exported_date IS NOT NULL ORDER BY id;
  `);
  const fields =
    'issuer_id, card_no, card_type, txn_type, amount_fen, balance_before_fen, balance_after_fen, card_seq, terminal_id, terminal_seq, ' +
    'acquirer_id, merchant_id, occurred_at, tac, batch_no, line_id, station_id';
  // A slice at a time, not iterated: the writer inserts a block as it fills, and a
  // connection writes nothing while one of its statements is being stepped.
  const recordsOf = db.prepare(`SELECT ${fields} FROM records WHERE file_id = ? AND idx BETWEEN ? AND ? ORDER BY idx`);
  const files = db.prepare('SELECT file_id, MAX(idx) AS last FROM records GROUP BY file_id ORDER BY 1').all() as {
    file_id: number;
    last: number;
  }[];
  for (const { file_id: fileId, last } of files) {
    const cutter = new KeptFileWriter(db, fileId);
    for (let from = 0; from <= last; from += MIGRATION_SLICE) {
      for (const t of recordsOf.all(fileId, from, from + MIGRATION_SLICE - 1) as Transaction[]) cutter.frame(recordFrame(t), true);
    }
    cutter.finish();
    db.prepare("UPDATE files SET kept = 'RECORDS' WHERE id = ?").run(fileId);
  }
  db.exec(`
  DROP TABLE records;
  ALTER TABLE records_narrow RENAME TO records;
  CREATE UNIQUE INDEX exports_at ON exports(exported_date, export_idx);
  CREATE INDEX exports_national ON exports(national_date) WHERE national_date IS NOT NULL;
  CREATE VIEW record_view AS
    SELECT r.id, r.file_id, r.idx, CASE r.source_code WHEN 1 THEN 'TXN_UPLOAD' WHEN 2 THEN 'INTEROP_IN' END AS source,
           r.card_key, r.terminal_key, r.txn_type, r.amount_fen, r.balance_after_fen,
           m.acquirer_id, m.merchant_id, r.local,
           CASE r.verdict_code WHEN 1 THEN 'ACCEPTED' WHEN 2 THEN 'REJECTED' WHEN 3 THEN 'SUSPENDED' WHEN 4 THEN 'PENDING_INTEROP' END
             AS verdict_status,
           r.verdict_reason, r.verdict_detail,
           CASE r.status_code WHEN 1 THEN 'ACCEPTED' WHEN 2 THEN 'REJECTED' WHEN 3 THEN 'SUSPENDED' WHEN 4 THEN 'PENDING_INTEROP' END AS status,
           r.reason, r.blacklisted_load, CAST(r.cleared_date AS TEXT) AS cleared_date, r.suspense_date, e.exported_date, e.export_idx,
           e.national_status, e.national_reason, e.national_file_id, e.national_date
      FROM records r JOIN merchants m ON m.id = r.merchant LEFT JOIN exports e ON e.record_id = r.id;
  `);
}
