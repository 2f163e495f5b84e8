package client

import (
	"context"
	"net/http"

	"github.com/dagdeck/dagdeck"
)

// Identity is who the client's credential authenticates as.
type Identity struct {
	ID   string       `json:"id"`
	Kind string       `json:"kind"`
	Name string       `json:"name"`
	Role dagdeck.Role `json:"role"`
}

// Actor returns the identity as a dagdeck.Actor.
func (i *Identity) Actor() *dagdeck.Actor {
	return &dagdeck.Actor{ID: i.ID, Kind: i.Kind, Name: i.Name, Role: i.Role}
}

// Me returns who the token belongs to. EUNAUTHORIZED for a bad token.
func (c *Client) Me(ctx context.Context) (*Identity, error) {
	var out Identity
	if err := c.doJSON(ctx, http.MethodGet, "/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TokenCreated is a new API token and its secret, which is shown only once.
type TokenCreated struct {
	Token  *dagdeck.Token `json:"token"`
	Secret string         `json:"secret"`
}

// CreateToken creates an API token with a role; a runtime token names the
// Deployments (ids or names) it is for.
func (c *Client) CreateToken(ctx context.Context, name string, role dagdeck.Role, deployments ...string) (*TokenCreated, error) {
	in := struct {
		Name        string       `json:"name"`
		Role        dagdeck.Role `json:"role"`
		Deployments []string     `json:"deployments,omitempty"`
	}{name, role, deployments}
	var out TokenCreated
	if err := c.doJSON(ctx, http.MethodPost, "/tokens", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens returns every API token (never their secrets), oldest first.
func (c *Client) ListTokens(ctx context.Context) ([]*dagdeck.Token, error) {
	var out struct {
		Tokens []*dagdeck.Token `json:"tokens"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/tokens", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Tokens, nil
}

// DeleteToken revokes a token. ENOTFOUND if none has that id.
func (c *Client) DeleteToken(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, "/tokens/"+seg(id), nil, nil, nil)
}

// CreateUser creates a web UI user. ECONFLICT if the name is taken.
func (c *Client) CreateUser(ctx context.Context, name, password string, role dagdeck.Role) (*dagdeck.User, error) {
	in := struct {
		Name     string       `json:"name"`
		Password string       `json:"password"`
		Role     dagdeck.Role `json:"role"`
	}{name, password, role}
	var out dagdeck.User
	if err := c.doJSON(ctx, http.MethodPost, "/users", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUsers returns every user, ordered by name.
func (c *Client) ListUsers(ctx context.Context) ([]*dagdeck.User, error) {
	var out struct {
		Users []*dagdeck.User `json:"users"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/users", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Users, nil
}

// DeleteUser removes a user and their sessions. ENOTFOUND if none has that id.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, "/users/"+seg(id), nil, nil, nil)
}
