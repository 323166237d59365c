package tracker

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestServer_ManyClients has many HTTP (keep-alive) and UDP clients
// announce at once, then checks every peer was counted exactly once. Run
// under -race it is also the data-race test of the whole server.
func TestServer_ManyClients(t *testing.T) {
	s := startServer(t, Config{NoRateLimit: true})
	const clients, perClient, torrents = 32, 60, 8
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			if c%2 == 0 {
				errs <- httpClient(s, c, perClient, torrents)
			} else {
				errs <- udpClientRun(t, s, c, perClient, torrents)
			}
		})
	}
	// The status page and metrics are read while the store changes.
	wg.Go(func() {
		for range 20 {
			getBody(t, httpURL(s, "/"))
			getBody(t, httpURL(s, "/metrics"))
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if tot := s.Totals(); tot.Leechers+tot.Seeders != clients*perClient || tot.Swarms != torrents {
		t.Errorf("totals %+v, want %d peers in %d swarms", tot, clients*perClient, torrents)
	}
}

func httpClient(s *Server, c, n, torrents int) error {
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer cl.CloseIdleConnections()
	for i := range n {
		q := AnnounceRequest{InfoHash: ihOf(fmt.Sprint(i % torrents)), PeerID: peerIDOf(c), Port: uint16(10000 + c*n + i),
			Left: uint64(i % 2), Event: EventStarted, NumWant: -1, Compact: true}.Query()
		resp, err := cl.Get(httpURL(s, "/announce?"+q))
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if b[0] != 'd' || string(b[1:11]) != "8:complete" {
			return fmt.Errorf("client %d: answer %q", c, b)
		}
	}
	return nil
}

func udpClientRun(t *testing.T, s *Server, c, n, torrents int) error {
	u := dialUDP(t, s)
	id := u.connect()
	for i := range n {
		pkt := AppendUDP(nil, UDPRequest{ConnID: id, Action: ActionAnnounce, TxID: uint32(i), Announce: AnnounceRequest{
			InfoHash: ihOf(fmt.Sprint(i % torrents)), Port: uint16(10000 + c*n + i), Left: uint64(i % 2), NumWant: -1, Event: EventStarted}})
		resp := u.roundTrip(pkt, 5*time.Second)
		if len(resp) < 20 || binary.BigEndian.Uint32(resp) != uint32(ActionAnnounce) || binary.BigEndian.Uint32(resp[4:]) != uint32(i) {
			return fmt.Errorf("client %d: answer %x", c, resp)
		}
	}
	return nil
}
