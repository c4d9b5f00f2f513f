-- strata verify: what MySQL's / MariaDB's information_schema says about the current
-- database, as (kind, object, detail) rows. The history and lease tables ({history},
-- {lease}) are strata's. Descriptions leave out what changes without the schema changing
-- (AUTO_INCREMENT counters, row counts, sizes, creation times).
SELECT 'table', t.table_name,
       CONCAT_WS(' ', t.table_type, t.engine, t.table_collation,
                 NULLIF(t.create_options, ''), NULLIF(t.table_comment, ''))
  FROM information_schema.tables t
  WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
    AND t.table_name NOT IN ({history}, {lease})
UNION ALL
SELECT 'column', CONCAT(c.table_name, '.', c.column_name),
       CONCAT_WS(' ', c.column_type,
                 IF(c.is_nullable = 'NO', 'not null', NULL),
                 CONCAT('default ', c.column_default),
                 NULLIF(c.extra, ''),
                 CONCAT('collate ', c.collation_name),
                 CONCAT('as ', NULLIF(c.generation_expression, '')),
                 CONCAT('comment ', NULLIF(c.column_comment, '')),
                 CONCAT('#', c.ordinal_position))
  FROM information_schema.columns c
  JOIN information_schema.tables t
    ON t.table_schema = c.table_schema AND t.table_name = c.table_name
  WHERE c.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
    AND c.table_name NOT IN ({history}, {lease})
UNION ALL
SELECT 'index', CONCAT(s.table_name, '.', s.index_name),
       CONCAT_WS(' ', IF(MAX(s.non_unique) = 0, 'unique', NULL), MAX(s.index_type),
                 CONCAT('(', GROUP_CONCAT(CONCAT(s.column_name, COALESCE(CONCAT('(', s.sub_part, ')'), ''))
                                         ORDER BY s.seq_in_index SEPARATOR ', '), ')'))
  FROM information_schema.statistics s
  WHERE s.table_schema = DATABASE() AND s.table_name NOT IN ({history}, {lease})
  GROUP BY s.table_name, s.index_name
UNION ALL
SELECT 'foreign key', CONCAT(k.table_name, '.', k.constraint_name),
       CONCAT('(', GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position SEPARATOR ', '),
              ') references ', MAX(k.referenced_table_name), ' (',
              GROUP_CONCAT(k.referenced_column_name ORDER BY k.ordinal_position SEPARATOR ', '),
              ') on update ', MAX(r.update_rule), ' on delete ', MAX(r.delete_rule))
  FROM information_schema.key_column_usage k
  JOIN information_schema.referential_constraints r
    ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name
   AND r.table_name = k.table_name
  WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL
  GROUP BY k.table_name, k.constraint_name
UNION ALL
SELECT 'check', CONCAT(tc.table_name, '.', tc.constraint_name),
       (SELECT GROUP_CONCAT(cc.check_clause ORDER BY cc.check_clause SEPARATOR ' | ')
          FROM information_schema.check_constraints cc
          WHERE cc.constraint_schema = tc.constraint_schema
            AND cc.constraint_name = tc.constraint_name)
  FROM information_schema.table_constraints tc
  WHERE tc.table_schema = DATABASE() AND tc.constraint_type = 'CHECK'
UNION ALL
SELECT 'view', v.table_name, v.view_definition
  FROM information_schema.views v
  WHERE v.table_schema = DATABASE()
UNION ALL
SELECT 'trigger', tr.trigger_name,
       CONCAT_WS(' ', tr.action_timing, tr.event_manipulation, 'on', tr.event_object_table,
                 tr.action_statement)
  FROM information_schema.triggers tr
  WHERE tr.trigger_schema = DATABASE()
UNION ALL
SELECT LOWER(ro.routine_type), ro.routine_name,
       CONCAT_WS(' ',
                 (SELECT CONCAT('(', GROUP_CONCAT(CONCAT_WS(' ', p.parameter_mode, p.parameter_name, p.dtd_identifier)
                                                 ORDER BY p.ordinal_position SEPARATOR ', '), ')')
                    FROM information_schema.parameters p
                    WHERE p.specific_schema = ro.routine_schema AND p.specific_name = ro.routine_name
                      AND p.ordinal_position > 0),
                 CONCAT('returns ', ro.dtd_identifier), ro.routine_definition)
  FROM information_schema.routines ro
  WHERE ro.routine_schema = DATABASE()
UNION ALL
SELECT 'event', e.event_name,
       CONCAT_WS(' ', e.event_type, e.interval_value, e.interval_field, e.status, e.event_definition)
  FROM information_schema.events e
  WHERE e.event_schema = DATABASE()
