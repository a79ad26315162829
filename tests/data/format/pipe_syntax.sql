FROM t |> where x > 1 |> aggregate count(*) as n group by y |> order by n desc |> limit 10
