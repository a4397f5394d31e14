-- sql/areas/02-accounts.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 2. Chart of accounts
-- ===========================================================================

CREATE SEQUENCE ledger.account_id_seq;
COMMENT ON SEQUENCE ledger.account_id_seq IS 'ids of ledger.account';

CREATE TABLE ledger.account (
	id          bigint NOT NULL DEFAULT nextval('ledger.account_id_seq'),
	code        text NOT NULL,
	name        text NOT NULL,
	parent_code text NULL,
	kind        text NOT NULL,
	currency    text NULL,
	floor       ledger.amount NULL,
	ceiling     ledger.amount NULL,
	hot         boolean NOT NULL DEFAULT false,
	status      text NOT NULL DEFAULT 'open',
	created_at  timestamptz NOT NULL DEFAULT now(),
	metadata    jsonb NULL,
	reconcilable boolean NOT NULL DEFAULT false,
	CONSTRAINT account_pkey PRIMARY KEY (id),
	CONSTRAINT account_code_key UNIQUE (code),
	CONSTRAINT account_parent_fkey FOREIGN KEY (parent_code)
		REFERENCES ledger.account (code) ON UPDATE RESTRICT ON DELETE RESTRICT,
	-- the characters a code may not hold are listed by code point, the same in
	-- every locale: C0 and C1 controls, DEL, every Unicode space (NBSP, U+2000
	-- to U+200A, U+3000, ...), the zero-width and format characters (soft
	-- hyphen, ZWSP, ZWJ, word joiner, BOM, tags), the bidirectional marks,
	-- embeddings and isolates, the line and paragraph separators
	CONSTRAINT account_code_check CHECK (code ~ '^[^\u0001-\u0020\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]{1,64}$'),
	CONSTRAINT account_kind_check CHECK (kind IN ('asset', 'liability', 'common', 'equity', 'cost', 'revenue', 'expense')),
	CONSTRAINT account_status_check CHECK (status IN ('open', 'frozen', 'closed')),
	CONSTRAINT account_hot_unbounded CHECK (NOT hot OR (floor IS NULL AND ceiling IS NULL)),
	CONSTRAINT account_normal_side_check CHECK (metadata IS NULL OR metadata->>'normal_side' IS NULL
		OR (kind = 'common' AND metadata->>'normal_side' IN ('debit', 'credit')))
);
ALTER SEQUENCE ledger.account_id_seq OWNED BY ledger.account.id;
CREATE INDEX account_parent_code_idx ON ledger.account (parent_code);

COMMENT ON TABLE ledger.account IS 'chart of accounts (会计科目): a tree of summary accounts and postable leaf accounts, one currency each';
COMMENT ON COLUMN ledger.account.id IS 'account id, referenced by ledger.entry.account_id';
COMMENT ON COLUMN ledger.account.code IS 'account code, e.g. ''1002.01'': 1 to 64 characters (not bytes) without white space, control, format or bidirectional characters, compared whole; immutable once posted to';
COMMENT ON COLUMN ledger.account.name IS 'account name';
COMMENT ON COLUMN ledger.account.parent_code IS 'code of the summary account above this one (NULL at the top of the tree)';
COMMENT ON COLUMN ledger.account.kind IS 'asset, liability, common, equity, cost, revenue or expense (资产/负债/共同/所有者权益/成本/损益)';
COMMENT ON COLUMN ledger.account.currency IS 'currency as ledger.currency() writes it; NULL only for a multi-currency summary account';
COMMENT ON COLUMN ledger.account.floor IS 'lowest allowed balance on the normal side (e.g. ''0 CNY'' for a wallet), checked exactly at posting';
COMMENT ON COLUMN ledger.account.ceiling IS 'highest allowed balance on the normal side, checked exactly at posting';
COMMENT ON COLUMN ledger.account.hot IS 'account most vouchers touch (热点账户): its balance is spread over slots so posters never queue on one row';
COMMENT ON COLUMN ledger.account.status IS 'open; frozen (no postings); closed (no postings, balance zero)';
COMMENT ON COLUMN ledger.account.created_at IS 'when the account was created';
COMMENT ON COLUMN ledger.account.metadata IS 'free-form attributes; for a common account, normal_side = debit | credit';
COMMENT ON COLUMN ledger.account.reconcilable IS 'a clearing or settlement account that ledger.reconcile may read (set by the accounts operator); reconciling any other account is refused';

/*
 * Maintained balances.  An ordinary account has one row (slot 0); a hot
 * account has ledger.hot_slots rows and each posting session adds to the slot
 * of its backend, so concurrent posters do not wait for each other.  The
 * balance is the sum of the slots.  blocked, floor_units and ceiling_units
 * repeat the account's state on the row that posters lock, so that a change
 * of status or bounds and a posting are serialised by the same row lock.
 */
CREATE TABLE ledger.account_balance (
	account_id    bigint NOT NULL REFERENCES ledger.account (id) ON DELETE CASCADE,
	slot          integer NOT NULL,
	units         bigint NOT NULL DEFAULT 0,
	blocked       text NULL,
	floor_units   bigint NULL,
	ceiling_units bigint NULL,
	held_debit    bigint NOT NULL DEFAULT 0,
	held_credit   bigint NOT NULL DEFAULT 0,
	CONSTRAINT account_balance_pkey PRIMARY KEY (account_id, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE ledger.account_balance IS 'maintained balances, one row per account (several slots for a hot account)';
COMMENT ON COLUMN ledger.account_balance.account_id IS 'the account';
COMMENT ON COLUMN ledger.account_balance.slot IS '0 for an ordinary account; 0 .. ledger.hot_slots-1 for a hot account';
COMMENT ON COLUMN ledger.account_balance.units IS 'sum of the entries booked into this slot, in minor units, debit positive';
COMMENT ON COLUMN ledger.account_balance.blocked IS 'why the account takes no postings (frozen, closed, summary), NULL if it does';
COMMENT ON COLUMN ledger.account_balance.floor_units IS 'the account''s floor on its normal side, in minor units';
COMMENT ON COLUMN ledger.account_balance.ceiling_units IS 'the account''s ceiling on its normal side, in minor units';
COMMENT ON COLUMN ledger.account_balance.held_debit IS 'debits of the account''s pending holds booked into this slot, in minor units, positive';
COMMENT ON COLUMN ledger.account_balance.held_credit IS 'credits of the account''s pending holds booked into this slot, in minor units, positive';

/*
 * The chart as a tree: every account paired with itself (depth 0) and with
 * each of its ancestors (depth = levels up).  Kept by the account triggers,
 * so that reports roll up and indent without walking the tree.
 */
CREATE TABLE ledger.account_tree (
	account_id  bigint NOT NULL REFERENCES ledger.account (id) ON DELETE CASCADE,
	ancestor_id bigint NOT NULL REFERENCES ledger.account (id) ON DELETE CASCADE,
	depth       integer NOT NULL,
	CONSTRAINT account_tree_pkey PRIMARY KEY (account_id, ancestor_id)
);
CREATE INDEX account_tree_ancestor_idx ON ledger.account_tree (ancestor_id);
COMMENT ON TABLE ledger.account_tree IS 'every account with itself and each of its ancestors, kept by the account triggers';
COMMENT ON COLUMN ledger.account_tree.account_id IS 'the account';
COMMENT ON COLUMN ledger.account_tree.ancestor_id IS 'the account itself or a summary account above it';
COMMENT ON COLUMN ledger.account_tree.depth IS 'levels from the account up to the ancestor (0 for the account itself)';

