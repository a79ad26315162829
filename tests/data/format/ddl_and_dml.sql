create or replace table `p.d.t` (submission_date date, client_id string, n int64, tags array<struct<key string, value string>>) partition by submission_date cluster by client_id options (description = 'x', require_partition_filter = true);
insert into p.d.t (submission_date, client_id, n) values ('2024-01-01', 'a', 1), ('2024-01-02', 'b', 2);
delete from p.d.t where n is null;
merge into p.d.t as target using p.d.s as source on target.client_id = source.client_id when matched then update set n = source.n when not matched then insert (client_id, n) values (source.client_id, source.n);
drop table if exists p.d.old;
