// Package ui serves dagdeck's web UI: server-rendered HTML pages for the
// Deployments, their Deploy History, the diff between two deploys and the
// rollback flow, with one CSS file and a little JavaScript embedded in the
// binary.
//
// The UI calls the service package in-process, exactly as the REST API
// handlers do, so roles and business rules are the API's: a viewer sees no
// rollback buttons, and the service refuses a viewer's rollback anyway.
//
// Security:
//   - Logging in (user name + password, or an API token) opens a service
//     session; its secret lives only in an HttpOnly, SameSite=Lax cookie
//     (Secure over TLS or with WithSecureCookies).
//   - Every form carries the session's CSRF token, and every JavaScript
//     request that changes something sends it in the X-CSRF-Token header;
//     both are compared in constant time. The login form uses a
//     double-submit token of its own. Cross-origin unsafe requests are
//     refused as well (http.CrossOriginProtection).
//   - Authenticate lets the browser call the REST API with the cookie (for
//     archive downloads); unsafe API methods then need the CSRF header.
//   - Pages are sent with a strict Content-Security-Policy (no inline
//     script or style, nothing from the network) and are never cached.
//
// Live updates: the service's OnDeployed hook feeds Server-Sent Events, so an
// open Deploy History shows a new deploy or rollback at the top without a
// reload.
package ui
