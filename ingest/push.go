package ingest

import (
	"strings"
	"time"

	"github.com/deploylens/deploylens/delivery"
)

// PushedCommit is one commit of a push, as GitHub and GitLab describe it.
type PushedCommit struct {
	SHA     string
	Message string
	Author  string
	Time    time.Time
	// Distinct is false for a commit pushed before onto another branch (the
	// commits of a merged pull request), which is not a change of its own.
	Distinct bool
}

// Push describes one push onto a branch.
type Push struct {
	EventID, Source, Repo, Branch, DefaultBranch string
	Before, After                                string
	PushedAt                                     time.Time
	Commits                                      []PushedCommit
	// ChangeOf names the change a commit message says the commit merges
	// ("Merge pull request #12", "(#12)", "See merge request g/p!3"), or "".
	ChangeOf func(repo, message string) string
}

// PushEvents translates a push: the push itself, which lets a deployment of
// a commit find the changes it shipped (DESIGN.md §6), and the changes it
// brings onto the default branch. A commit that merges a pull or merge
// request adds itself to that change; any other new commit pushed straight
// to the default branch is a change of its own, keyed repo@sha.
func PushEvents(p Push) []delivery.Event {
	push := &delivery.Push{Repo: p.Repo, Branch: p.Branch, Before: p.Before, After: p.After, PushedAt: p.PushedAt}
	for _, c := range p.Commits {
		push.Commits = append(push.Commits, c.SHA)
		push.CommitTimes = append(push.CommitTimes, c.Time)
	}
	out := []delivery.Event{{ID: p.EventID, Source: p.Source, ObservedAt: p.PushedAt, Push: push}}
	if p.Branch == "" || p.Branch != p.DefaultBranch {
		return out
	}
	// One event per change: rows of one delivery share an event id, so two
	// rows for the same change would collapse into one.
	byID := map[string]*delivery.Change{}
	for _, c := range p.Commits {
		if !c.Distinct || c.SHA == "" {
			continue
		}
		id := ""
		if p.ChangeOf != nil {
			id = p.ChangeOf(p.Repo, c.Message)
		}
		if prev := byID[id]; id != "" && prev != nil {
			prev.Commits = append(prev.Commits, c.SHA)
			continue
		}
		ch := &delivery.Change{ID: id, Repo: p.Repo, Commits: []string{c.SHA}}
		if id != "" {
			byID[id] = ch
		}
		if ch.ID == "" {
			ch.ID = p.Repo + "@" + c.SHA
			ch.Title = firstLine(c.Message)
			ch.Author = c.Author
			ch.Branch = p.Branch
			ch.BaseBranch = p.Branch
			ch.FirstCommitAt = c.Time
			ch.MergedAt = p.PushedAt
			ch.MergeCommit = c.SHA
		}
		out = append(out, delivery.Event{ID: p.EventID, Source: p.Source, ObservedAt: p.PushedAt, Change: ch})
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// Branch returns the branch of a git ref ("refs/heads/main" → "main"), ""
// for tags and other refs.
func Branch(ref string) string {
	b, ok := strings.CutPrefix(ref, "refs/heads/")
	if !ok {
		return ""
	}
	return b
}

// IsSHA reports whether s looks like a full commit id.
func IsSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
