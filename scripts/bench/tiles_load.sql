-- From the staging table ogr2ogr wrote (house_risk.geojson of `riskmap analyze`, already
-- in EPSG:3857) to the tables the benchmark queries:
--   houses       id, level, footprint: the table martin would serve
--   houses_full  the same houses with every property RiskMap's houses tiles carry
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS houses, houses_full;

CREATE TABLE houses AS
SELECT substr(id, 7)::bigint AS id, level, geom::geometry(Polygon, 3857) AS geom
FROM house_risk_src;
ALTER TABLE houses ADD PRIMARY KEY (id);
CREATE INDEX houses_geom ON houses USING gist (geom);

-- RiskMap's feature id is the house's position; its `id` property is the string id.
-- `reasons` is sent only above the lowest level, as the Chinese texts joined by "; ".
CREATE TABLE houses_full AS
SELECT substr(id, 7)::bigint - 1 AS fid, id, address, floors, house_use, occupants,
       appraisal, rectification,
       CASE WHEN level <> 'low' THEN
         (SELECT string_agg(r->>'text_zh', '; ' ORDER BY n)
          FROM jsonb_array_elements(reasons::jsonb) WITH ORDINALITY AS e(r, n))
       END AS reasons,
       level,
       CASE level WHEN 'low' THEN 0 WHEN 'general' THEN 1 WHEN 'significant' THEN 2 ELSE 3 END AS level_n,
       geom::geometry(Polygon, 3857) AS geom
FROM house_risk_src;
ALTER TABLE houses_full ADD PRIMARY KEY (fid);
CREATE INDEX houses_full_geom ON houses_full USING gist (geom);

DROP TABLE house_risk_src;
VACUUM ANALYZE houses;
VACUUM ANALYZE houses_full;
SELECT level, count(*) FROM houses GROUP BY level ORDER BY level;
