package daemon

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-bt/shoal/pieces"
)

// An HTTP client may only name reuse folders under allowed_dirs, links
// resolved: else it could have the daemon copy any file whose hash it
// knows into a folder the client reads.
func TestAPI_ReuseFoldersOnlyUnderAllowedDirs(t *testing.T) {
	allowed := t.TempDir()
	_, srv := newTestDaemon(t, allowed, HTTPAuth{})
	outside := t.TempDir()
	tor := makeTorrent(t, t.TempDir(), "wanted")
	link := filepath.Join(allowed, "innocent")
	os.Symlink(outside, link)
	for _, tc := range []struct {
		name   string
		dirs   []string
		status int
	}{
		{"outside", []string{outside}, http.StatusForbidden},
		{"a link out", []string{link}, http.StatusForbidden},
		{"relative", []string{"sub"}, http.StatusBadRequest},
		{"missing", []string{filepath.Join(allowed, "nope")}, http.StatusNotFound},
	} {
		r := call(t, srv, "POST", "/v1/torrents", jsonBody(AddRequest{Metainfo: tor.Bytes(), Reuse: tc.dirs}), nil)
		if r.status != tc.status {
			t.Errorf("%s: %d %q, want %d", tc.name, r.status, r.msg, tc.status)
		}
	}
	if r := call(t, srv, "GET", "/v1/torrents", nil, nil); r.body != "[]\n" && r.body != "[]" {
		t.Errorf("refused adds left torrents: %s", r.body)
	}
}

// A daemon seeding torrent A, then given torrent B that shares a file
// with it, has B whole without the network.
func TestDaemon_AddReusesItsOwnTorrents(t *testing.T) {
	d, _ := newTestDaemon(t, t.TempDir(), HTTPAuth{})
	src := t.TempDir()
	torA := makeTorrent(t, src, "a-set") // a-set/f.bin, with its BLAKE3 digest
	if _, err := d.Add(t.Context(), AddRequest{Metainfo: torA.Bytes(), Dir: src}, Local); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "renamed.bin")
	b, _ := os.ReadFile(filepath.Join(src, "a-set", "f.bin"))
	os.WriteFile(other, b, 0o644)
	torB, err := pieces.Create(context.Background(), other, pieces.CreateOptions{PieceLength: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	added, err := d.Add(t.Context(), AddRequest{Metainfo: torB.Bytes(), Dir: dst}, Local)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows := d.List()
		var row *Row
		for i := range rows {
			if rows[i].ID == added.ID {
				row = &rows[i]
			}
		}
		if row != nil && row.State == "seeding" {
			if row.Downloaded != 0 {
				t.Errorf("downloaded %d bytes", row.Downloaded)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B not complete: %+v", row)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "renamed.bin"))
	if !bytes.Equal(got, b) {
		t.Error("B's bytes differ")
	}
}
