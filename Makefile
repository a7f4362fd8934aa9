# social_crm: PGXS build plus the project's three commands (test, demo, bench).
#
#   make && make install      build and install into the PostgreSQL found by pg_config
#   make installcheck         pg_regress against a running server (PGHOST/PGPORT...)
#   make test                 everything (pg_regress + pgTAP) on a throwaway cluster
#   make demo                 the sample CRM, end to end (KEEP=1 keeps the cluster)
#   make bench                benchmarks, each figure a ratio to a baseline of the same run
#                             (SCALE="1000000 2000000" adds the refresh at those sizes)

EXTENSION = social_crm
EXTVERSION := $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = social_crm
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))

# The install script is assembled from src/sql/*.sql in name order.  Released
# versions are frozen in src/sql/updates/ and never edited: the install scripts
# of 0.1.0, 0.2.0 and 0.3.0 and the upgrade scripts between released versions.  The
# upgrade script to the version in development is assembled from the source
# files it can run again (every function CREATE OR REPLACE), after
# src/sql/upgrade/from-<last release>.sql for what those files cannot redefine (test/upgrade-test.sh checks that
# updating gives exactly the catalog of a fresh install).
SQL_SOURCES = $(sort $(wildcard src/sql/*.sql))
UPGRADE_FROM = 0.3.0
UPGRADE_SOURCES = src/sql/upgrade/from-0.3.0.sql src/sql/55_refresh.sql src/sql/56_audit.sql src/sql/57_history.sql src/sql/58_keys.sql src/sql/59_explain.sql src/sql/60_sbg.sql src/sql/61_mbgnbd.sql src/sql/62_bgbb.sql src/sql/63_holdout.sql src/sql/64_model_choice.sql
DATA_built = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)--$(UPGRADE_FROM)--$(EXTVERSION).sql
DATA = $(wildcard src/sql/updates/$(EXTENSION)--*.sql)

REGRESS = setup input graph_basic pagerank community clv readme catalog advocacy

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/clv -I$(srcdir)/src/graph -I$(srcdir)/src/pipeline
SHLIB_LINK = -lm

EXTRA_CLEAN = results regression.diffs regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifeq ($(PGXS),)
# No PostgreSQL development files yet: the scripts below install them.
all install installcheck:
	@echo "pg_config not found: run 'make test' or 'make demo' (they install PostgreSQL), or install postgresql-server-dev-15" >&2; exit 1
else
include $(PGXS)
endif

# PGXS tracks no header dependencies: a changed header rebuilds every object
# (and its bitcode), or a struct or inline function would be stale in some
HEADERS_ALL = $(wildcard src/*.h src/*/*.h)
$(OBJS) $(OBJS:.o=.bc): $(HEADERS_ALL)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	cat $(SQL_SOURCES) > $@

$(EXTENSION)--$(UPGRADE_FROM)--$(EXTVERSION).sql: $(UPGRADE_SOURCES) $(EXTENSION).control
	cat $(UPGRADE_SOURCES) > $@

.PHONY: test test-citus demo bench bench-scale deps
deps:
	bash test/deps.sh

test:
	bash test/run-tests.sh

# a coordinator and two workers on localhost (Citus built from CITUS_SRC if missing)
test-citus:
	bash test/citus-test.sh

demo:
	bash test/demo/run.sh

bench:
	bash test/bench/run.sh

# only the refresh at scale: make bench-scale SCALE="1000000 2000000"
bench-scale:
	SCALE_ONLY=1 bash test/bench/run.sh
