-- Estimated completion (SPEC §14): my_entries and queue_process re-exposed with the queue's
-- recent inflow, so the client can turn "what is ahead of me" into a range of days
-- (client/lib/progress.ts, docs/client.md "The estimate").
--
-- Inflow of a queue over a window = the extraction of its lines settled in the window
-- (order_lines.extraction_fen by settled_at), less what of it was retained because the queue
-- was paused or closed or the programme was off (retentions with those reasons): what a
-- waiting entry could have received. Extraction retained because nothing was waiting stays
-- in: it would have paid an entry waiting then. Windows: the last 7 and 30 days before now().
-- Shown only for waiting entries and only where the amount ahead is shown
-- (show_waiting_amount): without it there is no estimate to make (client: 无法估计).
--
-- As the rules migration did with the engine's versions: the current functions move to
-- rebate.*_rules and the public ones wrap them; every existing column / key stays, the new ones
-- come at the end. my_entries also returns position, ahead_count, ahead_amount_fen itself
-- (the same figures as queue_process), so the client no longer calls queue_process per entry.

-- ============================================================ indexes
-- The window sums read only the queue's settled lines in the window (index-only scan).
create index order_lines_queue_settled_idx on rebate.order_lines (queue_id, settled_at) include (extraction_fen)
  where queue_id is not null and settled_at is not null;
-- Retentions other than 'no_waiting_entry' are rare; only they are indexed.
create index retentions_queue_paused_idx on rebate.retentions (queue_id, created_at) include (amount_fen)
  where reason <> 'no_waiting_entry';

-- ============================================================ functions
alter function public.my_entries(text, bigint, integer) set schema rebate;
alter function rebate.my_entries(text, bigint, integer) rename to my_entries_rules;
alter function public.queue_process(bigint, integer) set schema rebate;
alter function rebate.queue_process(bigint, integer) rename to queue_process_rules;

-- The inflow of one queue over the last p_days days before p_now, in fen (≥ 0).
create or replace function rebate.queue_inflow_fen(p_queue_id bigint, p_days integer, p_now timestamptz)
returns bigint
language sql stable set search_path = ''
as $$
  select greatest(0::bigint,
           coalesce((select sum(l.extraction_fen)
                       from rebate.order_lines l
                      where l.queue_id = p_queue_id and l.settled_at is not null
                        and l.settled_at > p_now - make_interval(days => p_days) and l.settled_at <= p_now), 0)
         - coalesce((select sum(r.amount_fen)
                       from rebate.retentions r
                      where r.queue_id = p_queue_id and r.reason <> 'no_waiting_entry'
                        and r.created_at > p_now - make_interval(days => p_days) and r.created_at <= p_now), 0))::bigint
$$;

-- {inflow_7d_fen, inflow_30d_fen, queue_created_at} of a queue.
create or replace function rebate.queue_inflow(p_queue_id bigint, p_now timestamptz)
returns jsonb
language sql stable set search_path = ''
as $$
  select jsonb_build_object(
           'inflow_7d_fen', rebate.queue_inflow_fen(q.id, 7, p_now),
           'inflow_30d_fen', rebate.queue_inflow_fen(q.id, 30, p_now),
           'queue_created_at', q.created_at)
    from rebate.queues q
   where q.id = p_queue_id
$$;

-- My queue entries, newest first: the columns so far, then (waiting entries only; null
-- otherwise) position, ahead_count, ahead_amount_fen (null unless show_waiting_amount),
-- inflow_7d_fen, inflow_30d_fen (null unless show_waiting_amount), queue_created_at.
create or replace function public.my_entries(p_status text default null, p_before_id bigint default null,
                                             p_limit integer default 20)
returns table (entry_id bigint, queue_id bigint, queue_name text, seq bigint, status text, status_label text,
               entitlement_fen bigint, received_fen bigint, remaining_fen bigint, closed_fen bigint,
               progress_bps integer, reward_bps integer, rule_code text, rule_label text, order_id bigint,
               order_no text, item_name text, order_completed boolean, created_at timestamptz, ended_at timestamptz,
               can_draw boolean, drawn_bps integer, can_exchange boolean, lottery_config jsonb,
               converted_asset text, converted_amount bigint,
               "position" bigint, ahead_count bigint, ahead_amount_fen bigint,
               inflow_7d_fen bigint, inflow_30d_fen bigint, queue_created_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
declare
  s rebate.settings;
  v_now timestamptz := now();
begin
  select * into s from rebate.settings x where x.id = 1;
  return query
    with b as materialized (
      select * from rebate.my_entries_rules(p_status, p_before_id, p_limit)
    ),
    -- the inflow once per queue of the page's waiting entries
    inflow as (
      select qs.queue_id, rebate.queue_inflow(qs.queue_id, v_now) as v
        from (select distinct b.queue_id from b where b.status = 'waiting') qs
    )
    select b.entry_id, b.queue_id, b.queue_name, b.seq, b.status, b.status_label, b.entitlement_fen, b.received_fen,
           b.remaining_fen, b.closed_fen, b.progress_bps, b.reward_bps, b.rule_code, b.rule_label, b.order_id,
           b.order_no, b.item_name, b.order_completed, b.created_at, b.ended_at,
           b.can_draw, b.drawn_bps, b.can_exchange, b.lottery_config, b.converted_asset, b.converted_amount,
           case when b.status = 'waiting' then ah.n + 1 end,
           case when b.status = 'waiting' then ah.n end,
           case when b.status = 'waiting' and s.show_waiting_amount then ah.fen end,
           case when s.show_waiting_amount then (i.v ->> 'inflow_7d_fen')::bigint end,
           case when s.show_waiting_amount then (i.v ->> 'inflow_30d_fen')::bigint end,
           (i.v ->> 'queue_created_at')::timestamptz
      from b
      left join inflow i on i.queue_id = b.queue_id and b.status = 'waiting'
      left join lateral (
        select count(*) as n, coalesce(sum(x.entitlement_fen - x.received_fen), 0)::bigint as fen
          from rebate.entries x
          join rebate.queues q on q.id = x.queue_id
         where b.status = 'waiting' and x.queue_id = b.queue_id and x.status = 'waiting'
           and x.seq >= q.head_seq and x.seq < b.seq
      ) ah on true
     order by b.entry_id desc;
end;
$$;

-- The queue process view of one of my entries: the object so far, plus (for a waiting entry;
-- null otherwise) inflow_7d_fen, inflow_30d_fen (null unless show_waiting_amount) and
-- queue_created_at at the top level.
create or replace function public.queue_process(p_entry_id bigint, p_around integer default 5) returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v jsonb := rebate.queue_process_rules(p_entry_id, p_around);
  e rebate.entries;
  s rebate.settings;
  i jsonb;
begin
  select * into e from rebate.entries x where x.id = p_entry_id;
  select * into s from rebate.settings x where x.id = 1;
  if e.status = 'waiting' then
    i := rebate.queue_inflow(e.queue_id, now());
  end if;
  return v || jsonb_build_object(
    'inflow_7d_fen', case when s.show_waiting_amount then i -> 'inflow_7d_fen' end,
    'inflow_30d_fen', case when s.show_waiting_amount then i -> 'inflow_30d_fen' end,
    'queue_created_at', i -> 'queue_created_at');
end;
$$;

-- ============================================================ grants
revoke all on function rebate.my_entries_rules(text, bigint, integer), rebate.queue_process_rules(bigint, integer),
  rebate.queue_inflow_fen(bigint, integer, timestamptz), rebate.queue_inflow(bigint, timestamptz)
  from public, anon, authenticated, service_role;

revoke all on function public.my_entries(text, bigint, integer), public.queue_process(bigint, integer)
  from public, anon, authenticated, service_role;
grant execute on function public.my_entries(text, bigint, integer), public.queue_process(bigint, integer)
  to authenticated;
