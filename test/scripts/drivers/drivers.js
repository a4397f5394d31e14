// test/scripts/drivers/drivers.js — what a Node.js payment application does
// through node-postgres (pg), run by test/scripts/drivers.sh:
//   NODE_PATH=... node drivers.js SOCKET_DIR PORT DB
// node-postgres binds every parameter untyped (a JS array becomes an array
// literal '{...}'), returns bigint and numeric as strings, and speaks to the
// Unix socket directly.  Every check prints "ok: ..." or "FAIL: ..."; what a
// reader should know about the driver prints "note: ...".  Exit status 1 on
// any FAIL.
'use strict';
const pg = require('pg');

const [host, port, database] = process.argv.slice(2);
const config = { host, port: Number(port), user: 'postgres', database };
let failures = 0;

function check(what, ok, got) {
	if (ok) console.log('ok: ' + what);
	else { failures++; console.log('FAIL: ' + what + ' (got ' + JSON.stringify(got) + ')'); }
}
const note = (s) => console.log('note: ' + s);

/* the SQLSTATE a call fails with, 'none' if it succeeds */
async function state(p) {
	try { await p(); return 'none'; } catch (e) { return e.code || String(e); }
}

async function one(c, text, values = []) {
	const r = await c.query({ text, values, rowMode: 'array' });
	return r.rows[0][0];
}
const count = (c, like) => one(c, 'SELECT count(*)::int FROM ledger.voucher WHERE idempotency_key LIKE $1', [like]);

/* the README's call: amounts as a JS array of strings */
async function post(c, key, accounts, amounts, summary = null, name = undefined) {
	const r = await c.query({ name, text: 'SELECT ledger.post($1, $2, $3, $4, $5) AS id', values: [key, accounts, amounts, summary, null] });
	return r.rows[0].id;
}

const EXPIRES = new Date(Date.now() + 3 * 86400 * 1000);	// fixed once: a replay sends the same expiry
async function hold(c, key, accounts, amounts) {
	const r = await c.query('SELECT ledger.hold($1, $2, $3, $4, $5, $6) AS id', [key, accounts, amounts, 'withdrawal', 'BANK-' + key, EXPIRES]);
	return r.rows[0].id;
}

async function forms(c) {
	const v1 = await post(c, 'n-1', ['bank', 'w1'], ['100.00 CNY', '-100.00 CNY'], 'top-up');
	check('post with JS arrays of strings; the id comes back as a string (int8)', typeof v1 === 'string' && /^[0-9]+$/.test(v1), v1);
	check('the same call again returns the same voucher', (await post(c, 'n-1', ['bank', 'w1'], ['100.00 CNY', '-100.00 CNY'], 'top-up')) === v1, 'another id');
	check('post with the amounts as one array literal string', (await state(() => post(c, 'n-2', ['w1', 'w2'], '{10.00 CNY,-10.00 CNY}'))) === 'none', 'an error');
	check('post with accounts and amounts as literal strings', (await state(() => post(c, 'n-3', '{w1,w2}', '{"10.00 CNY","-10.00 CNY"}'))) === 'none', 'an error');
	/* named prepared queries: parsed once per connection, then bound and executed */
	const ids = new Set();
	let err = 'none';
	try {
		for (let i = 0; i < 8; i++) {
			ids.add(await post(c, 'n-named-' + i, ['w2', 'w1'], ['0.01 CNY', '-0.01 CNY'], null, 'ledger-post'));
			ids.add(await post(c, 'n-named-l' + i, ['w2', 'w1'], '{0.01 CNY,-0.01 CNY}', null, 'ledger-post'));
		}
		if ((await post(c, 'n-named-0', ['w2', 'w1'], ['0.01 CNY', '-0.01 CNY'], null, 'ledger-post')) !== [...ids][0]) err = 'replay gave another id';
	} catch (e) { err = e.code + ' ' + e.message; }
	check('a named prepared query {name, text, values} executed 16 times (arrays and literals), and a replay', err === 'none' && ids.size === 16, err + ', ' + ids.size);
	check('w2 after all that: 20.00 - 0.16', (await one(c, 'SELECT ledger.balance($1)::text', ['w2'])) === '19.84 CNY', await one(c, 'SELECT ledger.balance($1)::text', ['w2']));
}

async function holds(c) {
	const before = Number(await one(c, 'SELECT ledger.balance($1)::numeric', ['w1']));
	const h1 = await hold(c, 'n-h1', ['w1', 'bank'], ['30.00 CNY', '-30.00 CNY']);
	check('hold with JS arrays and a JS Date expiry', /^[0-9]+$/.test(h1), h1);
	check('the same hold again returns the same id', (await hold(c, 'n-h1', ['w1', 'bank'], ['30.00 CNY', '-30.00 CNY'])) === h1, 'another id');
	check('available is the balance less the hold', Number(await one(c, 'SELECT ledger.available($1)::numeric', ['w1'])) === before - 30, await one(c, 'SELECT ledger.available($1)::text', ['w1']));
	const v = await one(c, 'SELECT ledger.post_hold($1, $2)', [h1, 'n-h1-posted']);
	check('post_hold in full, and its replay gives the same voucher', (await one(c, 'SELECT ledger.post_hold($1, $2)', [h1, 'n-h1-posted'])) === v, v);
	const h2 = await hold(c, 'n-h2', ['w1', 'bank'], ['10.00 CNY', '-10.00 CNY']);
	let s = await state(() => one(c, 'SELECT ledger.post_hold($1, $2, $3)', [h2, 'n-h2-part', ['4.00 CNY', '-4.00 CNY']]));
	check('post_hold in part with a JS array', s === 'none', s);
	const h3 = await hold(c, 'n-h3', ['w1', 'bank'], ['10.00 CNY', '-10.00 CNY']);
	s = await state(() => one(c, 'SELECT ledger.post_hold($1, $2, $3, $4)', [h3, 'n-h3-part', '{2.50 CNY,-2.50 CNY}', 'captured in part']));
	check('post_hold in part with one literal string and a summary', s === 'none', s);
	const h4 = await hold(c, 'n-h4', ['w1', 'bank'], ['5.00 CNY', '-5.00 CNY']);
	s = await state(() => one(c, 'SELECT ledger.post_hold($1, $2, $3)', [h4, 'n-h4-full', null]));
	check('post_hold with null amounts: in full', s === 'none', s);
	const h5 = await hold(c, 'n-h5', ['w1', 'bank'], ['5.00 CNY', '-5.00 CNY']);
	await c.query('SELECT ledger.void_hold($1, $2)', [h5, 'card number invalid']);
	s = await state(() => c.query('SELECT ledger.void_hold($1, $2)', [h5, 'again']));
	check('void_hold, and again: 55000 (a hold is settled once)', s === '55000', s);
	const after = await one(c, 'SELECT ledger.balance($1)::numeric', ['w1']);
	check('w1: 30.00 + 4.00 + 2.50 + 5.00 posted from holds, nothing pending',
	      Number(after) === before - 41.5 && (await one(c, "SELECT ledger.balance('w1')::text = ledger.available('w1')::text")) === true, after);
}

async function reading(c) {
	check('ledger.balance(code) as text: "19.84 CNY"', (await one(c, 'SELECT ledger.balance($1)', ['w2'])) === '19.84 CNY', await one(c, 'SELECT ledger.balance($1)', ['w2']));
	const r = await c.query('SELECT ledger.balance($1)::numeric AS n, ledger.amount_to_numeric(ledger.balance($1)) AS m, ledger.currency(ledger.balance($1)) AS cur', ['w2']);
	check('balance(...)::numeric and amount_to_numeric(...) arrive as the strings "19.84" (node-postgres leaves numeric as text: no float)',
	      r.rows[0].n === '19.84' && r.rows[0].m === '19.84' && r.rows[0].cur === 'CNY', r.rows[0]);
	/* a JS Date for a book date: node-postgres sends it in local time with its offset */
	const local = new Date(2026, 10, 2);	// local midnight of 2026-11-02
	const h = await c.query('SELECT book_date, book_date::text AS day, balance::numeric AS balance FROM ledger.account_history($1, $2) ORDER BY voucher_id, line_no', ['w2', local]);
	const last = h.rows[h.rows.length - 1];
	/* book_date comes back as a JS Date from pg-types 2 (npm's pg 8), as the string from pg-types 4 (Debian 12's node-pg) */
	check('account_history(code, JS Date of local midnight): one row per entry, the last balance "19.84"; book_date comes back as a JS Date or as \'2026-11-02\'',
	      h.rows.length === 18 && last.balance === '19.84' && last.day === '2026-11-02' &&
	      (last.book_date instanceof Date || last.book_date === '2026-11-02'), { n: h.rows.length, last });
	check('account_history(code, \'2026-11-02\') with the date as a string: the same rows',
	      (await c.query('SELECT * FROM ledger.account_history($1, $2)', ['w2', '2026-11-02'])).rows.length === 18, 'another count');
	const utc = new Date('2026-11-02');	// UTC midnight: the day before in local time west of Greenwich
	note('a JS Date of UTC midnight (new Date(\'2026-11-02\')) is sent as ' + JSON.stringify(require('pg/lib/utils').prepareValue(utc))
	     + ' under TZ=' + (process.env.TZ || 'the system zone') + ': west of Greenwich that is the day before; send book dates as \'YYYY-MM-DD\' strings');
	const b = await c.query("SELECT account_code, balance, available::numeric AS available FROM ledger.balances WHERE account_code = 'w2'");
	check('ledger.balances view: balance as text, available as numeric string', b.rows[0].balance === '19.84 CNY' && b.rows[0].available === '19.84', b.rows[0]);
}

async function errors(c) {
	try {
		await post(c, 'n-e1', ['w1', 'w2'], ['1.00 CNY', '-2.00 CNY']);
		check('unbalanced voucher refused', false, 'no error');
	} catch (e) {
		check('unbalanced: err.code 23514, no internal CONTEXT (err.where undefined)', e.code === '23514' && e.where === undefined, [e.code, e.where]);
	}
	try {
		await post(c, 'n-1', ['bank', 'w1'], ['99.00 CNY', '-99.00 CNY'], 'top-up');
		check('key reused with other content refused', false, 'no error');
	} catch (e) {
		check('key reused with other content: err.code 23505, err.detail says what differs', e.code === '23505' && /.+/.test(e.detail || '') && e.where === undefined, [e.code, e.detail]);
	}
	check('unknown account: 23503', (await state(() => post(c, 'n-e3', ['w1', 'nope'], ['1.00 CNY', '-1.00 CNY']))) === '23503', 'other');
	check('malformed amount: 22P02', (await state(() => post(c, 'n-e4', ['w1', 'w2'], ['1.001 CNY', '-1.001 CNY']))) === '22P02', 'other');
	/* in a transaction: a refused post aborts it (25P02) unless the application uses a savepoint */
	await c.query('BEGIN');
	await post(c, 'n-tx-1', ['w1', 'w2'], ['1.00 CNY', '-1.00 CNY']);
	await c.query('SAVEPOINT p');
	const s = await state(() => post(c, 'n-tx-2', ['w1', 'w2'], ['1.00 CNY', '-3.00 CNY']));
	await c.query('ROLLBACK TO SAVEPOINT p');
	await post(c, 'n-tx-3', ['w1', 'w2'], ['1.00 CNY', '-1.00 CNY']);
	await c.query('COMMIT');
	check('in a transaction: a post refused (23514) and rolled back to a savepoint, the next post and the commit succeed',
	      s === '23514' && (await count(c, 'n-tx-%')) === 2, [s, await count(c, 'n-tx-%')]);
}

/* a pool's reset between uses: the extension's cached plans survive DISCARD ALL; node-postgres's named statements do not */
async function resets() {
	const pool = new pg.Pool({ ...config, max: 1 });
	let n = 0, err = 'none';
	try {
		for (const reset of ['DISCARD ALL', 'DEALLOCATE ALL', 'RESET ALL', 'DISCARD PLANS', 'DISCARD SEQUENCES', 'DISCARD ALL']) {
			const c = await pool.connect();
			for (let i = 0; i < 6; i++, n++) {
				await post(c, 'n-r-' + n, ['w2', 'w1'], ['0.10 CNY', '-0.10 CNY']);
				await hold(c, 'n-rh-' + n, ['w2', 'w1'], ['0.01 CNY', '-0.01 CNY']);
				await one(c, 'SELECT ledger.balance($1)::text || ledger.available($1)::text', ['w2']);
			}
			await c.query(reset);
			c.release();
		}
	} catch (e) { err = e.code + ' ' + e.message; }
	check('unnamed queries: posts, holds and balances go on after DISCARD ALL, DEALLOCATE ALL, RESET ALL, DISCARD PLANS/SEQUENCES',
	      err === 'none' && (await count(pool, 'n-r-%')) === n, [err, n]);
	const c = await pool.connect();
	await post(c, 'n-rn-1', ['w2', 'w1'], ['0.10 CNY', '-0.10 CNY'], null, 'ledger-post');
	await c.query('DISCARD ALL');
	const s = await state(() => post(c, 'n-rn-2', ['w2', 'w1'], ['0.10 CNY', '-0.10 CNY'], null, 'ledger-post'));
	note('node-postgres: a named query after DISCARD ALL on the same connection: ' + s
	     + (s === '26000' ? ' (node-postgres remembers the statement the server dropped: a pool that resets with DISCARD ALL must not use named queries)' : ''));
	c.release();
	await pool.query("SELECT ledger.void_hold(id) FROM ledger.hold WHERE status = 'pending'");
	await pool.end();
}

async function hostilePath(c) {
	await c.query('DROP SCHEMA IF EXISTS "Evil Node" CASCADE');
	await c.query('CREATE SCHEMA "Evil Node"');
	await c.query('CREATE TABLE "Evil Node".account (id bigint, code text)');
	await c.query('CREATE FUNCTION "Evil Node".evil_eq(text, text) RETURNS boolean LANGUAGE sql AS \'SELECT false\'');
	await c.query('CREATE OPERATOR "Evil Node".= (LEFTARG = text, RIGHTARG = text, FUNCTION = "Evil Node".evil_eq)');
	await c.query('CREATE FUNCTION "Evil Node".now() RETURNS timestamptz LANGUAGE sql AS $$SELECT \'2000-01-01\'::timestamptz$$');
	const before = Number(await one(c, 'SELECT ledger.balance($1)::numeric', ['w1']));
	await c.query('SET search_path = "Evil Node", pg_catalog, "$user", public');
	let err = 'none';
	try {
		const v = await post(c, 'n-sp', ['w1', 'w2'], ['0.50 CNY', '-0.50 CNY'], null, 'ledger-post-sp');
		if ((await post(c, 'n-sp', ['w1', 'w2'], ['0.50 CNY', '-0.50 CNY'], null, 'ledger-post-sp')) !== v) err = 'replay gave another id';
		const h = await hold(c, 'n-sph', ['w2', 'w1'], ['0.20 CNY', '-0.20 CNY']);
		await one(c, 'SELECT ledger.post_hold($1, $2, $3)', [h, 'n-sph-p', ['0.20 CNY', '-0.20 CNY']]);
		await one(c, 'SELECT count(*) FROM ledger.account_history($1, $2)', ['w1', '2026-11-02']);
		await one(c, 'SELECT ledger.available($1)::text', ['w1']);
	} catch (e) { err = e.code + ' ' + e.message; }
	await c.query('RESET search_path');
	const after = Number(await one(c, 'SELECT ledger.balance($1)::numeric', ['w1']));
	check('post, replay, hold, post_hold, account_history, available under search_path "Evil Node", pg_catalog, "$user", public',
	      err === 'none' && (await count(c, 'n-sp')) === 1 && Math.round((before - after) * 100) === 30, [err, before, after]);
	await c.query('DROP SCHEMA "Evil Node" CASCADE');
}

/*
 * Two clients, SERIALIZABLE, each transaction posting two vouchers from the
 * bounded wallets f1 and f2 (floor 0, 5.00 each) in opposite orders: 40001
 * and 40P01 are retried with the same keys, 23514 (the floor) is a refusal.
 */
async function race() {
	const done = new Map();
	const tally = { '40001': 0, '40P01': 0, '23514': 0 };
	const errors = [];
	let waiting = null;
	/* both clients start each first attempt together */
	const meet = () => {
		if (waiting) { const w = waiting; waiting = null; w(); return Promise.resolve(); }
		return new Promise((resolve) => { waiting = resolve; setTimeout(() => { if (waiting === resolve) { waiting = null; resolve(); } }, 2000); });
	};
	async function worker(who) {
		const c = new pg.Client(config);
		await c.connect();
		const order = who === 0 ? ['f1', 'f2'] : ['f2', 'f1'];
		try {
			for (let i = 0; i < 5; i++) {
				const k = 'n-race-' + who + '-' + i;
				for (let attempt = 1; ; attempt++) {
					try {
						await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
						await one(c, 'SELECT ledger.available($1)::text', [order[0]]);
						if (attempt === 1) await meet();
						const a = await post(c, k + '-a', [order[0], 'sink' + who], ['1.00 CNY', '-1.00 CNY'], null, 'race-post');
						const b = await post(c, k + '-b', [order[1], 'sink' + who], ['1.00 CNY', '-1.00 CNY'], null, 'race-post');
						await c.query('COMMIT');
						done.set(k + '-a', a);
						done.set(k + '-b', b);
						break;
					} catch (e) {
						await c.query('ROLLBACK');
						if (e.code in tally) tally[e.code]++;
						if (e.code === '40001' || e.code === '40P01') continue;
						if (e.code !== '23514') errors.push(e.code + ' ' + e.message);
						break;
					}
				}
			}
		} finally {
			await c.end();
		}
	}
	await Promise.all([worker(0), worker(1)]);
	check('race: no error but 40001, 40P01 and 23514', errors.length === 0, errors);
	const c = new pg.Client(config);
	await c.connect();
	const told = [...done].map(([k, id]) => k + '=' + id);
	const r = await c.query(`SELECT count(*)::int AS n, bool_and(v.id = d.id) AS same
	                           FROM ledger.voucher v JOIN (SELECT split_part(x, '=', 1) AS k, split_part(x, '=', 2)::bigint AS id FROM unnest($1::text[]) x) d
	                             ON d.k = v.idempotency_key`, [told]);
	const vouchers = await count(c, 'n-race-%');
	check('race: ' + done.size / 2 + ' transactions committed, ' + tally['23514'] + ' refused by the floor, ' + tally['40001'] + ' retried on 40001, '
	      + tally['40P01'] + ' on 40P01; every voucher a client was told of exists with its id, no other',
	      vouchers === done.size && r.rows[0].n === done.size && r.rows[0].same === true, [vouchers, done.size, r.rows[0]]);
	const bal = await one(c, "SELECT (ledger.balance('f1')::numeric + ledger.balance('f2')::numeric) || ' ' || (ledger.balance('sink0')::numeric + ledger.balance('sink1')::numeric)");
	const spent = done.size;
	check('race: the wallets hold 10.00 less the successful posts, never below the floor',
	      bal === (10 - spent).toFixed(2) + ' ' + spent.toFixed(2)
	      && (await one(c, "SELECT ledger.balance('f1')::numeric >= 0 AND ledger.balance('f2')::numeric >= 0")) === true, bal);
	await c.end();
}

(async () => {
	const c = new pg.Client(config);
	await c.connect();
	try {
		await forms(c);
		await holds(c);
		await reading(c);
		await errors(c);
		await resets();
		await hostilePath(c);
	} finally {
		await c.end();
	}
	await race();
	console.log(failures === 0 ? 'node: all checks passed' : 'node: ' + failures + ' checks failed');
	process.exit(failures === 0 ? 0 : 1);
})().catch((e) => { console.log('FAIL: ' + (e.code || '') + ' ' + e.stack); process.exit(1); });
