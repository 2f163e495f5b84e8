package service

import "github.com/dagdeck/dagdeck"

// Service implements every service the transport packages call.
var (
	_ dagdeck.DeploymentService = (*Service)(nil)
	_ dagdeck.DeployService     = (*Service)(nil)
	_ dagdeck.HistoryService    = (*Service)(nil)
	_ dagdeck.RollbackService   = (*Service)(nil)
	_ dagdeck.AuthService       = (*Service)(nil)
	_ dagdeck.RuntimeService    = (*Service)(nil)
	_ dagdeck.RetentionService  = (*Service)(nil)
	_ dagdeck.AuditService      = (*Service)(nil)
	_ dagdeck.WebhookService    = (*Service)(nil)
	_ dagdeck.GitService        = (*Service)(nil)
	_ dagdeck.HealthService     = (*Service)(nil)
)

// Services returns s as each of the services server.New and ui.New take:
// one concrete type today, reached by the transport through one interface
// per concern.
func (s *Service) Services() dagdeck.Services {
	return dagdeck.Services{
		Deployments: s,
		Deploys:     s,
		History:     s,
		Rollbacks:   s,
		Auth:        s,
		Runtime:     s,
		Retention:   s,
		Audit:       s,
		Webhooks:    s,
		Git:         s,
		Health:      s,
	}
}
