package localruntime

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestSecretValues_LongestFirst(t *testing.T) {
	dep := &dagdeck.Deployment{Env: []dagdeck.EnvVar{
		{Key: "A", Value: "token", IsSecret: true},
		{Key: "B", Value: "token-long-value", IsSecret: true},
		{Key: "C", Value: "tiny", IsSecret: true},
		{Key: "D", Value: "plain-value", IsSecret: false},
	}}
	got := secretValues(dep)
	if !slices.Equal(got, []string{"token-long-value", "token"}) {
		t.Fatalf("secretValues = %q", got)
	}
	if m := mask("x=token-long-value y=token", got); m != "x=*** y=***" {
		t.Fatalf("mask = %q: a secret containing another must be masked whole", m)
	}
}

// TestReadMaskedTail: a secret cut by the 1 MiB limit is masked whole; a
// secret wholly in the part left out is not shown either.
func TestReadMaskedTail(t *testing.T) {
	secret := "hunter2-very-secret"
	secrets := []string{secret}
	path := filepath.Join(t.TempDir(), "log")
	const limit = 100
	for cut := 1; cut < len(secret); cut++ {
		// The last limit bytes start cut bytes before the secret's end.
		tail := secret[len(secret)-cut:] + strings.Repeat("x", limit-cut)
		head := strings.Repeat("a", 50) + secret[:len(secret)-cut]
		if err := os.WriteFile(path, []byte(head+tail), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readMaskedTail(path, limit, secrets)
		if err != nil {
			t.Fatal(err)
		}
		s := string(got)
		if strings.Contains(s, secret[len(secret)-cut:]+"x") || !strings.HasSuffix(s, "***"+strings.Repeat("x", limit-cut)) {
			t.Fatalf("cut %d: %q", cut, s)
		}
		if !strings.HasPrefix(s, fmt.Sprintf("dagdeck: %d earlier bytes of this log are left out\n", len(head))) {
			t.Fatalf("cut %d: note = %q", cut, s)
		}
	}
	if err := os.WriteFile(path, []byte("short "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := readMaskedTail(path, limit, secrets); err != nil || string(got) != "short ***\n" {
		t.Fatalf("whole file = %q, %v", got, err)
	}
}

func TestTrimSecretStart(t *testing.T) {
	secrets := []string{"hunter2-very-secret"}
	for in, want := range map[string]string{
		"log hunter2-ve":                "log ",
		"log h":                         "log ",
		"log hunter2-very-secret":       "log hunter2-very-secret", // whole: masked before, never cut
		"log done\n":                    "log done\n",
		"log hunter2-very-secre":        "log ",
		"log hunter2-very-secret-again": "log hunter2-very-secret-again",
	} {
		if got := string(trimSecretStart([]byte(in), secrets)); got != want {
			t.Errorf("trimSecretStart(%q) = %q, want %q", in, got, want)
		}
	}
}
