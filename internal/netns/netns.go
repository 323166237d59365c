// Package netns gives tests a private network: two throwaway Linux network
// namespaces joined by a veth pair, for traffic (multicast, say) that must
// never reach the host's own network. Tests only; it needs root and ip(8).
package netns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// Dev is the name of the veth end inside each namespace.
const Dev = "veth0"

// NS is one namespace of a Pair.
type NS struct {
	Name  string     // for ip netns exec
	Addr  netip.Addr // Dev's IPv4 address, in 10.231.0.0/24
	Addr6 netip.Addr // Dev's IPv6 address, in fd00:231::/64 (unique local)
	ip    string
}

// Pair creates two namespaces whose Dev ends are joined by a veth pair,
// addressed 10.231.0.1/24 and 10.231.0.2/24 and fd00:231::1/64 and
// fd00:231::2/64 (usable at once: no duplicate address detection), with lo
// and Dev up and IPv4 multicast (224.0.0.0/4) routed to Dev (the kernel
// routes IPv6 multicast to every interface that is up). The veth is created inside the
// first namespace and never exists in the host's. Pair skips the test when
// not root, without ip(8), or when namespaces cannot be made (an
// unprivileged container); cleanup deletes both namespaces.
func Pair(t testing.TB) (a, b *NS) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("netns: network namespaces are Linux only")
	}
	if os.Geteuid() != 0 {
		t.Skip("netns: needs root to create network namespaces")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/ip"); err2 != nil {
			t.Skipf("netns: ip(8) not found: %v", err)
		}
		ip = "/usr/sbin/ip"
	}
	var r [4]byte
	rand.Read(r[:])
	prefix := fmt.Sprintf("shoal-%d-%s", os.Getpid(), hex.EncodeToString(r[:]))
	a = &NS{Name: prefix + "-a", Addr: netip.MustParseAddr("10.231.0.1"), Addr6: netip.MustParseAddr("fd00:231::1"), ip: ip}
	b = &NS{Name: prefix + "-b", Addr: netip.MustParseAddr("10.231.0.2"), Addr6: netip.MustParseAddr("fd00:231::2"), ip: ip}
	for _, n := range []*NS{a, b} {
		if out, err := exec.Command(ip, "netns", "add", n.Name).CombinedOutput(); err != nil {
			t.Skipf("netns: cannot create a namespace (%v: %s)", err, strings.TrimSpace(string(out)))
		}
		t.Cleanup(func() {
			if out, err := exec.Command(ip, "netns", "del", n.Name).CombinedOutput(); err != nil {
				t.Errorf("netns: delete %s: %v: %s", n.Name, err, out)
			}
		})
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ip, args...).CombinedOutput(); err != nil {
			t.Fatalf("netns: ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("-n", a.Name, "link", "add", Dev, "type", "veth", "peer", "name", Dev, "netns", b.Name)
	for _, n := range []*NS{a, b} {
		run("-n", n.Name, "addr", "add", n.Addr.String()+"/24", "dev", Dev)
		run("-n", n.Name, "addr", "add", n.Addr6.String()+"/64", "dev", Dev, "nodad")
		run("-n", n.Name, "link", "set", "lo", "up")
		run("-n", n.Name, "link", "set", Dev, "up")
		run("-n", n.Name, "route", "add", "224.0.0.0/4", "dev", Dev)
	}
	return a, b
}

// IP runs ip(8) with args inside n, failing the test on error.
func (n *NS) IP(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(n.ip, append([]string{"-n", n.Name}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("netns: ip -n %s %s: %v: %s", n.Name, strings.Join(args, " "), err, out)
	}
}

// Command runs name with args inside n.
func (n *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, n.ip, append([]string{"netns", "exec", n.Name, name}, args...)...)
}
