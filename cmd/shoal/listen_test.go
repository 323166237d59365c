package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestCannotListen: an address in use is one exit code and one message
// shape, whichever command hit it.
func TestCannotListen(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	state := filepath.Join(t.TempDir(), "state")
	for _, tt := range []struct {
		name string
		args []string
		says string
	}{
		{"tracker http", []string{"tracker", "--http", tcp.Addr().String(), "--udp", "off", "--state", state},
			"shoal: cannot listen on " + tcp.Addr().String() + " (tcp): address already in use"},
		{"tracker udp", []string{"tracker", "--http", "off", "--udp", udp.LocalAddr().String(), "--state", state},
			"shoal: cannot listen on " + udp.LocalAddr().String() + " (udp): address already in use"},
		{"dht", []string{"dht", "--listen", udp.LocalAddr().String(), "--state", state},
			"shoal: cannot listen on " + udp.LocalAddr().String() + " (udp): address already in use"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := shoalRun(t, tt.args...)
			if first := strings.SplitN(stderr, "\n", 2)[0]; code != exitListen || first != tt.says {
				t.Errorf("exit %d, stderr %q; want %d and first line %q", code, stderr, exitListen, tt.says)
			}
		})
	}
}
