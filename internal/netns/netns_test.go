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
		if err != nil || !strings.Contains(string(out), n.Addr.String()+"/24") || !strings.Contains(string(out), n.Addr6.String()+"/64") {
			t.Errorf("%s: %v: %s", n.Name, err, out)
		}
		for _, group := range []string{"239.192.152.143", "ff15::efc0:988f"} {
			out, err = n.Command(t.Context(), "ip", "route", "get", group).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "dev "+netns.Dev) {
				t.Errorf("%s: %s not routed to %s: %v: %s", n.Name, group, netns.Dev, err, out)
			}
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
