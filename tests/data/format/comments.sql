-- leading comment
/* block
   comment */
SELECT
  a, -- trailing comment on a
  # hash comment on its own line
  b /* inline block */ , c
FROM t -- after FROM
WHERE /* awkward */ a = 1
-- comment before GROUP BY
GROUP BY a, b, c
