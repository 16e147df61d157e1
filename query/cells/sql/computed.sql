{{/* Records that a cell's facts of {kind:String} and {variant:String} were
computed under {generation:UInt64} as of {computed_at}; from now on answers
read that generation. */}}
INSERT INTO fact_cells (kind, variant, service, environment, generation, computed_at)
SELECT {kind:String}, {variant:String}, {service:String}, {environment:String}, {generation:UInt64},
       {computed_at:DateTime64(3, 'UTC')}
