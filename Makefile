# gtfs_fdw: GTFS feeds, weather and bus real-time data as PostgreSQL tables

EXTENSION  = gtfs_fdw
EXTVERSION = 0.1.0
MODULE_big = gtfs_fdw
OBJS       = src/gtfs_fdw.o src/options.o src/gtfs_spec.o src/gtfs_spec_data.o \
             src/redact.o src/fetch.o src/cache.o src/zipsrc.o src/csvsrc.o \
             src/convert.o src/subxact.o src/reader.o src/scan.o src/import.o \
             src/feedfiles.o src/feed.o src/durable.o src/archive.o src/load.o
DATA       = $(wildcard src/sql/$(EXTENSION)--*--*.sql)
DATA_built = $(EXTENSION)--$(EXTVERSION).sql

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=$(EXTENSION)

PG_CFLAGS   = -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
              -Wno-missing-field-initializers $(EXTRA_CFLAGS)
PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags libcurl libzip libcjson)
SHLIB_LINK  = $(shell pkg-config --libs libcurl libzip libcjson) -lcsv

EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on every header: few enough to keep it simple.
$(OBJS): $(wildcard src/*.h)

# The install script: the extension's SQL files in order, then the models.
MODELS = $(foreach l,staging intermediate marts,$(sort $(wildcard src/models/$(l)/*.sql)))
$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard src/sql/[0-9]*.sql)) $(MODELS) src/tools/wrap_models.sh
	cat $(sort $(wildcard src/sql/[0-9]*.sql)) > $@
	sh src/tools/wrap_models.sh $(MODELS) >> $@
