-- The head pointer of a queue (fix forward on 20261125000500_create_queue_engine.sql).
-- queues.head_seq is a lower bound of the positions of the queue's waiting entries: the head
-- lookup of a settlement starts there instead of at the queue's first position. Without it
-- every lookup walks over the index entries that completed entries leave behind until vacuum
-- removes them, and a busy queue slows down between vacuums. Under the "queue order" rule the
-- settlement moves the pointer past what it completed; nothing else needs to (entries only
-- ever leave the waiting state, and new ones join at the tail).

-- admin_update_settings maps every data error of a malformed value to invalid_setting.

-- Also two indexes nothing reads on a hot path go (fewer writes per settlement): the unread
-- messages index (the member's messages index and a filter serve the unread list) and the
-- distributions' member index (reconcile() scans; the row policy does not need it).

-- ============================================================ tables
alter table rebate.queues add column head_seq bigint not null default 1;

-- ============================================================ indexes
drop index rebate.messages_unread_idx;
drop index rebate.distributions_member_idx;

-- ============================================================ functions
create or replace function rebate.queue_ok(r rebate.queues) returns boolean
language plpgsql immutable
as $$
begin
  if r.scope not in ('mall', 'product', 'stores', 'store', 'cashiers', 'cashier')
     or (r.product_id is not null) <> (r.scope = 'product')
     or (r.store_id is not null) <> (r.scope = 'store')
     or (r.cashier_id is not null) <> (r.scope = 'cashier') then
    return rebate.invariant_failed('queues_scope');
  end if;
  if char_length(r.name) not between 1 and 60 then
    return rebate.invariant_failed('queues_name');
  end if;
  if r.next_seq < 1 or r.head_seq not between 1 and r.next_seq or r.joined_count < 0 or r.entry_count < 0 or r.entry_count > r.joined_count
     or r.total_entitlement_fen < 0 or r.total_extracted_fen < 0 or r.total_distributed_fen < 0
     or r.total_retained_fen < 0 then
    return rebate.invariant_failed('queues_totals');
  end if;
  -- SPEC §2: Σ extraction = Σ distributed + Σ retained
  if r.total_extracted_fen <> r.total_distributed_fen + r.total_retained_fen then
    return rebate.invariant_failed('queues_conservation');
  end if;
  return true;
end;
$$;

-- Settlement of one order, at payment (p_event 'paid') or at completion ('completed').
--
-- At payment every line joins: its terms (queue, ratios, entitlement, extraction) are computed
-- first, without any lock, through the extension points above. Then each queue is locked, in
-- id order, by the one UPDATE that also hands out its positions and adds the order's totals;
-- in line order each joined line takes its position (seq) and, if it earns one, a waiting
-- entry there. If the settlement event is payment, each line's extraction is distributed
-- right after it joined. At completion the order's entries become eligible (rule "completed
-- + queue order") and the lines not settled yet (settlement event = completion) are settled.
--
-- Distribution (waterfall, SPEC §1.2): the oldest eligible waiting entry with a position below
-- the paying order's first position in that queue receives until complete, the rest flows on.
-- Each iteration completes an entry or spends the last fen: the loop is bounded by the money,
-- never by the queue length, and reads only the head, through a partial index. What finds no
-- entry is retained with its reason. Recipients' wallets are credited last, in member order.
-- Every line is written once; every queue row once (twice when extraction is retained).
create or replace function rebate.settle_order(p_order rebate.orders, p_settings rebate.settings, p_event text)
returns void
language plpgsql volatile set search_path = ''
as $$
declare
  v_join constant boolean := p_event = 'paid';
  v_settle constant boolean := p_event = 'completed' or p_settings.settle_event = 'paid';
  v_rule2 constant boolean := p_settings.reward_rule = 'completed_queue_order';
  -- why extraction settled now cannot be distributed, whatever the queue
  v_hold constant text := case when not p_settings.enabled then 'plugin_off' when p_settings.paused then 'paused' end;
  l rebate.order_lines;
  e record;
  v_entry rebate.entries;
  v_ratio record;
  v_qid bigint;
  v_reason text;
  v_earn text;
  v_ebps integer;
  v_ent bigint;
  v_next bigint;
  v_head bigint;
  v_closed boolean;
  v_left bigint;
  v_dist bigint;
  n integer := 0;
  i integer;
  k integer;
  r record;
  -- per line (index i)
  li_id bigint[] := '{}';
  li_q bigint[] := '{}';
  li_why text[] := '{}';
  li_rbps integer[] := '{}';
  li_rcode text[] := '{}';
  li_rlabel text[] := '{}';
  li_ebps integer[] := '{}';
  li_ent bigint[] := '{}';
  li_ext bigint[] := '{}';
  li_pay bigint[] := '{}';
  li_seq bigint[] := '{}';
  li_below bigint[] := '{}';
  li_settle boolean[] := '{}';
  li_eid bigint[] := '{}';
  -- per queue (index k)
  qs bigint[] := '{}';
  v_lock_order integer[] := '{}';
  q_next bigint[] := '{}';
  q_first bigint[] := '{}';
  q_closed boolean[] := '{}';
  q_head bigint[] := '{}';
  q_head0 bigint[] := '{}';
  q_joined bigint[] := '{}';
  q_entries bigint[] := '{}';
  q_ent bigint[] := '{}';
  q_ext bigint[] := '{}';
  q_held bigint[] := '{}';
  q_left bigint[] := '{}';
  -- credits (index c)
  nc integer := 0;
  c_member uuid[] := '{}';
  c_entry bigint[] := '{}';
  c_order bigint[] := '{}';
  c_dist bigint[] := '{}';
  c_amount bigint[] := '{}';
  c_done boolean[] := '{}';
  c_received bigint[] := '{}';
  c_ent bigint[] := '{}';
begin
  -- 1. the lines and their terms; no queue lock yet
  for l in select * from rebate.order_lines ol where ol.order_id = p_order.id order by ol.line_no loop
    if l.refunded_at is not null then
      continue;
    end if;
    n := n + 1;
    li_id[n] := l.id;
    li_pay[n] := l.pay_fen;
    if v_join then
      select f.queue_id, f.reason into v_qid, v_reason from rebate.queue_for_line(l, p_order, p_settings) f;
      li_q[n] := v_qid;
      li_settle[n] := v_settle;
      li_ext[n] := 0;
      li_ent[n] := 0;
      if v_qid is null then
        li_why[n] := v_reason;
      else
        v_earn := rebate.line_earns_entitlement(l, p_order, p_settings);
        select x.ratio_bps, x.rule_code, x.rule_label into v_ratio
          from rebate.resolve_reward_ratio(l, p_order, p_settings) x;
        v_ebps := rebate.resolve_extraction_ratio(l, p_order, p_settings);
        v_ent := case when v_earn is null then rebate.bps_of(l.pay_fen, v_ratio.ratio_bps) else 0 end;
        li_rbps[n] := v_ratio.ratio_bps;
        li_rcode[n] := v_ratio.rule_code;
        li_rlabel[n] := v_ratio.rule_label;
        li_ebps[n] := v_ebps;
        li_ent[n] := v_ent;
        li_ext[n] := rebate.bps_of(l.pay_fen, v_ebps);
        li_why[n] := case when v_earn is not null then v_earn when v_ent = 0 then 'zero_entitlement' end;
        if li_why[n] is null then
          -- the entry's id now, so that its message is written before the queue is locked
          li_eid[n] := nextval('rebate.entries_id_seq'::regclass);
          insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
          values (p_order.member_id, 'entry_joined', p_settings.display_name || '排队成功',
                  '订单' || p_order.order_no || '已加入排队，待返权益' || rebate.fen_text(v_ent),
                  li_eid[n], p_order.id, v_ent);
        end if;
      end if;
    else
      li_q[n] := l.queue_id;
      li_settle[n] := l.settled_at is null;
      li_ext[n] := l.extraction_fen;
      li_seq[n] := l.seq;
      li_below[n] := l.pay_below_seq;
    end if;
    if li_q[n] is not null then
      k := array_position(qs, li_q[n]);
      if k is null then
        qs := qs || li_q[n];
        k := cardinality(qs);
        q_joined[k] := 0; q_entries[k] := 0; q_ent[k] := 0; q_ext[k] := 0; q_held[k] := 0; q_left[k] := 0;
      end if;
      if v_join then
        q_joined[k] := q_joined[k] + 1;
        if li_why[n] is null then
          q_entries[k] := q_entries[k] + 1;
          q_ent[k] := q_ent[k] + li_ent[n];
        end if;
      end if;
      if li_settle[n] then
        q_ext[k] := q_ext[k] + li_ext[n];
        if v_hold is not null then
          q_held[k] := q_held[k] + li_ext[n];
        end if;
      end if;
    end if;
  end loop;

  -- 2. lock each queue (in id order) with the update that hands out its positions and adds
  --    this order's totals; extraction counts as distributed until some of it is retained
  if cardinality(qs) = 1 then
    v_lock_order := array[1];
  elsif cardinality(qs) > 1 then
    v_lock_order := array(select array_position(qs, x) from unnest(qs) x order by x);
  end if;
  foreach k in array v_lock_order loop
    update rebate.queues q set
      next_seq              = q.next_seq + q_joined[k],
      joined_count          = q.joined_count + q_joined[k],
      entry_count           = q.entry_count + q_entries[k],
      total_entitlement_fen = q.total_entitlement_fen + q_ent[k],
      total_extracted_fen   = q.total_extracted_fen + q_ext[k],
      total_distributed_fen = q.total_distributed_fen + q_ext[k] - q_held[k],
      total_retained_fen    = q.total_retained_fen + q_held[k]
     where q.id = qs[k]
     returning q.next_seq - q_joined[k], q.head_seq, q.closed_at is not null into v_next, v_head, v_closed;
    q_next[k] := v_next;
    q_head[k] := v_head;
    q_head0[k] := v_head;
    q_closed[k] := v_closed;
  end loop;

  -- 3. line by line, in line order
  for i in 1 .. n loop
    k := array_position(qs, li_q[i]);
    v_left := 0;
    v_dist := 0;

    if v_join and k is not null then
      -- join: the next position of the queue, and the entry if the line earns one
      li_seq[i] := q_next[k];
      q_next[k] := q_next[k] + 1;
      if q_first[k] is null then
        q_first[k] := li_seq[i];
      end if;
      li_below[i] := q_first[k];
      if li_why[i] is null then
        insert into rebate.entries (id, queue_id, seq, member_id, order_id, line_id, base_fen, reward_bps,
                                    rule_code, rule_label, entitlement_fen)
        values (li_eid[i], li_q[i], li_seq[i], p_order.member_id, p_order.id, li_id[i], li_pay[i], li_rbps[i],
                li_rcode[i], li_rlabel[i], li_ent[i])
        returning * into v_entry;
        perform rebate.after_entry_joined(v_entry);
      end if;
    elsif not v_join and k is not null then
      -- completion: the entry becomes eligible under "completed + queue order"
      update rebate.entries en set order_completed = true
       where en.line_id = li_id[i] and en.status = 'waiting' and not en.order_completed;
    end if;

    if li_settle[i] and k is not null and li_ext[i] > 0 then
      v_left := li_ext[i];
      v_reason := coalesce(v_hold, case when q_closed[k] then 'queue_closed' end);
      if v_reason is null then
        loop
          -- one step, one statement: the head (oldest eligible waiting entry ahead of the order)
          -- receives least(money left, its remaining); the distribution is recorded
          if v_rule2 then
            with h as (
              select en.id, least(v_left, en.entitlement_fen - en.received_fen) as amt
                from rebate.entries en
               where en.queue_id = li_q[i] and en.status = 'waiting' and en.order_completed
                 and en.seq >= q_head[k] and en.seq < li_below[i]
               order by en.seq limit 1
            ), u as (
              update rebate.entries en set
                received_fen = en.received_fen + h.amt,
                status = case when en.received_fen + h.amt = en.entitlement_fen then 'completed' else 'waiting' end,
                ended_at = case when en.received_fen + h.amt = en.entitlement_fen then now() end
                from h where en.id = h.id
              returning en.id, en.seq, en.member_id, en.order_id, en.entitlement_fen, en.received_fen, h.amt
            ), d as (
              insert into rebate.distributions (queue_id, source_line_id, entry_id, member_id, amount_fen)
              select li_q[i], li_id[i], u.id, u.member_id, u.amt from u
              returning id
            )
            select u.id, u.seq, u.member_id, u.order_id, u.entitlement_fen, u.received_fen, u.amt, d.id as dist_id into e
              from u, d;
          else
            with h as (
              select en.id, least(v_left, en.entitlement_fen - en.received_fen) as amt
                from rebate.entries en
               where en.queue_id = li_q[i] and en.status = 'waiting' and en.seq >= q_head[k] and en.seq < li_below[i]
               order by en.seq limit 1
            ), u as (
              update rebate.entries en set
                received_fen = en.received_fen + h.amt,
                status = case when en.received_fen + h.amt = en.entitlement_fen then 'completed' else 'waiting' end,
                ended_at = case when en.received_fen + h.amt = en.entitlement_fen then now() end
                from h where en.id = h.id
              returning en.id, en.seq, en.member_id, en.order_id, en.entitlement_fen, en.received_fen, h.amt
            ), d as (
              insert into rebate.distributions (queue_id, source_line_id, entry_id, member_id, amount_fen)
              select li_q[i], li_id[i], u.id, u.member_id, u.amt from u
              returning id
            )
            select u.id, u.seq, u.member_id, u.order_id, u.entitlement_fen, u.received_fen, u.amt, d.id as dist_id into e
              from u, d;
          end if;
          if not found then
            -- queue order: nothing waits in [head, below) any more
            if not v_rule2 then
              q_head[k] := greatest(q_head[k], li_below[i]);
            end if;
            exit;
          end if;
          -- queue order: everything before a paid entry is done; past it too once it completes
          if not v_rule2 then
            q_head[k] := greatest(q_head[k], e.seq + case when e.received_fen = e.entitlement_fen then 1 else 0 end);
          end if;
          nc := nc + 1;
          c_member[nc] := e.member_id; c_entry[nc] := e.id; c_order[nc] := e.order_id; c_dist[nc] := e.dist_id;
          c_amount[nc] := e.amt; c_done[nc] := e.received_fen = e.entitlement_fen; c_received[nc] := e.received_fen;
          c_ent[nc] := e.entitlement_fen;
          v_dist := v_dist + e.amt;
          v_left := v_left - e.amt;
          exit when v_left = 0;
        end loop;
        v_reason := 'no_waiting_entry';
        q_left[k] := q_left[k] + v_left;
      elsif v_hold is null then
        q_left[k] := q_left[k] + v_left;    -- queue_closed: counted as distributed in step 2
      end if;
      if v_left > 0 then
        insert into rebate.retentions (queue_id, source_line_id, amount_fen, reason)
        values (li_q[i], li_id[i], v_left, v_reason);
      end if;
    end if;

    -- the line, written once
    if v_join then
      update rebate.order_lines ol set
        queue_id = li_q[i], seq = li_seq[i], pay_below_seq = li_below[i], no_entry_reason = li_why[i],
        reward_bps = li_rbps[i], reward_rule_code = li_rcode[i], reward_rule_label = li_rlabel[i],
        extraction_bps = li_ebps[i], entitlement_fen = li_ent[i], extraction_fen = li_ext[i],
        settled_at = case when li_settle[i] then now() end, distributed_fen = v_dist, retained_fen = v_left
       where ol.id = li_id[i]
       returning * into l;
    elsif li_settle[i] then
      update rebate.order_lines ol set settled_at = now(), distributed_fen = v_dist, retained_fen = v_left
       where ol.id = li_id[i]
       returning * into l;
    end if;
    if li_settle[i] then
      perform rebate.apply_order_rewards(l, p_event);
    end if;
  end loop;

  -- 4. what found no entry moves from distributed to retained, and the head moves on
  --    (a second update of the queue row only when one of them changed)
  for k in 1 .. cardinality(qs) loop
    if q_left[k] > 0 or q_head[k] > q_head0[k] then
      update rebate.queues q set
        total_distributed_fen = q.total_distributed_fen - q_left[k],
        total_retained_fen = q.total_retained_fen + q_left[k],
        head_seq = q_head[k]
       where q.id = qs[k];
    end if;
  end loop;

  -- 5. credit the recipients: wallets in member order; per distribution one statement writes
  --    the balance, its ledger row and the message
  if nc = 0 then
    return;
  end if;
  for r in
    select t.member_id, t.entry_id, t.order_id, t.dist_id, t.amount, t.done, t.received, t.entitlement
      from unnest(c_member, c_entry, c_order, c_dist, c_amount, c_done, c_received, c_ent)
           as t(member_id, entry_id, order_id, dist_id, amount, done, received, entitlement)
     where nc > 1
     order by t.member_id, t.dist_id
  loop
    perform rebate.credit_rebate(r.member_id, r.entry_id, r.order_id, r.dist_id, r.amount, r.done, r.received,
                                 r.entitlement, p_settings.display_name);
  end loop;
  if nc = 1 then
    with w as (
      update rebate.wallets w set cash_fen = w.cash_fen + c_amount[1], updated_at = now()
       where w.member_id = c_member[1]
      returning w.cash_fen
    ), g as (
      insert into rebate.ledger (member_id, asset, delta, balance_before, balance_after, reason, order_id, entry_id,
                                 distribution_id)
      select c_member[1], 'cash', c_amount[1], w.cash_fen - c_amount[1], w.cash_fen, 'queue_rebate', c_order[1],
             c_entry[1], c_dist[1]
        from w
    )
    insert into rebate.messages (member_id, kind, title, body, entry_id, order_id, amount_fen)
    values (c_member[1],
            case when c_done[1] then 'entry_completed' else 'entry_received' end,
            p_settings.display_name || case when c_done[1] then '已返满' else '到账' end,
            '排队名额收到' || rebate.fen_text(c_amount[1])
              || case when c_done[1] then '，已返满' || rebate.fen_text(c_ent[1])
                      else '，累计' || rebate.fen_text(c_received[1]) || '/' || rebate.fen_text(c_ent[1]) end,
            c_entry[1], c_order[1], c_amount[1]);
  end if;
end;
$$;

-- Updates the given settings fields (a JSON object: field → value); validates every field.
-- (Replaced here so that any data error a later check or trigger raises on a malformed value
-- — e.g. a level key that is not a number — comes back as invalid_setting, never as a raw
-- SQLSTATE.)
create or replace function public.admin_update_settings(p_patch jsonb) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_uid uuid := rebate.require_admin();
  v_key text;
  v_val jsonb;
  f rebate.setting_fields;
  v_cols text;
  v_vals text;
  v_ok boolean;
begin
  if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb then
    raise exception using errcode = 'P0001', message = 'invalid_settings', hint = '设置内容无效';
  end if;
  for v_key, v_val in select e.key, e.value from jsonb_each(p_patch) e loop
    select * into f from rebate.setting_fields sf where sf.name = v_key;
    if not found then
      raise exception using errcode = 'P0001', message = 'unknown_setting', hint = '未知的设置项：' || left(v_key, 40);
    end if;
    v_ok := case f.kind
        when 'boolean' then jsonb_typeof(v_val) = 'boolean'
        when 'integer' then rebate.json_int(v_val, f.min_value, f.max_value) is not null
        when 'text' then jsonb_typeof(v_val) = 'string'
                         and char_length(v_val #>> '{}') between coalesce(f.min_value, 0) and coalesce(f.max_value, 100)
                         and (v_val #>> '{}') !~ '[[:cntrl:]]'
        when 'choice' then jsonb_typeof(v_val) = 'string' and (v_val #>> '{}') = any (f.choices)
        when 'json' then jsonb_typeof(v_val) in ('object', 'array')
        when 'time' then jsonb_typeof(v_val) = 'string' and (v_val #>> '{}') ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
        when 'timestamptz' then jsonb_typeof(v_val) = 'null'
                         or (jsonb_typeof(v_val) = 'string'
                             and (v_val #>> '{}') ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$')
        else false
      end;
    if not coalesce(v_ok, false) then
      raise exception using errcode = 'P0001', message = 'invalid_setting',
        hint = f.label || '：取值无效';
    end if;
  end loop;

  select string_agg(format('%I', k), ', ' order by k), string_agg(format('r.%I', k), ', ' order by k)
    into v_cols, v_vals
    from jsonb_object_keys(p_patch) k;
  begin
    execute format(
      'update rebate.settings s set (%s) = (select %s from jsonb_populate_record(null::rebate.settings, $1) r), '
      'updated_at = now(), updated_by = $2 where s.id = 1',
      v_cols || ', id', v_vals || ', 1')
      using p_patch, v_uid;
  exception
    when check_violation or data_exception then
      raise exception using errcode = 'P0001', message = 'invalid_setting', hint = '设置之间相互矛盾或取值超出范围';
  end;
  return (select to_jsonb(s) - 'id' from rebate.settings s where s.id = 1);
end;
$$;

-- reconcile(): no waiting entry below its queue's head pointer.
create or replace function rebate.reconcile_check_queue_head()
returns table (check_name text, subject text, expected bigint, actual bigint)
language sql stable security definer set search_path = ''
as $$
  select 'queue_head', q.id::text, q.head_seq, min(e.seq)
    from rebate.queues q
    join rebate.entries e on e.queue_id = q.id and e.status = 'waiting'
   group by q.id, q.head_seq
  having min(e.seq) < q.head_seq
$$;

-- ============================================================ grants
revoke all on function rebate.queue_ok(rebate.queues), rebate.settle_order(rebate.orders, rebate.settings, text),
  rebate.reconcile_check_queue_head()
  from public, anon, authenticated;
revoke all on function public.admin_update_settings(jsonb) from public, anon, authenticated, service_role;
grant execute on function public.admin_update_settings(jsonb) to authenticated;
