package judge

import "github.com/deploylens/deploylens/query/canary/stats"

// The accessors below apply the documented defaults in one place.

func (c *Config) confidenceLevel() float64 {
	if c.ConfidenceLevel == 0 {
		return DefaultConfidenceLevel
	}
	return c.ConfidenceLevel
}

func (c *Config) tolerance() float64 { return orDefault(c.Tolerance, DefaultTolerance) }

func (c *Config) passThreshold() float64 { return orDefault(c.Thresholds.Pass, DefaultPassThreshold) }

func (c *Config) marginalThreshold() float64 {
	return orDefault(c.Thresholds.Marginal, DefaultMarginalThreshold)
}

func (c *Config) minPower() float64 { return orDefault(c.MinPower, DefaultMinPower) }

func (c *Config) adjustment() Adjustment {
	if c.MultipleComparisons == "" {
		return AdjustHolm
	}
	return c.MultipleComparisons
}

func (c *Config) groupWeight(group string) float64 {
	if len(c.GroupWeights) == 0 {
		return 1
	}
	return c.GroupWeights[group]
}

func (m *Metric) kind() Kind {
	if m.Kind == "" {
		return KindContinuous
	}
	return m.Kind
}

func (m *Metric) direction() Direction {
	if m.Direction == "" {
		return DirectionEither
	}
	return m.Direction
}

func (m *Metric) nanStrategy() stats.NaNStrategy {
	if m.NaNStrategy == NaNReplace {
		return stats.NaNReplaceZero
	}
	return stats.NaNRemove
}

func (m *Metric) removeOutliers() (factor float64, remove bool) {
	if m.Outliers == nil || m.Outliers.Strategy != OutliersRemove {
		return 0, false
	}
	return orDefault(m.Outliers.Factor, stats.DefaultOutlierFactor), true
}

func (m *Metric) group() string {
	if m.Group == "" {
		return DefaultGroup
	}
	return m.Group
}

func (m *Metric) weight() float64 { return orDefault(m.Weight, 1) }

func (m *Metric) tolerance(c *Config) float64 { return orDefault(m.Tolerance, c.tolerance()) }

func (m *Metric) minPower(c *Config) float64 { return orDefault(m.MinPower, c.minPower()) }

func (e *EffectSize) measure() EffectMeasure {
	if e == nil || e.Measure == "" {
		return MeasureMeanRatio
	}
	return e.Measure
}

// effectBounds are a metric's effect-size bounds with defaults applied.
type effectBounds struct {
	measure                            EffectMeasure
	allowedIncrease, allowedDecrease   float64
	criticalIncrease, criticalDecrease float64
}

func (m *Metric) effectBounds() effectBounds {
	e := m.EffectSize
	measure := e.measure()
	neutral := 1.0
	if measure == MeasureCLES {
		neutral = 0.5
	}
	if e == nil {
		return effectBounds{measure, neutral, neutral, neutral, neutral}
	}
	return effectBounds{
		measure:          measure,
		allowedIncrease:  orDefault(e.AllowedIncrease, neutral),
		allowedDecrease:  orDefault(e.AllowedDecrease, neutral),
		criticalIncrease: orDefault(e.CriticalIncrease, neutral),
		criticalDecrease: orDefault(e.CriticalDecrease, neutral),
	}
}

func orDefault(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}
