package netns_test

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/shoal-bt/shoal/internal/netns"
)

func TestPair(t *testing.T) {
	before, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	a, b := netns.Pair(t)
	for _, n := range []*netns.NS{a, b} {
		out, err := n.Command(t.Context(), "ip", "-o", "addr", "show", "dev", netns.Dev).CombinedOutput()
		if err != nil || !strings.Contains(string(out), n.Addr.String()+"/24") {
			t.Errorf("%s: %v: %s", n.Name, err, out)
		}
		out, err = n.Command(t.Context(), "ip", "route", "get", "239.192.152.143").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "dev "+netns.Dev) {
			t.Errorf("%s: multicast not routed to %s: %v: %s", n.Name, netns.Dev, err, out)
		}
	}
	if _, err := exec.LookPath("ping"); err == nil {
		if out, err := a.Command(t.Context(), "ping", "-c", "1", "-W", "2", b.Addr.String()).CombinedOutput(); err != nil {
			t.Errorf("a cannot reach b: %v: %s", err, out)
		}
	}
	after, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("the host's interfaces changed: %d before, %d after", len(before), len(after))
	}
}
