package service

import (
	"strings"

	"github.com/dagdeck/dagdeck"
)

// maskSecrets replaces the Deployment's secret values in text with "***"
// (dagdeck.Deployment.SecretValues: long enough, longest first), whatever a
// runtime already masked.
func maskSecrets(text string, dep *dagdeck.Deployment) string {
	for _, s := range dep.SecretValues() {
		text = strings.ReplaceAll(text, s, "***")
	}
	return text
}
