create temp function normalize_channel(channel string) returns string as (if(channel in ('release', 'beta', 'nightly'), channel, 'other'));
create temporary function js_len(s string) returns int64 language js as """return s.length;""";
select normalize_channel(channel) as channel, js_len(name) from t
