package dagdeck

import "testing"

func TestGitURL(t *testing.T) {
	for _, tt := range []struct{ base, name, want string }{
		{"https://dagdeck.example.com", "etl-prod", "https://dagdeck.example.com/git/etl-prod.git"},
		{"http://127.0.0.1:8080", "a b", "http://127.0.0.1:8080/git/a%20b.git"},
	} {
		if got := GitURL(tt.base, tt.name); got != tt.want {
			t.Errorf("GitURL(%q, %q) = %q, want %q", tt.base, tt.name, got, tt.want)
		}
	}
}

func TestTryEnded(t *testing.T) {
	for state, want := range map[string]bool{
		TaskScheduled: false, TaskRunning: false,
		TaskSuccess: true, TaskFailed: true, TaskSkipped: true,
		TaskUpstreamFailed: true, TaskUpForRetry: true,
	} {
		if got := TryEnded(state); got != want {
			t.Errorf("TryEnded(%q) = %v, want %v", state, got, want)
		}
	}
}
