--
-- ledger.amount: the exact, currency-tagged amount (SPEC section 1)
--
-- Errors appear two ways: a few as psql prints them (message, DETAIL, HINT),
-- the others through pg_temp.try(), which runs one statement and returns its
-- SQLSTATE, message and detail, so that every error class is visible in the
-- expected output (VERBOSITY verbose would also print C file line numbers).
--
-- The operators live in schema ledger.
SET search_path = public, ledger;
\pset null '(null)'

CREATE FUNCTION pg_temp.plan(stmt text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || stmt;
END
$$;

CREATE FUNCTION pg_temp.try(stmt text, OUT state text, OUT message text, OUT detail text)
LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	EXECUTE stmt INTO result;
	state := '00000';
	message := result;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE,
		message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
END
$$;

--
-- Text input: '<number> <CODE>' or '<CODE> <number>', white space around.
-- Output is canonical: exactly the currency's decimals, a space, the code.
--
SELECT input, input::ledger.amount AS amount
FROM (VALUES
	('12.34 CNY'),
	('-0.50 USD'),
	('1000 JPY'),
	('0.001 BHD'),
	('12.3 CNY'),
	('12 CNY'),
	('12. CNY'),
	('.5 CNY'),
	('-.5 CNY'),
	('+7 CNY'),
	('-0 CNY'),
	('0 JPY'),
	('00012.30 CNY'),
	('12.340 CNY'),
	('12.3400000000000000000000000 CNY'),
	('1000.000 JPY'),
	('CNY 12.34'),
	('usd -3'),
	('Cny 12.3'),
	('  12.34 cny  '),
	('   CNY      12.34   '),
	('1 KWD'),
	('1.2345 CLF'),
	('1.23 UYW'),
	('1 KRW'),
	('5 XOF'),
	('1.5 XCG'),
	('2 ZWG'),
	('2.50 XAD')
) v(input);

-- tabs, newlines and other white space are white space too
SELECT E'\t12.34\n CNY\r\n'::ledger.amount AS amount,
       E'\fCNY\01312.34 '::ledger.amount AS amount;

--
-- Other assets: CODE/N with 0 <= N <= 18.  An ISO code written with its own
-- exponent is that currency; with another exponent it is a different asset.
--
SELECT input, input::ledger.amount AS amount,
       ledger.currency(input::ledger.amount) AS currency,
       ledger.decimals(input::ledger.amount) AS decimals
FROM (VALUES
	('1.250000 USDT/6'),
	('1.25 usdt/6'),
	('USDT/6 1.25'),
	('120 POINTS/0'),
	('0.000000000000000001 WEI_ETH/18'),
	('5 ABCDEFGHIJKL/2'),
	('1 X/0'),
	('7 A1_/3'),
	('7 _/3'),
	('7 007/1'),
	('1.5 XAU/4'),
	('1 XDR/2'),
	('3 USD/2'),
	('3 usd/02'),
	('3 USD/4'),
	('3 USD/0'),
	('3 JPY/0'),
	('3 JPY/2'),
	('3 CNY/18')
) v(input);

SELECT '3 USD/2'::ledger.amount = '3 USD' AS "USD/2 = USD",
       '3 USD/4'::ledger.amount = '3 USD' AS "USD/4 = USD",
       '3 USD/4'::ledger.amount = '3.0000 USD/4' AS "USD/4 = USD/4",
       '3 JPY/0'::ledger.amount = '3 JPY' AS "JPY/0 = JPY";

-- every number of decimal places from 0 to 18
SELECT n, ledger.amount_of_units(1, 'A/' || n) AS one_unit,
       ledger.amount_of_units(-9223372036854775808, 'A/' || n) AS smallest,
       ledger.amount_of_units(9223372036854775807, 'A/' || n) AS largest
FROM generate_series(0, 18) n;

-- the extremes read back as they were written
SELECT input, input::ledger.amount AS amount,
       ledger.minor_units(input::ledger.amount) AS minor_units
FROM (VALUES
	('92233720368547758.07 CNY'),
	('-92233720368547758.08 CNY'),
	('9223372036854775807 JPY'),
	('-9223372036854775808 JPY'),
	('9.223372036854775807 A/18'),
	('-9.223372036854775808 A/18'),
	('-0.000000000000000001 A/18'),
	('9223372036.854775807 BIG/9')
) v(input);

--
-- Input errors: 22P02 for text that is not an amount, 22003 beyond the
-- signed 64-bit minor units.
--
SELECT '12.345 CNY'::ledger.amount;
SELECT '1 ABC'::ledger.amount;
SELECT '1 XAU'::ledger.amount;
SELECT '92233720368547758.08 CNY'::ledger.amount;

SELECT input, t.state, t.detail
FROM (VALUES
	-- more decimals than the currency has: never rounded
	('12.345 CNY'),
	('12.3401 CNY'),
	('1.5 JPY'),
	('0.0001 BHD'),
	('1.00001 CLF'),
	('1.0000001 USDT/6'),
	('1.1 POINTS/0'),
	('3.001 USD/2'),
	('0.0000000000000000001 A/18'),
	-- unknown or unusable currency codes
	('1 ABC'),
	('1 XAU'),
	('1 XXX'),
	('1 US'),
	('1 USDT'),
	('1 VEF'),
	('5 ABCDEFGHIJKLM'),
	('5 ABCDEFGHIJKLM/2'),
	('5 USDT/19'),
	('5 USDT/99'),
	('5 USDT/100'),
	('5 USDT/'),
	('5 USDT/-1'),
	('5 USDT/+1'),
	('5 USDT/6/6'),
	('5 /2'),
	('5 US-D'),
	('5 US.D'),
	('5 日元'),
	-- empty, missing parts, junk
	(''),
	('   '),
	('12.34'),
	('-5'),
	('CNY'),
	('USDT/6'),
	('12.34CNY'),
	('CNY12.34'),
	('12.34_CNY'),
	('abc'),
	('abc!'),
	('CNY USD'),
	('12.34 CNY extra'),
	('12.34 CNY 12.34'),
	('12,34 CNY'),
	('1,000.00 CNY'),
	('1e3 CNY'),
	('1.2.3 CNY'),
	('. CNY'),
	('- CNY'),
	('- 5 CNY'),
	('--5 CNY'),
	('+-5 CNY'),
	('$5 USD'),
	('NaN CNY'),
	('Infinity CNY'),
	('0x10 CNY'),
	('５ CNY'),
	-- out of range
	('92233720368547758.08 CNY'),
	('-92233720368547758.09 CNY'),
	('9223372036854775808 JPY'),
	('-9223372036854775809 JPY'),
	('99999999999999999999999999999999 JPY'),
	('10 A/18'),
	('9.223372036854775808 A/18'),
	('-9.223372036854775809 A/18'),
	('CNY 92233720368547758.08')
) v(input),
LATERAL pg_temp.try(format('SELECT %L::ledger.amount', input)) t;

--
-- Arithmetic: + and - (binary and unary), * by integer and bigint in both
-- orders, abs().
--
SELECT '12.34 CNY'::ledger.amount + '0.66 CNY' AS plus,
       '12.34 CNY'::ledger.amount - '20 CNY' AS minus,
       - '12.34 CNY'::ledger.amount AS negate,
       - '-0.01 CNY'::ledger.amount AS negate_negative,
       abs('-12.34 CNY'::ledger.amount) AS abs,
       abs('12.34 CNY'::ledger.amount) AS abs_positive;
SELECT '12.34 CNY'::ledger.amount * 3 AS amount_int4,
       3 * '12.34 CNY'::ledger.amount AS int4_amount,
       '12.34 CNY'::ledger.amount * 3::bigint AS amount_int8,
       3::bigint * '12.34 CNY'::ledger.amount AS int8_amount,
       '12.34 CNY'::ledger.amount * -1 AS times_minus_one,
       '12.34 CNY'::ledger.amount * 0 AS times_zero,
       '1.5 USDT/6'::ledger.amount + '0.000001 USDT/6' AS asset;

-- results at the very ends of the range are fine
SELECT '92233720368547758.06 CNY'::ledger.amount + '0.01 CNY' AS max,
       '-92233720368547758.07 CNY'::ledger.amount - '0.01 CNY' AS min,
       '92233720368547758.07 CNY'::ledger.amount + '-92233720368547758.08 CNY' AS max_plus_min,
       - '92233720368547758.07 CNY'::ledger.amount AS negate_max,
       abs('-92233720368547758.07 CNY'::ledger.amount) AS abs_min_plus_one;
SELECT '1 JPY'::ledger.amount * (-9223372036854775808)::bigint AS min_by_product,
       '-1 JPY'::ledger.amount * 9223372036854775807 AS minus_max,
       '0 JPY'::ledger.amount * 9223372036854775807 AS zero,
       '-4611686018427387904 JPY'::ledger.amount * 2 AS min_by_int4,
       2 * '-4611686018427387904 JPY'::ledger.amount AS min_by_int4_left;

-- beyond them: 22003, never a wrap-around
SELECT '92233720368547758.07 CNY'::ledger.amount + '0.01 CNY';
SELECT stmt, t.state, t.message
FROM (VALUES
	($$SELECT '92233720368547758.07 CNY'::ledger.amount + '0.01 CNY'$$),
	($$SELECT '-92233720368547758.08 CNY'::ledger.amount + '-0.01 CNY'$$),
	($$SELECT '-92233720368547758.08 CNY'::ledger.amount - '0.01 CNY'$$),
	($$SELECT '92233720368547758.07 CNY'::ledger.amount - '-0.01 CNY'$$),
	($$SELECT '0 CNY'::ledger.amount - '-92233720368547758.08 CNY'$$),
	($$SELECT - '-92233720368547758.08 CNY'::ledger.amount$$),
	($$SELECT abs('-92233720368547758.08 CNY'::ledger.amount)$$),
	($$SELECT '46116860184273879.04 CNY'::ledger.amount * 2$$),
	($$SELECT 2 * '46116860184273879.04 CNY'::ledger.amount$$),
	($$SELECT '-92233720368547758.08 CNY'::ledger.amount * -1$$),
	($$SELECT -1 * '-92233720368547758.08 CNY'::ledger.amount$$),
	($$SELECT '0.01 CNY'::ledger.amount * 2147483647 * 2147483647 * 3$$),
	($$SELECT '46116860184273879.04 CNY'::ledger.amount * 2::bigint$$),
	($$SELECT 2::bigint * '46116860184273879.04 CNY'::ledger.amount$$),
	($$SELECT '-92233720368547758.08 CNY'::ledger.amount * (-1)::bigint$$),
	($$SELECT (-1)::bigint * '-92233720368547758.08 CNY'::ledger.amount$$),
	($$SELECT '2 JPY'::ledger.amount * 9223372036854775807$$),
	($$SELECT 9223372036854775807 * '-2 JPY'::ledger.amount$$),
	($$SELECT '-1 JPY'::ledger.amount * (-9223372036854775808)::bigint$$)
) v(stmt),
LATERAL pg_temp.try(stmt) t;

-- amounts in different currencies do not mix: 42804 naming both
SELECT '1 CNY'::ledger.amount + '1 USD';
SELECT stmt, t.state, t.message
FROM (VALUES
	($$SELECT '1 CNY'::ledger.amount + '1 USD'$$),
	($$SELECT '1 CNY'::ledger.amount - '1 USD'$$),
	($$SELECT '1 USD'::ledger.amount + '1 USD/4'$$),
	($$SELECT '1 USD/4'::ledger.amount - '1 USD'$$),
	($$SELECT '1 USDT/6'::ledger.amount + '1 USDT/2'$$),
	($$SELECT '1 POINTS/0'::ledger.amount - '1 USDT/6'$$),
	($$SELECT '1 CNY'::ledger.amount + '1 USD/2'$$)
) v(stmt),
LATERAL pg_temp.try(stmt) t;

--
-- Comparison: a total order on (currency, units) that never raises.
--
SELECT a, b, a = b AS eq, a <> b AS ne, a < b AS lt, a <= b AS le,
       a > b AS gt, a >= b AS ge, ledger.amount_cmp(a, b) AS cmp
FROM (VALUES
	('1 CNY'::ledger.amount, '1 CNY'::ledger.amount),
	('1 CNY', '1.00 cny'),
	('1 CNY', '2 CNY'),
	('-2 CNY', '1 CNY'),
	('100 CNY', '1 USD'),
	('1 USD', '1 USD/2'),
	('1 USD', '1 USD/4'),
	('1000 USD', '0.0001 USD/4'),
	('1 USD/4', '1 USDT/6'),
	('-92233720368547758.08 CNY', '92233720368547758.07 CNY'),
	('0 JPY', '0 CNY')
) v(a, b);

-- currencies sort by code, character by character in byte order, then by
-- decimal places; the units decide within a currency
SELECT c AS currency, ledger.zero(c) AS zero
FROM (VALUES ('USD'), ('USD/4'), ('USDT/6'), ('US/2'), ('U/0'), ('A1/0'), ('AB/0'),
             ('A_/0'), ('A/0'), ('ZZZZZZZZZZZZ/0'), ('_/0'), ('0/0'), ('9/0'), ('USD/0')) v(c)
ORDER BY ledger.zero(c);

CREATE TABLE amount_t (id int, a ledger.amount);
INSERT INTO amount_t VALUES
	(1, '10 CNY'), (2, '-5 CNY'), (3, '1 USD'), (4, '1.00 USD/2'),
	(5, '1 USD/4'), (6, '0.5 USDT/6'), (7, '100 JPY'), (8, NULL),
	(9, '10.00 CNY'), (10, '-92233720368547758.08 CNY'), (11, '0 EUR'),
	(12, '120 POINTS/0'), (13, '0.001 BHD'), (14, '-1 USD');

SELECT id, a FROM amount_t ORDER BY a, id;
SELECT id, a FROM amount_t ORDER BY a DESC NULLS LAST, id;
SELECT min(a), max(a) FROM amount_t;

-- grouping and DISTINCT, by hashing and by sorting
SET enable_hashagg = on;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT a, count(*) FROM amount_t GROUP BY a;
SELECT a, count(*), array_agg(id ORDER BY id) AS ids FROM amount_t GROUP BY a ORDER BY a;
SELECT DISTINCT a FROM amount_t ORDER BY a;
RESET enable_sort;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT a, count(*) FROM amount_t GROUP BY a;
SELECT a, count(*), array_agg(id ORDER BY id) AS ids FROM amount_t GROUP BY a ORDER BY a;
SELECT DISTINCT a FROM amount_t ORDER BY a;
RESET enable_hashagg;
SELECT count(DISTINCT a) FROM amount_t;

-- a unique index: '1.00 USD/2' is '1 USD'; '1 USD/4' is another asset
CREATE TABLE amount_u (a ledger.amount UNIQUE);
INSERT INTO amount_u VALUES ('1 USD'), ('1 USD/4'), ('1 CNY'), ('-1 USD');
INSERT INTO amount_u VALUES ('1.00 usd/2');
INSERT INTO amount_u VALUES ('1.00 USD/4');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT a FROM amount_u WHERE a = '1 USD';
SELECT a FROM amount_u WHERE a = '1 USD';
SELECT a FROM amount_u WHERE a >= '0 USD' AND a < '0 USDT/6' ORDER BY a;
RESET enable_seqscan;
DROP TABLE amount_u;

-- a hash join, and a merge join
CREATE TABLE amount_j (a ledger.amount, label text);
INSERT INTO amount_j VALUES
	('10 CNY', 'ten yuan'), ('1 USD', 'one dollar'), ('1 USD/4', 'one dollar, 4 places'),
	('100 JPY', 'hundred yen'), ('7 CNY', 'unmatched');
ANALYZE amount_t, amount_j;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT t.id, j.label FROM amount_t t JOIN amount_j j ON t.a = j.a;
SELECT t.id, t.a, j.label FROM amount_t t JOIN amount_j j ON t.a = j.a ORDER BY t.id;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT t.id, j.label FROM amount_t t JOIN amount_j j ON t.a = j.a;
SELECT t.id, t.a, j.label FROM amount_t t JOIN amount_j j ON t.a = j.a ORDER BY t.id;
RESET enable_hashjoin;
RESET enable_nestloop;
DROP TABLE amount_j;

-- hash partitioning on an amount column (the extended hash function)
CREATE TABLE amount_h (a ledger.amount, id int) PARTITION BY HASH (a);
CREATE TABLE amount_h0 PARTITION OF amount_h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE amount_h1 PARTITION OF amount_h FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO amount_h SELECT ledger.amount_of_units(g, 'CNY'), g FROM generate_series(1, 200) g;
INSERT INTO amount_h VALUES ('3 USD', 1001), ('3.00 USD/2', 1002), ('3 USD/4', 1003);
SELECT count(*) AS rows, count(DISTINCT tableoid) AS partitions_used FROM amount_h;
SELECT count(DISTINCT tableoid) AS partitions FROM amount_h WHERE id IN (1001, 1002);
-- partition pruning: an equality reads one partition
SELECT count(*) AS partitions_scanned
FROM pg_temp.plan($$SELECT id FROM amount_h WHERE a = '0.07 CNY'$$) line
WHERE line LIKE '%Scan on amount_h_ amount_h%';
SELECT id FROM amount_h WHERE a = '0.07 CNY';
SELECT id FROM amount_h WHERE a = '3 USD' ORDER BY id;
SELECT ledger.amount_hash_extended('3 USD', 0) & 4294967295 =
       ledger.amount_hash('3 USD')::bigint & 4294967295 AS seed_zero_matches;
DROP TABLE amount_h;

--
-- Binary send/receive: int64 minor units, int16 decimal places, int8 code
-- length, the code.  COPY (FORMAT binary) round-trips.
--
SELECT a, ledger.amount_send(a)
FROM (VALUES ('1.00 CNY'::ledger.amount), ('-9223372036854775808 JPY'),
             ('1.250000 USDT/6'), ('1 USD/4'), ('0 ABCDEFGHIJKL/18')) v(a);

SELECT current_setting('data_directory') || '/ledger_amount_test.copy' AS copyfile \gset
COPY amount_t TO :'copyfile' (FORMAT binary);
CREATE TABLE amount_t2 (LIKE amount_t);
COPY amount_t2 FROM :'copyfile' (FORMAT binary);
SELECT count(*) AS rows,
       count(*) FILTER (WHERE t2.a IS NOT DISTINCT FROM t.a
                        AND ledger.currency(t2.a) IS NOT DISTINCT FROM ledger.currency(t.a)) AS equal
FROM amount_t t JOIN amount_t2 t2 USING (id);
SELECT * FROM amount_t EXCEPT SELECT * FROM amount_t2;
DROP TABLE amount_t2;

-- receive checks its input like text input does: a bytea column written in
-- binary gives the raw field bytes to ledger.amount_recv
CREATE TABLE amount_raw (b bytea);
CREATE TABLE amount_r (a ledger.amount);
CREATE FUNCTION pg_temp.recv(bytes bytea) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/ledger_amount_raw.copy';
	r text;
BEGIN
	DELETE FROM amount_raw;
	DELETE FROM amount_r;
	INSERT INTO amount_raw VALUES (bytes);
	EXECUTE format('COPY amount_raw TO %L (FORMAT binary)', f);
	EXECUTE format('COPY amount_r FROM %L (FORMAT binary)', f);
	SELECT a::text INTO r FROM amount_r;
	RETURN r;
END
$$;
SELECT bytes, t.state, t.message, t.detail
FROM (VALUES
	('\x0000000000000001000203434e59'::bytea),       -- 0.01 CNY
	('\x0000000000000001000203636e79'),              -- lower case code
	('\x8000000000000000000003555344'),              -- INT64_MIN, USD/0
	('\x7fffffffffffffff00120c415f5f5f5f5f5f5f5f5f5f5f'),  -- 12-char code
	('\x0000000000000001001203555344'),              -- 18 decimals
	('\x0000000000000001001303555344'),              -- 19 decimals
	('\x000000000000000100ff03555344'),              -- 255 decimals
	('\x0000000000000001ffff03555344'),              -- -1 decimals
	('\x0000000000000001000200'),                    -- empty code
	('\x000000000000000100020d4142434445464748494a4b4c4d'),  -- 13 characters
	('\x0000000000000001000203555344ff'),            -- trailing byte
	('\x00000000000000010002035553'),                -- code cut short
	('\x0000000000000001000203552d44'),              -- '-' in the code
	('\x0000000000000001000203552044'),              -- space in the code
	('\x0000000000000001000203550044'),              -- NUL in the code
	('\x00000000000000010002'),                      -- no code length
	('\x0000000001'),                                -- cut in the units
	('\x')                                           -- nothing
) v(bytes),
LATERAL pg_temp.try(format('SELECT pg_temp.recv(%L)', bytes)) t;
DROP TABLE amount_raw, amount_r;

--
-- Constructors, accessors and the cast to numeric
--
SELECT ledger.amount(12.34, 'CNY') AS a1,
       ledger.amount(12.3, 'CNY') AS a2,
       ledger.amount(12.340, 'CNY') AS trailing_zeros,
       ledger.amount(12.3400000000000000000000, 'cny') AS many_zeros,
       ledger.amount(1000, 'JPY') AS a4,
       ledger.amount(-0.5, 'usd') AS a5,
       ledger.amount(1.25, 'USDT/6') AS a6,
       ledger.amount(0, 'XAU/4') AS a7;
SELECT ledger.amount(92233720368547758.07, 'CNY') AS max,
       ledger.amount(-92233720368547758.08, 'CNY') AS min,
       ledger.amount(-9.223372036854775808, 'A/18') AS min18,
       ledger.amount(NULL, 'CNY') AS null_number,
       ledger.amount(1, NULL) AS null_currency;
SELECT ledger.amount(12.345, 'CNY');
SELECT stmt, t.state, t.message, t.detail
FROM (VALUES
	($$SELECT ledger.amount(12.345, 'CNY')$$),
	($$SELECT ledger.amount(0.5, 'JPY')$$),
	($$SELECT ledger.amount(1.0000001, 'USDT/6')$$),
	($$SELECT ledger.amount(0.0000000000000000001, 'A/18')$$),
	($$SELECT ledger.amount('NaN', 'CNY')$$),
	($$SELECT ledger.amount('Infinity', 'CNY')$$),
	($$SELECT ledger.amount('-Infinity', 'CNY')$$),
	($$SELECT ledger.amount(1, 'ABC')$$),
	($$SELECT ledger.amount(1, 'XAU')$$),
	($$SELECT ledger.amount(1, '')$$),
	($$SELECT ledger.amount(1, ' CNY')$$),
	($$SELECT ledger.amount(1, 'USDT/19')$$),
	($$SELECT ledger.amount(92233720368547758.08, 'CNY')$$),
	($$SELECT ledger.amount(-92233720368547758.09, 'CNY')$$),
	($$SELECT ledger.amount(1e30, 'CNY')$$),
	($$SELECT ledger.amount(10, 'A/18')$$)
) v(stmt),
LATERAL pg_temp.try(stmt) t;

SELECT a, ledger.currency(a), ledger.minor_units(a), ledger.decimals(a), a::numeric AS numeric
FROM (VALUES ('12.30 CNY'::ledger.amount), ('-0.50 usd'), ('1000 JPY'), ('0.001 BHD'),
             ('1.250000 USDT/6'), ('120 POINTS/0'), ('3 USD/4'), ('3 USD/2'),
             ('92233720368547758.07 CNY'), ('-9223372036854775808 JPY'),
             ('-9.223372036854775808 A/18'), ('0.000000000000000001 A/18'),
             ('-9223372036.854775808 BIG/9')) v(a);
-- the numeric is exactly the amount's number, for every number of decimals
-- and the extremes of the range
SELECT count(*) AS checked,
       count(*) FILTER (WHERE a::numeric::text <> split_part(a::text, ' ', 1)) AS differing
FROM generate_series(0, 18) n,
     unnest(ARRAY[-9223372036854775808, -9223372036854775807, -1000000000000000000,
                  -123456789012345678, -1, 0, 1, 99999, 123456789012345678,
                  999999999999999999, 9223372036854775807]) u,
     LATERAL ledger.amount_of_units(u, 'A/' || n) a;
-- the numeric keeps the currency's scale, and the amount comes back from it
SELECT a::numeric::text AS numeric_text,
       ledger.amount(a::numeric, ledger.currency(a)) = a AS round_trip
FROM amount_t WHERE a IS NOT NULL ORDER BY id;

SELECT ledger.zero('CNY') AS cny, ledger.zero('jpy') AS jpy, ledger.zero('USDT/6') AS usdt,
       ledger.zero('BHD') AS bhd, ledger.zero('USD/4') AS usd4, ledger.zero('XAU/0') AS xau;
SELECT ledger.amount_of_units(1234, 'CNY') AS cny, ledger.amount_of_units(-1, 'BHD') AS bhd,
       ledger.amount_of_units(1250000, 'usdt/6') AS usdt,
       ledger.amount_of_units(-9223372036854775808, 'CNY') AS min,
       ledger.amount_of_units(9223372036854775807, 'JPY') AS max;
SELECT stmt, t.state, t.message, t.detail
FROM (VALUES
	($$SELECT ledger.zero('XAU')$$),
	($$SELECT ledger.zero('ABC')$$),
	($$SELECT ledger.zero('')$$),
	($$SELECT ledger.zero('CNY/19')$$),
	($$SELECT ledger.amount_of_units(1, 'XTS')$$),
	($$SELECT ledger.amount_of_units(1, 'TOOLONGCODE13')$$),
	($$SELECT ledger.amount_of_units(1, 'C-Y')$$)
) v(stmt),
LATERAL pg_temp.try(stmt) t;

--
-- sum, min, max
--
SELECT sum(a) AS cny FROM amount_t WHERE ledger.currency(a) = 'CNY';
SELECT sum(a) AS none FROM amount_t WHERE false;
SELECT sum(a) AS only_nulls FROM amount_t WHERE a IS NULL;
SELECT ledger.currency(a) AS currency, sum(a), min(a), max(a), count(a)
FROM amount_t GROUP BY 1 ORDER BY 1;

-- the total is exact: intermediate sums beyond 64 bits are fine when the
-- result comes back into range; only a final result beyond is 22003
SELECT sum(a) AS back_in_range
FROM (VALUES ('9223372036854775807 JPY'::ledger.amount), ('9223372036854775807 JPY'),
             ('9223372036854775807 JPY'), ('-9223372036854775808 JPY'),
             ('-9223372036854775808 JPY'), ('-9223372036854775808 JPY'), ('1 JPY')) v(a);
SELECT sum(ledger.amount_of_units(-9223372036854775808, 'CNY')) AS min_sum
FROM generate_series(1, 1);
SELECT sum(a) FROM (VALUES ('92233720368547758.07 CNY'::ledger.amount), ('0.01 CNY')) v(a);
SELECT stmt, t.state, t.message
FROM (VALUES
	($$SELECT sum(a) FROM (VALUES ('92233720368547758.07 CNY'::ledger.amount), ('0.01 CNY')) v(a)$$),
	($$SELECT sum(a) FROM (VALUES ('-92233720368547758.08 CNY'::ledger.amount), ('-0.01 CNY')) v(a)$$),
	($$SELECT sum(ledger.amount_of_units(9223372036854775807, 'JPY')) FROM generate_series(1, 1000)$$),
	($$SELECT sum(a) FROM (VALUES ('1 CNY'::ledger.amount), ('1 USD')) v(a)$$),
	($$SELECT sum(a) FROM (VALUES ('1 USD'::ledger.amount), (NULL), ('1 USD/4')) v(a)$$),
	($$SELECT sum(a) FROM amount_t$$)
) v(stmt),
LATERAL pg_temp.try(stmt) t;

-- sum as a window aggregate, with a moving frame: when the frame has emptied
-- of amounts it may continue in another currency
CREATE TABLE amount_w (id int, a ledger.amount);
INSERT INTO amount_w VALUES
	(1, '1 CNY'), (2, '2 CNY'), (3, NULL), (4, NULL), (5, '3 USD'), (6, '4 USD'),
	(7, NULL), (8, '5 USD/4'), (9, NULL), (10, '-6 USD/4');
SELECT id, a,
       sum(a) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS two_rows,
       sum(a) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) AS two_before,
       min(a) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS min,
       max(a) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS max
FROM amount_w ORDER BY id;
SELECT id, a, sum(a) OVER (PARTITION BY ledger.currency(a) ORDER BY id) AS running,
       sum(a) OVER (PARTITION BY ledger.currency(a)) AS total
FROM amount_w WHERE a IS NOT NULL ORDER BY id;
-- a frame that holds two currencies at once
SELECT id, sum(a) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)
FROM amount_w ORDER BY id;
DROP TABLE amount_w;

-- the moving state is 128 bits wide too: frames whose state passes beyond
-- 64 bits while rows leave and join, and a frame whose total is beyond
CREATE TABLE amount_w (id int, a ledger.amount);
INSERT INTO amount_w VALUES
	(1, '-9223372036854775807 JPY'), (2, '9223372036854775807 JPY'),
	(3, '9223372036854775807 JPY'), (4, '-9223372036854775807 JPY'),
	(5, '-9223372036854775807 JPY'), (6, '9223372036854775807 JPY');
SELECT id, a, sum(a) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)
FROM amount_w ORDER BY id;
SELECT id, a, sum(a) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
FROM amount_w ORDER BY id;
DROP TABLE amount_w;

--
-- Parallel aggregation: combine, serialize and deserialize
--
CREATE TABLE amount_p AS
SELECT g,
       ledger.amount_of_units(g * 7919 % 100003 - 50000, (ARRAY['CNY', 'USD', 'USDT/6'])[g % 3 + 1]) AS a,
       ledger.amount_of_units(CASE WHEN g <= 50000 THEN 9223372036854775807 ELSE -9223372036854775807 END,
                              'JPY') AS big
FROM generate_series(1, 100000) g;
ANALYZE amount_p;

SET max_parallel_workers_per_gather = 0;
CREATE TABLE amount_serial AS
SELECT sum(big) AS total, sum(a) FILTER (WHERE ledger.currency(a) = 'CNY') AS cny,
       min(a), max(a), count(*)
FROM amount_p;
CREATE TABLE amount_serial_groups AS
SELECT ledger.currency(a) AS currency, sum(a), min(a), max(a), count(*) FROM amount_p GROUP BY 1;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT sum(big) AS total, sum(a) FILTER (WHERE ledger.currency(a) = 'CNY') AS cny,
       min(a), max(a), count(*)
FROM amount_p;
-- the workers do run: each partial state goes through serialize/deserialize
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT sum(big), sum(a) FILTER (WHERE ledger.currency(a) = 'CNY') FROM amount_p;
SELECT sum(big) AS total, sum(a) FILTER (WHERE ledger.currency(a) = 'CNY') AS cny,
       min(a), max(a), count(*)
FROM amount_p;
SELECT (SELECT row(s.*)::text FROM amount_serial s) =
       (SELECT row(sum(big), sum(a) FILTER (WHERE ledger.currency(a) = 'CNY'), min(a), max(a), count(*))::text
        FROM amount_p) AS parallel_equals_serial;
SELECT ledger.currency(a) AS currency, sum(a), min(a), max(a), count(*)
FROM amount_p GROUP BY 1 ORDER BY 1;
SELECT count(*) AS differing_groups FROM (
	(SELECT ledger.currency(a), sum(a), min(a), max(a), count(*) FROM amount_p GROUP BY 1
	 EXCEPT SELECT * FROM amount_serial_groups)
	UNION ALL
	(SELECT * FROM amount_serial_groups
	 EXCEPT SELECT ledger.currency(a), sum(a), min(a), max(a), count(*) FROM amount_p GROUP BY 1)
) d;
-- different currencies still raise when the partial sums meet
SELECT (pg_temp.try('SELECT sum(a) FROM amount_p')).state AS mixed_currencies;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE amount_p, amount_serial, amount_serial_groups;

DROP TABLE amount_t;
RESET search_path;

-- amount_of_units remembers the last currency it parsed.  In a new session,
-- before it has remembered one, the empty string is no currency either.
\c :DBNAME
SELECT ledger.amount_of_units(1, '');
SELECT ledger.amount_of_units(1, 'CNY') AS cny;
SELECT ledger.amount_of_units(1, '');
SELECT ledger.amount_of_units(1, 'cny') AS cny, ledger.amount_of_units(2, 'CNY') AS cny,
       ledger.amount_of_units(3, 'JPY') AS jpy, ledger.amount_of_units(4, 'CNY') AS cny;
