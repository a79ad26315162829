select 1;select 2;


-- a comment after statements
select 3
;
