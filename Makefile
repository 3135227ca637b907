# pg_logship -- WAL archiving, restore, retention and lag monitoring inside PostgreSQL.
#
#   make demo    primary + two standbys archiving into one shared archive, failover, verify
#   make demo-s3 the same with the archive in a bucket of a throwaway Ceph RADOS Gateway
#   make test    unit tests, pg_regress and TAP tests against real servers
#   make bench   side-by-side benchmarks (see README)
#
# Both demo and test install what they need first (scripts/deps.sh). When run as root, the
# PostgreSQL servers run as an unprivileged user (scripts/as-pg-user.sh).
#
# PG_MAJOR picks the PostgreSQL major version (default: this machine's Debian suite's, 15 on
# bookworm). For one this machine's suite does not ship (make test PG_MAJOR=17, PG_MAJOR=18),
# build, unit, regress, tap, test and demo run inside a Debian root of the suite that has it
# (scripts/pg-root.sh; make root PG_MAJOR=N only builds or refreshes that root). An explicit
# PG_CONFIG builds against that installation here, whatever PG_MAJOR says.

PGLS_NATIVE_MAJOR := $(shell bash scripts/deps.sh --native-major)
PG_MAJOR ?= $(PGLS_NATIVE_MAJOR)
PGLS_IN_ROOT ?= 0
PGLS_DELEGATE := $(if $(filter 1,$(PGLS_IN_ROOT)),,$(if $(filter $(PGLS_NATIVE_MAJOR),$(PG_MAJOR)),,$(if $(filter undefined default,$(origin PG_CONFIG)),1,)))
export PG_MAJOR

ifeq ($(PGLS_DELEGATE),1)

.PHONY: all build unit regress tap test demo root
all build unit regress tap test demo:
	bash scripts/pg-root.sh $(PG_MAJOR) $@
root:
	bash scripts/pg-root.sh $(PG_MAJOR) --prepare

else

EXTENSION = pg_logship
MODULE_big = pg_logship
# The install script is assembled from sql/parts/*.sql (one file per feature, in name order);
# upgrade scripts (pg_logship--A--B.sql) are kept as written.
DATA_built = sql/pg_logship--1.0.sql
# The postgres_exporter queries file goes beside them: $(pg_config --sharedir)/extension/.
DATA = $(filter-out $(DATA_built),$(wildcard sql/pg_logship--*--*.sql)) \
	monitoring/pg_logship_postgres_exporter.yml
PGFILEDESC = "pg_logship - WAL archiving, restore, retention and lag views"

PG_CONFIG ?= /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_config
export PG_CONFIG

# src/core/s3: the S3 client (it loads libcurl and libcrypto at run time: nothing to link).
CORE_SRCS = $(wildcard src/core/*.cpp src/core/s3/*.cpp)
CORE_OBJS = $(CORE_SRCS:.cpp=.o)
MODULE_SRCS = $(wildcard src/*.cpp src/pg/*.cpp src/archive/*.cpp src/sql/*.cpp \
	src/monitor/*.cpp src/retention/*.cpp src/restore/*.cpp src/worker/*.cpp)
OBJS = $(MODULE_SRCS:.cpp=.o) $(CORE_OBJS)

CLI_SRCS = $(wildcard src/cli/*.cpp)
CLI_OBJS = $(CLI_SRCS:.cpp=.o)
CLI = bin/pg_logship
SCRIPTS_built = $(CLI)

UNIT_SRCS = $(wildcard test/unit/*.cpp)
UNIT_OBJS = $(UNIT_SRCS:.cpp=.o)
UNIT = build/unit_tests

# The S3 client against a real Ceph RADOS Gateway, run by t/110_s3_client.pl, which starts one.
# Not in build/: as root, make test runs the TAP tests from a copy of the tree without build/
# (scripts/as-pg-user.sh).
S3_GATEWAY_SRCS = $(wildcard test/s3/*.cpp)
S3_GATEWAY_OBJS = $(S3_GATEWAY_SRCS:.cpp=.o)
S3_GATEWAY_TESTS = test/s3/s3_gateway_tests

EXTRA_CLEAN = $(CLI_OBJS) $(UNIT_OBJS) $(UNIT) $(S3_GATEWAY_OBJS) $(S3_GATEWAY_OBJS:.o=.d) $(S3_GATEWAY_TESTS) bench/encode_cost.o $(ENCODE_COST) $(OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) build tmp_check results regression.diffs regression.out

# C++ against PostgreSQL's headers: C++17, PG's "register" keyword, and -isystem so that warnings
# from the server headers do not drown ours. PGLS_WERROR=1 (CI) turns warnings into errors.
override PG_CXXFLAGS += -std=c++17 -Wno-register -Wall -Wextra -Wno-unused-parameter \
	-Wno-missing-field-initializers
# Header dependencies (Debian's PGXS is built without autodepend): each object gets a .d file.
override PG_CXXFLAGS += -MMD -MP
ifeq ($(PGLS_WERROR),1)
override PG_CXXFLAGS += -Werror
endif
# The WAL page magic of this server version, for the PG-free core (src/core/wal_header.hpp).
XLOG_PAGE_MAGIC := $(shell sed -n 's/^\#define XLOG_PAGE_MAGIC[[:space:]]*\(0x[0-9A-Fa-f]*\).*/\1/p' \
	$(shell $(PG_CONFIG) --includedir-server)/access/xlog_internal.h)
override PG_CPPFLAGS += -DPGLS_XLOG_PAGE_MAGIC=$(XLOG_PAGE_MAGIC) -isystem $(shell $(PG_CONFIG) --includedir-server) -Isrc \
	-I$(shell $(PG_CONFIG) --includedir)
# Archive file format: compression (liblz4, libzstd) and checksums (libxxhash), in the module,
# the CLI and the unit tests.
COMPRESS_LIBS = -llz4 -lzstd -lxxhash
SHLIB_LINK += $(COMPRESS_LIBS) -lstdc++

# Debian's PGXS builds LLVM bitcode for JIT inlining with clang, ignoring PG_CXXFLAGS; our C++
# gains nothing from JIT inlining, so the bitcode step is off.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

PG_BINDIR := $(shell $(PG_CONFIG) --bindir)
PG_LIBDIR := $(shell $(PG_CONFIG) --libdir)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

sql/pg_logship--1.0.sql: $(sort $(wildcard sql/parts/*.sql))
	{ echo '-- pg_logship 1.0, assembled from the files in sql/parts (edit those).'; \
	  echo; printf '%s\n' '\echo Use "CREATE EXTENSION pg_logship" to load this file. \quit'; \
	  for f in $^; do echo; echo "-- $$f"; cat $$f; done; } > $@

-include $(OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(S3_GATEWAY_OBJS:.o=.d)

# The CLI is restore_command: it runs once per WAL segment, so its start-up is on recovery's
# critical path. libpq is loaded at run time by "check" and "status" only (src/cli/libpq.hpp), and
# libstdc++ is linked in statically (about 0.6 ms less dynamic linking a run).
src/cli/libpq.o: override CPPFLAGS += -DPGLS_LIBPQ_PATH='"$(PG_LIBDIR)/libpq.so.5"'
$(CLI): $(CLI_OBJS) $(CORE_OBJS)
	@mkdir -p bin
	$(CXX) -o $@ $^ $(COMPRESS_LIBS) -static-libstdc++ -static-libgcc -ldl -pthread

# PG-free parts of the module that are unit-tested too.
UNIT_EXTRA_OBJS = src/archive/job_queue.o src/archive/archive_call.o src/archive/store_cache.o

$(UNIT): $(UNIT_OBJS) $(CORE_OBJS) $(UNIT_EXTRA_OBJS)
	@mkdir -p build
	$(CXX) -o $@ $^ -lgtest -lgtest_main $(COMPRESS_LIBS) -pthread

# The S3 client against a real Ceph RADOS Gateway (test/s3; run by t/110_s3_client.pl).
$(S3_GATEWAY_TESTS): $(S3_GATEWAY_OBJS) $(CORE_OBJS)
	$(CXX) -o $@ $^ -lgtest -lgtest_main $(COMPRESS_LIBS) -pthread

# make bench's per-stage cost of archiving one segment (bench/encode_cost.cpp).
ENCODE_COST = bench/encode_cost
$(ENCODE_COST): bench/encode_cost.o $(CORE_OBJS)
	$(CXX) -o $@ $^ $(COMPRESS_LIBS)

all: $(CLI)

.PHONY: deps build install-ext unit regress tap test demo demo-s3 bench format check-format

deps:
	@bash scripts/deps.sh

build: all $(UNIT) $(S3_GATEWAY_TESTS)

# install, with sudo when not root (PostgreSQL's directories belong to root).
install-ext: all
	$(SUDO) $(MAKE) install

unit: $(UNIT)
	$(UNIT)

regress: install-ext
	bash scripts/as-pg-user.sh scripts/pg-tests.sh $@

tap: install-ext $(S3_GATEWAY_TESTS)
	bash scripts/as-pg-user.sh scripts/pg-tests.sh $@

# PGLS_MAKE_JOBS=N compiles with N jobs (CI: 2); the tests themselves run one at a time.
PGLS_JOBS_FLAG = $(if $(PGLS_MAKE_JOBS),-j$(PGLS_MAKE_JOBS))

test: deps
	$(MAKE) $(PGLS_JOBS_FLAG) build
	$(MAKE) install-ext
	$(MAKE) unit
	bash scripts/as-pg-user.sh scripts/pg-tests.sh all

demo: deps
	$(MAKE) $(PGLS_JOBS_FLAG) all
	$(MAKE) install-ext
	bash scripts/as-pg-user.sh scripts/demo.sh

demo-s3: deps
	$(MAKE) all
	$(MAKE) install-ext
	bash scripts/as-pg-user.sh scripts/demo.sh --s3

bench:
	@bash scripts/deps.sh bench
	$(MAKE) all $(ENCODE_COST)
	$(MAKE) install-ext
	bash scripts/as-pg-user.sh bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.h')

check-format:
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp' '*.h')

root:
	@echo "PostgreSQL $(PG_MAJOR) is this machine's own: no root needed"

endif
