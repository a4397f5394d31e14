// test/scripts/drivers/Drivers.java — what a Java payment application does
// through pgjdbc (Debian libpostgresql-jdbc-java), run by test/scripts/drivers.sh:
//   java -cp /usr/share/java/postgresql.jar Drivers.java SOCKET DB
// SOCKET is the cluster's Unix socket (the test cluster listens on no TCP
// port); pgjdbc speaks TCP only, so the program relays a loopback port of its
// own to the socket.  Every check prints "ok: ..." or "FAIL: ..."; what a
// reader should know about the driver prints "note: ...".  Exit status 1 on
// any FAIL.
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.sql.*;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.util.PSQLException;

public class Drivers {
	static String url;
	static int failures = 0;

	static void check(String what, boolean ok, Object got) {
		if (ok)
			System.out.println("ok: " + what);
		else {
			failures++;
			System.out.println("FAIL: " + what + " (got " + got + ")");
		}
	}

	static void note(String s) { System.out.println("note: " + s); }

	static Connection connect(String params) throws SQLException {
		return DriverManager.getConnection(url + params);
	}

	interface Call { void run() throws Exception; }

	/* the SQLSTATE a call fails with, "none" if it succeeds */
	static String state(Call c) throws Exception {
		try {
			c.run();
			return "none";
		} catch (SQLException e) {
			return e.getSQLState();
		}
	}

	static String str(Connection c, String sql, Object... args) throws SQLException {
		try (PreparedStatement ps = c.prepareStatement(sql)) {
			for (int i = 0; i < args.length; i++)
				ps.setObject(i + 1, args[i]);
			try (ResultSet rs = ps.executeQuery()) {
				rs.next();
				return rs.getString(1);
			}
		}
	}

	static long count(Connection c, String like) throws SQLException {
		return Long.parseLong(str(c, "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE ?", like));
	}

	static Array text(Connection c, String... v) throws SQLException { return c.createArrayOf("text", v); }

	/* the README's call: key, accounts and amounts as text[], summary, ref */
	static long post(Connection c, String key, String[] accounts, String[] amounts, String summary) throws SQLException {
		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.post(?, ?, ?, ?, ?)")) {
			ps.setString(1, key);
			ps.setArray(2, c.createArrayOf("text", accounts));
			ps.setArray(3, c.createArrayOf("text", amounts));
			ps.setString(4, summary);
			ps.setNull(5, Types.VARCHAR);
			try (ResultSet rs = ps.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
	}

	static String[] a(String... v) { return v; }

	public static void main(String[] args) throws Exception {
		int port = relay(args[0]);
		url = "jdbc:postgresql://127.0.0.1:" + port + "/" + args[1] + "?user=postgres";
		try (Connection c = connect("")) {
			note(c.getMetaData().getDriverName() + " " + c.getMetaData().getDriverVersion());
			c.setAutoCommit(true);
			forms(c);
			batches(c);
			holds(c);
			reading(c);
			errors(c);
		}
		autosave();
		resets();
		hostilePath();
		race();
		System.out.println(failures == 0 ? "java: all checks passed" : "java: " + failures + " checks failed");
		System.exit(failures == 0 ? 0 : 1);
	}

	/* amounts as createArrayOf("text"), setObject(String[]), setString of a literal; every prepareThreshold */
	static void forms(Connection c) throws Exception {
		long v1 = post(c, "j-1", a("bank", "w1"), a("100.00 CNY", "-100.00 CNY"), "top-up");
		check("post with createArrayOf(\"text\", ...) returns a voucher id", v1 > 0, v1);
		check("the same call again returns the same voucher", post(c, "j-1", a("bank", "w1"), a("100.00 CNY", "-100.00 CNY"), "top-up") == v1, "another id");

		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.post(?, ?, ?, ?, ?)")) {
			ps.setString(1, "j-2");
			ps.setObject(2, new String[] {"w1", "w2"});
			ps.setObject(3, new String[] {"10.00 CNY", "-10.00 CNY"});
			ps.setString(4, "setObject String[]");
			ps.setNull(5, Types.VARCHAR);
			check("post with setObject(String[])", state(() -> ps.executeQuery().close()).equals("none"), "an error");
			ps.setString(1, "j-3");
			ps.setArray(2, text(c, "w1", "w2"));
			ps.setString(3, "{10.00 CNY,-10.00 CNY}");
			ps.setString(4, "setString literal");
			check("post with the amounts as one array literal through setString (varchar)", state(() -> ps.executeQuery().close()).equals("none"), "an error");
			ps.setString(1, "j-3b");
			ps.setString(2, "{w1,w2}");
			String s = state(() -> ps.executeQuery().close());
			check("accounts as a literal through setString: 42883 without stringtype=unspecified (varchar is no text[])", s.equals("42883"), s);
		}
		try (Connection u = connect("&stringtype=unspecified");
		     PreparedStatement ps = u.prepareStatement("SELECT ledger.post(?, ?, ?, ?, ?)")) {
			ps.setString(1, "j-4");
			ps.setString(2, "{w1,w2}");
			ps.setString(3, "{1.00 CNY,-1.00 CNY}");
			ps.setString(4, "stringtype=unspecified");
			ps.setString(5, null);
			check("stringtype=unspecified: accounts and amounts as literals through setString", state(() -> ps.executeQuery().close()).equals("none"), "an error");
			ps.setString(1, "j-5");
			ps.setArray(3, text(u, "1.00 CNY", "-1.00 CNY"));
			check("stringtype=unspecified: amounts as createArrayOf(\"text\")", state(() -> ps.executeQuery().close()).equals("none"), "an error");
		}
		check("five vouchers from the five forms that resolve", count(c, "j-_") == 5 && count(c, "j-3b") == 0, count(c, "j-%"));

		/* one PreparedStatement executed many times: pgjdbc moves to a named server-side statement */
		String[] modes = {"prepareThreshold=0", "prepareThreshold=1", "prepareThreshold=-1", "prepareThreshold=5", "preferQueryMode=simple"};
		for (int m = 0; m < modes.length; m++) {
			String threshold = String.valueOf(m);
			try (Connection p = connect("&" + modes[m]);
			     PreparedStatement ps = p.prepareStatement("SELECT ledger.post(?, ?, ?, ?, ?)");
			     PreparedStatement pl = p.prepareStatement("SELECT ledger.post(?, ?, ?, ?, ?)");
			     PreparedStatement po = p.prepareStatement("SELECT ledger.post(?, ?, ?, ?, ?)")) {
				Set<Long> ids = new HashSet<>();
				long first = 0;
				String err = "none";
				try {
					for (int i = 0; i < 8; i++) {
						ps.setString(1, "j-t" + threshold + "-" + i);
						ps.setArray(2, text(p, "w2", "w1"));
						ps.setArray(3, text(p, "0.01 CNY", "-0.01 CNY"));
						ps.setString(4, null);
						ps.setNull(5, Types.VARCHAR);
						try (ResultSet rs = ps.executeQuery()) { rs.next(); ids.add(rs.getLong(1)); if (i == 0) first = rs.getLong(1); }
						pl.setString(1, "j-l" + threshold + "-" + i);
						pl.setArray(2, text(p, "w2", "w1"));
						pl.setString(3, "{0.01 CNY,-0.01 CNY}");
						pl.setNull(4, Types.VARCHAR);
						pl.setNull(5, Types.VARCHAR);
						try (ResultSet rs = pl.executeQuery()) { rs.next(); ids.add(rs.getLong(1)); }
						po.setString(1, "j-o" + threshold + "-" + i);
						po.setObject(2, new String[] {"w2", "w1"});
						po.setObject(3, new String[] {"0.01 CNY", "-0.01 CNY"});
						po.setNull(4, Types.VARCHAR);
						po.setNull(5, Types.VARCHAR);
						try (ResultSet rs = po.executeQuery()) { rs.next(); ids.add(rs.getLong(1)); }
					}
					/* a replay on the named statement */
					ps.setString(1, "j-t" + threshold + "-0");
					try (ResultSet rs = ps.executeQuery()) { rs.next(); ids.add(rs.getLong(1)); if (rs.getLong(1) != first) err = "replay gave another id"; }
				} catch (SQLException e) {
					err = e.getSQLState() + " " + e.getMessage();
				}
				check(modes[m] + ": 24 posts through three statements executed 8 times each, and a replay",
				      err.equals("none") && ids.size() == 24, err + ", " + ids.size() + " ids");
			}
		}
		check("prepareThreshold and preferQueryMode: 120 vouchers, none twice", count(c, "j-t%") + count(c, "j-l%") + count(c, "j-o%") == 120, count(c, "j-t%") + count(c, "j-l%") + count(c, "j-o%"));
		check("w2 after all that: 22.00 - 1.20", str(c, "SELECT ledger.balance(?)::text", "w2").equals("20.80 CNY"), str(c, "SELECT ledger.balance(?)::text", "w2"));
		try (PreparedStatement ps = c.prepareStatement("SELECT pg_typeof(?)::text || ', ' || pg_typeof(?)::text || ', ' || pg_typeof(?)::text")) {
			ps.setString(1, "x");
			ps.setObject(2, new String[] {"x"});
			ps.setArray(3, text(c, "x"));
			try (ResultSet rs = ps.executeQuery()) {
				rs.next();
				note("the types pgjdbc binds for setString, setObject(String[]), createArrayOf(\"text\"): " + rs.getString(1));
			}
		}
	}

	/* executeBatch in autocommit and in one transaction, and with an unbalanced voucher in the middle */
	static void batches(Connection c) throws Exception {
		String sql = "SELECT ledger.post(?, ?, ?, ?, ?)";
		for (boolean auto : new boolean[] {true, false}) {
			String tag = auto ? "autocommit" : "transaction";
			String k = auto ? "j-ba-" : "j-bt-";
			c.setAutoCommit(auto);
			try (PreparedStatement ps = c.prepareStatement(sql)) {
				for (int i = 0; i < 4; i++) {
					ps.setString(1, k + i);
					ps.setArray(2, text(c, "bank", "w1"));
					ps.setArray(3, text(c, "1.00 CNY", "-1.00 CNY"));
					ps.setString(4, "batch");
					ps.setNull(5, Types.VARCHAR);
					ps.addBatch();
				}
				int[] n = ps.executeBatch();
				if (!auto)
					c.commit();
				check("executeBatch (" + tag + ") of four posts: update counts " + Arrays.toString(n), n.length == 4, Arrays.toString(n));
				check("executeBatch (" + tag + "): four vouchers", count(c, k + "%") == 4, count(c, k + "%"));
			} catch (SQLException e) {
				check("executeBatch (" + tag + ") of four posts", false, e.getSQLState() + " " + e.getMessage());
				if (!auto) c.rollback();
			}
			/* the third of five does not balance */
			String u = auto ? "j-bua-" : "j-but-";
			try (PreparedStatement ps = c.prepareStatement(sql)) {
				for (int i = 0; i < 5; i++) {
					ps.setString(1, u + i);
					ps.setArray(2, text(c, "bank", "w1"));
					ps.setArray(3, i == 2 ? text(c, "1.00 CNY", "-2.00 CNY") : text(c, "1.00 CNY", "-1.00 CNY"));
					ps.setString(4, "batch");
					ps.setNull(5, Types.VARCHAR);
					ps.addBatch();
				}
				ps.executeBatch();
				check("executeBatch (" + tag + ") with an unbalanced voucher fails", false, "no error");
			} catch (BatchUpdateException e) {
				SQLException cause = e.getNextException();
				String st = cause != null ? cause.getSQLState() : e.getSQLState();
				check("executeBatch (" + tag + ") with an unbalanced third voucher: BatchUpdateException, getNextException() is 23514",
				      "23514".equals(st), st);
				if (!auto)
					c.rollback();
				note("batch (" + tag + "), third of five unbalanced: getSQLState() " + e.getSQLState() + ", update counts "
				     + Arrays.toString(e.getUpdateCounts()) + ", vouchers of the batch in the books: " + count(c, u + "%"));
				if (!auto) {
					check("batch in a transaction with an unbalanced voucher: nothing posted after the rollback", count(c, u + "%") == 0, count(c, u + "%"));
				} else {
					long posted = count(c, u + "%");
					/* pgjdbc sends the batch with one Sync: in autocommit it is one implicit transaction */
					check("batch in autocommit with an unbalanced voucher: nothing posted (one implicit transaction)", posted == 0, posted);
				}
			}
			c.setAutoCommit(true);
		}
	}

	static final OffsetDateTime EXPIRES = OffsetDateTime.now().plusDays(3);

	static long hold(Connection c, String key, String[] accounts, String[] amounts) throws SQLException {
		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.hold(?, ?, ?, ?, ?, ?)")) {
			ps.setString(1, key);
			ps.setArray(2, c.createArrayOf("text", accounts));
			ps.setArray(3, c.createArrayOf("text", amounts));
			ps.setString(4, "withdrawal");
			ps.setString(5, "BANK-" + key);
			ps.setObject(6, EXPIRES);	/* fixed once: a replay must send the same expiry */
			try (ResultSet rs = ps.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
	}

	static void holds(Connection c) throws Exception {
		BigDecimal before = new BigDecimal(str(c, "SELECT ledger.balance(?)::numeric", "w1"));
		long h1 = hold(c, "j-h1", a("w1", "bank"), a("30.00 CNY", "-30.00 CNY"));
		check("hold with createArrayOf(\"text\") returns a hold id", h1 > 0, h1);
		check("the same hold again returns the same id", hold(c, "j-h1", a("w1", "bank"), a("30.00 CNY", "-30.00 CNY")) == h1, "another id");
		BigDecimal avail = new BigDecimal(str(c, "SELECT ledger.available(?)::numeric", "w1"));
		check("available is the balance less the hold", avail.compareTo(before.subtract(new BigDecimal("30.00"))) == 0, avail + " from " + before);
		long v;
		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.post_hold(?, ?)")) {
			ps.setLong(1, h1);
			ps.setString(2, "j-h1-posted");
			try (ResultSet rs = ps.executeQuery()) { rs.next(); v = rs.getLong(1); }
			try (ResultSet rs = ps.executeQuery()) { rs.next(); check("post_hold in full, and its replay gives the same voucher", rs.getLong(1) == v && v > 0, rs.getLong(1) + " vs " + v); }
		}
		check("after post_hold in full, balance and available are 30.00 lower",
		      str(c, "SELECT ledger.balance(?)::numeric = ledger.available(?)::numeric AND ledger.balance(?)::numeric = ?", "w1", "w1", "w1", before.subtract(new BigDecimal("30.00"))).equals("t"), "");

		long h2 = hold(c, "j-h2", a("w1", "bank"), a("10.00 CNY", "-10.00 CNY"));
		String s;
		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.post_hold(?, ?, ?)")) {
			ps.setLong(1, h2);
			ps.setString(2, "j-h2-part");
			ps.setArray(3, text(c, "4.00 CNY", "-4.00 CNY"));
			s = state(() -> ps.executeQuery().close());
		}
		check("post_hold in part with the amounts as createArrayOf(\"text\")", s.equals("none"), s);
		if (!s.equals("none")) {
			try (PreparedStatement ps = c.prepareStatement("SELECT ledger.post_hold(?, ?, ?)")) {
				ps.setLong(1, h2);
				ps.setString(2, "j-h2-part");
				ps.setArray(3, c.createArrayOf("ledger.amount", new String[] {"4.00 CNY", "-4.00 CNY"}));
				s = state(() -> ps.executeQuery().close());
				note("post_hold in part with createArrayOf(\"ledger.amount\", ...): " + s);
			}
		}
		long h3 = hold(c, "j-h3", a("w1", "bank"), a("10.00 CNY", "-10.00 CNY"));
		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.post_hold(?, ?, ?, ?)")) {
			ps.setLong(1, h3);
			ps.setString(2, "j-h3-part");
			ps.setString(3, "{2.50 CNY,-2.50 CNY}");
			ps.setString(4, "captured in part");
			s = state(() -> ps.executeQuery().close());
		}
		check("post_hold in part with the amounts as one literal through setString", s.equals("none"), s);
		long h4 = hold(c, "j-h4", a("w1", "bank"), a("5.00 CNY", "-5.00 CNY"));
		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.void_hold(?, ?)")) {
			ps.setLong(1, h4);
			ps.setString(2, "card number invalid");
			ps.executeQuery().close();
			s = state(() -> ps.executeQuery().close());
		}
		check("void_hold, and again: 55000 (a hold is settled once)", s.equals("55000"), s);
		check("no hold of w1 left pending; balance equals available",
		      str(c, "SELECT ledger.balance(?)::text = ledger.available(?)::text AND NOT EXISTS (SELECT 1 FROM ledger.hold WHERE status = 'pending')", "w1", "w1").equals("t"),
		      str(c, "SELECT ledger.balance(?)::text || ' / ' || ledger.available(?)::text", "w1", "w1"));
	}

	static void reading(Connection c) throws Exception {
		String text = str(c, "SELECT ledger.balance(?)", "w2");
		check("ledger.balance(code) through getString: \"20.80 CNY\"", text.equals("20.80 CNY"), text);
		try (PreparedStatement ps = c.prepareStatement("SELECT ledger.balance(?)::numeric, ledger.amount_to_numeric(ledger.balance(?)), ledger.currency(ledger.balance(?))")) {
			ps.setString(1, "w2");
			ps.setString(2, "w2");
			ps.setString(3, "w2");
			try (ResultSet rs = ps.executeQuery()) {
				rs.next();
				BigDecimal d = rs.getBigDecimal(1);
				check("balance(...)::numeric through getBigDecimal: 20.80, scale 2", d.equals(new BigDecimal("20.80")), d);
				check("amount_to_numeric(balance(...)) through getBigDecimal", rs.getBigDecimal(2).equals(new BigDecimal("20.80")), rs.getBigDecimal(2));
				check("currency(balance(...)): CNY", rs.getString(3).equals("CNY"), rs.getString(3));
			}
		}
		try (PreparedStatement ps = c.prepareStatement("SELECT book_date, voucher_id, debit, credit, balance::numeric, summary FROM ledger.account_history(?, ?) ORDER BY voucher_id, line_no")) {
			ps.setString(1, "w2");
			ps.setObject(2, LocalDate.of(2026, 11, 2));
			int n = 0;
			String last = null;
			LocalDate day = null;
			try (ResultSet rs = ps.executeQuery()) {
				while (rs.next()) {
					n++;
					day = rs.getObject(1, LocalDate.class);
					last = rs.getBigDecimal(5).toPlainString();
				}
			}
			check("account_history(code, setObject(LocalDate)): 2026-11-02, one row per entry, the last balance 20.80", n > 20 && "20.80".equals(last) && LocalDate.of(2026, 11, 2).equals(day), n + " rows, last " + last + " on " + day);
		}
		try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT account_code, balance, available::numeric FROM ledger.balances WHERE account_code = 'w2'")) {
			rs.next();
			check("ledger.balances view: balance as text, available as numeric", rs.getString(2).equals("20.80 CNY") && rs.getBigDecimal(3).equals(new BigDecimal("20.80")), rs.getString(2));
		}
	}

	static void errors(Connection c) throws Exception {
		try {
			post(c, "j-e1", a("w1", "w2"), a("1.00 CNY", "-2.00 CNY"), null);
			check("unbalanced voucher refused", false, "no error");
		} catch (PSQLException e) {
			check("unbalanced: PSQLException.getSQLState() 23514, no internal CONTEXT (getWhere() null)",
			      "23514".equals(e.getSQLState()) && e.getServerErrorMessage().getWhere() == null, e.getSQLState() + " where " + e.getServerErrorMessage().getWhere());
		}
		try {
			post(c, "j-1", a("bank", "w1"), a("99.00 CNY", "-99.00 CNY"), "top-up");
			check("key reused with other content refused", false, "no error");
		} catch (PSQLException e) {
			check("key reused with other content: 23505, the DETAIL says what differs",
			      "23505".equals(e.getSQLState()) && e.getServerErrorMessage().getDetail() != null && e.getServerErrorMessage().getWhere() == null,
			      e.getSQLState() + " " + e.getServerErrorMessage().getDetail());
		}
		String s = state(() -> post(c, "j-e3", a("w1", "nope"), a("1.00 CNY", "-1.00 CNY"), null));
		check("unknown account: 23503", s.equals("23503"), s);
		s = state(() -> post(c, "j-e4", a("w1", "w2"), a("1.001 CNY", "-1.001 CNY"), null));
		check("malformed amount: 22P02", s.equals("22P02"), s);
	}

	/* autosave=conservative/always: a failed post inside a transaction is rolled back to a savepoint */
	static void autosave() throws Exception {
		for (String mode : new String[] {"conservative", "always"}) {
			try (Connection c = connect("&autosave=" + mode)) {
				c.setAutoCommit(false);
				post(c, "j-as-" + mode + "-1", a("w1", "w2"), a("1.00 CNY", "-1.00 CNY"), null);
				String s = state(() -> post(c, "j-as-" + mode + "-2", a("w1", "w2"), a("1.00 CNY", "-3.00 CNY"), null));
				String after;
				try {
					post(c, "j-as-" + mode + "-3", a("w1", "w2"), a("1.00 CNY", "-1.00 CNY"), null);
					c.commit();
					after = "committed";
				} catch (SQLException e) {
					after = e.getSQLState();
					c.rollback();
				}
				c.setAutoCommit(true);
				if (mode.equals("always"))
					check("autosave=always: a post refused (23514) inside a transaction, the next post and the commit succeed, two vouchers",
					      s.equals("23514") && after.equals("committed") && count(c, "j-as-always-%") == 2, s + ", then " + after + ", " + count(c, "j-as-always-%"));
				else
					note("autosave=conservative: a post refused (" + s + ") inside a transaction, then the next post: " + after
					     + " (conservative rolls back to its savepoint only for errors a re-run fixes, such as a cached plan"
					     + " gone stale; use autosave=always or a savepoint of your own); " + count(c, "j-as-conservative-%") + " vouchers");
			}
		}
		/* the books: what those transactions committed, no more */
		try (Connection c = connect("")) {
			check("autosave: no voucher refused inside a transaction exists", count(c, "j-as-%-2") == 0, count(c, "j-as-%-2"));
		}
	}

	/* a pool's reset between uses (DISCARD ALL, DEALLOCATE ALL, RESET ALL) and the extension's cached plans */
	static void resets() throws Exception {
		for (String threshold : new String[] {"1", "5"}) {
			try (Connection c = connect("&prepareThreshold=" + threshold)) {
				String err = "none";
				int n = 0;
				try {
					for (String reset : new String[] {"DISCARD ALL", "DEALLOCATE ALL", "RESET ALL", "DISCARD PLANS", "DISCARD SEQUENCES", "DISCARD ALL"}) {
						for (int i = 0; i < 6; i++, n++) {
							post(c, "j-r" + threshold + "-" + n, a("w2", "w1"), a("0.10 CNY", "-0.10 CNY"), null);
							hold(c, "j-rh" + threshold + "-" + n, a("w2", "w1"), a("0.01 CNY", "-0.01 CNY"));
							str(c, "SELECT ledger.balance(?)::text || ledger.available(?)::text", "w2", "w2");
						}
						try (Statement st = c.createStatement()) { st.execute(reset); }
					}
					post(c, "j-r" + threshold + "-" + n++, a("w2", "w1"), a("0.10 CNY", "-0.10 CNY"), null);
				} catch (SQLException e) {
					err = e.getSQLState() + " " + e.getMessage();
				}
				check("prepareThreshold=" + threshold + ": posts, holds and balances go on after DISCARD ALL, DEALLOCATE ALL, RESET ALL, DISCARD PLANS/SEQUENCES",
				      err.equals("none") && count(c, "j-r" + threshold + "-%") == n, err + ", " + count(c, "j-r" + threshold + "-%") + " of " + n);
			}
		}
		try (Connection c = connect("")) {
			try (Statement st = c.createStatement()) {
				st.execute("SELECT ledger.void_hold(id) FROM ledger.hold WHERE status = 'pending'");
			}
		}
	}

	/* objects that look like the ledger's first on the search_path */
	static void hostilePath() throws Exception {
		try (Connection c = connect("")) {
			try (Statement st = c.createStatement()) {
				st.execute("DROP SCHEMA IF EXISTS \"Evil Schema\" CASCADE");
				st.execute("CREATE SCHEMA \"Evil Schema\"");
				st.execute("CREATE TABLE \"Evil Schema\".account (id bigint, code text)");
				st.execute("CREATE TABLE \"Evil Schema\".voucher (id bigint, idempotency_key text)");
				st.execute("CREATE FUNCTION \"Evil Schema\".evil_eq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT false'");
				st.execute("CREATE OPERATOR \"Evil Schema\".= (LEFTARG = text, RIGHTARG = text, FUNCTION = \"Evil Schema\".evil_eq)");
				st.execute("CREATE FUNCTION \"Evil Schema\".evil_eq8(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT false'");
				st.execute("CREATE OPERATOR \"Evil Schema\".= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = \"Evil Schema\".evil_eq8)");
				st.execute("CREATE FUNCTION \"Evil Schema\".now() RETURNS timestamptz LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$");
				st.execute("CREATE FUNCTION \"Evil Schema\".post(text, text[], text[], text, text) RETURNS bigint LANGUAGE sql AS 'SELECT -1::bigint'");
			}
		}
		String path = "\"Evil Schema\", pg_catalog, \"$user\", public";
		for (String threshold : new String[] {"1", "5"}) {
			try (Connection c = connect("&prepareThreshold=" + threshold)) {
				String before = str(c, "SELECT ledger.balance(?)::text", "w1");
				try (Statement st = c.createStatement()) { st.execute("SET search_path = " + path); }
				String err = "none";
				try {
					long v = post(c, "j-sp" + threshold, a("w1", "w2"), a("0.50 CNY", "-0.50 CNY"), null);
					if (post(c, "j-sp" + threshold, a("w1", "w2"), a("0.50 CNY", "-0.50 CNY"), null) != v) err = "replay gave another id";
					long h = hold(c, "j-sph" + threshold, a("w2", "w1"), a("0.20 CNY", "-0.20 CNY"));
					if (!str(c, "SELECT ledger.post_hold(?, ?)::text", h, "j-sph" + threshold + "-p").matches("[0-9]+")) err = "post_hold";
					str(c, "SELECT count(*) FROM ledger.account_history(?, ?)", "w1", LocalDate.of(2026, 11, 2));
					str(c, "SELECT ledger.available(?)::text", "w1");
				} catch (SQLException e) {
					err = e.getSQLState() + " " + e.getMessage();
				}
				try (Statement st = c.createStatement()) { st.execute("RESET search_path"); }
				String after = str(c, "SELECT ledger.balance(?)::text", "w1");
				check("prepareThreshold=" + threshold + ": post, replay, hold, post_hold, account_history, available under search_path " + path,
				      err.equals("none") && count(c, "j-sp" + threshold) == 1
				      && new BigDecimal(after.split(" ")[0]).compareTo(new BigDecimal(before.split(" ")[0]).subtract(new BigDecimal("0.30"))) == 0,
				      err + "; w1 " + before + " -> " + after);
			}
		}
		try (Connection c = connect(""); Statement st = c.createStatement()) {
			st.execute("DROP SCHEMA \"Evil Schema\" CASCADE");
		}
	}

	/*
	 * Two threads, SERIALIZABLE, each transaction posting two vouchers from
	 * the bounded wallets f1 and f2 (floor 0, 5.00 each) in opposite orders:
	 * 40001 and 40P01 are retried with the same keys, 23514 (the floor) is a
	 * refusal.  No voucher lost or doubled; the balances are the funding less
	 * the successful posts.
	 */
	static void race() throws Exception {
		ConcurrentHashMap<String, Long> done = new ConcurrentHashMap<>();
		AtomicInteger serialization = new AtomicInteger(), deadlock = new AtomicInteger(), refused = new AtomicInteger();
		CyclicBarrier barrier = new CyclicBarrier(2);
		List<String> errors = Collections.synchronizedList(new ArrayList<>());
		Thread[] t = new Thread[2];
		for (int w = 0; w < 2; w++) {
			final int who = w;
			t[w] = new Thread(() -> {
				try (Connection c = connect("&prepareThreshold=1")) {
					c.setAutoCommit(false);
					c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
					for (int i = 0; i < 5; i++) {
						String k = "j-race-" + who + "-" + i;
						String[] order = who == 0 ? a("f1", "f2") : a("f2", "f1");
						for (int attempt = 1; ; attempt++) {
							try {
								str(c, "SELECT ledger.available(?)::text", order[0]);
								if (attempt == 1) barrier.await(5, TimeUnit.SECONDS);
								long v1 = post(c, k + "-a", a(order[0], "sink" + who), a("1.00 CNY", "-1.00 CNY"), null);
								long v2 = post(c, k + "-b", a(order[1], "sink" + who), a("1.00 CNY", "-1.00 CNY"), null);
								c.commit();
								done.put(k + "-a", v1);
								done.put(k + "-b", v2);
								break;
							} catch (SQLException e) {
								c.rollback();
								if ("40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState())) {
									("40001".equals(e.getSQLState()) ? serialization : deadlock).incrementAndGet();
									continue;
								}
								if ("23514".equals(e.getSQLState())) {
									refused.incrementAndGet();
									break;
								}
								throw e;
							} catch (TimeoutException | BrokenBarrierException e) {
								barrier.reset();
							}
						}
					}
				} catch (Exception e) {
					errors.add(e.toString());
				}
			});
		}
		for (Thread x : t) x.start();
		for (Thread x : t) x.join();
		check("race: no error but 40001, 40P01 and 23514", errors.isEmpty(), errors);
		try (Connection c = connect("")) {
			long vouchers = count(c, "j-race-%");
			String ok = str(c, "SELECT bool_and(v.id = d.id) AND count(*) = ? FROM ledger.voucher v JOIN (SELECT split_part(x, '=', 1) AS k, split_part(x, '=', 2)::bigint AS id FROM unnest(?::text[]) x) d ON d.k = v.idempotency_key",
			                done.size(), done.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new));
			check("race: " + done.size() / 2 + " transactions committed, " + refused.get() + " refused by the floor, " + serialization.get()
			      + " retried on 40001, " + deadlock.get() + " on 40P01; every voucher a thread was told of exists with its id, no other",
			      vouchers == done.size() && "t".equals(ok), vouchers + " vouchers, " + done.size() + " told, match " + ok);
			String bal = str(c, "SELECT ledger.balance('f1')::numeric + ledger.balance('f2')::numeric || ' ' || (ledger.balance('sink0')::numeric + ledger.balance('sink1')::numeric)");
			BigDecimal spent = new BigDecimal(done.size()).setScale(2);
			check("race: the wallets hold 10.00 less the successful posts, never below the floor",
			      bal.equals(new BigDecimal("10.00").subtract(spent).toPlainString() + " " + spent.toPlainString())
			      && str(c, "SELECT ledger.balance('f1')::numeric >= 0 AND ledger.balance('f2')::numeric >= 0").equals("t"), bal);
		}
	}

	/* a loopback TCP port relayed to the cluster's Unix socket */
	static int relay(String socket) throws Exception {
		ServerSocketChannel server = ServerSocketChannel.open();
		server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
		Thread acceptor = new Thread(() -> {
			try {
				while (true) {
					SocketChannel tcp = server.accept();
					SocketChannel unix = SocketChannel.open(StandardProtocolFamily.UNIX);
					unix.connect(UnixDomainSocketAddress.of(socket));
					pipe(tcp, unix);
					pipe(unix, tcp);
				}
			} catch (Exception e) {
				/* the program ends */
			}
		});
		acceptor.setDaemon(true);
		acceptor.start();
		return ((InetSocketAddress) server.getLocalAddress()).getPort();
	}

	static void pipe(SocketChannel from, SocketChannel to) {
		Thread t = new Thread(() -> {
			ByteBuffer buf = ByteBuffer.allocate(65536);
			try {
				while (from.read(buf) >= 0) {
					buf.flip();
					while (buf.hasRemaining())
						to.write(buf);
					buf.clear();
				}
				to.shutdownOutput();
			} catch (Exception e) {
				try { from.close(); to.close(); } catch (Exception ignored) { }
			}
		});
		t.setDaemon(true);
		t.start();
	}
}
