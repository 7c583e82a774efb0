-- gtfs_fdw 0.1.0 install script, concatenated from src/sql/[0-9]*.sql

\echo Use "CREATE EXTENSION gtfs_fdw" to load this file. \quit

