#!/usr/bin/env python3
"""The funnel report (`GET /reports/funnel`) over 1,000,000 leads and their opportunities:
company-wide, one department and one rep, for a week, a month and a year.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_funnel.py [--leads 1000000] [--requests 100]

It creates a throwaway PostgreSQL database, migrates it and seeds it in bulk with SQL
(INSERT ... SELECT over generate_series): five departments of ten reps, 10,000 customers,
`--leads` leads created over the 401 days before today (one in twenty in its department's
pool, one in three qualified), an opportunity for one lead in six (a quarter of them won,
a quarter lost), and the rollup (`lead_funnel_day`, `lead_funnel_month`) as the migrations
build it (the commands keep it from then on); then VACUUM ANALYZE.

It starts the API with one uvicorn worker, its access log on, and sends each request
`--requests` times, the figures taking turns, after a warm-up; the times are the server's
(`duration_ms` of the access log, as in bench_receivables.py). Figures, each < 50 ms at p95:

  company / department / rep × week    the last 7 days
  company / department / rep × month   the last 30 days
  company / department / rep × year    the last 365 days

as the GM, the head of `bench` and the rep `rep.bench.3`, every range summed from the
rollup (its whole months from the months, its other days from the days); and PostgreSQL's
plans for a week read from the leads (the head's two visibility branches: the reference
the rollup is tested against) and the company's year from the rollup.
The database is dropped at the end, also on failure or Ctrl-C (unless --keep-db). A
measurement, not a test: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

import httpx
from _common import (
    Figure,
    add_report_arguments,
    check_report_arguments,
    main,
    measure_figures,
    mint_token,
    p95_checks,
    print_plan,
    print_targets,
    print_timings,
    psql,
    report_database,
    running_server,
)

DEPARTMENTS = ["bench", "bench2", "bench3", "bench4", "bench5"]
WHO = {
    "company": {"sub": "gm.bench", "roles": "gm"},
    "department": {"sub": "head.bench", "roles": "dept_head", "dept": "bench"},
    "rep": {"sub": "rep.bench.3", "roles": "sales_rep", "dept": "bench"},
}
RANGES = {"week": 7, "month": 30, "year": 365}
TARGET_MS = 50

SEED_SQL = """
INSERT INTO department (id, name, active, version, created_at, updated_at)
SELECT d, d || ' dept', true, 1, now(), now() FROM unnest(ARRAY[{departments}]) AS d;

INSERT INTO customer (name, contacts, owner_id, department_id, credit_rating, credit_limit,
                      payment_terms_days, is_key_customer, version, created_at, updated_at)
SELECT '客户' || c, '[]', 'rep.' || d || '.' || (c / 5 % 10), d, 'C', 0, 30, false, 1,
       now(), now()
FROM generate_series(1, 10000) AS c,
     LATERAL (SELECT (ARRAY[{departments}])[1 + c % 5] AS d) AS dept;

-- Lead g: department g mod 5, rep g/5 mod 10 (none for one in twenty: the pool), created
-- (g mod 401) days ago at a time of day that moves with g; one in three qualified, one in
-- six of those converted.
INSERT INTO lead (source, company, company_key, possible_duplicate, status, owner_id,
                  department_id, qualified_at, converted_at, created_by, version, created_at,
                  updated_at)
SELECT 'web', '线索公司' || g, '线索公司' || g, false,
       (CASE WHEN g % 6 = 0 THEN 'converted' WHEN g % 3 = 0 THEN 'qualified'
             ELSE 'new' END)::leadstatus,
       CASE WHEN g % 20 = 1 THEN NULL ELSE 'rep.' || d || '.' || (g / 5 % 10) END, d,
       CASE WHEN g % 3 = 0 THEN created + interval '1 day' END,
       CASE WHEN g % 6 = 0 THEN created + interval '2 days' END,
       'seed', 1, created, created
FROM generate_series(1, {leads}) AS g,
     LATERAL (SELECT (ARRAY[{departments}])[1 + g % 5] AS d,
                     now() - make_interval(days => g % 401, secs => g % 86400) AS created) AS l;

-- The converted leads' opportunities: a quarter won, a quarter lost, the rest in proposal.
INSERT INTO opportunity (customer_id, customer_name, lead_id, department_id, owner_id, title,
                         grade, stage, probability, expected_amount, expected_close_date,
                         won_amount, stage_changed_at, closed_at, created_by, version,
                         created_at, updated_at)
SELECT 1 + l.id % 10000, (SELECT name FROM customer WHERE customer.id = 1 + l.id % 10000),
       l.id, l.department_id, coalesce(l.owner_id, 'rep.bench.0'), 'bench',
       'low', s.stage::opportunitystage,
       CASE s.stage WHEN 'won' THEN 100 WHEN 'lost' THEN 0 ELSE 50 END, a.amount,
       current_date + 30, CASE WHEN s.stage = 'won' THEN a.amount - 100 END,
       l.converted_at, CASE WHEN s.stage <> 'proposal' THEN l.converted_at END, 'seed', 1,
       l.converted_at, l.converted_at
FROM lead AS l,
     LATERAL (SELECT CASE l.id / 6 % 4 WHEN 0 THEN 'won' WHEN 1 THEN 'lost'
                          ELSE 'proposal' END AS stage) AS s,
     LATERAL (SELECT 1000 + (l.id % 997) * 10 AS amount) AS a
WHERE l.status = 'converted';
"""


# The funnel's daily rollup, as the migration builds it from the leads there are (the
# commands keep it from then on). bench_leads.py seeds leads by SQL too and runs it.
ROLLUP_SQL = """
INSERT INTO lead_funnel_day (day, department_id, owner_id, leads, qualified, opportunities,
                             opportunity_amount, won, won_amount)
SELECT (l.created_at AT TIME ZONE 'Asia/Shanghai')::date, l.department_id,
       coalesce(l.owner_id, ''), count(*), count(l.qualified_at), count(o.id),
       coalesce(sum(o.expected_amount), 0), count(CASE WHEN o.stage = 'won' THEN 1 END),
       coalesce(sum(CASE WHEN o.stage = 'won' THEN o.won_amount END), 0)
FROM lead l LEFT JOIN opportunity o ON o.lead_id = l.id
GROUP BY 1, 2, 3;
INSERT INTO lead_funnel_month (month, department_id, owner_id, leads, qualified,
                               opportunities, opportunity_amount, won, won_amount)
SELECT date_trunc('month', day)::date, department_id, owner_id, sum(leads), sum(qualified),
       sum(opportunities), sum(opportunity_amount), sum(won), sum(won_amount)
FROM lead_funnel_day GROUP BY 1, 2, 3;
"""

# The head's week read from the leads: the department's branch and the head's own leads
# outside it, each grouped by department and rep (as app/reports/funnel.py builds it).
WEEK_PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT l.department_id, l.owner_id, count(*), count(l.qualified_at), count(o.id),
       sum(o.expected_amount), count(CASE WHEN o.stage = 'won' THEN o.id END),
       sum(CASE WHEN o.stage = 'won' THEN o.won_amount END)
FROM lead l LEFT JOIN opportunity o ON o.lead_id = l.id
WHERE l.department_id = 'bench' AND l.created_at >= '{start}T00:00:00+08:00'
  AND l.created_at < '{end}T00:00:00+08:00'
GROUP BY l.department_id, l.owner_id
UNION ALL
SELECT l.department_id, l.owner_id, count(*), count(l.qualified_at), count(o.id),
       sum(o.expected_amount), count(CASE WHEN o.stage = 'won' THEN o.id END),
       sum(CASE WHEN o.stage = 'won' THEN o.won_amount END)
FROM lead l LEFT JOIN opportunity o ON o.lead_id = l.id
WHERE l.owner_id = 'head.bench' AND (l.department_id IS NULL OR l.department_id <> 'bench')
  AND l.created_at >= '{start}T00:00:00+08:00' AND l.created_at < '{end}T00:00:00+08:00'
GROUP BY l.department_id, l.owner_id
"""

# The company's year as app/reports/funnel.py sums it: the days before its first whole
# month and after its last, and the whole months between.
YEAR_PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT department_id, owner_id, sum(leads), sum(qualified), sum(opportunities),
       sum(opportunity_amount), sum(won), sum(won_amount)
FROM (SELECT department_id, nullif(owner_id, '') AS owner_id, leads, qualified,
             opportunities, opportunity_amount, won, won_amount
      FROM lead_funnel_day WHERE day >= '{start}' AND day < '{first}'
      UNION ALL
      SELECT department_id, nullif(owner_id, ''), leads, qualified, opportunities,
             opportunity_amount, won, won_amount
      FROM lead_funnel_day WHERE day >= '{after}' AND day <= '{end}'
      UNION ALL
      SELECT department_id, nullif(owner_id, ''), leads, qualified, opportunities,
             opportunity_amount, won, won_amount
      FROM lead_funnel_month WHERE month >= '{first}' AND month < '{after}') AS rollup
GROUP BY department_id, owner_id
"""


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000,
                        help="leads seeded (default 1000000)")
    add_report_arguments(parser, benchmark="funnel", requests=100, warmup=10)
    args = parser.parse_args()
    check_report_arguments(parser, args, {"--leads": 10_000})
    return args


def run(args: argparse.Namespace) -> None:
    name = args.db_name
    with report_database("funnel", args) as (env, tmp):
        print(f"  seeding {args.leads} leads with their opportunities and rollup ...",
              flush=True)
        departments = ", ".join(f"'{d}'" for d in DEPARTMENTS)
        psql(SEED_SQL.format(departments=departments, leads=args.leads), database=name)
        psql(ROLLUP_SQL, database=name)
        psql("VACUUM ANALYZE", database=name)
        # The company's calendar day (Asia/Shanghai), which the report's default ranges follow.
        today = date.fromisoformat(psql(
            "SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date", database=name))
        counts = psql("SELECT (SELECT count(*) FROM lead) || ' leads, ' || "
                      "(SELECT count(*) FROM opportunity) || ' opportunities, ' || "
                      "(SELECT count(*) FROM lead_funnel_day) || ' daily and ' || "
                      "(SELECT count(*) FROM lead_funnel_month) || ' monthly rollup rows'",
                      database=name)
        week_plan = psql(WEEK_PLAN_SQL.format(start=today - timedelta(days=6),
                                              end=today + timedelta(days=1)), database=name)
        year_start = today - timedelta(days=364)
        first = year_start if year_start.day == 1 else next_month(year_start)
        after = next_month(today) if next_month(today) - timedelta(days=1) == today \
            else today.replace(day=1)
        year_plan = psql(YEAR_PLAN_SQL.format(start=year_start, first=first, after=after,
                                              end=today), database=name)

        with running_server(env, tmp / "server.log") as server:
            tokens = {who: mint_token(env, **claims) for who, claims in WHO.items()}
            figures = [
                Figure(f"{who} {span}", f"< {TARGET_MS} ms", "/api/v1/reports/funnel",
                       {"from": str(today - timedelta(days=days - 1)), "to": str(today)},
                       tokens[who])
                for span, days in RANGES.items() for who in WHO]
            with httpx.Client(timeout=60) as client:
                sample = client.get(f"{server.base_url}/api/v1/reports/funnel",
                                    params=figures[-3].params,
                                    headers={"Authorization": f"Bearer {tokens['company']}"})
                timings = measure_figures(figures, server, client, requests=args.requests,
                                          warmup=args.warmup)
    total = sample.json()["total"]
    print()
    print(f"Results: {counts}; {args.requests} requests per figure, in turns, after "
          f"{args.warmup} warm-up rounds; server time from the access log; 1 uvicorn worker")
    print(f"The company's year: {total['leads']} leads, {total['qualified']} qualified, "
          f"{total['opportunities']} opportunities, {total['won']} won "
          f"({total['won_amount']} CNY)")
    print()
    print_timings(timings, width=18)
    print()
    print_plan("One department's week read from the leads (the head's branches):", week_plan)
    print_plan("The company's year summed from the rollup:", year_plan)
    print_targets(p95_checks(timings, TARGET_MS))


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
