# ledger — PostgreSQL extension (PGXS)

EXTENSION   = ledger
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = ledger
OBJS = \
	src/ledger.o \
	src/currency.o \
	src/amount_parse.o \
	src/amount.o \
	src/catalog.o \
	src/posting.o \
	src/post.o \
	src/trial.o \
	src/dayend.o \
	src/recon.o \
	src/statement.o \
	src/report.o

# every install and upgrade script: older versions must stay installable and updatable
DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# pg_regress suites: sql/<name>.sql against expected/<name>.out
REGRESS = amount account voucher post close_day recon recon_load security privileges bad_input
REGRESS_OPTS = --inputdir=. --outputdir=$(CURDIR)/tmp_check/regress --load-extension=$(EXTENSION)

# the server headers are system headers: their own -Wextra noise is not ours
PG_CPPFLAGS = -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server)
override PG_CFLAGS += -Wall -Wextra

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild every object when a header changes
$(OBJS): $(wildcard src/*.h)

# ---------------------------------------------------------------------------
# The two commands of the README, and the other entry points.  Each sets up
# what a fresh Debian/Ubuntu machine lacks, builds, runs a throwaway cluster
# under tmp_check/ and removes it again.
# ---------------------------------------------------------------------------

.PHONY: demo test bench stress valgrind regress-list

regress-list:
	@echo $(REGRESS)

demo:
	@bash examples/demo.sh

test:
	@bash test/run.sh

bench:
	@bash bench/run.sh $(if $(FULL),--full) $(if $(PEERS),--peers)

stress:
	@bash test/stress.sh $(if $(FULL),--full,--short)

valgrind:
	@bash test/valgrind.sh

clean: clean-ledger
clean-ledger:
	rm -rf tmp_check results regression.diffs regression.out test/fuzz/build
