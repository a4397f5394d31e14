--
-- holds: ledger.hold / post_hold / void_hold / expire_holds, the available
-- balance, held money against bounds, holds across the cutoff, and the
-- account history (明细账).  Every SQLSTATE of the contract's section 8.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_holds;
CREATE DATABASE ledger_regress_holds;
\c ledger_regress_holds
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('bank', 'reserve funds 备付金', 'asset', 'CNY', true);
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('2241', 'customer wallets', 'liability', 'CNY'),
	('transit', 'withdrawals in transit 在途', 'asset', 'CNY'),
	('usd', 'dollar wallet', 'liability', 'USD'),
	('fees', 'fee income', 'revenue', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor) VALUES
	('w1', 'wallet 1', 'liability', 'CNY', '2241', '0 CNY'),
	('w2', 'wallet 2', 'liability', 'CNY', '2241', '0 CNY');
INSERT INTO ledger.account (code, name, kind, currency, ceiling) VALUES
	('w3', 'class II wallet', 'liability', 'CNY', '500 CNY');
INSERT INTO ledger.account (code, name, kind, currency, status) VALUES
	('frozen', 'frozen wallet', 'liability', 'CNY', 'frozen');
SELECT ledger.post('fund-1', ARRAY['bank', 'w1'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[], 'top-up');
SELECT ledger.post('fund-2', ARRAY['bank', 'w2'], ARRAY['50 CNY', '-50 CNY']::ledger.amount[], 'top-up');
-- errors whose DETAIL carries a time: the SQLSTATE and the message
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- ---------------------------------------------------------------------------
-- a hold reserves money: no entry, no balance change; the available balance
-- drops; the same key and content return the same hold
-- ---------------------------------------------------------------------------
SELECT ledger.hold('wd-1', ARRAY['w1', 'transit'], ARRAY['30 CNY', '-30 CNY']::ledger.amount[],
	'withdrawal to bank card', 'WD-1') AS h1 \gset
SELECT ledger.hold('wd-1', ARRAY['w1', 'transit'], ARRAY['30 CNY', '-30 CNY']::ledger.amount[],
	'withdrawal to bank card', 'WD-1') = :h1 AS replay_same_id;
SELECT count(*) AS entries, ledger.balance('w1') AS balance, ledger.available('w1') AS available FROM ledger.entry;
SELECT account_code, balance, held_debit, held_credit, available FROM ledger.balances ORDER BY account_code;
SELECT hold_id = :h1 AS same, idempotency_key, book_date, ref, summary, line_no, account_code, debit, credit
  FROM ledger.holds ORDER BY line_no;
-- amounts as text, for drivers that send strings (no cast needed, none ambiguous)
SELECT ledger.hold('wd-2', ARRAY['w2', 'transit'], ARRAY['20 CNY', '-20 CNY']) AS h2 \gset
SELECT ledger.hold('wd-2', ARRAY['w2', 'transit'], '{"20 CNY","-20 CNY"}') = :h2 AS text_literal_replay;
SELECT ledger.available('w2') AS w2_available, ledger.available('2241') AS wallets_available,
       ledger.available('transit') AS transit_available;

-- ---------------------------------------------------------------------------
-- held money counts against the bounds, for holds and for vouchers (23514)
-- ---------------------------------------------------------------------------
SELECT ledger.hold('wd-3', ARRAY['w1', 'transit'], ARRAY['70.01 CNY', '-70.01 CNY']::ledger.amount[]);
SELECT ledger.post('spend-1', ARRAY['w1', 'fees'], ARRAY['70.01 CNY', '-70.01 CNY']::ledger.amount[]);
SELECT ledger.post('spend-2', ARRAY['w1', 'fees'], ARRAY['70 CNY', '-70 CNY']::ledger.amount[]) IS NOT NULL AS spent_the_rest;
SELECT ledger.balance('w1') AS balance, ledger.available('w1') AS available;
-- a ceiling counts the held money that would raise the balance
SELECT ledger.post('fund-3', ARRAY['bank', 'w3'], ARRAY['400 CNY', '-400 CNY']::ledger.amount[]) IS NOT NULL AS funded;
SELECT ledger.hold('in-1', ARRAY['bank', 'w3'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]) AS hin \gset
SELECT ledger.hold('in-2', ARRAY['bank', 'w3'], ARRAY['0.01 CNY', '-0.01 CNY']::ledger.amount[]);
SELECT ledger.post('fund-4', ARRAY['bank', 'w3'], ARRAY['0.01 CNY', '-0.01 CNY']::ledger.amount[]);
SELECT ledger.void_hold(:hin);

-- ---------------------------------------------------------------------------
-- validation of a hold, like a voucher's
-- ---------------------------------------------------------------------------
SELECT ledger.hold('bad-1', ARRAY['w2', 'transit'], ARRAY['1 CNY']::ledger.amount[]);          -- 22023 lengths
SELECT ledger.hold('bad-2', ARRAY['w2', 'nowhere'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]); -- 23503
SELECT ledger.hold('bad-3', ARRAY['frozen', 'transit'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]); -- 55000
SELECT ledger.hold('bad-4', ARRAY['2241', 'transit'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);   -- 55000
SELECT ledger.hold('bad-5', ARRAY['w2', 'usd'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);    -- 42804
SELECT ledger.hold('bad-6', ARRAY['w2', 'transit'], ARRAY['0 CNY', '0 CNY']::ledger.amount[]); -- 22023
SELECT ledger.hold('bad-7', ARRAY['w2', 'transit'], ARRAY['2 CNY', '-1 CNY']::ledger.amount[]); -- 23514
SELECT ledger.hold('bad-8', ARRAY['w2'], ARRAY['1 CNY']::ledger.amount[]);                       -- 23514
SELECT ledger.hold('wd-1', ARRAY['w1', 'transit'], ARRAY['31 CNY', '-31 CNY']::ledger.amount[], 'withdrawal to bank card', 'WD-1'); -- 23505
SELECT ledger.hold('wd-1', ARRAY['w1', 'transit'], ARRAY['30 CNY', '-30 CNY']::ledger.amount[], 'other', 'WD-1'); -- 23505
SELECT ledger.hold(NULL, ARRAY['w2', 'transit'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);    -- 22004
SELECT ledger.hold('bad-9', ARRAY['w2', 'transit'], ARRAY['1 CNY', 'x']);                       -- 22P02
SELECT pg_temp.err($$SELECT ledger.hold('bad-10', ARRAY['w2', 'transit'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[], NULL, NULL, now() - interval '1 minute')$$);
SELECT count(*) AS holds_written FROM ledger.hold WHERE idempotency_key LIKE 'bad-%';

-- ---------------------------------------------------------------------------
-- post_hold: in part; the rest is released; the voucher names the hold; a
-- replay returns the same voucher
-- ---------------------------------------------------------------------------
SELECT ledger.post_hold(:h1, 'wd-1-confirmed', ARRAY['25 CNY', '-25 CNY']::ledger.amount[]) AS v1 \gset
SELECT ledger.post_hold(:h1, 'wd-1-confirmed', ARRAY['25 CNY', '-25 CNY']::ledger.amount[]) = :v1 AS replay_same_voucher;
SELECT ledger.post_hold(:h1, 'wd-1-confirmed') = :v1 AS replay_without_amounts;
SELECT v.hold_id = :h1 AS names_hold, v.ref, v.summary, v.idempotency_key FROM ledger.voucher v WHERE v.id = :v1;
SELECT line_no, account_code, debit, credit FROM ledger.journal WHERE voucher_id = :v1 ORDER BY line_no;
SELECT status, voucher_id = :v1 AS voucher, settled_book_date FROM ledger.hold WHERE id = :h1;
SELECT ledger.balance('w1') AS balance, ledger.available('w1') AS available, ledger.balance('transit') AS transit;
-- settled once: a posted hold cannot be posted (other key) or voided (55000)
SELECT pg_temp.err(format('SELECT ledger.post_hold(%s, %L)', :h1, 'wd-1-again'));
SELECT pg_temp.err(format('SELECT ledger.void_hold(%s)', :h1));
-- the key of another voucher (23505), an unknown hold (23503), a null hold (22004)
SELECT ledger.post_hold(:h2, 'fund-1');
SELECT ledger.post_hold(999999, 'nothing');
SELECT ledger.void_hold(999999);
SELECT ledger.post_hold(NULL, 'nothing');
-- amounts: one per line (22023), the line's sign and at most its amount (22023),
-- its currency (42804), balanced (23514), two lines at least (23514)
SELECT ledger.post_hold(:h2, 'wd-2-x', ARRAY['20 CNY']::ledger.amount[]);
SELECT ledger.post_hold(:h2, 'wd-2-x', ARRAY['20.01 CNY', '-20.01 CNY']::ledger.amount[]);
SELECT ledger.post_hold(:h2, 'wd-2-x', ARRAY['-5 CNY', '5 CNY']::ledger.amount[]);
SELECT ledger.post_hold(:h2, 'wd-2-x', ARRAY['5 USD', '-5 USD']::ledger.amount[]);
SELECT ledger.post_hold(:h2, 'wd-2-x', ARRAY['5 CNY', '-4 CNY']::ledger.amount[]);
SELECT ledger.post_hold(:h2, 'wd-2-x', ARRAY['0 CNY', '0 CNY']::ledger.amount[]);
SELECT status FROM ledger.hold WHERE id = :h2;

-- void: releases; voided once (55000)
SELECT ledger.void_hold(:h2, 'the bank rejected the card');
SELECT status, reason, voucher_id FROM ledger.hold WHERE id = :h2;
SELECT pg_temp.err(format('SELECT ledger.void_hold(%s)', :h2));
SELECT pg_temp.err(format('SELECT ledger.post_hold(%s, %L)', :h2, 'wd-2-late'));
SELECT ledger.balance('w2') AS balance, ledger.available('w2') AS available;

-- ---------------------------------------------------------------------------
-- expiry: a hold past expires_at reserves nothing at once (bounds, available)
-- and cannot be posted or voided (55000); expire_holds() marks it
-- ---------------------------------------------------------------------------
SELECT ledger.hold('pre-1', ARRAY['w2', 'transit'], ARRAY['50 CNY', '-50 CNY']::ledger.amount[],
	'card pre-authorisation', NULL, clock_timestamp() + interval '0.3 s') AS hx \gset
SELECT ledger.available('w2') AS available_while_held;
SELECT ledger.post('spend-3', ARRAY['w2', 'fees'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT pg_sleep(0.5);
SELECT ledger.available('w2') AS available_after_expiry;
SELECT held_debit FROM ledger.balances WHERE account_code = 'w2';
SELECT ledger.post('spend-3', ARRAY['w2', 'fees'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) IS NOT NULL AS spent_past_expired_hold;
SELECT pg_temp.err(format('SELECT ledger.post_hold(%s, %L)', :hx, 'pre-1-capture'));
SELECT pg_temp.err(format('SELECT ledger.void_hold(%s)', :hx));
SELECT ledger.expire_holds() AS expired;
SELECT ledger.expire_holds() AS expired_again;
SELECT status, settled_book_date FROM ledger.hold WHERE id = :hx;
SELECT held_debit, available FROM ledger.balances WHERE account_code = 'w2';
SELECT pg_temp.err(format('SELECT ledger.post_hold(%s, %L)', :hx, 'pre-1-capture'));

-- ---------------------------------------------------------------------------
-- holds and their lines are written only by the functions (55000)
-- ---------------------------------------------------------------------------
UPDATE ledger.hold SET status = 'voided' WHERE id = :h1;
DELETE FROM ledger.hold;
DELETE FROM ledger.hold_line;
UPDATE ledger.hold_line SET amount = '1 CNY';
TRUNCATE ledger.hold_line;
INSERT INTO ledger.hold (idempotency_key, book_date) VALUES ('direct', '2026-11-02');
BEGIN;
INSERT INTO ledger.voucher (idempotency_key, hold_id) VALUES ('direct', :h2);
ROLLBACK;

-- an account with pending holds cannot close (55000); a hot account's held
-- money follows its slots when it stops being hot
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('spare', 'spare clearing', 'asset', 'CNY');
SELECT ledger.hold('hot-1', ARRAY['spare', 'bank'], ARRAY['3 CNY', '-3 CNY']::ledger.amount[]) AS hh \gset
UPDATE ledger.account SET status = 'closed' WHERE code = 'spare';
UPDATE ledger.account SET hot = false WHERE code = 'bank';
SELECT count(*) AS bank_rows, sum(held_credit) AS bank_held_credit FROM ledger.account_balance
 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'bank');
SELECT ledger.void_hold(:hh);
UPDATE ledger.account SET status = 'closed' WHERE code = 'spare';
DELETE FROM ledger.account WHERE code = 'spare';
UPDATE ledger.account SET hot = true WHERE code = 'bank';

-- ---------------------------------------------------------------------------
-- holds survive the cutoff: the snapshot records the held amounts at the
-- close; a hold of one day is posted the next; holds_match_lines
-- ---------------------------------------------------------------------------
SELECT ledger.hold('wd-4', ARRAY['w1', 'transit'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[], 'withdrawal') AS h4 \gset
SELECT ledger.hold('wd-5', ARRAY['w3', 'transit'], ARRAY['7 CNY', '-7 CNY']::ledger.amount[], 'withdrawal') AS h5 \gset
CALL ledger.close_day();
SELECT a.code, r.closing, r.held_debit, r.held_credit, r.summary
  FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
 WHERE r.book_date = '2026-11-02' ORDER BY r.summary, a.code;
SELECT check_name, currency, ok, detail FROM ledger.check_books('2026-11-02') WHERE check_name IN ('holds_match_lines', 'opening_plus_movement_equals_closing');
SELECT ledger.post_hold(:h4, 'wd-4-confirmed') AS v4 \gset
SELECT h.book_date, h.settled_book_date, v.book_date AS voucher_date FROM ledger.hold h JOIN ledger.voucher v ON v.id = h.voucher_id WHERE h.id = :h4;
SELECT ledger.hold('wd-6', ARRAY['w2', 'transit'], ARRAY['2 CNY', '-2 CNY']::ledger.amount[]) AS h6 \gset
CALL ledger.close_day();
SELECT a.code, r.closing, r.held_debit, r.held_credit
  FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
 WHERE r.book_date = '2026-11-03' AND NOT r.summary ORDER BY a.code;
SELECT check_name, ok, detail FROM ledger.check_books('2026-11-03') WHERE check_name = 'holds_match_lines';
-- the snapshot of 11-02 still says what was held at its close
SELECT check_name, ok, detail FROM ledger.check_books('2026-11-02') WHERE check_name = 'holds_match_lines';

-- check_books catches a held total broken on purpose (here by the superuser)
UPDATE ledger.account_balance SET held_debit = held_debit + 1
 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'w3');
SELECT check_name, currency, ok, detail FROM ledger.check_books('2026-11-04') WHERE check_name = 'holds_match_lines';
UPDATE ledger.account_balance SET held_debit = held_debit - 1
 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'w3');
SELECT count(*) FILTER (WHERE NOT ok) AS failed FROM ledger.check_books('2026-11-04');

-- ---------------------------------------------------------------------------
-- the account history (明细账): posting order, running balance; its
-- balance at each day's last entry is ledger.balance(code, that day)
-- ---------------------------------------------------------------------------
SELECT ledger.post('d4-' || i, ARRAY['bank', 'w1'], ARRAY[ledger.amount(i, 'CNY'), ledger.amount(-i, 'CNY')]) IS NOT NULL AS posted
  FROM generate_series(1, 3) i;
SELECT book_date, line_no, ref, summary, debit, credit, balance FROM ledger.account_history('w1', '2026-11-02');
SELECT book_date, line_no, debit, credit, balance FROM ledger.account_history('w1', '2026-11-03', '2026-11-03');
SELECT book_date, line_no, debit, credit, balance FROM ledger.account_history('w1', '2026-11-04');
-- each day's closing balance, from the history and from ledger.balance(code, date)
SELECT d::date AS day,
       (SELECT h.balance FROM ledger.account_history(a.code, '2026-11-02', d::date) h
         ORDER BY h.book_date DESC, h.voucher_id DESC, h.line_no DESC LIMIT 1) AS history,
       ledger.balance(a.code, d::date) AS balance
  FROM generate_series('2026-11-02'::date, '2026-11-04', '1 day') d, ledger.account a
 WHERE a.code IN ('w1', 'bank', 'fees')
 ORDER BY a.code, d;
SELECT bool_and(h.balance OPERATOR(ledger.=) ledger.balance(a.code, h.book_date)) AS every_day_matches
  FROM ledger.account a,
  LATERAL (SELECT DISTINCT ON (x.book_date) x.book_date, x.balance
             FROM ledger.account_history(a.code, '2026-11-02') x
            ORDER BY x.book_date, x.voucher_id DESC, x.line_no DESC) h
 WHERE a.code IN ('w1', 'w2', 'w3', 'bank', 'fees', 'transit') AND h.book_date < '2026-11-04';
SELECT ledger.account_history('2241', '2026-11-02');      -- 22023
SELECT ledger.account_history('nowhere', '2026-11-02');   -- 23503
SELECT ledger.account_history('w1', NULL);                 -- 22004


-- ---------------------------------------------------------------------------
-- post_hold with the amounts as drivers send them, like ledger.post and
-- ledger.hold: text[] (JDBC's createArrayOf("text", ...), psycopg2's list of
-- str), one array literal (an untyped '{...}', JDBC's setString, a varchar),
-- NULL (in full, whichever form it resolves to); a replay through another
-- form is the same voucher; a malformed amount names its line; a text[] of
-- two dimensions is refused like an amount[] of two
-- ---------------------------------------------------------------------------
SELECT ledger.post('fund-t', ARRAY['bank', 'w3'], ARRAY['40 CNY', '-40 CNY']) IS NOT NULL AS funded;
SELECT ledger.hold('ht-' || i, ARRAY['w3', 'transit'], ARRAY['4 CNY', '-4 CNY']) IS NOT NULL AS held
  FROM generate_series(1, 6) i;
CREATE TEMP TABLE ht AS SELECT idempotency_key AS k, id FROM ledger.hold WHERE idempotency_key LIKE 'ht-%';
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-1'), 'ht-1-p', ARRAY['1.50 CNY', '-1.50 CNY']) AS vt1 \gset
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-1'), 'ht-1-p', '{1.50 CNY,-1.50 CNY}') = :vt1 AS literal_replay,
       ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-1'), 'ht-1-p', ARRAY['1.50 CNY', '-1.50 CNY']::ledger.amount[]) = :vt1 AS amount_replay;
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-2'), 'ht-2-p', '{2 CNY,-2 CNY}') IS NOT NULL AS untyped_literal;
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-3'), 'ht-3-p', '{2.50 CNY,-2.50 CNY}'::varchar, 'captured') IS NOT NULL AS varchar_literal;
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-4'), 'ht-4-p', NULL) IS NOT NULL AS null_in_full,
       ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-5'), 'ht-5-p', NULL::text[], 'in full') IS NOT NULL AS null_text_array_in_full;
SELECT h.idempotency_key, h.status, v.summary, e.line_no, e.account_code, e.debit, e.credit
  FROM ledger.hold h JOIN ledger.voucher v ON v.hold_id = h.id JOIN ledger.journal e ON e.voucher_id = v.id
 WHERE h.idempotency_key LIKE 'ht-%' ORDER BY h.idempotency_key, e.line_no;
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-6'), 'ht-6-p', ARRAY['1 CNY', '-1.001 CNY']);     -- 22P02, line 2
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-6'), 'ht-6-p', '{1 CNY,-1 XYZ/2/3}');             -- 22P02, the literal
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-6'), 'ht-6-p', ARRAY[['1 CNY'], ['-1 CNY']]);     -- 22023
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-6'), 'ht-6-p', ARRAY['1 CNY']);                   -- 22023
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-6'), 'ht-6-p', ARRAY['5 CNY', '-5 CNY']);         -- 22023
SELECT ledger.post_hold((SELECT id FROM ht WHERE k = 'ht-6'), 'ht-6-p', ARRAY['1 CNY', NULL]);             -- 22004
SELECT ledger.void_hold((SELECT id FROM ht WHERE k = 'ht-6'));
SELECT ledger.balance('w3') AS balance, ledger.available('w3') AS available;

\c :regress_db
DROP DATABASE ledger_regress_holds;
