#!/usr/bin/env python3
"""
make_fixtures.py: (re)generate the small GTFS zip fixtures in test/data/.

Standard library only.  Every fixture is the same tiny feed (two agencies in
America/New_York, five stops, two routes, two trips, five stop_times, two
calendar rows, four calendar_dates) with one twist; test/data/README.md lists
them and the lines of the planted bad values, which check_planted() below
verifies after every run.  Output is deterministic: members sorted, fixed
timestamps, fixed permissions, deflate level 9, so a rerun gives byte-identical
files (with the same zlib).

    python3 test/make_fixtures.py [--out DIR]     write the fixtures
    python3 test/make_fixtures.py --check         exit 1 if DIR is out of date

sample-gtfs-feed.zip and its LICENSE in test/data/ are third-party files
copied in as they are; this script does not touch them.
"""

import argparse
import csv
import io
import os
import struct
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "data")
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

# --- the base feed ----------------------------------------------------------
# Each file: header row, then data rows.  Data row i is physical line i + 1.

AGENCY = [
    ["agency_id", "agency_name", "agency_url", "agency_timezone",
     "agency_lang", "agency_phone"],
    ["HVT", "Hudson Valley Transit", "https://www.hudsonvalleytransit.example/",
     "America/New_York", "en", "845-555-0142"],
    ["RCX", "River City Express", "https://rivercityexpress.example/",
     "America/New_York", "en", "845-555-0199"],
]

STOPS_HEADER = ["stop_id", "stop_code", "stop_name", "stop_desc", "stop_lat",
                "stop_lon", "zone_id", "location_type", "parent_station",
                "wheelchair_boarding"]
STOPS = [
    STOPS_HEADER,
    ["STA_PKP", "", "Poughkeepsie Station", "Metro-North and Amtrak station",
     "41.706760", "-73.937630", "", "1", "", "1"],
    ["PKP_1", "2001", "Poughkeepsie Station Bus Bay 1", "",
     "41.706900", "-73.937800", "Z1", "0", "STA_PKP", "1"],
    ["MAIN_MKT", "1001", "Main St & Market St",
     "Northbound stop in front of the library",
     "41.703790", "-73.929140", "Z1", "0", "", "1"],
    ["RTE9_VAS", "1002", "Route 9 & Vassar Rd", "",
     "41.642130", "-73.921000", "Z2", "0", "", "2"],
    ["BCN_MAIN", "1003", "Beacon Main St & Teller Ave", "",
     "41.504820", "-73.969560", "Z3", "0", "", "0"],
]
EXTRA_STOP = ["HYDE_PK", "1004", "Hyde Park Post Office", "",
              "41.784970", "-73.933010", "Z2", "0", "", "1"]

ROUTES = [
    ["route_id", "agency_id", "route_short_name", "route_long_name",
     "route_desc", "route_type", "route_url", "route_color",
     "route_text_color"],
    ["R10", "HVT", "10", "Poughkeepsie - Beacon", "Local service along Route 9",
     "3", "https://www.hudsonvalleytransit.example/routes/10", "0055A4",
     "FFFFFF"],
    ["R20X", "RCX", "20X", "Poughkeepsie Station Express", "", "3", "",
     "E31837", "FFFFFF"],
]

TRIPS = [
    ["route_id", "service_id", "trip_id", "trip_headsign", "direction_id",
     "block_id", "wheelchair_accessible", "bikes_allowed"],
    ["R10", "WKDY", "R10_0700_SB", "Beacon", "0", "B101", "1", "1"],
    ["R20X", "WKND", "R20X_0915_NB", "Poughkeepsie Station", "1", "", "1", "2"],
]

STOP_TIMES_HEADER = ["trip_id", "arrival_time", "departure_time", "stop_id",
                     "stop_sequence", "stop_headsign", "pickup_type",
                     "drop_off_type", "shape_dist_traveled", "timepoint"]
STOP_TIMES = [
    STOP_TIMES_HEADER,
    ["R10_0700_SB", "07:00:00", "07:00:00", "MAIN_MKT", "1", "", "0", "1",
     "0.0", "1"],
    ["R10_0700_SB", "07:18:00", "07:19:00", "RTE9_VAS", "2", "", "0", "0",
     "7.4", "0"],
    ["R10_0700_SB", "07:52:00", "07:52:00", "BCN_MAIN", "3", "", "1", "0",
     "25.9", "1"],
    ["R20X_0915_NB", "09:15:00", "09:15:00", "MAIN_MKT", "1",
     "Poughkeepsie Station", "0", "1", "0.0", "1"],
    ["R20X_0915_NB", "09:24:00", "09:24:00", "PKP_1", "2", "", "1", "0",
     "1.2", "1"],
]

CALENDAR = [
    ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
     "saturday", "sunday", "start_date", "end_date"],
    ["WKDY", "1", "1", "1", "1", "1", "0", "0", "20240101", "20241231"],
    ["WKND", "0", "0", "0", "0", "0", "1", "1", "20240101", "20241231"],
]

CALENDAR_DATES = [
    ["service_id", "date", "exception_type"],
    ["WKDY", "20240527", "2"],
    ["WKND", "20240527", "1"],
    ["WKDY", "20240704", "2"],
    ["WKND", "20240704", "1"],
]

BASE = {
    "agency.txt": AGENCY,
    "stops.txt": STOPS,
    "routes.txt": ROUTES,
    "trips.txt": TRIPS,
    "stop_times.txt": STOP_TIMES,
    "calendar.txt": CALENDAR,
    "calendar_dates.txt": CALENDAR_DATES,
}


# --- serialization ------------------------------------------------------------

def csv_field(value):
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_text(rows, eol="\n"):
    """RFC 4180 text, quoting only where needed, final line ended."""
    return "".join(",".join(csv_field(v) for v in row) + eol for row in rows)


def copy_rows(rows):
    return [list(row) for row in rows]


def base_files(eol="\n"):
    """The base feed as {name: bytes}."""
    return {name: csv_text(rows, eol).encode("utf-8")
            for name, rows in BASE.items()}


def with_cell(rows, line, column, value):
    """A copy of rows with the field at physical line `line` replaced."""
    rows = copy_rows(rows)
    rows[line - 1][rows[0].index(column)] = value
    return rows


def zip_bytes(members):
    """A deterministic zip of {name: bytes}; names ending in / are folders."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3
            if name.endswith("/"):
                info.external_attr = (0o40755 << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, members[name], compresslevel=9)
    return buf.getvalue()


# --- the fixtures -------------------------------------------------------------

def minimal():
    return zip_bytes(base_files())


def bom_crlf():
    return zip_bytes({name: b"\xef\xbb\xbf" + data
                      for name, data in base_files("\r\n").items()})


QUOTED_STOPS = (
    # line 1
    ",".join(STOPS_HEADER) + "\n"
    # line 2: commas and doubled quotes inside quoted fields
    'STA_PKP,,"Poughkeepsie Station, Main Hall",'
    '"The ""Main Hall"" entrance, facing the river",'
    "41.706760,-73.937630,,1,,1\n"
    # line 3: blank
    "\n"
    # lines 4-5: one record, a newline inside the quoted stop_desc
    'PKP_1,2001,"Bus Bay 1 ""Hudson Line""","Bay 1 is on the river side.\n'
    'Use the underpass from the main hall.",41.706900,-73.937800,Z1,0,STA_PKP,1\n'
    # line 6: UTF-8, a quoted empty field
    'MAIN_MKT,1001,Zürich Hbf,"",41.703790,-73.929140,Z1,0,,1\n'
    # line 7: blank
    "\n"
    # line 8
    'RTE9_VAS,1002,"São Paulo, Av. Paulista",,41.642130,-73.921000,Z2,0,,2\n'
    # line 9: a needlessly quoted field
    'BCN_MAIN,1003,"Beacon Main St & Teller Ave",Southbound,'
    "41.504820,-73.969560,Z3,0,,0\n"
    # lines 10-12: blank
    "\n\n\n"
)


def with_stops_text(text):
    """The base feed with stops.txt replaced by text."""
    files = base_files()
    files["stops.txt"] = text.encode("utf-8")
    return zip_bytes(files)


def quoted():
    return with_stops_text(QUOTED_STOPS)


# CR line ends only (old Mac style); line 2 has quotes inside an unquoted
# field, lines 3-4 a lone CR inside a quoted field; line 6 a bad latitude
CR_STOPS = (
    ",".join(STOPS_HEADER) + "\r"
    'MAIN_5AV,1001,5" Ave & Main St,,41.703790,-73.929140,Z1,0,,1\r'
    'PKP_1,2001,Bus Bay 1,"Bay 1 is on the river side.\r'
    'Use the underpass.",41.706900,-73.937800,Z1,0,,1\r'
    "RTE9_VAS,1002,Route 9,,41.642130,-73.921000,Z2,0,,2\r"
    "BCN_MAIN,1003,Beacon,,141.504820,-73.969560,Z3,0,,0\r"
)


def stray_quotes():
    return with_stops_text(CR_STOPS)


# line 3: text after the closing quote of a quoted field
QUOTE_AFTER_FIELD_STOPS = (
    ",".join(STOPS_HEADER) + "\n"
    "MAIN_MKT,1001,Main St,,41.703790,-73.929140,Z1,0,,1\n"
    'PKP_1,2001,"Poughkeepsie" Station,,41.706900,-73.937800,Z1,0,,1\n'
    "RTE9_VAS,1002,Route 9,,41.642130,-73.921000,Z2,0,,2\n"
    'BCN_MAIN,1003,"Beacon",,41.504820,-73.969560,Z3,0,,0\n'
)


def quote_after_field():
    return with_stops_text(QUOTE_AFTER_FIELD_STOPS)


def missing_required():
    files = base_files()
    files["stops.txt"] = csv_text([row[1:] for row in STOPS]).encode("utf-8")
    return zip_bytes(files)


def planted(name, line, column, value):
    rows = BASE[name]
    files = base_files()
    files[name] = csv_text(with_cell(rows, line, column, value)).encode("utf-8")
    return zip_bytes(files)


def bad_time():
    return planted("stop_times.txt", 5, "arrival_time", "25:61:00")


def bad_date():
    return planted("calendar.txt", 3, "start_date", "2024-01-01")


def bad_lat():
    return planted("stops.txt", 4, "stop_lat", "91.5")


def bad_int():
    return planted("stop_times.txt", 3, "stop_sequence", "two")


VEHICLES = [
    ["vehicle_id", "capacity", "note"],
    ["HVT-1201", "40", "Gillig low floor"],
    ["HVT-1202", "40", ""],
    ["RCX-0307", "57", "MCI coach, front bike rack"],
]
PLATFORM_ZONES = ["platform_zone", "", "A", "north", "", "south"]


def unknown_file():
    files = base_files()
    at = STOPS_HEADER.index("stop_lon") + 1
    stops = [row[:at] + [zone] + row[at:]
             for row, zone in zip(STOPS, PLATFORM_ZONES)]
    files["stops.txt"] = csv_text(stops).encode("utf-8")
    files["vehicles.txt"] = csv_text(VEHICLES).encode("utf-8")
    return zip_bytes(files)


PAST_MIDNIGHT_TRIPS = [
    TRIPS[0],
    ["R10", "WKDY", "R10_2350_SB", "Beacon", "0", "B107", "1", "1"],
    ["R20X", "WKND", "R20X_0605_NB", "Poughkeepsie Station", "1", "", "1", "2"],
]
PAST_MIDNIGHT_STOP_TIMES = [
    STOP_TIMES_HEADER,
    ["R10_2350_SB", "23:50:00", "23:50:00", "MAIN_MKT", "1", "", "0", "1",
     "0.0", "1"],
    ["R10_2350_SB", "24:10:00", "24:10:00", "RTE9_VAS", "2", "", "0", "0",
     "7.4", "0"],
    ["R10_2350_SB", "25:35:00", "25:35:00", "BCN_MAIN", "3", "", "1", "0",
     "25.9", "1"],
    ["R20X_0605_NB", "6:05:00", "6:05:00", "MAIN_MKT", "1",
     "Poughkeepsie Station", "0", "1", "0.0", "1"],
    ["R20X_0605_NB", "6:14:00", "6:14:00", "PKP_1", "2", "", "1", "0",
     "1.2", "1"],
]


def past_midnight():
    files = base_files()
    files["trips.txt"] = csv_text(PAST_MIDNIGHT_TRIPS).encode("utf-8")
    files["stop_times.txt"] = csv_text(PAST_MIDNIGHT_STOP_TIMES).encode("utf-8")
    return zip_bytes(files)


def apple_double():
    """A macOS ._ resource-fork file: AppleDouble header, empty Finder info."""
    return (struct.pack(">II16sH", 0x00051607, 0x00020000,
                        b"Mac OS X        ", 1)
            + struct.pack(">III", 9, 38, 32) + bytes(32))


def nested():
    files = {"feed/" + name: data for name, data in base_files().items()}
    files["feed/"] = b""
    files["__MACOSX/feed/._stops.txt"] = apple_double()
    return zip_bytes(files)


SHAPES_HEADER = ("shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence,"
                 "shape_dist_traveled")


def empty_and_header_only():
    files = base_files()
    files["shapes.txt"] = SHAPES_HEADER.encode("utf-8")    # no final newline
    files["frequencies.txt"] = b""
    return zip_bytes(files)


def fewer_fields():
    stops = copy_rows(STOPS)
    stops[2] = stops[2][:9]     # line 3: wheelchair_boarding left off
    stops[3] = stops[3][:6]     # line 4: everything after stop_lon left off
    stops[5] = stops[5][:7]     # line 6: everything after zone_id left off
    files = base_files()
    files["stops.txt"] = csv_text(stops).encode("utf-8")
    return zip_bytes(files)


def not_a_zip():
    return b"<html><body>Service unavailable</body></html>\n"


def truncated():
    data = minimal()
    return data[:len(data) * 60 // 100]


def changed():
    files = base_files()
    files["stops.txt"] = csv_text(STOPS + [EXTRA_STOP]).encode("utf-8")
    return zip_bytes(files)


def invalid_utf8():
    files = base_files()
    text = csv_text(with_cell(STOPS, 5, "stop_name", "Route 9 @ Vassar Rd"))
    files["stops.txt"] = text.encode("utf-8").replace(b" @ ", b" \xff ")
    return zip_bytes(files)


# Service on the two DST days of 2024 in America/New_York (calendar_dates
# only): trips before the spring-forward gap, in the morning, and after
# midnight.  GTFS counts times from noon minus 12 hours, so on these days
# an early time is not the wall-clock time.
DST_TRIPS = [
    TRIPS[0],
    ["R10", "DST", "DST_EARLY", "Beacon", "0", "", "1", "1"],
    ["R10", "DST", "DST_MORNING", "Beacon", "0", "", "1", "1"],
    ["R10", "DST", "DST_LATE", "Beacon", "0", "", "1", "1"],
]
DST_STOP_TIMES = [
    STOP_TIMES_HEADER,
    ["DST_EARLY", "01:30:00", "01:30:00", "MAIN_MKT", "1", "", "0", "1", "", "1"],
    ["DST_EARLY", "01:45:00", "01:45:00", "BCN_MAIN", "2", "", "1", "0", "", "1"],
    ["DST_MORNING", "08:00:00", "08:00:00", "MAIN_MKT", "1", "", "0", "1", "", "1"],
    ["DST_MORNING", "08:30:00", "08:30:00", "BCN_MAIN", "2", "", "1", "0", "", "1"],
    ["DST_LATE", "25:30:00", "25:30:00", "MAIN_MKT", "1", "", "0", "1", "", "1"],
    ["DST_LATE", "25:40:00", "25:40:00", "BCN_MAIN", "2", "", "1", "0", "", "1"],
]
DST_CALENDAR_DATES = [
    ["service_id", "date", "exception_type"],
    ["DST", "20240310", "1"],
    ["DST", "20241103", "1"],
]


def dst_days():
    files = base_files()
    del files["calendar.txt"]
    files["trips.txt"] = csv_text(DST_TRIPS).encode("utf-8")
    files["stop_times.txt"] = csv_text(DST_STOP_TIMES).encode("utf-8")
    files["calendar_dates.txt"] = csv_text(DST_CALENDAR_DATES).encode("utf-8")
    return zip_bytes(files)


def missing_trips():
    files = base_files()
    del files["trips.txt"]
    return zip_bytes(files)


def duplicate_key():
    files = base_files()
    files["stops.txt"] = csv_text(STOPS + [STOPS[2]]).encode("utf-8")
    return zip_bytes(files)


def empty_key():
    files = base_files()
    files["stop_times.txt"] = csv_text(
        with_cell(STOP_TIMES, 4, "stop_sequence", "")).encode("utf-8")
    return zip_bytes(files)


FIXTURES = {
    "minimal.zip": minimal,
    "bom_crlf.zip": bom_crlf,
    "quoted.zip": quoted,
    "missing_required.zip": missing_required,
    "bad_time.zip": bad_time,
    "bad_date.zip": bad_date,
    "bad_lat.zip": bad_lat,
    "bad_int.zip": bad_int,
    "unknown_file.zip": unknown_file,
    "past_midnight.zip": past_midnight,
    "nested.zip": nested,
    "empty_and_header_only.zip": empty_and_header_only,
    "fewer_fields.zip": fewer_fields,
    "not_a_zip.zip": not_a_zip,
    "truncated.zip": truncated,
    "changed.zip": changed,
    "invalid_utf8.zip": invalid_utf8,
    "missing_trips.zip": missing_trips,
    "duplicate_key.zip": duplicate_key,
    "dst_days.zip": dst_days,
    "empty_key.zip": empty_key,
    "stray_quotes.zip": stray_quotes,
    "quote_after_field.zip": quote_after_field,
}


# --- checks that the README's line numbers hold ------------------------------

def member_lines(zip_data, member):
    with zipfile.ZipFile(io.BytesIO(zip_data)) as zf:
        return zf.read(member).split(b"\n")


def check_planted(built):
    def line(fixture, member, number):
        return member_lines(built[fixture], member)[number - 1]

    def field(fixture, member, number, column):
        header = line(fixture, member, 1).decode().rstrip("\r").split(",")
        return line(fixture, member, number).split(b",")[header.index(column)]

    assert field("bad_time.zip", "stop_times.txt", 5, "arrival_time") == b"25:61:00"
    assert field("bad_date.zip", "calendar.txt", 3, "start_date") == b"2024-01-01"
    assert field("bad_lat.zip", "stops.txt", 4, "stop_lat") == b"91.5"
    assert field("bad_int.zip", "stop_times.txt", 3, "stop_sequence") == b"two"
    assert b"\xff" in field("invalid_utf8.zip", "stops.txt", 5, "stop_name")
    assert b"stop_id" not in line("missing_required.zip", "stops.txt", 1)
    assert line("quoted.zip", "stops.txt", 4).startswith(b"PKP_1,")
    assert line("quoted.zip", "stops.txt", 5).startswith(b"Use the underpass")
    assert line("quoted.zip", "stops.txt", 8).startswith(b"RTE9_VAS,")
    assert [len(line("fewer_fields.zip", "stops.txt", n).split(b","))
            for n in range(1, 7)] == [10, 10, 9, 6, 10, 7]
    for name in BASE:
        data = member_lines(built["bom_crlf.zip"], name)
        assert data[0].startswith(b"\xef\xbb\xbf") and data[0].endswith(b"\r")
    with zipfile.ZipFile(io.BytesIO(built["empty_and_header_only.zip"])) as zf:
        assert zf.read("frequencies.txt") == b""
        assert not zf.read("shapes.txt").endswith(b"\n")
    with zipfile.ZipFile(io.BytesIO(built["nested.zip"])) as zf:
        assert "stops.txt" not in zf.namelist()
        assert "feed/stops.txt" in zf.namelist()
    for name, data in built.items():
        if name in ("not_a_zip.zip", "truncated.zip"):
            continue
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.testzip() is None, name


def read_table(zip_data, member):
    """Rows of a member as dicts, parsed the lenient way (csv module)."""
    with zipfile.ZipFile(io.BytesIO(zip_data)) as zf:
        text = zf.read(member).decode("utf-8-sig")
    return [row for row in csv.DictReader(io.StringIO(text, newline=""))
            if any(row.values())]


def check_consistent(built):
    """The feeds meant to load cleanly keep their references intact."""
    for name in ("minimal.zip", "bom_crlf.zip", "quoted.zip", "unknown_file.zip",
                 "past_midnight.zip", "nested.zip", "empty_and_header_only.zip",
                 "fewer_fields.zip", "changed.zip"):
        data = built[name]
        prefix = "feed/" if name == "nested.zip" else ""

        def ids(member, column):
            return {r[column] for r in read_table(data, prefix + member)}

        stops = ids("stops.txt", "stop_id")
        trips = ids("trips.txt", "trip_id")
        assert ids("stop_times.txt", "stop_id") <= stops, name
        assert ids("stop_times.txt", "trip_id") == trips, name
        assert ids("trips.txt", "route_id") == ids("routes.txt", "route_id"), name
        assert ids("routes.txt", "agency_id") == ids("agency.txt", "agency_id"), name
        assert ids("trips.txt", "service_id") <= ids("calendar.txt", "service_id"), name
        assert ids("agency.txt", "agency_timezone") == {"America/New_York"}, name
    quoted_stops = {r["stop_id"]: r for r in read_table(built["quoted.zip"],
                                                        "stops.txt")}
    assert quoted_stops["STA_PKP"]["stop_desc"] == (
        'The "Main Hall" entrance, facing the river')
    assert quoted_stops["PKP_1"]["stop_desc"] == (
        "Bay 1 is on the river side.\nUse the underpass from the main hall.")
    assert quoted_stops["MAIN_MKT"]["stop_name"] == "Z\u00fcrich Hbf"
    assert quoted_stops["RTE9_VAS"]["stop_name"] == "S\u00e3o Paulo, Av. Paulista"
    assert len(read_table(built["changed.zip"], "stops.txt")) == len(STOPS)


def build():
    built = {name: make() for name, make in FIXTURES.items()}
    check_planted(built)
    check_consistent(built)
    return built


def main(argv=None):
    parser = argparse.ArgumentParser(description="generate the GTFS fixtures")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="directory to write to (default: data/ beside "
                             "this script)")
    parser.add_argument("--check", action="store_true",
                        help="compare with the files in --out, write nothing")
    args = parser.parse_args(argv)

    built = build()
    stale = []
    for name, data in built.items():
        path = os.path.join(args.out, name)
        if args.check:
            try:
                with open(path, "rb") as f:
                    if f.read() != data:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
            continue
        os.makedirs(args.out, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    if args.check:
        if stale:
            print("out of date: " + ", ".join(sorted(stale)))
            return 1
        print("%d fixtures up to date" % len(built))
        return 0
    print("wrote %d fixtures to %s" % (len(built), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
