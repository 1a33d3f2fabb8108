-- What PostGraphile needs to serve issue 12's operations from a dangjian database (a copy
-- made by compare.py): functions for the subtree lists (Q1, Q4), a computed column for a
-- session's measures (Q2; measures point at their source polymorphically, so there is no
-- foreign key to follow) and column defaults for its plain insert (Q5).
CREATE SCHEMA pgc;

-- Q1: the sessions of an organisation's subtree, latest first.
CREATE FUNCTION pgc.subtree_sessions(org uuid) RETURNS SETOF public.study_session LANGUAGE sql STABLE AS $$
  SELECT s.* FROM public.study_session s
  JOIN public.organization o ON o.id = s.organization_id
  WHERE o.path LIKE (SELECT r.path FROM public.organization r WHERE r.id = org) || '%'
  ORDER BY s.held_at DESC, s.id DESC
$$;

-- Q2: a session's measures (a computed column: same schema as its table).
CREATE FUNCTION public.study_session_measures(s public.study_session) RETURNS SETOF public.measure
LANGUAGE sql STABLE AS $$
  SELECT m.* FROM public.measure m WHERE m.source_kind = 'session' AND m.source_id = s.id ORDER BY m.id
$$;

-- Q4: the overdue items of an organisation's subtree, earliest deadline first.
CREATE FUNCTION pgc.overdue_items(org uuid) RETURNS SETOF public.supervision_item LANGUAGE sql STABLE AS $$
  SELECT i.* FROM public.supervision_item i
  JOIN public.organization o ON o.id = i.organization_id
  WHERE o.path LIKE (SELECT r.path FROM public.organization r WHERE r.id = org) || '%'
    AND i.status <> 'verified' AND i.due_on < current_date
  ORDER BY i.due_on, i.id
$$;

-- Q5: PostGraphile inserts without application-made ids, timestamps and status.
ALTER TABLE public.supervision_item
  ALTER id SET DEFAULT gen_random_uuid(),
  ALTER created_at SET DEFAULT now(),
  ALTER updated_at SET DEFAULT now(),
  ALTER version SET DEFAULT 1,
  ALTER opened_on SET DEFAULT current_date,
  ALTER status SET DEFAULT 'open';
