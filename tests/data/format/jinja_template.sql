{# a Jinja comment #}
{% set channels = ["release", "beta"] %}
SELECT
  {% for c in channels %}
  countif(channel = '{{ c }}') AS {{ c }},
  {% endfor %}
  {{ metrics.calculate(metrics=['uri_count'], platform='firefox_desktop') }},
  submission_date
FROM `{{ project_id }}.{{ dataset_id }}.base`
WHERE {% if is_init() %} submission_date >= '2020-01-01' {% else %} submission_date = @submission_date {% endif %}
GROUP BY submission_date
