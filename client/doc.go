// Package client is the Go client of dagdeck's REST API (/api/v1).
//
// Every method takes a context first and returns dagdeck's domain types.
// Error responses are turned back into *dagdeck.Error with the code and
// message the server sent, so callers branch on dagdeck.ErrorCode exactly as
// they would inside the server. A finalize that lacks files returns a
// *dagdeck.MissingBlobsError listing their digests.
//
//	c := client.New("http://127.0.0.1:8080", token, client.WithVersion("1.2.0"))
//	d, err := c.GetDeployment(ctx, "etl-prod")
//	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND { … }
package client
