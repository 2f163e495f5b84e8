package service

import (
	"sort"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// minMaskedSecret is the shortest secret value masked in logs and XComs:
// masking every "1" or "yes" would garble output and protect nothing.
const minMaskedSecret = 4

// maskSecrets replaces every secret env value in text with "***", longest
// first, so a secret inside a longer one leaves nothing of either.
func maskSecrets(text string, env []dagdeck.EnvVar) string {
	var secrets []string
	for _, v := range env {
		if v.IsSecret && len(v.Value) >= minMaskedSecret {
			secrets = append(secrets, v.Value)
		}
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, "***")
	}
	return text
}
