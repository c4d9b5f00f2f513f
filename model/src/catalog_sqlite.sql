-- strata verify: what SQLite's schema says, as (kind, object, detail) rows. Tables are
-- described by their columns, keys and indexes (SQLite keeps the CREATE TABLE text as
-- written, and a table rebuilt by a DOWN is the same table in other words); indexes, views
-- and triggers by their SQL. The history and lease tables ({history}, {lease}) are strata's.
WITH objects AS (
  SELECT type, name, tbl_name, sql FROM sqlite_schema
  WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'
    AND tbl_name NOT IN ({history}, {lease})
)
SELECT type, name, CASE WHEN type = 'table' THEN '' ELSE coalesce(sql, '') END FROM objects
UNION ALL
SELECT 'column', o.name || '.' || c.name,
       trim(lower(c.type)
         || CASE WHEN c."notnull" THEN ' not null' ELSE '' END
         || CASE WHEN c.dflt_value IS NOT NULL THEN ' default ' || c.dflt_value ELSE '' END
         || CASE WHEN c.pk > 0 THEN ' primary key ' || c.pk ELSE '' END
         || CASE c.hidden WHEN 2 THEN ' generated virtual' WHEN 3 THEN ' generated stored' ELSE '' END)
  FROM objects o, pragma_table_xinfo(o.name) c
  WHERE o.type = 'table'
UNION ALL
SELECT 'foreign key', o.name || ' (' || group_concat(f."from", ', ') || ')',
       'references ' || f."table" || ' (' || group_concat(coalesce(f."to", ''), ', ') || ') on update '
         || f.on_update || ' on delete ' || f.on_delete
  FROM objects o, pragma_foreign_key_list(o.name) f
  WHERE o.type = 'table'
  GROUP BY o.name, f.id
UNION ALL
SELECT 'key', o.name || ' (' || (SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno)) || ')',
       CASE l.origin WHEN 'pk' THEN 'primary key' ELSE 'unique' END
  FROM objects o, pragma_index_list(o.name) l
  WHERE o.type = 'table' AND l.origin IN ('pk', 'u')
