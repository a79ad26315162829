SELECT
  metric,
  value
FROM
  UNNEST(
    [
      STRUCT(
        'media_page_had_media_count' AS metric,
        IF(MIN(payload.processes.parent.scalars.media_count) IS NULL, NULL, COUNT(*)) AS value
      ),
      (
        'media_page_had_play_count',
        IF(MIN(payload.processes.content.scalars.media_page_had_play_count) IS NULL, NULL, COUNT(*))
      )
    ]
  )
