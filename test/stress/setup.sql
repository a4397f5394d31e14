-- test/stress/setup.sql — the books and the client functions of the
-- concurrency and crash tests.
--
-- A small chart, so that the sessions collide all the time: eight CNY
-- wallets with a floor of 0 (two of them with a ceiling), three USD wallets,
-- hot reserve and fee accounts.  The functions below are what a payment
-- application would call; each returns the idempotency key it used and the
-- voucher id (NULL when a floor or ceiling refused the voucher, which is the
-- caller's business and not an error), for the client to log.  The hold
-- functions at the end hold, settle and expire holds on the same wallets.
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('bank', 'reserve funds', 'asset', 'CNY', true),
	('fees', 'fee income', 'revenue', 'CNY', true),
	('bank-usd', 'USD reserve funds', 'asset', 'USD', true),
	('fees-usd', 'USD fee income', 'revenue', 'USD', false);
INSERT INTO ledger.account (code, name, kind, currency, floor, ceiling)
SELECT 'w' || i, 'wallet ' || i, 'liability', 'CNY', '0 CNY',
       CASE WHEN i > 6 THEN '1200 CNY'::ledger.amount END
  FROM generate_series(1, 8) i;
INSERT INTO ledger.account (code, name, kind, currency, floor)
SELECT 'u' || i, 'USD wallet ' || i, 'liability', 'USD', '0 USD' FROM generate_series(1, 3) i;
-- the clearing account the reconciliation runs of the tests read
UPDATE ledger.account SET reconcilable = true WHERE code = 'fees';
SELECT ledger.post('fund-w' || i, ARRAY['bank', 'w' || i], ARRAY[ledger.amount(1000, 'CNY'), ledger.amount(-1000, 'CNY')])
  FROM generate_series(1, 8) i;
SELECT ledger.post('fund-u' || i, ARRAY['bank-usd', 'u' || i], ARRAY[ledger.amount(500, 'USD'), ledger.amount(-500, 'USD')])
  FROM generate_series(1, 3) i;

CREATE SCHEMA stress;
CREATE SEQUENCE stress.key_seq;

/*
 * A transfer between two wallets of one currency with a fee; a floor or a
 * ceiling may refuse it.  Keys are new for every call.
 */
CREATE FUNCTION stress.transfer(a int, b int, cents bigint, usd boolean, OUT k text, OUT id bigint, OUT why text)
	LANGUAGE plpgsql AS $$
DECLARE
	ccy text := CASE WHEN usd THEN 'USD' ELSE 'CNY' END;
	wa text := CASE WHEN usd THEN 'u' || (a % 3 + 1) ELSE 'w' || a END;
	wb text := CASE WHEN usd THEN 'u' || (b % 3 + 1) ELSE 'w' || b END;
	fee bigint := cents / 200 + 1;
BEGIN
	k := 't-' || nextval('stress.key_seq');
	BEGIN
		id := ledger.post(k, ARRAY[wa, wb, CASE WHEN usd THEN 'fees-usd' ELSE 'fees' END],
			ARRAY[ledger.amount_of_units(cents + fee, ccy), ledger.amount_of_units(-cents, ccy),
			      ledger.amount_of_units(-fee, ccy)],
			'transfer ' || wa || ' to ' || wb, 'T' || k, jsonb_build_object('client', pg_backend_pid()));
		why := 'posted';
	EXCEPTION WHEN check_violation THEN
		id := NULL;
		why := CASE WHEN SQLERRM LIKE '%ceiling%' THEN 'ceiling' ELSE 'floor' END;
	END;
END $$;

/*
 * A top-up (bank to wallet) or a withdrawal (wallet to bank).  The key and
 * the content are derived from the time, in 50 ms buckets: the sessions that
 * call it within the same bucket race to post the same voucher, and all of
 * them must get the same id.
 */
CREATE FUNCTION stress.topup(OUT k text, OUT id bigint, OUT why text)
	LANGUAGE plpgsql AS $$
DECLARE
	bucket bigint := floor(extract(epoch FROM clock_timestamp()) * 20);
	w text := 'w' || (bucket % 8 + 1);
	cents bigint := (bucket * 7919) % 40000 + 1;
BEGIN
	k := 'd-' || bucket;
	IF bucket % 2 = 0 THEN
		cents := -cents;
	END IF;
	BEGIN
		id := ledger.post(k, ARRAY['bank', w], ARRAY[ledger.amount_of_units(-cents, 'CNY'), ledger.amount_of_units(cents, 'CNY')],
			CASE WHEN cents < 0 THEN 'top-up of ' ELSE 'withdrawal from ' END || w);
		why := 'posted';
	EXCEPTION WHEN check_violation THEN
		id := NULL;
		why := CASE WHEN SQLERRM LIKE '%ceiling%' THEN 'ceiling' ELSE 'floor' END;
	END;
END $$;

/* A random transfer of the past, or NULL. */
CREATE FUNCTION stress.some_transfer() RETURNS bigint LANGUAGE sql AS $$
	SELECT v.id FROM ledger.voucher v
	 WHERE v.idempotency_key LIKE 't-%'
	   AND v.id >= (SELECT floor(random() * (max(x.id) + 1))::bigint FROM ledger.voucher x)
	 ORDER BY v.id LIMIT 1
$$;

/*
 * Reverses a random earlier transfer.  The key is derived from the voucher,
 * so that sessions reversing the same voucher race on the same key (and a
 * voucher reversed before is simply answered with its reversal).  A floor may
 * refuse the reversal: the money has moved on.
 */
CREATE FUNCTION stress.reverse_some(OUT k text, OUT id bigint, OUT why text)
	LANGUAGE plpgsql AS $$
DECLARE
	target bigint := stress.some_transfer();
BEGIN
	IF target IS NULL THEN
		k := 'none';
		why := 'none';
		RETURN;
	END IF;
	k := 'r-' || target;
	BEGIN
		id := ledger.reverse(target, k);
		why := 'posted';
	EXCEPTION WHEN check_violation THEN
		id := NULL;
		why := CASE WHEN SQLERRM LIKE '%ceiling%' THEN 'ceiling' ELSE 'floor' END;
	END;
END $$;

/*
 * Posts an earlier transfer again: with the same content it must return the
 * same id and write nothing; with other content it must fail with 23505.
 * Anything else raises LGR01/LGR02, which no client retries: the run fails.
 */
CREATE FUNCTION stress.replay_some(OUT k text, OUT id bigint, OUT why text)
	LANGUAGE plpgsql AS $$
DECLARE
	v ledger.voucher;
	accts text[];
	amts ledger.amount[];
	again bigint;
	target bigint := stress.some_transfer();
BEGIN
	SELECT * INTO v FROM ledger.voucher x WHERE x.id = target;
	IF NOT FOUND THEN
		k := 'none';
		why := 'none';
		RETURN;
	END IF;
	SELECT array_agg(a.code ORDER BY e.line_no), array_agg(e.amount ORDER BY e.line_no) INTO accts, amts
	  FROM ledger.entry e JOIN ledger.account a ON a.id = e.account_id WHERE e.voucher_id = v.id;
	again := ledger.post(v.idempotency_key, accts, amts, v.summary, v.ref, v.metadata);
	IF again IS DISTINCT FROM v.id THEN
		RAISE EXCEPTION 'replay of "%" returned voucher %, not %', v.idempotency_key, again, v.id
			USING ERRCODE = 'LGR01';
	END IF;
	BEGIN
		again := ledger.post(v.idempotency_key, accts,
			(SELECT array_agg(m OPERATOR(ledger.*) 2 ORDER BY n) FROM unnest(amts) WITH ORDINALITY u(m, n)),
			v.summary, v.ref, v.metadata);
		RAISE EXCEPTION 'replay of "%" with other amounts was accepted (voucher %)', v.idempotency_key, again
			USING ERRCODE = 'LGR02';
	EXCEPTION WHEN unique_violation THEN
		NULL;
	END;
	k := v.idempotency_key;
	id := v.id;
	why := 'replayed';
END $$;

/*
 * Holds on the same wallets, racing with the postings above.  A hold takes
 * money from a wallet for the bank (a withdrawal waiting for the bank's
 * answer) or for another wallet (a transfer held, counted against the
 * receiver's ceiling); one in three expires within a second.  A floor or a
 * ceiling may refuse it, and so may its own expiry when that passes before
 * the ledger creates the hold, on a machine busier than its sessions (22023,
 * logged as 'expired': nothing is held).  Keys are new for every call.
 */
CREATE FUNCTION stress.hold(a int, b int, cents bigint, ttl_ms int, OUT k text, OUT id bigint, OUT why text)
	LANGUAGE plpgsql AS $$
DECLARE
	wa text := 'w' || a;
	wb text := CASE WHEN b <= 0 OR b = a THEN 'bank' ELSE 'w' || b END;
BEGIN
	k := 'h-' || nextval('stress.key_seq');
	BEGIN
		id := ledger.hold(k, ARRAY[wa, wb],
			ARRAY[ledger.amount_of_units(cents, 'CNY'), ledger.amount_of_units(-cents, 'CNY')],
			'hold on ' || wa || ' for ' || wb, 'H' || k,
			CASE WHEN ttl_ms > 0 THEN clock_timestamp() + ttl_ms * interval '1 millisecond' END,
			jsonb_build_object('client', pg_backend_pid()));
		why := 'held';
	EXCEPTION
		WHEN check_violation THEN
			id := NULL;
			why := CASE WHEN SQLERRM LIKE '%ceiling%' THEN 'ceiling' ELSE 'floor' END;
		WHEN invalid_parameter_value THEN
			-- an expiry (50 ms at the least) that passed before the ledger
			-- created the hold, on a machine busier than its sessions: refused,
			-- nothing held
			IF SQLERRM NOT LIKE '%would expire before it is created%' THEN
				RAISE;
			END IF;
			id := NULL;
			why := 'expired';
	END;
END $$;

/* A random pending hold of the workload, or NULL. */
CREATE FUNCTION stress.some_hold() RETURNS bigint LANGUAGE sql AS $$
	SELECT h.id FROM ledger.hold h
	 WHERE h.status = 'pending' AND h.idempotency_key LIKE 'h-%'
	   AND h.id >= (SELECT floor(random() * (max(x.id) + 1))::bigint FROM ledger.hold x)
	 ORDER BY h.id LIMIT 1
$$;

/*
 * Settles a random pending hold: how 0, 1 post it in full, 2, 3 post half
 * of it, each with its own key ('hp-<hold>-<how>': sessions that pick the
 * same hold race with the same key, which must answer both with one voucher,
 * or with another, which must settle the hold once); 4 voids it; 5 runs
 * ledger.expire_holds() instead.  Settling a hold that another session
 * settled first or that is past its expiry is 55000: 'late'.  Any other
 * error (a bound refusing the posting of money held, say) fails the run.
 */
CREATE FUNCTION stress.settle(how int, OUT op text, OUT k text, OUT hold_id bigint, OUT id bigint, OUT why text)
	LANGUAGE plpgsql AS $$
DECLARE
	part ledger.amount[];
BEGIN
	IF how = 5 THEN
		op := 'expire';
		k := 'x';
		why := ledger.expire_holds()::text;
		RETURN;
	END IF;
	hold_id := stress.some_hold();
	IF hold_id IS NULL THEN
		op := 'none';
		k := 'none';
		why := 'none';
		RETURN;
	END IF;
	BEGIN
		IF how = 4 THEN
			op := 'void';
			k := 'v-' || hold_id;
			PERFORM ledger.void_hold(hold_id, 'stress');
			why := 'voided';
		ELSE
			op := 'post';
			k := 'hp-' || hold_id || '-' || how;
			IF how >= 2 THEN
				SELECT array_agg(ledger.amount_of_units(
				           CASE WHEN abs(ledger.minor_units(l.amount)) >= 2 THEN ledger.minor_units(l.amount) / 2
				                ELSE ledger.minor_units(l.amount) END, ledger.currency(l.amount)) ORDER BY l.line_no)
				  INTO part FROM ledger.hold_line l WHERE l.hold_id = settle.hold_id;
			END IF;
			id := ledger.post_hold(hold_id, k, part, 'settled by ' || pg_backend_pid());
			why := CASE WHEN how >= 2 THEN 'partial' ELSE 'posted' END;
		END IF;
	EXCEPTION WHEN object_not_in_prerequisite_state THEN
		id := NULL;
		why := 'late';
	END;
END $$;
