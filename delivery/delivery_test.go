package delivery

import (
	"reflect"
	"testing"
)

func TestValidateNamesTheMissingKey(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want []string
	}{
		{"complete deployment", Event{ID: "e", Deployment: &Deployment{ID: "d"}}, nil},
		{"no id", Event{Change: &Change{ID: "c"}}, []string{"id"}},
		{"no entity", Event{ID: "e"}, []string{"type"}},
		{"two entities", Event{ID: "e", Change: &Change{ID: "c"}, Incident: &Incident{ID: "i"}}, []string{"type"}},
		{"stage keys", Event{ID: "e", Stage: &PipelineStage{}}, []string{"pipeline", "run_id", "stage"}},
		{"push keys", Event{ID: "e", Push: &Push{Repo: "r"}}, []string{"branch"}},
		{"incident key", Event{ID: "e", Incident: &Incident{}}, []string{"incident_id"}},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range tt.ev.Validate() {
			got = append(got, e.Field)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestGuessStageKind(t *testing.T) {
	for name, want := range map[string]StageKind{
		"unit-tests": KindTest, "Build image": KindBuild, "deploy-prod": KindDeploy, "canary analysis": KindCanary,
		"manual approval": KindApproval, "bake 30m": KindBake, "lint": KindTest, "update": KindOther,
	} {
		if got := GuessStageKind(name); got != want {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
	}
}
