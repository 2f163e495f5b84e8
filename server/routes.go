package server

import "net/http"

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/openapi.json", s.handleOpenAPI)
	m.HandleFunc("GET /api/v1/me", s.handleMe)
	m.HandleFunc("GET /healthz", s.handleHealthz)
	m.HandleFunc("GET /readyz", s.handleReadyz)

	m.HandleFunc("POST /api/v1/deployments", s.handleDeploymentCreate)
	m.HandleFunc("GET /api/v1/deployments", s.handleDeploymentList)
	m.HandleFunc("GET /api/v1/deployments/{id}", s.handleDeploymentGet)
	m.HandleFunc("PATCH /api/v1/deployments/{id}", s.handleDeploymentUpdate)

	m.HandleFunc("GET /api/v1/deployments/{id}/deploys", s.handleDeployList)
	m.HandleFunc("POST /api/v1/deployments/{id}/deploys", s.handleDeployCreate)
	m.HandleFunc("GET /api/v1/deployments/{id}/deploys/{deployId}", s.handleDeployGet)
	m.HandleFunc("PATCH /api/v1/deployments/{id}/deploys/{deployId}", s.handleDeployUpdate)
	m.HandleFunc("POST /api/v1/deployments/{id}/deploys/{deployId}/finalize", s.handleDeployFinalize)
	m.HandleFunc("POST /api/v1/deployments/{id}/deploys/{deployId}/lease", s.handleDeployLease)
	m.HandleFunc("POST /api/v1/deployments/{id}/deploys/{deployId}/rollback", s.handleDeployRollback)
	m.HandleFunc("GET /api/v1/deployments/{id}/deploys/{deployId}/manifest", s.handleDeployManifest)
	m.HandleFunc("PUT /api/v1/deployments/{id}/deploys/{deployId}/pin", s.handleDeployPin)
	m.HandleFunc("DELETE /api/v1/deployments/{id}/deploys/{deployId}/pin", s.handleDeployUnpin)
	m.HandleFunc("PUT /api/v1/deployments/{id}/deploys/{deployId}/quarantine", s.handleDeployQuarantine)
	m.HandleFunc("DELETE /api/v1/deployments/{id}/deploys/{deployId}/quarantine", s.handleDeployRelease)
	m.HandleFunc("GET /api/v1/deployments/{id}/deploys/{deployId}/archive", s.handleDeployArchive)

	m.HandleFunc("GET /api/v1/deployments/{id}/diff", s.handleDeploymentDiff)
	m.HandleFunc("GET /api/v1/deploys/{deployId}", s.handleDeployGetByID)

	m.HandleFunc("POST /api/v1/artifacts", s.handleBlobsUpload)
	m.HandleFunc("POST /api/v1/artifacts/missing", s.handleBlobsMissing)
	m.HandleFunc("PUT /api/v1/artifacts/{digest}", s.handleBlobPut)
	m.HandleFunc("GET /api/v1/artifacts/{digest}", s.handleBlobGet)
	m.HandleFunc("POST /api/v1/gc", s.handleGC)

	m.HandleFunc("POST /api/v1/tokens", s.handleTokenCreate)
	m.HandleFunc("GET /api/v1/tokens", s.handleTokenList)
	m.HandleFunc("DELETE /api/v1/tokens/{tokenId}", s.handleTokenDelete)
	m.HandleFunc("POST /api/v1/users", s.handleUserCreate)
	m.HandleFunc("GET /api/v1/users", s.handleUserList)
	m.HandleFunc("DELETE /api/v1/users/{userId}", s.handleUserDelete)
	m.HandleFunc("GET /api/v1/audit", s.handleAuditList)
	m.HandleFunc("GET /api/v1/audit/verify", s.handleAuditVerify)
	m.HandleFunc("POST /api/v1/webhooks", s.handleWebhookCreate)
	m.HandleFunc("GET /api/v1/webhooks", s.handleWebhookList)
	m.HandleFunc("DELETE /api/v1/webhooks/{webhookId}", s.handleWebhookDelete)
	m.HandleFunc("POST /api/v1/webhooks/{webhookId}/rotate-secret", s.handleWebhookRotate)
	m.HandleFunc("POST /api/v1/webhooks/{webhookId}/test", s.handleWebhookTest)
	m.HandleFunc("GET /api/v1/webhooks/{webhookId}/deliveries", s.handleWebhookDeliveries)
	s.runtimeRoutes()

	m.HandleFunc(GitPrefix, s.handleGit)

	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, errNoRoute(r))
	})
}
