{{/* Every generation of one cell's facts of {kind:String} and
{variant:String} still recorded, oldest first. */}}
SELECT generation, computed_at
FROM fact_cells
WHERE kind = {kind:String} AND variant = {variant:String}
  AND service = {service:String} AND environment = {environment:String}
ORDER BY computed_at, generation
