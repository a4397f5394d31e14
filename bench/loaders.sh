#!/usr/bin/env bash
# bench/loaders.sh — the statement loaders beside COPY of the same file.
#
# For each format (WeChat trade bill, WeChat fund-flow bill, Alipay trade bill,
# Alipay account statement, MT940, camt.053) a file of N detail lines is
# generated in that format, then, alternately for a few rounds:
#
#   copy     COPY of the file into a one-column text table (the baseline;
#            the Alipay files with ENCODING 'GBK', as the loaders read them)
#   load     the loader, the file passed as its argument (pg_read_file)
#   bad      the loader on the same file with one bad line at its end
#   rows     for information: COPY of the rows the loader wrote (exported once
#            with COPY TO) into a twin of ledger.statement_line with its
#            indexes and checks (CREATE TABLE ... (LIKE ... INCLUDING ALL)):
#            what PostgreSQL itself takes to store the finished rows
#   key      for information: the same rows, already in binary form (an
#            unlogged copy), stored by INSERT ... SELECT into a twin with
#            none of statement_line's indexes but the unique serial per
#            statement (source, statement_date, external_id): the least any
#            loader that keeps that constraint must spend, before parsing
#   bare     the same into a twin with no index at all
#
# and prints file lines per second of copy and load, load/copy (target at
# least 0.5), bad/load time (target at most 1.5: a bad file is found in one
# pass, not by searching), and rows/copy and load/rows (how much of the gap
# to COPY into one column is the table's three indexes, how much the loader).
#
# Needs a running cluster where the extension can be created, as a superuser
# (PGHOST, PGPORT, PGUSER as for psql).  Usage: bench/loaders.sh [--quick]
# [--lines N] [--rounds N]
#   --quick   100,000 lines instead of 1,000,000
set -euo pipefail

n=1000000
rounds=3
while [ $# -gt 0 ]; do
	case $1 in
		--quick) n=100000 ;;
		--lines) n=$2; shift ;;
		--rounds) rounds=$2; shift ;;
		*) echo "usage: $0 [--quick] [--lines N] [--rounds N]" >&2; exit 2 ;;
	esac
	shift
done

db=${BENCH_DB:-ledger_bench_loaders}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ledger_bench_loaders.XXXXXX")
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT

q() { psql -X -q -v ON_ERROR_STOP=1 --pset=pager=off -At -d "$db" "$@"; }
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
q -c "CREATE EXTENSION ledger" -c "CREATE TABLE copy_target (line text)" \
	-c "CREATE TABLE twin (LIKE ledger.statement_line INCLUDING ALL)" \
	-c "CREATE TABLE twin_bare (LIKE ledger.statement_line INCLUDING DEFAULTS INCLUDING CONSTRAINTS)" \
	-c "CREATE TABLE twin_key (LIKE twin_bare INCLUDING DEFAULTS INCLUDING CONSTRAINTS)" \
	-c "ALTER TABLE twin_key ADD UNIQUE (source, statement_date, external_id)"

echo "generating $n-line files in $dir"
python3 - "$dir" "$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])

def write(name, lines, enc='utf-8', bad=None):
    with open(f'{d}/{name}', 'w', encoding=enc, newline='') as f:
        f.write('\n'.join(lines) + '\n')
    if bad is not None:
        i, old, new = bad
        lines = list(lines)
        assert old in lines[i]
        lines[i] = lines[i].replace(old, new, 1)
        with open(f'{d}/bad_{name}', 'w', encoding=enc, newline='') as f:
            f.write('\n'.join(lines) + '\n')

# WeChat trade bill, type ALL (v3 layout): payments of 1.00, fee 0.00600
hdr = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注'
rows = [hdr]
for i in range(n):
    rows.append('`2021-01-28 %02d:%02d:%02d,`wx81be3101902f7cb2,`1601959334,`0,`,`42000009252021012%010d,`S2021012817%010d,`ofyak5qR_1wYsC99CsWA6R9MJazA,`NATIVE,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`for testing,`{"k":"v"},`0.00600,`0.60%%,`1.00,`0.00,`' % (i // 3600 % 24, i // 60 % 60, i % 60, i, i))
rows.append('总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额')
rows.append('`%d,`%d.00,`0.00,`0.00,`%d.%05d,`%d.00,`0.00' % (n, n, n * 600 // 100000, n * 600 % 100000, n))
write('wechat.csv', rows, bad=(n, '`1.00,`0.00,`0,', '`1.0x,`0.00,`0,'))

# WeChat fund-flow bill: income rows of 1.00
rows = ['记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号']
for i in range(n):
    rows.append('`2021-02-01 %02d:%02d:%02d,`42000009202021011%011d,`50300806962021020%012d,`交易,`交易,`收入,`1.00,`%d.00,`1601959334API,`,`S2021020113%010d' % (i // 3600 % 24, i // 60 % 60, i % 60, i, i, i + 1, i))
rows.append('资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额')
rows.append('`%d,`%d,`%d.00,`0,`0.00' % (n, n, n))
write('fundflow.csv', rows, bad=(n, '`收入,`1.00', '`收入,`1.0x'))

# Alipay trade bill (GBK): trades of 0.01
rows = ['#支付宝业务明细查询', '#账号：[20880211096256330156]', '#起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]',
        '#-----------------------------------------业务明细列表----------------------------------------',
        '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注']
for i in range(n):
    rows.append('20190916220014588%011d\t,service_%013d\t,交易\t,下单测试,2019-09-16 10:55:16,2019-09-16 %02d:%02d:%02d,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,下单测试' % (i, i, i // 3600 % 24, i // 60 % 60, i % 60))
rows += ['#-----------------------------------------业务明细列表结束------------------------------------',
         '#交易合计：%d笔，商家实收共%d.%02d元，商家优惠共0.00元' % (n, n // 100, n % 100),
         '#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元', '#导出时间：[2019年09月17日 05:46:49]']
write('alipay.csv', rows, enc='gbk', bad=(n + 4, ',0.01,0.01,', ',0.0x,0.01,'))

# Alipay account statement (GBK): income rows of 1.00
rows = ['#支付宝账务明细查询', '#账号：[20888011365400330156]', '#起始日期：[2012年12月29日 00:00:00]   终止日期：[2012年12月30日 00:00:00]',
        '#-----------------------------------------账务明细列表----------------------------------------',
        '账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注']
for i in range(n):
    rows.append('546%011d\t,2012122%09d\t,3%09d\t,海航机票\t,2012-12-29 %02d:%02d:%02d,陈晶 (kuangzhe@126.com)\t,1.00,0.00,%d.00,支付宝,在线支付,' % (i, i, i, i // 3600 % 24, i // 60 % 60, i % 60, i + 1))
rows += ['#----------------------------------------账务明细列表结束-------------------------------------',
         '#支出合计：0笔，共0.00元', '#收入合计：%d笔，共%d.00元' % (n, n), '#导出时间：[2012年12月31日 13:19:01]']
write('account.csv', rows, enc='gbk', bad=(n + 4, ',1.00,0.00,', ',1.0x,0.00,'))

# MT940: one statement, n/2 lines of :61: + :86: (n file lines)
m = n // 2
rows = [':20:BENCH', ':25:NL26VAYB8060476890', ':28C:1/1', ':60F:C240312EUR0,00']
for i in range(m):
    rows.append(':61:2403120312C1,00NTRFREF%010d//B%010d' % (i, i))
    rows.append(':86:/EREF/REF%010d/REMI/payment %d' % (i, i))
rows += [':62F:C240312EUR%d,00' % m, '-']
write('mt940.sta', rows, bad=(len(rows) - 4, 'C1,00NTRF', 'C1,0xNTRF'))

# camt.053.001.08: one statement, n/8 entries of 8 lines (n file lines)
m = n // 8
rows = ['<?xml version="1.0" encoding="UTF-8"?>', '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">', '<BkToCstmrStmt>',
        '<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2024-03-12T18:00:00+01:00</CreDtTm></GrpHdr>', '<Stmt>', '<Id>BENCH-1</Id>',
        '<Acct><Id><IBAN>NL26VAYB8060476890</IBAN></Id><Ccy>EUR</Ccy></Acct>',
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-11</Dt></Dt></Bal>',
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%d.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-12</Dt></Dt></Bal>' % m]
for i in range(m):
    rows += ['<Ntry>', '<Amt Ccy="EUR">1.00</Amt>', '<CdtDbtInd>CRDT</CdtDbtInd>', '<Sts><Cd>BOOK</Cd></Sts>',
             '<BookgDt><Dt>2024-03-12</Dt></BookgDt>', '<AcctSvcrRef>B%010d</AcctSvcrRef>' % i,
             '<NtryDtls><TxDtls><Refs><EndToEndId>E2E%010d</EndToEndId></Refs></TxDtls></NtryDtls>' % i, '</Ntry>']
rows += ['</Stmt>', '</BkToCstmrStmt>', '</Document>']
write('camt053.xml', rows, bad=(len(rows) - 10, '<Amt Ccy="EUR">1.00</Amt>', '<Amt Ccy="EUR">1.0x</Amt>'))
PY

ms() { # ms SQL: runs it once, prints the milliseconds it took (server side)
	q -c "SET client_min_messages = warning" -c "\\timing on" -c "$1" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 || true
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '\n%d detail lines per file, median of %d rounds\n\n' "$n" "$rounds"
printf '| loader | file lines | COPY lines/s | loader lines/s | loader / COPY (>= 0.5) | bad line at end / good (<= 1.5) | its rows by COPY into a twin of statement_line / COPY | loader / those rows by COPY | its rows, binary, stored with only the unique serial index / COPY | the same with no index / COPY |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
status=0
for spec in \
	"load_wechat_bill|wechat.csv|text|ledger.load_wechat_bill('b', '2021-01-28', pg_read_file('%s'))" \
	"load_wechat_fundflow|fundflow.csv|text|ledger.load_wechat_fundflow('b', '2021-02-01', pg_read_file('%s'))" \
	"load_alipay_bill|alipay.csv|gbk|ledger.load_alipay_bill('b', '2019-09-16', pg_read_binary_file('%s'))" \
	"load_alipay_account|account.csv|gbk|ledger.load_alipay_account('b', '2012-12-29', pg_read_binary_file('%s'))" \
	"load_mt940|mt940.sta|text|ledger.load_mt940('b', pg_read_file('%s'))" \
	"load_camt053|camt053.xml|text|ledger.load_camt053('b', pg_read_file('%s'))"; do
	IFS='|' read -r name file enc call <<<"$spec"
	path="$dir/$file"
	lines=$(wc -l <"$path")
	enc_opt=""
	[ "$enc" = gbk ] && enc_opt=", ENCODING 'GBK'"
	good_call=$(printf "$call" "$path")
	bad_call=$(printf "$call" "$dir/bad_$file")
	copies=() loads=() bads=() rows=() keys=() bares=()
	for r in $(seq "$rounds"); do
		q -c "TRUNCATE copy_target" -c "CHECKPOINT"
		copies+=("$(ms "COPY copy_target (line) FROM '$path' WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e'$enc_opt)")")
		# the loader writes into empty tables, as COPY does
		q -c "TRUNCATE ledger.statement_line, ledger.statement_import, ledger.statement_file" -c "CHECKPOINT"
		loads+=("$(ms "SELECT count(*) FROM $good_call")")
		t=$(ms "SELECT count(*) FROM $bad_call")
		bads+=("$t")
		if [ "$r" = 1 ]; then
			q -c "\\copy ledger.statement_line TO '$dir/rows.copy'"
			q -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS rows_bin" -c "CREATE UNLOGGED TABLE rows_bin AS SELECT * FROM ledger.statement_line"
		fi
		q -c "TRUNCATE twin" -c "CHECKPOINT"
		rows+=("$(ms "COPY twin FROM '$dir/rows.copy'")")
		q -c "TRUNCATE twin_key" -c "CHECKPOINT"
		keys+=("$(ms "INSERT INTO twin_key SELECT * FROM rows_bin")")
		q -c "TRUNCATE twin_bare" -c "CHECKPOINT"
		bares+=("$(ms "INSERT INTO twin_bare SELECT * FROM rows_bin")")
	done
	# the bad file must have been refused
	if q -c "SELECT count(*) FROM $bad_call" >/dev/null 2>&1; then
		echo "$name: the file with a bad last line was loaded" >&2
		status=1
	fi
	c=$(median "${copies[@]}") l=$(median "${loads[@]}") b=$(median "${bads[@]}") w=$(median "${rows[@]}")
	k=$(median "${keys[@]}") z=$(median "${bares[@]}")
	awk -v name="$name" -v lines="$lines" -v c="$c" -v l="$l" -v b="$b" -v w="$w" -v k="$k" -v z="$z" 'BEGIN {
		printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", name, lines, lines / (c / 1000), lines / (l / 1000), c / l, b / l, c / w, w / l, c / k, c / z }'
done
exit $status
