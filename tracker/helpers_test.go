package tracker

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/shoal-bt/shoal/internal/testrun"
)

// startServer runs a tracker on 127.0.0.1:0 for the test's lifetime.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.UDPAddr == "" {
		cfg.UDPAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	testrun.Go(t, "tracker Run", s.Run)
	return s
}

func httpURL(s *Server, path string) string { return "http://" + s.HTTPAddr().String() + path }

func ihOf(name string) InfoHash { return InfoHash(sha1.Sum([]byte(name))) }

func peerIDOf(n int) [20]byte {
	var id [20]byte
	copy(id[:], fmt.Sprintf("-SH0001-%012d", n))
	return id
}

// httpResponse is an announce or scrape answer decoded by anacrolix's
// bencode, an implementation independent of ours.
type httpResponse struct {
	FailureReason string `bencode:"failure reason"`
	Interval      int64  `bencode:"interval"`
	MinInterval   int64  `bencode:"min interval"`
	Complete      int64  `bencode:"complete"`
	Incomplete    int64  `bencode:"incomplete"`
	Downloaded    int64  `bencode:"downloaded"`
	Peers         any    `bencode:"peers"`
	Peers6        string `bencode:"peers6"`
	Files         map[string]struct {
		Complete   int64 `bencode:"complete"`
		Downloaded int64 `bencode:"downloaded"`
		Incomplete int64 `bencode:"incomplete"`
	} `bencode:"files"`
}

func getBencode(t *testing.T, url string) httpResponse {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %q", url, resp.Status, b)
	}
	var r httpResponse
	if err := bencode.Unmarshal(b, &r); err != nil {
		t.Fatalf("GET %s: decode %q: %v", url, b, err)
	}
	return r
}

func compactPorts(t *testing.T, peers any) []int {
	t.Helper()
	s, ok := peers.(string)
	if !ok {
		t.Fatalf("peers = %T, want a compact string", peers)
	}
	if len(s)%6 != 0 {
		t.Fatalf("compact peers of %d bytes", len(s))
	}
	var ports []int
	for i := 0; i < len(s); i += 6 {
		ports = append(ports, int(binary.BigEndian.Uint16([]byte(s[i+4:i+6]))))
	}
	return ports
}

// udpClient is a raw BEP 15 client, to send what real clients would not.
type udpClient struct {
	t    *testing.T
	conn *net.UDPConn
}

func dialUDP(t *testing.T, s *Server) *udpClient {
	t.Helper()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(s.UDPAddr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpClient{t: t, conn: c}
}

// roundTrip sends pkt and returns the answer, or nil if none came within a
// short wait.
func (c *udpClient) roundTrip(pkt []byte, wait time.Duration) []byte {
	c.t.Helper()
	if _, err := c.conn.Write(pkt); err != nil {
		c.t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 2048)
	n, err := c.conn.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

func (c *udpClient) connect() uint64 {
	c.t.Helper()
	resp := c.roundTrip(AppendUDP(nil, UDPRequest{ConnID: udpProtocolID, Action: ActionConnect, TxID: 7}), 5*time.Second)
	if len(resp) != 16 || binary.BigEndian.Uint32(resp) != uint32(ActionConnect) || binary.BigEndian.Uint32(resp[4:]) != 7 {
		c.t.Fatalf("connect answer %x", resp)
	}
	return binary.BigEndian.Uint64(resp[8:])
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	// Through a rename, as editors and config tools do, so a reload never
	// sees half a file.
	if err := writeFileAtomic(path, []byte(content)); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeTorrent writes a single-file .torrent for a file of the given name
// (its content is never needed) and returns its infohash.
func writeTorrent(t *testing.T, path, name string) InfoHash {
	t.Helper()
	info := metainfo.Info{Name: name, PieceLength: 16 << 10, Length: 5, Pieces: make([]byte, 20)}
	copy(info.Pieces, name)
	ib, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{InfoBytes: ib, Announce: "http://127.0.0.1/announce"}
	var buf bytes.Buffer
	if err := mi.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.String())
	return InfoHash(mi.HashInfoBytes())
}
