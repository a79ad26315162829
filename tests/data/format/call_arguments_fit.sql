select metric, value from unnest([
  struct('media_page_had_media_count' as metric,
    if (min(payload.processes.parent.scalars.media_count) is null, null, count (*)) as value),
  ('media_page_had_play_count', if(min(payload.processes.content.scalars.media_page_had_play_count) is null, null, count(*)))
])
