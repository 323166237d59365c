package daemon

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// HTTPAuth is who may use the HTTP control listener (--rpc): a user with a
// bcrypt password hash, a bearer token, or both. Empty means nobody needs
// credentials, which Guard allows on loopback addresses only.
type HTTPAuth struct {
	User         string
	PasswordHash string // bcrypt, as 'shoal daemon --hash-password' prints it
	Token        string
	// Hosts are extra names the Host header may carry (beside IP
	// literals and localhost), for a daemon reached by its DNS name.
	Hosts []string
}

func (a HTTPAuth) configured() bool { return a.PasswordHash != "" || a.Token != "" }

// ErrNeedCredentials refuses an HTTP listener on a non-loopback address
// without credentials.
var ErrNeedCredentials = errors.New("an --rpc address other than loopback needs credentials")

// Guard wraps the handler of an HTTP control listener bound to addr. It
// refuses to build one for a non-loopback address without credentials,
// and then checks every request, before h sees it:
//   - the Host header names an IP address, localhost or one of
//     auth.Hosts, so a web page cannot reach the daemon through a DNS name
//     rebound to 127.0.0.1;
//   - an Origin header, which browsers send with cross-site requests,
//     names the same host;
//   - credentials, when configured: HTTP Basic (user and password) or
//     "Authorization: Bearer TOKEN";
//   - the body is read through http.MaxBytesReader.
func Guard(h http.Handler, addr netip.AddrPort, auth HTTPAuth) (http.Handler, error) {
	if !auth.configured() && !addr.Addr().IsLoopback() {
		return nil, fmt.Errorf("%w: set rpc_password_hash (with rpc_user) or rpc_token under [daemon] in the config", ErrNeedCredentials)
	}
	if auth.PasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(auth.PasswordHash)); err != nil {
			return nil, fmt.Errorf("rpc_password_hash is no bcrypt hash (%v); make one with 'shoal daemon --hash-password'", err)
		}
	}
	g := &guard{next: h, auth: auth, hosts: map[string]bool{"localhost": true}, ok: map[[32]byte]bool{}}
	for _, n := range auth.Hosts {
		g.hosts[strings.ToLower(n)] = true
	}
	return g, nil
}

type guard struct {
	next  http.Handler
	auth  HTTPAuth
	hosts map[string]bool

	mu sync.Mutex
	ok map[[32]byte]bool // user:password pairs bcrypt accepted, so each costs bcrypt once
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hostAllowed(r.Host) {
		writeError(w, errorf(KindForbidden, "Host %q is not one this daemon answers to (a guard against DNS rebinding); "+
			"add it to rpc_hosts under [daemon] in the config", r.Host))
		return
	}
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || !strings.EqualFold(u.Host, r.Host) {
			writeError(w, errorf(KindForbidden, "cross-site request from %q refused", o))
			return
		}
	}
	if g.auth.configured() && !g.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="shoal"`)
		writeJSON(w, http.StatusUnauthorized, errorf(KindForbidden, "wrong or missing credentials"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	g.next.ServeHTTP(w, r)
}

func (g *guard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return g.hosts[strings.ToLower(host)]
}

func (g *guard) authorized(r *http.Request) bool {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && g.auth.Token != "" {
		return subtle.ConstantTimeCompare([]byte(tok), []byte(g.auth.Token)) == 1
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	if g.auth.PasswordHash == "" {
		// Token only: Transmission remotes can send it as the password.
		return g.auth.Token != "" && subtle.ConstantTimeCompare([]byte(pass), []byte(g.auth.Token)) == 1
	}
	if subtle.ConstantTimeCompare([]byte(user), []byte(g.auth.User)) != 1 {
		return false
	}
	key := sha256.Sum256([]byte(user + "\x00" + pass))
	g.mu.Lock()
	known := g.ok[key]
	g.mu.Unlock()
	if known {
		return true
	}
	if bcrypt.CompareHashAndPassword([]byte(g.auth.PasswordHash), []byte(pass)) != nil {
		return false
	}
	g.mu.Lock()
	if len(g.ok) < 64 {
		g.ok[key] = true
	}
	g.mu.Unlock()
	return true
}
