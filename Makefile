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
	src/hold.o \
	src/history.o \
	src/trial.o \
	src/dayend.o \
	src/recon.o \
	src/recon_match.o \
	src/stmt_parse.o \
	src/statement.o \
	src/report.o \
	src/raise.o \
	src/audit.o \
	src/bookread.o

# The current version's install script is assembled from sql/areas/*.sql (one
# file per area, in name order); released install scripts and every upgrade
# script are kept as written, so older versions stay installable and updatable.
AREAS      = $(sort $(wildcard sql/areas/*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress suites: sql/<name>.sql against expected/<name>.out
REGRESS = amount account voucher post close_day recon recon_rules recon_load security privileges bad_input statements reliability holds holds_review red assertion account_codes rules book_dates audit_columns error_context book_timezone review_fixes history_order limits
REGRESS_OPTS = --inputdir=. --outputdir=$(CURDIR)/tmp_check/regress --load-extension=$(EXTENSION)

# the server headers are system headers: their own -Wextra noise is not ours
PG_CPPFLAGS = -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
override PG_CFLAGS += -Wall -Wextra

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
# On a fresh machine pg_config is not there yet: the README's commands (demo,
# test, ...) install it themselves (tools/pgenv.sh); building needs it.
LEDGER_SELF_SETUP = demo test bench stress valgrind readme regress-list clean clean-ledger
ifneq ($(PGXS),)
include $(PGXS)
else ifneq ($(filter-out $(LEDGER_SELF_SETUP),$(or $(MAKECMDGOALS),all)),)
$(error $(PG_CONFIG) not found: install PostgreSQL 15's server headers (postgresql-server-dev-15) or name pg_config with PG_CONFIG=...; `make demo` and `make test` install what they need themselves)
endif

$(DATA_built): $(AREAS) Makefile
	@{ printf -- '-- %s: assembled by the Makefile from sql/areas/, one file per area; edit those\n\n' '$(notdir $@)'; \
	   printf '\\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \\quit\n'; \
	   for f in $(AREAS); do printf '\n-- ===== %s\n\n' "$$f"; cat "$$f"; done; } > $@.tmp && mv $@.tmp $@

# the router extension (router/, SQL only) is built, installed and cleaned with this one
all: all-router
install: install-router
clean: clean-router
.PHONY: all-router install-router clean-router
all-router:
	$(MAKE) -C router PG_CONFIG=$(PG_CONFIG)
install-router:
	$(MAKE) -C router PG_CONFIG=$(PG_CONFIG) install
clean-router:
	$(if $(PGXS),$(MAKE) -C router PG_CONFIG=$(PG_CONFIG) clean,@true)

# PGXS tracks no header dependencies: rebuild every object when a header changes
$(OBJS): $(wildcard src/*.h)

# ---------------------------------------------------------------------------
# The two commands of the README, and the other entry points.  Each sets up
# what a fresh Debian/Ubuntu machine lacks, builds, runs a throwaway cluster
# under tmp_check/ and removes it again.
# ---------------------------------------------------------------------------

.PHONY: demo test bench stress valgrind regress-list readme

regress-list:
	@echo $(REGRESS)

demo:
	@bash examples/demo.sh

# regenerate the outputs of the README's tour from a real run (test/scripts/readme.sh checks them)
readme:
	@bash tools/readme_tour.sh

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
