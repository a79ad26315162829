declare n int64 default 0; declare names array<string>;
set n = (select count(*) from t);
if n > 0 then select 'rows'; elseif n = 0 then select 'empty'; else select 'negative'; end if;
while n > 0 do set n = n - 1; end while;
begin select 1; exception when error then select @@error.message; end;
loop leave; end loop;
