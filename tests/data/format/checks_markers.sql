#fail
select if((select count(*) from t where x is null) > 0, error('nulls found'), null);
#warn
select if((select count(*) from t) = 0, error('empty'), null);
