package testnet

import (
	"errors"
	"testing"

	"github.com/shoal-bt/shoal/internal/nginx"
)

// StartNginx serves the folder root over HTTP with Debian's nginx (the
// nginx-light package) on a loopback port and returns its base URL,
// ending in '/'. The test is skipped when nginx is not installed; cleanup
// stops it.
func StartNginx(t testing.TB, root string) string {
	t.Helper()
	srv, err := nginx.Start(root, t.TempDir())
	if errors.Is(err, nginx.ErrNotInstalled) {
		t.Skip(err.Error() + "; .ci/run installs it")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv.URL
}
