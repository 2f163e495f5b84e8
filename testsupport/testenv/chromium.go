package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// chromeInstallCommand installs the browser the UI tests drive.
const chromeInstallCommand = "apt-get update && apt-get install -y chromium"

// chromeDefaultPath is where Debian and Ubuntu install Chromium.
const chromeDefaultPath = "/usr/bin/chromium"

// chromeFlags are the command-line flags of the test browser, besides its
// user data directory: headless, and quiet on the network.
var chromeFlags = []string{
	"headless",
	"no-sandbox",
	"disable-gpu",
	"disable-quic",
	"no-first-run",
	"disable-background-networking",
	"disable-component-update",
	"disable-sync",
}

// Chromium starts a headless Chromium with a fresh user data directory and
// returns a chromedp context for it; the browser stops when the test ends.
// The browser is $CHROMIUM, or /usr/bin/chromium. If it is missing,
// Chromium skips the test, or fails it when the environment variable CI is
// "true".
//
// Give each scenario its own tab with separate cookies:
//
//	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
//	defer cancel()
func Chromium(t testing.TB) context.Context {
	t.Helper()
	path, err := chromePath()
	if err != nil {
		missing(t, "%v", err)
	}
	// Its temporary files (org.chromium.Chromium.*) go with the test's too.
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.Env("TMPDIR=" + t.TempDir())}
	for _, f := range chromeFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The first Do starts the browser and binds it to ctx, which has no
	// deadline: a per-action timeout must not stop the whole browser.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// chromePath returns the browser to run, or an error saying how to install it.
func chromePath() (string, error) {
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = chromeDefaultPath
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return "", fmt.Errorf("chromium not found at %s (set $CHROMIUM to another path); install it with: %s", path, chromeInstallCommand)
	}
	return path, nil
}
