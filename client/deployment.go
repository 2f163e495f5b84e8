package client

import (
	"context"
	"net/http"

	"github.com/dagdeck/dagdeck"
)

// DeploymentCreate is the body of a request to create a Deployment.
type DeploymentCreate struct {
	Name               string `json:"name"`
	Description        string `json:"description"`
	Executor           string `json:"executor"`
	IsDagDeployEnabled bool   `json:"isDagDeployEnabled"`
}

// CreateDeployment creates a Deployment. ECONFLICT if the name is taken,
// EINVALID if it is malformed.
func (c *Client) CreateDeployment(ctx context.Context, in DeploymentCreate) (*dagdeck.Deployment, error) {
	var d dagdeck.Deployment
	if err := c.doJSON(ctx, http.MethodPost, "/deployments", nil, in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ListDeployments returns every Deployment, ordered by name.
func (c *Client) ListDeployments(ctx context.Context) ([]*dagdeck.Deployment, error) {
	var out struct {
		Deployments []*dagdeck.Deployment `json:"deployments"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/deployments", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Deployments, nil
}

// GetDeployment returns the Deployment with that id or name. ENOTFOUND if none.
func (c *Client) GetDeployment(ctx context.Context, idOrName string) (*dagdeck.Deployment, error) {
	var d dagdeck.Deployment
	if err := c.doJSON(ctx, http.MethodGet, deploymentPath(idOrName), nil, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// UpdateDeployment applies a partial update and returns the Deployment after it.
func (c *Client) UpdateDeployment(ctx context.Context, idOrName string, upd dagdeck.DeploymentUpdate) (*dagdeck.Deployment, error) {
	var d dagdeck.Deployment
	if err := c.doJSON(ctx, http.MethodPatch, deploymentPath(idOrName), nil, upd, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
