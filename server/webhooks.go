package server

import (
	"net/http"

	"github.com/dagdeck/dagdeck"
)

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	var req dagdeck.WebhookCreate
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	created, err := s.svc.Webhooks.CreateWebhook(ctx(r), req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) {
	ws, err := s.svc.Webhooks.ListWebhooks(ctx(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": ws})
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Webhooks.DeleteWebhook(ctx(r), r.PathValue("webhookId")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleWebhookRotate(w http.ResponseWriter, r *http.Request) {
	rotated, err := s.svc.Webhooks.RotateWebhookSecret(ctx(r), r.PathValue("webhookId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rotated)
}

func (s *Server) handleWebhookTest(w http.ResponseWriter, r *http.Request) {
	id, err := s.svc.Webhooks.TestWebhook(ctx(r), r.PathValue("webhookId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"eventId": id})
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ds, err := s.svc.Webhooks.WebhookDeliveries(ctx(r), r.PathValue("webhookId"), limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}
