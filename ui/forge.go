package ui

import (
	"net/url"
	"regexp"
	"strings"
)

// forgeHosts are the forges whose commit pages commitURL knows, with the
// path of a commit under a repository.
var forgeHosts = map[string]string{
	"github.com":    "/commit/",
	"gitlab.com":    "/-/commit/",
	"bitbucket.org": "/commits/",
	"codeberg.org":  "/commit/",
}

var (
	scpRemote = regexp.MustCompile(`^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(.+)$`) // git@github.com:org/repo.git
	hexSHA    = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
)

// commitURL returns the web page of a commit on a known forge, or "" when
// the remote is elsewhere or the SHA is not one.
func commitURL(remote, sha string) string {
	if !hexSHA.MatchString(sha) {
		return ""
	}
	host, path := "", ""
	if m := scpRemote.FindStringSubmatch(remote); m != nil {
		host, path = m[1], m[2]
	} else if u, err := url.Parse(remote); err == nil && (u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "ssh") {
		host, path = u.Hostname(), u.Path
	}
	suffix, ok := forgeHosts[strings.ToLower(host)]
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if !ok || strings.Count(path, "/") < 1 || strings.ContainsAny(path, "?#") {
		return ""
	}
	return "https://" + strings.ToLower(host) + "/" + path + suffix + sha
}
